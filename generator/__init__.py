"""A realistic synthetic data generator for a mid-market Australian omnichannel retailer.

`generate(out_dir, customers, seed)` writes six source systems' exports, a ground-truth
file mapping every source record to its true person, a postcode reference table and a
manifest. See `FORMATS.md` in this package for every file's columns and keys.
"""

from generator.errors import GeneratorError
from generator.run import VERSION, GenerationSummary, generate

#: The source systems the generator writes, each with a built-in mapping of that name.
GENERATED_SOURCES = ("ecommerce", "pos", "esp", "loyalty", "service", "web")

__all__ = ["GENERATED_SOURCES", "VERSION", "GenerationSummary", "GeneratorError", "generate"]
