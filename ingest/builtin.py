"""The names of the built-in source mappings (`ingest/mappings/*.yaml`), found without
loading the mapping model: the command line's help lists them."""

from __future__ import annotations

from importlib import resources


def builtin_sources() -> list[str]:
    return sorted(
        p.name.removesuffix(".yaml")
        for p in resources.files("ingest").joinpath("mappings").iterdir()
        if p.name.endswith(".yaml")
    )
