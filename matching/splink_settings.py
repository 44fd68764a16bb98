"""Splink settings built from a small declarative matching spec.

A mapping declares which record attributes take part in matching; `MatchingSpec` turns
those declarations into the three things Splink needs:

* **comparisons** (`ComparisonSpec` -> a Splink comparison with ordered levels, each level
  getting its own m/u probabilities and so its own Bayes factor);
* **blocking rules** (`BlockingRuleSpec` -> derived key columns `bk_<name>` plus an
  equi-join rule `l.bk_<name> = r.bk_<name>`), which decide which pairs are scored at
  all;
* **training recipe**: the rules EM estimates m on, and the strict rules that give a
  first prior (probability two random records match), refitted after training.

Everything that reaches SQL is either a column name checked against `IDENTIFIER` or a
number, so a mapping cannot inject SQL. The SQL text itself comes from plain functions
(`blocking_keys_select_sql`, `blocking_rule_sqls`, ...) that are unit-tested as text.

Blocking design (see `default_spec`). At 1M records a naive self-join is 5e11 pairs.
Every rule is an equality on a derived key, so DuckDB hash-joins it; on the synthetic
benchmark the default rules propose 5.2M pairs at 1M records (150k at 100k) and let
98% of true duplicate pairs through. Each rule catches a different way duplicates
disagree:

* `phone8`: last 8 digits of the phone: duplicates whatever their names (nicknames,
  marriage, typos); the suffix survives country-code and trunk-prefix variants.
* `email_local`: the canonical local part: the same person at another email domain.
* `name`: given + family name: people who changed phone, email and address.
* `dob_family1`: date of birth + family initial: surname typos with no contact overlap.
* `dob_given`: date of birth + given name: a changed surname (marriage).
* `postcode_family`: postcode + family name: given-name nicknames and typos, dob missing.
* `postcode_given_family1`: postcode + given name + family initial: surname typos where
  the dob is missing. (Postcode + given name alone triples the pairs at 1M records for
  no recall on the benchmark: large postcodes times common given names.)
* `address`: same address and postcode: everything else changed but the home.
* `name_swapped`: given/family of one record equal family/given of the other.
* `dob_postcode`: date of birth + postcode: both names changed or mistyped (a married
  name with a given-name typo, a missing given name and a family-name typo) at one place;
  only records that carry a name (placeholders blanked): nameless junk at a placeholder
  birth date is no person.
* `dob_swapped1`: date of birth + the first letter of the given name equal to the first
  letter of the other record's family name: names swapped on entry and mistyped too.

Hub values are capped: a key value shared by more than `max_block_size` records (test
data such as `test@test.com` or `+61400000000`, or "john smith") is dropped *for that
rule only*, so one junk value cannot produce millions of pairs. The pair can still be
proposed by another rule, and the comparison itself still sees the true value.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from splink import ColumnExpression, SettingsCreator, block_on
from splink import comparison_level_library as cll
from splink import comparison_library as cl
from splink.blocking_rule_library import CustomRule
from splink.internals.comparison_level_creator import ComparisonLevelCreator

__all__ = [
    "BK_PREFIX",
    "DV_PREFIX",
    "IDENTIFIER",
    "NICKNAME_TABLE",
    "UNIQUE_ID",
    "BlockingRuleSpec",
    "ComparisonKind",
    "ComparisonSpec",
    "KeyPart",
    "MatchingSpec",
    "blocking_key_columns",
    "blocking_keys_select_sql",
    "blocking_rule_sqls",
    "build_settings",
    "comparison_for",
    "default_spec",
    "derived_columns",
    "deterministic_blocking_rules",
    "em_blocking_rules",
    "hub_values_sql",
    "required_input_columns",
]

IDENTIFIER: Final = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
"""Column and rule names: lower-case SQL identifiers, nothing that needs quoting."""

NICKNAME_TABLE: Final = "nickname_roots"
"""The lookup table (name, roots) behind the nickname level; see `matching.names`."""
BK_PREFIX: Final = "bk_"
DV_PREFIX: Final = "dv_"
UNIQUE_ID: Final = "unique_id"

ComparisonKind = Literal[
    "exact",
    "jaro_winkler",
    "levenshtein",
    "damerau_levenshtein",
    "date",
    "name",
    "email",
    "postcode",
    "phone",
    "forename_surname",
    "address",
]

_DEFAULT_THRESHOLDS: Final[dict[str, tuple[float, ...]]] = {
    "jaro_winkler": (0.92, 0.8),
    "levenshtein": (1, 2),
    "damerau_levenshtein": (1, 2),
    "name": (0.92, 0.88, 0.7),
    "forename_surname": (0.92, 0.88),
    "address": (0.92,),
    "date": (31, 366, 3653),
    "postcode": (3, 2),
    "phone": (8,),
}
_INTEGER_KINDS: Final = frozenset(
    {"levenshtein", "damerau_levenshtein", "date", "postcode", "phone"}
)
_SIMILARITY_KINDS: Final = frozenset({"jaro_winkler", "name", "forename_surname", "address"})
_PAIRED_KINDS: Final = frozenset({"forename_surname", "address"})
_PERSONAL_KINDS: Final = frozenset({"exact", "levenshtein", "damerau_levenshtein", "jaro_winkler"})


def _identifier(value: str) -> str:
    if not IDENTIFIER.fullmatch(value):
        raise ValueError(f"not a plain lower-case identifier: {value!r}")
    if value == UNIQUE_ID or value.startswith((BK_PREFIX, DV_PREFIX)):
        raise ValueError(f"reserved column name: {value!r}")
    return value


class ComparisonSpec(BaseModel):
    """How one attribute (or the given/family name pair) is compared.

    Attributes:
        column: The input column; for `forename_surname` the given name, for `address`
            the street address.
        kind: The comparison family:
            `exact` (agree / disagree); `jaro_winkler`, `levenshtein` (string similarity
            levels at `thresholds`); `damerau_levenshtein` (edit-distance levels where a swap
            of two adjacent characters, the commonest slip in keying a number, is one edit);
            `name` (exact, then Jaro-Winkler levels);
            `date` (exact, one typo, day/month swapped, then within `thresholds` days);
            `email` (exact address, the same local part, a fuzzy address);
            `postcode` (exact, then equal first `thresholds` characters);
            `phone` (exact, then equal last `thresholds` digits);
            `forename_surname` (Splink's `ForenameSurnameComparison`: both exact, swapped,
            both fuzzy, swapped with typos, [nickname with the same surname,] surname
            only, forename only);
            `address` (address and postcode together, because one implies the other:
            same address and postcode, similar address and same postcode, same address
            only, similar address and a postcode one edit away, same postcode with an
            address missing, same postcode only, same first 3 postcode characters).
        thresholds: Level thresholds, most similar first; `None` uses the kind's default.
        term_frequency: Adjust the exact-match level by how common the value is, so two
            records agreeing on "smith" count for less than two agreeing on "zbigniew".
        with_column: The paired column: the family name for `forename_surname`, the
            postcode for `address`; not used by other kinds.
        blocking: Also propose every pair that agrees exactly on this column (worth it for
            identifiers such as membership numbers).
        nicknames: For `forename_surname`: a level for given names of one name family (a
            formal name and its nicknames: "bill" and "william", "kate" and "katherine",
            from `matching.names`) with the same family name, below the fuzzy levels.
        personal: The value belongs to one person and a household never shares it (a
            national id number, a membership number): exact agreement on it lets the
            family rule yield (`matching.family_rule`). Only for `exact`, `levenshtein`,
            `damerau_levenshtein` and `jaro_winkler`.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    column: str
    kind: ComparisonKind
    thresholds: tuple[float, ...] | None = None
    term_frequency: bool = False
    with_column: str | None = None
    blocking: bool = False
    nicknames: bool = False
    personal: bool = False

    _check_column = field_validator("column")(_identifier)

    @field_validator("with_column")
    @classmethod
    def _check_with(cls, value: str | None) -> str | None:
        return None if value is None else _identifier(value)

    @model_validator(mode="after")
    def _check_kind(self) -> ComparisonSpec:
        if (self.kind in _PAIRED_KINDS) != (self.with_column is not None):
            raise ValueError(
                "with_column is required for, and only for, forename_surname and address"
            )
        if self.nicknames and self.kind != "forename_surname":
            raise ValueError("nicknames is only for forename_surname")
        if self.personal and self.kind not in _PERSONAL_KINDS:
            raise ValueError(f"a {self.kind} comparison cannot be personal")
        if self.thresholds is not None:
            if self.kind in ("exact", "email"):
                raise ValueError(f"{self.kind} comparisons take no thresholds")
            if not self.thresholds:
                raise ValueError("thresholds must not be empty")
            if self.kind in _SIMILARITY_KINDS and not all(0 < t < 1 for t in self.thresholds):
                raise ValueError("similarity thresholds must be between 0 and 1")
            if self.kind in _INTEGER_KINDS and not all(
                t >= 1 and float(t).is_integer() for t in self.thresholds
            ):
                raise ValueError(f"{self.kind} thresholds must be positive integers")
        return self

    @property
    def output_name(self) -> str:
        """The comparison's name in Splink output and in the evidence JSON."""
        if self.with_column is not None:
            return f"{self.column}_{self.with_column}"
        return self.column

    @property
    def input_columns(self) -> tuple[str, ...]:
        if self.with_column is not None:
            return (self.column, self.with_column)
        return (self.column,)

    @property
    def effective_thresholds(self) -> tuple[float, ...]:
        return self.thresholds or _DEFAULT_THRESHOLDS.get(self.kind, ())


