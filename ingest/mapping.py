"""Declarative source mappings (YAML): how a source system's files become records.

A mapping names the source, the file format, which field is the record's key, which fields
are identifiers of which type and which are attributes, and which files hold orders and
events. The six built-in sources of the generator have mappings in `ingest/mappings/`; a
user brings a system we have never seen by writing one (see README).
"""

from __future__ import annotations

import codecs
import re
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from ingest.builtin import builtin_sources as builtin_sources  # re-exported
from ingest.errors import MappingError

FieldRef = str | list[str]
"""A field of a row: a dotted path into nested JSON, or a list of them (first non-blank)."""

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
COMPARE_RESERVED_PREFIXES = ("bk_", "dv_", "tf_", "gamma_", "bf_", "mw_")
"""Column prefixes the matcher derives (blocking keys, helpers, Splink's outputs)."""
RESERVED_ATTRIBUTES = frozenset(
    {
        "rid",
        "source",
        "source_id",
        "hash",
        "raw",
        "batch_id",
        "file",
        "row",
        "created_at",
        "updated_at",
        "observed_at",
        "dirty",
        "stub",
        "issues",
    }
)
AttributeKind = Literal[
    "text",
    "name",
    "full_name",
    "date",
    "timestamp",
    "address",
    "postcode",
    "country",
    "bool",
    "number",
    "email",
    "phone",
]


def _check_name(value: str, what: str) -> str:
    if not _NAME.match(value):
        raise ValueError(f"{what} {value!r} must be snake_case: [a-z][a-z0-9_]*")
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class IdentifierSpec(_Strict):
    field: FieldRef
    type: str
    region: str | None = None
    """Default phone region for this field (else the mapping's)."""

    @field_validator("type")
    @classmethod
    def _type_name(cls, v: str) -> str:
        return _check_name(v, "identifier type")


CompareKind = Literal["exact", "jaro_winkler", "levenshtein", "damerau_levenshtein", "date"]

STANDARD_COMPARED = frozenset(
    {"given_name", "family_name", "dob", "address", "postcode", "email", "phone"}
)
"""Attributes the default matching spec compares already, with tuned comparisons."""


class CompareSpec(_Strict):
    """How probabilistic matching compares a user-defined attribute.

    `exact` (agree / disagree), `jaro_winkler` (similarity levels, thresholds in (0, 1)),
    `levenshtein` (edit-distance levels, positive integers), `damerau_levenshtein` (the
    same, a swap of two adjacent characters counting as one edit: right for numbers keyed
    by hand), `date` (exact, one typo, day/month swapped, within N days). `term_frequency`
    discounts agreement on common values; `blocking` also scores every pair that agrees
    exactly on the attribute; `personal` says the value is one person's and never a
    household's (a national id or membership number): agreement on it, or a near miss
    (two edits or fewer, not the next number), lets two members of one family's names
    match (the family rule, `matching.family_rule`, yields). Not for `date`.
    """

    kind: CompareKind
    thresholds: tuple[float, ...] | None = None
    term_frequency: bool = False
    blocking: bool = False
    personal: bool = False

    @field_validator("thresholds")
    @classmethod
    def _thresholds(cls, v: tuple[float, ...] | None) -> tuple[float, ...] | None:
        if v is not None and not v:
            raise ValueError("thresholds must not be empty")
        return v

    @model_validator(mode="after")
    def _thresholds_fit_kind(self) -> CompareSpec:
        t = self.thresholds
        if t is None:
            return self
        if self.kind == "exact":
            raise ValueError("exact comparisons take no thresholds")
        if self.kind == "jaro_winkler" and not all(0 < x < 1 for x in t):
            raise ValueError("jaro_winkler thresholds must be between 0 and 1")
        if self.kind != "jaro_winkler" and not all(x >= 1 and float(x).is_integer() for x in t):
            raise ValueError(f"{self.kind} thresholds must be positive integers")
        return self

    @model_validator(mode="after")
    def _personal_kind(self) -> CompareSpec:
        if self.personal and self.kind == "date":
            raise ValueError("a date is not personal: twins share their date of birth")
        return self


class AttributeSpec(_Strict):
    field: FieldRef
    kind: AttributeKind = "text"
    compare: CompareSpec | None = None
    """Compare this attribute in probabilistic matching (a kind, or kind with options)."""

    @field_validator("compare", mode="before")
    @classmethod
    def _compare_shorthand(cls, v: Any) -> Any:
        return {"kind": v} if isinstance(v, str) else v


class CustomerSection(_Strict):
    file: str
    key: FieldRef
    observed_at: FieldRef | None = None
    identifiers: list[IdentifierSpec] = Field(default_factory=list)
    attributes: dict[str, AttributeSpec] = Field(default_factory=dict)
    skip_empty: bool = False
    """True when a row that carries no identifier and no attribute is not a customer at all
    (a walk-in paying cash): no record is made, and its orders are kept as anonymous orders."""
    accumulate: bool = False
    """True when a record is built from many activity rows (POS transactions, web events):
    identifiers and attributes accumulate instead of each row being the record's full state."""

    @field_validator("attributes")
    @classmethod
    def _attribute_names(cls, v: dict[str, AttributeSpec]) -> dict[str, AttributeSpec]:
        for name in v:
            _check_name(name, "attribute")
            if name in RESERVED_ATTRIBUTES:
                raise ValueError(f"attribute name {name!r} is reserved")
            if v[name].compare is not None:
                if name in STANDARD_COMPARED:
                    raise ValueError(
                        f"attribute {name!r} is compared by the default matching spec; "
                        "compare is for other attributes"
                    )
                if name.startswith(COMPARE_RESERVED_PREFIXES) or name == "unique_id":
                    raise ValueError(f"attribute name {name!r} cannot be compared (reserved)")
        return v


class LinesSpec(_Strict):
    field: str
    format: Literal["list", "delimited"] = "list"
    sku: str = "sku"
    category: str = "category"
    quantity: str = "quantity"
    price: str = "price"
    sep: str = ";"
    part_sep: str = ":"
    parts: list[str] = Field(default_factory=lambda: ["sku", "category", "quantity", "price"])


class OrderSection(_Strict):
    file: str
    key: FieldRef
    customer_key: FieldRef
    placed_at: FieldRef
    total: FieldRef
    currency: FieldRef | None = None
    currency_default: str = "AUD"
    channel: FieldRef | None = None
    channel_default: str = "online"
    store: FieldRef | None = None
    lines: LinesSpec | None = None


class EventSection(_Strict):
    file: str
    key: FieldRef | None = None
    """None: the event id is derived from the row's content."""
    customer_key: FieldRef
    type: FieldRef | None = None
    type_default: str | None = None
    ts: FieldRef
    properties: list[str] = Field(default_factory=list)