class KeyPart(BaseModel):
    """One column of a blocking key, optionally cut to its first or last characters."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    column: str
    first: int | None = Field(default=None, ge=1, le=64)
    last: int | None = Field(default=None, ge=1, le=64)

    _check_column = field_validator("column")(_identifier)

    @model_validator(mode="after")
    def _one_cut(self) -> KeyPart:
        if self.first is not None and self.last is not None:
            raise ValueError("use first or last, not both")
        return self

    def sql(self) -> str:
        col = f"nullif(trim(cast({self.column} as varchar)), '')"
        if self.first is not None:
            return f"left({col}, {self.first})"
        if self.last is not None:
            return f"right({col}, {self.last})"
        return col


class BlockingRuleSpec(BaseModel):
    """Propose a pair when the records agree on a derived key.

    The key is the `parts` joined with "|", or NULL when any part is missing (a missing
    value never blocks two records together). With `cross_parts`, the left record's key
    built from `parts` must equal the right record's key built from `cross_parts`, which
    expresses "given/family swapped" as an equi-join. With `named`, a record with neither a
    given nor a family name (or only placeholders, which matching blanks) has no key.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    parts: tuple[KeyPart, ...] = Field(min_length=1)
    cross_parts: tuple[KeyPart, ...] | None = None
    named: bool = False

    @field_validator("name")
    @classmethod
    def _check_name(cls, value: str) -> str:
        if not IDENTIFIER.fullmatch(value):
            raise ValueError(f"not a plain lower-case identifier: {value!r}")
        return value

    @model_validator(mode="after")
    def _same_arity(self) -> BlockingRuleSpec:
        if self.cross_parts is not None and len(self.cross_parts) != len(self.parts):
            raise ValueError("cross_parts must have as many parts as parts")
        return self

    @property
    def key_column(self) -> str:
        return f"{BK_PREFIX}{self.name}"

    @property
    def cross_key_column(self) -> str | None:
        return None if self.cross_parts is None else f"{BK_PREFIX}{self.name}_x"

    def rule_sql(self) -> str:
        right = self.cross_key_column or self.key_column
        return f"l.{self.key_column} = r.{right}"