class SourceMapping(_Strict):
    source: str
    description: str = ""
    format: Literal["csv", "jsonl", "json", "parquet"] | None = None
    """None: from each file's extension."""
    csv_delimiter: str = ","
    encoding: str = "utf-8"
    """The text encoding of the source's CSV and JSON files (any Python codec name, e.g.
    `latin-1`, `cp1252`); a file is checked to decode completely before anything is written."""
    json_records_path: str | None = None
    """For a JSON document: the key holding the list of rows (e.g. "customers")."""
    default_region: str = "AU"
    default_country: str = "AU"
    dayfirst: bool = True
    customers: Annotated[list[CustomerSection], Field(default_factory=list)]
    orders: Annotated[list[OrderSection], Field(default_factory=list)]
    events: Annotated[list[EventSection], Field(default_factory=list)]

    @field_validator("source")
    @classmethod
    def _source_name(cls, v: str) -> str:
        return _check_name(v, "source")

    @field_validator("csv_delimiter")
    @classmethod
    def _one_character(cls, v: str) -> str:
        if len(v) != 1 or v in '\r\n"':
            raise ValueError(
                f"csv_delimiter must be one character other than a quote or line break, got {v!r}"
            )
        return v

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, v: str) -> str:
        try:
            info = codecs.lookup(v)
        except LookupError:
            raise ValueError(f"unknown encoding {v!r} (e.g. utf-8, latin-1, cp1252)") from None
        if not info._is_text_encoding:  # e.g. "rot13", "zip": not a file's encoding
            raise ValueError(f"{v!r} is not a text encoding")
        return info.name

    @field_validator("customers", "orders", "events", mode="before")
    @classmethod
    def _one_or_many(cls, v: Any) -> Any:
        return [v] if isinstance(v, dict) else v

    def files(self) -> list[str]:
        """The files the mapping reads, customers' first (so orders find their records)."""
        sections: list[CustomerSection | OrderSection | EventSection] = [
            *self.customers,
            *self.orders,
            *self.events,
        ]
        names = [s.file for s in sections]
        return list(dict.fromkeys(names))

    @model_validator(mode="after")
    def _one_comparison_per_attribute(self) -> SourceMapping:
        seen: dict[str, CompareSpec] = {}
        for sec in self.customers:
            for name, spec in sec.attributes.items():
                if spec.compare is not None and seen.setdefault(name, spec.compare) != spec.compare:
                    raise ValueError(f"attribute {name!r} has different comparisons in two files")
        return self

    def compared_attributes(self) -> dict[str, CompareSpec]:
        """Attribute name -> the comparison the mapping declares for it."""
        return {
            name: spec.compare
            for sec in self.customers
            for name, spec in sec.attributes.items()
            if spec.compare is not None
        }

    def customer_section(self, file: str) -> CustomerSection | None:
        return next((s for s in self.customers if s.file == file), None)

    def identifier_types(self) -> list[str]:
        """Every identifier type the mapping declares."""
        return sorted({i.type for sec in self.customers for i in sec.identifiers})

    def key_identifier_types(self) -> list[str]:
        """The identifier types a record's key may be: those declared on a field that is
        also (one of) the customer key's fields. A key that is a loyalty number or an email
        is personal data, and is masked like one."""
        types: set[str] = set()
        for sec in self.customers:
            keys = _fields(sec.key)
            types.update(i.type for i in sec.identifiers if keys & _fields(i.field))
        return sorted(types)


def _fields(ref: FieldRef) -> set[str]:
    return {ref} if isinstance(ref, str) else set(ref)


def parse_mapping(text: str, where: str) -> SourceMapping:
    """Parse and validate a mapping's YAML text.

    Raises:
        MappingError: The YAML is malformed or does not describe a valid mapping.
    """
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise MappingError(where, f"not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise MappingError(where, "expected a mapping (key: value) at the top level")
    try:
        return SourceMapping.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise MappingError(where, problems) from exc


def load_mapping(path: Path) -> SourceMapping:
    """Read and validate a mapping file (UTF-8 YAML).

    Raises:
        MappingError: The file cannot be read, is not UTF-8, or is not a valid mapping.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise MappingError(str(path), f"cannot read: {exc.strerror}") from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise MappingError(
            str(path), f"line {line} is not UTF-8 text; save the mapping as UTF-8"
        ) from None
    return parse_mapping(text, str(path))


def builtin_mapping(source: str) -> SourceMapping:
    """The shipped mapping of one of the generator's sources."""
    if source not in builtin_sources():
        raise MappingError(
            source, f"no built-in mapping; built-in sources: {', '.join(builtin_sources())}"
        )
    ref = resources.files("ingest").joinpath("mappings", f"{source}.yaml")
    return parse_mapping(ref.read_text(encoding="utf-8"), f"built-in {source}")


def mapping_ref(mapping: SourceMapping) -> str:
    """How an ingestion batch names its mapping: "builtin:<source>" when the customer
    sections are the shipped mapping's of that name, else "custom:<source>", so that the
    audit can tell a source we ship from one that borrowed its name."""
    source = mapping.source
    if source in builtin_sources() and mapping.customers == builtin_mapping(source).customers:
        return f"builtin:{source}"
    return f"custom:{source}"


@lru_cache(maxsize=1)
def builtin_key_identifier_types() -> dict[str, list[str]]:
    """Built-in source -> the identifier types its record keys may be (for records ingested
    before the graph remembered it per source)."""
    return {s: builtin_mapping(s).key_identifier_types() for s in builtin_sources()}