NAME_COLUMNS: Final = ("given_name", "family_name")
"""The columns a `named` blocking rule asks one of."""


def _key_sql(parts: Sequence[KeyPart], named: bool = False) -> str:
    exprs = [p.sql() for p in parts]
    # `||` yields NULL when any operand is NULL: exactly "no key without every part".
    key = exprs[0] if len(exprs) == 1 else " || '|' || ".join(exprs)
    if not named:
        return key
    present = " or ".join(f"{KeyPart(column=c).sql()} is not null" for c in NAME_COLUMNS)
    return f"case when {present} then {key} end"


class MatchingSpec(BaseModel):
    """Everything configurable about probabilistic matching.

    Attributes:
        comparisons: What is compared and how; one Bayes factor per comparison.
        blocking_rules: Which pairs are scored (see the module docstring).
        max_block_size: Key values shared by more records than this are not used to block.
        em_blocks: Column groups for EM training, one session each. A session cannot
            estimate m for the comparisons on its own blocking columns, so together they
            must leave every comparison out at least once.
        deterministic_rules: Column groups so strict that agreeing on all of them is
            almost surely a match; they estimate the prior.
        deterministic_recall: The share of true matches those rules are assumed to find.
            The prior they give is only EM's starting point: training refits it over the
            blocked pairs once m and u are known (`matching.probabilistic.refit_prior`).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    comparisons: tuple[ComparisonSpec, ...] = Field(min_length=1)
    blocking_rules: tuple[BlockingRuleSpec, ...] = Field(min_length=1)
    max_block_size: int = Field(default=200, ge=2)
    em_blocks: tuple[tuple[str, ...], ...] = Field(min_length=1)
    deterministic_rules: tuple[tuple[str, ...], ...] = Field(min_length=1)
    deterministic_recall: float = Field(default=0.6, gt=0, le=1)

    @model_validator(mode="after")
    def _check(self) -> MatchingSpec:
        names = [c.output_name for c in self.comparisons]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate comparisons: {names}")
        rule_names = [r.name for r in self.all_blocking_rules]
        if len(set(rule_names)) != len(rule_names):
            raise ValueError(f"duplicate blocking rule names: {rule_names}")
        for group in (*self.em_blocks, *self.deterministic_rules):
            if not group:
                raise ValueError("empty column group")
            for col in group:
                _identifier(col)
        compared = {col for c in self.comparisons for col in c.input_columns}
        for group in self.em_blocks:
            missing = set(group) - compared
            if missing:
                raise ValueError(f"EM block on columns that are not compared: {missing}")
        for comparison in self.comparisons:
            if all(set(comparison.input_columns) & set(g) for g in self.em_blocks):
                raise ValueError(f"no EM session can estimate {comparison.output_name!r}")
        return self

    @property
    def personal_comparisons(self) -> tuple[str, ...]:
        """The output names of the comparisons declared `personal`."""
        return tuple(c.output_name for c in self.comparisons if c.personal)

    @property
    def all_blocking_rules(self) -> tuple[BlockingRuleSpec, ...]:
        """The declared rules, then one exact rule per comparison declared `blocking`."""
        extra = tuple(
            BlockingRuleSpec(name=c.column, parts=(KeyPart(column=c.column),))
            for c in self.comparisons
            if c.blocking
        )
        return (*self.blocking_rules, *extra)


# --- Splink comparisons ------------------------------------------------------------------


def _exact(col: str, tf: bool) -> ComparisonLevelCreator:
    return cll.ExactMatchLevel(col, term_frequency_adjustments=tf).configure(
        label_for_charts="Exact match"
    )


def _null(col: str) -> ComparisonLevelCreator:
    return cll.NullLevel(col).configure(label_for_charts="Null")


def _else() -> ComparisonLevelCreator:
    return cll.ElseLevel().configure(label_for_charts="All other")


def _custom(spec: ComparisonSpec, levels: list[Any]) -> cl.CustomComparison:
    return cl.CustomComparison(
        comparison_levels=levels,
        output_column_name=spec.output_name,
        comparison_description=f"{spec.kind} on {spec.output_name}",
    )


def _date_levels(col: str, days: Sequence[float]) -> list[Any]:
    # Typos and swaps are judged on the ISO string, differences on the parsed date
    # (parsed once per record, not once per pair). A day/month swap ("1984-06-12" vs
    # "1984-12-06") is a common entry error that neither one typo nor a small date
    # difference catches.
    parsed = _helper(col, "date")
    swapped = (
        f"substr({col}_l, 1, 4) = substr({col}_r, 1, 4) "
        f"and substr({col}_l, 6, 2) = substr({col}_r, 9, 2) "
        f"and substr({col}_l, 9, 2) = substr({col}_r, 6, 2)"
    )
    levels: list[Any] = [
        cll.NullLevel(parsed).configure(label_for_charts="Null"),
        _exact(col, False),
        cll.LevenshteinLevel(col, 1).configure(label_for_charts="One typo"),
        cll.CustomLevel(swapped, label_for_charts="Day and month swapped"),
    ]
    for threshold in days:
        levels.append(
            cll.AbsoluteDateDifferenceLevel(
                parsed, input_is_string=False, threshold=int(threshold), metric="day"
            ).configure(label_for_charts=f"Within {int(threshold)} days")
        )
    levels.append(_else())
    return levels


def comparison_for(spec: ComparisonSpec) -> Any:
    """The Splink comparison (a `ComparisonCreator`) for one spec."""
    col = spec.column
    tf = spec.term_frequency
    thresholds = spec.effective_thresholds
    if spec.kind == "forename_surname":
        assert spec.with_column is not None
        return _ForenameSurname(
            col,
            spec.with_column,
            jaro_winkler_thresholds=list(thresholds),
            forename_surname_concat_col_name=_concat_column(spec) if tf else None,
            nickname_roots_col_name=_roots_column(spec) if spec.nicknames else None,
        )
    if spec.kind == "address":
        assert spec.with_column is not None
        return _custom(spec, _address_levels(col, spec.with_column, thresholds, tf))
    levels: list[Any] = [_null(col), _exact(col, tf)]
    if spec.kind == "email":
        # Exact address, the same local part at another domain, then a typo in the
        # address. Splink's EmailComparison also has a Jaro-Winkler level on the local part
        # alone; it is left out because local parts are mostly made of the person's name
        # ("emily.johnson", "ejohnson"), so two namesakes' local parts at different
        # providers are similar by construction: that level repeated the name's evidence (a
        # Bayes factor of 46 on top of it) and joined namesakes at 50,000 customers.
        # The typo level asks for the same numbers too: numbers in an address are chosen
        # (a birth year, a house number), seldom mistyped, and the names in two namesakes'
        # addresses make them similar whatever their numbers ("ameliawilliams78" and
        # "ameliawilliams66" are Jaro-Winkler 0.95 apart): a typo elsewhere keeps them.
        local, numbers = _helper(col, "local"), _helper(col, "numbers")
        levels += [
            cll.ExactMatchLevel(local).configure(label_for_charts="Same local part"),
            cll.And(cll.JaroWinklerLevel(col, 0.88), cll.ExactMatchLevel(numbers)).configure(
                label_for_charts="Jaro-Winkler >= 0.88, same numbers"
            ),
        ]
    if spec.kind in ("jaro_winkler", "name"):
        levels += [
            cll.JaroWinklerLevel(col, t).configure(label_for_charts=f"Jaro-Winkler >= {t}")
            for t in thresholds
        ]
    elif spec.kind == "levenshtein":
        levels += [
            cll.LevenshteinLevel(col, int(t)).configure(label_for_charts=f"Levenshtein <= {t:g}")
            for t in thresholds
        ]
    elif spec.kind == "damerau_levenshtein":
        levels += [
            cll.DamerauLevenshteinLevel(col, int(t)).configure(
                label_for_charts=f"Damerau-Levenshtein <= {t:g}"
            )
            for t in thresholds
        ]
    elif spec.kind == "date":
        levels = _date_levels(col, thresholds)
        return _custom(spec, levels)
    elif spec.kind == "postcode":
        levels += [
            cll.ExactMatchLevel(ColumnExpression(col).substr(1, int(n))).configure(
                label_for_charts=f"First {int(n)} characters"
            )
            for n in thresholds
        ]
    elif spec.kind == "phone":
        levels += [
            cll.ExactMatchLevel(_helper(col, f"last{int(n)}")).configure(
                label_for_charts=f"Last {int(n)} digits"
            )
            for n in thresholds
        ]
    levels.append(_else())
    return _custom(spec, levels)


SWAPPED_SIMILARITY: Final = 0.88
"""Jaro-Winkler similarity each name must reach for the level "names swapped, with typos"."""


class _SwappedNamesLevel(ComparisonLevelCreator):
    """Given and family name swapped, each within a Jaro-Winkler similarity of the other
    record's: "stephenson elizbeth" against "elizabeth stephenson". Splink's swapped level
    asks for both names exactly; a name swapped on entry is often mistyped too."""

    def __init__(
        self, forename: str | ColumnExpression, surname: str | ColumnExpression, threshold: float
    ) -> None:
        self.forename = ColumnExpression.instantiate_if_str(forename)
        self.surname = ColumnExpression.instantiate_if_str(surname)
        self.threshold = threshold

    def create_sql(self, sql_dialect: Any) -> str:
        self.forename.sql_dialect = sql_dialect
        self.surname.sql_dialect = sql_dialect
        jw = sql_dialect.jaro_winkler_function_name
        f, s, t = self.forename, self.surname, float(self.threshold)
        return f"{jw}({f.name_l}, {s.name_r}) >= {t} and {jw}({s.name_l}, {f.name_r}) >= {t}"

    def create_label_for_charts(self) -> str:
        return f"Names swapped, Jaro-Winkler >= {self.threshold}"


class _ForenameSurname(cl.ForenameSurnameComparison):
    """Splink's `ForenameSurnameComparison` (swapped-names level, TF on each name) with
    short level labels for the evidence JSON, a level for names swapped with typos, and
    optionally a nickname level."""

    def __init__(self, *args: Any, nickname_roots_col_name: str | None = None, **kw: Any) -> None:
        self.nickname_roots_col_name = nickname_roots_col_name
        super().__init__(*args, **kw)

    def create_comparison_levels(self) -> list[Any]:
        levels: list[Any] = super().create_comparison_levels()
        labels = [
            "Null",
            "Exact match",
            "Names swapped",
            *[f"Both Jaro-Winkler >= {t}" for t in self.jaro_winkler_thresholds],
            "Family name only",
            "Given name only",
            "All other",
        ]
        out = [
            lvl.configure(label_for_charts=label) for lvl, label in zip(levels, labels, strict=True)
        ]
        # After the fuzzy levels: a pair whose names agree in place, with typos, is that.
        out.insert(
            len(out) - 3,
            _SwappedNamesLevel(
                self.col_expressions["forename"],
                self.col_expressions["surname"],
                SWAPPED_SIMILARITY,
            ),
        )
        if self.nickname_roots_col_name is not None:
            roots = self.nickname_roots_col_name
            surname = self.col_expressions["surname"]
            shared_root = (
                f"list_has_any(string_split({roots}_l, '|'), string_split({roots}_r, '|'))"
            )
            nickname = cll.And(
                cll.ExactMatchLevel(surname), cll.CustomLevel(shared_root)
            ).configure(label_for_charts="Nickname, same family name")
            out.insert(len(out) - 3, nickname)
        return out


def _address_levels(
    address: str, postcode: str, thresholds: Sequence[float], tf: bool
) -> list[Any]:
    # Address and postcode are one piece of evidence: two records at the same address
    # share the postcode too, and scoring both independently would count it twice,
    # which pushes household members (same surname, same address) over the threshold.
    same_address = cll.ExactMatchLevel(address)
    same_postcode = cll.ExactMatchLevel(postcode)
    both = cll.And(same_address, same_postcode).configure(
        label_for_charts="Same address and postcode"
    )
    if tf:
        # Use this level's own u as the TF baseline, not that of "same address" alone.
        both = both.configure(tf_adjustment_column=address, disable_tf_exact_match_detection=True)
    # A record with a postcode and no address (a till card: name and postcode only) is
    # matched on the postcode; how much that says depends on how many records share it
    # (a big suburb's postcode, a small town's), so with `tf` the postcode's frequency
    # adjusts that level, measured against the u of the exact postcode level. At half
    # weight: at full weight the generator's 10k data set lost 1 point of identifiable
    # recall (0.9788 -> 0.9687, no precision gained), at half 0.3 point (0.9757), and the
    # till-card test (three "Jack Smith"s in a big suburb and a till card) holds with both.
    postcode_only = cll.And(same_postcode, cll.NullLevel(address)).configure(
        label_for_charts="Same postcode, address missing"
    )
    if tf:
        postcode_only = postcode_only.configure(
            tf_adjustment_column=postcode, tf_adjustment_weight=0.5
        )
    levels: list[Any] = [
        cll.And(cll.NullLevel(address), cll.NullLevel(postcode)).configure(label_for_charts="Null"),
        both,
        *[
            cll.And(cll.JaroWinklerLevel(address, t), same_postcode).configure(
                label_for_charts=f"Address Jaro-Winkler >= {t}, same postcode"
            )
            for t in thresholds
        ],
        cll.ExactMatchLevel(address).configure(label_for_charts="Same address, other postcode"),
        # A postcode keyed with one digit wrong or two swapped ("2067" / "2076") under a
        # similar address: the same home, not merely the same first postcode digits.
        *[
            cll.And(
                cll.JaroWinklerLevel(address, t), cll.DamerauLevenshteinLevel(postcode, 1)
            ).configure(label_for_charts=f"Address Jaro-Winkler >= {t}, postcode one edit")
            for t in thresholds
        ],
        postcode_only,
        cll.ExactMatchLevel(postcode).configure(label_for_charts="Same postcode, other address"),
        cll.ExactMatchLevel(ColumnExpression(postcode).substr(1, 3)).configure(
            label_for_charts="Same first 3 postcode characters"
        ),
        _else(),
    ]
    return levels


def _roots_column(spec: ComparisonSpec) -> str:
    return _helper(spec.column, "roots")


def _concat_column(spec: ComparisonSpec) -> str:
    return _helper(f"{spec.column}_{spec.with_column}", "full")


def _helper(column: str, what: str) -> str:
    return f"{DV_PREFIX}{column}_{what}"


def _helper_columns(spec: ComparisonSpec) -> dict[str, str]:
    """Values a comparison needs that are cheaper to compute once per record than once
    per pair: parsed dates, email local parts, phone suffixes, full names."""
    col = f"cast({spec.column} as varchar)"
    if spec.kind == "date":
        return {_helper(spec.column, "date"): f"try_cast({col} as date)"}
    if spec.kind == "email":
        return {
            _helper(spec.column, "local"): f"nullif(split_part({col}, '@', 1), '')",
            _helper(spec.column, "numbers"): f"regexp_replace({col}, '[^0-9]', '', 'g')",
        }
    if spec.kind == "phone":
        digits = f"regexp_replace({col}, '[^0-9]', '', 'g')"
        return {
            _helper(spec.column, f"last{int(n)}"): f"nullif(right({digits}, {int(n)}), '')"
            for n in spec.effective_thresholds
        }
    out: dict[str, str] = {}
    if spec.kind == "forename_surname" and spec.nicknames:
        # The name families of the first given name, from the lookup table every matching
        # connection holds (see `matching.probabilistic`).
        first = f"lower(split_part(trim({col}), ' ', 1))"
        out[_roots_column(spec)] = (
            f"(select n.roots from {NICKNAME_TABLE} n where n.name = {first})"
        )
    if spec.kind == "forename_surname" and spec.term_frequency:
        out[_concat_column(spec)] = f"{col} || ' ' || cast({spec.with_column} as varchar)"
    return out


def derived_columns(spec: MatchingSpec) -> dict[str, str]:
    """Columns computed from the input before matching: name -> SQL expression.

    Comparison helpers (`dv_*`: parsed dates, email local parts, phone suffixes, the full
    name that carries a `forename_surname` term frequency) and blocking keys (`bk_*`,
    hub-capped later).
    """
    out: dict[str, str] = {}
    for c in spec.comparisons:
        out.update(_helper_columns(c))
    for rule in spec.all_blocking_rules:
        out[rule.key_column] = _key_sql(rule.parts, rule.named)
        if rule.cross_parts is not None and rule.cross_key_column is not None:
            out[rule.cross_key_column] = _key_sql(rule.cross_parts, rule.named)
    return out


def required_input_columns(spec: MatchingSpec) -> tuple[str, ...]:
    """Input columns the spec reads, in a stable order, without `unique_id`."""
    cols: list[str] = []
    for c in spec.comparisons:
        cols.extend(c.input_columns)
    for rule in spec.all_blocking_rules:
        cols.extend(p.column for p in (*rule.parts, *(rule.cross_parts or ())))
        if rule.named:
            cols.extend(NAME_COLUMNS)
    for group in (*spec.em_blocks, *spec.deterministic_rules):
        cols.extend(group)
    return tuple(dict.fromkeys(cols))


def blocking_key_columns(spec: MatchingSpec) -> tuple[str, ...]:
    return tuple(c for c in derived_columns(spec) if c.startswith(BK_PREFIX))


def blocking_keys_select_sql(spec: MatchingSpec, source: str) -> str:
    """SELECT the spec's input columns plus derived columns from table `source`.

    Input columns are cast to VARCHAR so that pandas' object/NaN columns and DuckDB
    tables behave the same.
    """
    _table_name(source)
    cols = [f"cast({UNIQUE_ID} as varchar) as {UNIQUE_ID}"]
    cols += [f"cast({c} as varchar) as {c}" for c in required_input_columns(spec)]
    cols += [f"{expr} as {name}" for name, expr in derived_columns(spec).items()]
    body = ",\n    ".join(cols)
    return f"select\n    {body}\nfrom {source}"


def hub_values_sql(key_column: str, source: str, max_block_size: int) -> str:
    """The values of `key_column` in `source` shared by more than `max_block_size` rows."""
    _table_name(source)
    if not key_column.startswith(BK_PREFIX) or not IDENTIFIER.fullmatch(key_column):
        raise ValueError(f"not a blocking key column: {key_column!r}")
    return (
        f"select {key_column} as value from {source} where {key_column} is not null "
        f"group by {key_column} having count(*) > {int(max_block_size)}"
    )


def _table_name(name: str) -> str:
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,127}", name):
        raise ValueError(f"not a plain table name: {name!r}")
    return name


def blocking_rule_sqls(spec: MatchingSpec) -> list[str]:
    return [rule.rule_sql() for rule in spec.all_blocking_rules]


def em_blocking_rules(spec: MatchingSpec) -> list[Any]:
    return [block_on(*group) for group in spec.em_blocks]


def deterministic_blocking_rules(spec: MatchingSpec) -> list[Any]:
    return [block_on(*group) for group in spec.deterministic_rules]


def build_settings(
    spec: MatchingSpec, *, link_type: Literal["dedupe_only", "link_and_dedupe"] = "dedupe_only"
) -> SettingsCreator:
    """The untrained Splink settings for `spec`.

    `retain_matching_columns` keeps each comparison's level (`gamma_*`) and
    `retain_intermediate_calculation_columns` its match weight (`mw_*`, `mw_tf_adj_*`)
    in the predictions: the evidence is built from them.
    """
    return SettingsCreator(
        link_type=link_type,
        unique_id_column_name=UNIQUE_ID,
        comparisons=[comparison_for(c) for c in spec.comparisons],
        blocking_rules_to_generate_predictions=[
            CustomRule(sql) for sql in blocking_rule_sqls(spec)
        ],
        retain_matching_columns=True,
        retain_intermediate_calculation_columns=True,
        max_iterations=20,
        em_convergence=0.0001,
    )


def _part(column: str) -> KeyPart:
    return KeyPart(column=column)


def default_spec(*extra: ComparisonSpec) -> MatchingSpec:
    """The standard person-matching spec, plus any `extra` comparisons.

    Comparisons, each meant as an independent piece of evidence, so correlated
    attributes are folded together or left out:

    * given + family name: `ForenameSurnameComparison`, which scores swapped names (also
      with typos: Jaro-Winkler >= 0.88 each way) and a surname-only agreement (nicknames,
      typos in the given name); term-frequency adjusted on the full name and on each name
      alone.
    * dob: exact, one typo, day/month swapped, within 31 / 366 / 3653 days.
    * address + postcode, one comparison: same address and postcode (TF-adjusted:
      apartment blocks), similar address in the same postcode, same address in another
      postcode, similar address with the postcode one edit away (a digit mistyped or two
      swapped), same postcode with an address missing (TF-adjusted on the postcode at
      half weight: a big suburb's postcode is weak evidence for a till card), same
      postcode only, same first 3 postcode digits.
    * email: exact (TF-adjusted), same local part, Jaro-Winkler >= 0.88 on the address
      with the same numbers in it (no fuzzy level on the local part alone: local parts
      repeat the name).
    * phone: exact (TF-adjusted: shared landlines), same last 8 digits.

    City is not compared: it is implied by the postcode.

    EM sessions block on (given, family, dob), (dob, postcode) and (given, family,
    postcode): each yields pairs that are nearly all matches, so EM learns what matches
    look like. Looser EM blocks let non-matches in that agree on the blocking key
    (namesakes under given + family name at 1M records, households under the phone),
    and EM then takes them for matches: m for "dob: all other" came out at 0.34
    instead of 0.004 on the 1M-record benchmark.
    """
    comparisons = (
        ComparisonSpec(
            column="given_name",
            with_column="family_name",
            kind="forename_surname",
            term_frequency=True,
            nicknames=True,
        ),
        ComparisonSpec(column="dob", kind="date"),
        ComparisonSpec(
            column="address", with_column="postcode", kind="address", term_frequency=True
        ),
        ComparisonSpec(column="email", kind="email", term_frequency=True),
        ComparisonSpec(column="phone", kind="phone", term_frequency=True),
        *extra,
    )
    rules = (
        BlockingRuleSpec(name="phone8", parts=(KeyPart(column="phone", last=8),)),
        BlockingRuleSpec(name="email_local", parts=(KeyPart(column="email_local"),)),
        BlockingRuleSpec(name="name", parts=(_part("given_name"), _part("family_name"))),
        BlockingRuleSpec(
            name="dob_family1",
            parts=(KeyPart(column="dob"), KeyPart(column="family_name", first=1)),
        ),
        BlockingRuleSpec(name="dob_given", parts=(_part("dob"), _part("given_name"))),
        BlockingRuleSpec(name="postcode_family", parts=(_part("postcode"), _part("family_name"))),
        BlockingRuleSpec(
            name="postcode_given_family1",
            parts=(_part("postcode"), _part("given_name"), KeyPart(column="family_name", first=1)),
        ),
        BlockingRuleSpec(name="address", parts=(_part("address"), _part("postcode"))),
        BlockingRuleSpec(
            name="name_swapped",
            parts=(_part("given_name"), _part("family_name")),
            cross_parts=(_part("family_name"), _part("given_name")),
        ),
        # Named: two records with no name and one (placeholder) birth date in one postcode
        # ("Test Test", 1900-01-01) are junk, not a person whose names changed.
        BlockingRuleSpec(name="dob_postcode", parts=(_part("dob"), _part("postcode")), named=True),
        BlockingRuleSpec(
            name="dob_swapped1",
            parts=(KeyPart(column="dob"), KeyPart(column="given_name", first=1)),
            cross_parts=(KeyPart(column="dob"), KeyPart(column="family_name", first=1)),
        ),
    )
    return MatchingSpec(
        comparisons=comparisons,
        blocking_rules=rules,
        em_blocks=(
            ("given_name", "family_name", "dob"),
            ("dob", "postcode"),
            ("given_name", "family_name", "postcode"),
        ),
        deterministic_rules=(
            ("given_name", "family_name", "dob"),
            ("email", "dob"),
            ("phone", "given_name"),
        ),
    )
