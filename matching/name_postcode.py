"""Name-and-postcode matches: a record carrying a full name and a postcode only (a till
card) joins a profile when nothing says it is someone else.

On its own, an exact full name in one postcode scores just under the threshold (p 0.8 to
0.95 on the generator's data), although among such pairs on the generator's 50,000
customers 97% were one person, and all of them (2,978 of 2,978) where one person in the
postcode held the name; the false ones were namesakes, two people of one name in one
postcode. Such a pair is therefore kept as a *conditional* match (`conditional`): scored at
or above `FLOOR`, with the exact full name, the same postcode with the address missing on
one side, and no other comparison disagreeing. The components step joins it last, and only
when the two profiles it would join hold no differing values of an attribute one person
has one of (`conflict`: birth date, address, email, phone): a namesake's profile carries
their own address, email or birth date, and the till card is then placed with neither
namesake's unless its own profile agrees with one (`matching.components`,
`conditional_matches`).

A profile holding nothing but names and postcodes (a till card alone, or two) is not
joined this way: it cannot tell a namesake from the person, and on the generator's data
such joins went to the wrong namesake one time in forty (measured 2026-12-06: identifiable
recall +0.007 with them, against 11 more profiles holding two people).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

from matching.family_rule import EXACT_LEVEL, near_miss

if TYPE_CHECKING:
    import pandas as pd

    from matching.splink_settings import MatchingSpec

__all__ = [
    "CONFLICT_ATTRIBUTES",
    "DEFAULT_NAMES",
    "FLOOR",
    "POSTCODE_ONLY_LEVEL",
    "REASON",
    "accepted",
    "conditional",
    "conflict",
    "contacts",
    "record_values",
]

FLOOR: Final = 0.5
"""The least probability at which a name-and-postcode pair is kept as a conditional match:
below it the model sees something against the pair (a big suburb and a common name)."""

POSTCODE_ONLY_LEVEL: Final = "Same postcode, address missing"
"""The address comparison's level for a postcode agreeing with one address missing
(`matching.splink_settings`)."""

NULL_LEVEL: Final = "Null"

_NAMES_APART: Final = frozenset(
    {None, NULL_LEVEL, "Family name only", "Given name only", "All other"}
)
"""Levels of the full-name comparison where the two names are not one name (mistyped,
shortened or swapped): a pair there does not rest on the name."""

DEFAULT_NAMES: Final = ("given_name_family_name", "address_postcode")
"""The evidence names of the full-name and address comparisons of the default spec."""

CONFLICT_ATTRIBUTES: Final = ("dob", "address", "email", "phone")
"""Attributes of which a profile holding two differing values is taken for two people when
a name-and-postcode match would join them."""

REASON: Final = "inconsistent"
"""Why a conditional match did not join (`matching.components.SkippedMatch.reason`)."""

Blocked = Callable[[str, str], str | None]


def _names(spec: MatchingSpec) -> tuple[str, str] | None:
    """The evidence names of the spec's full-name and address comparisons, or None when it
    has not both."""
    name = next((c.output_name for c in spec.comparisons if c.kind == "forename_surname"), None)
    address = next((c.output_name for c in spec.comparisons if c.kind == "address"), None)
    return (name, address) if name and address else None


def name_and_postcode_only(
    evidence: Mapping[str, Any] | str, names: tuple[str, str], *, exact_name: bool = True
) -> bool:
    """Whether a scored pair's `evidence` (comparison -> {"level": ...}, or its JSON) is a
    full name (exact, or with `exact_name` False one name mistyped, shortened or swapped:
    not one name alone) and a postcode agreeing with one address missing, and every other comparison
    either missing or exact."""
    found = json.loads(evidence) if isinstance(evidence, str) else evidence
    name, address = names

    def level(key: str) -> Any:
        value = found.get(key)
        return value.get("level") if isinstance(value, Mapping) else None

    if level(address) != POSTCODE_ONLY_LEVEL:
        return False
    named = level(name)
    if named != EXACT_LEVEL and (exact_name or named in _NAMES_APART):
        return False
    return all(level(k) in (NULL_LEVEL, EXACT_LEVEL) for k in found if k not in names)


def accepted(scored: pd.DataFrame, spec: MatchingSpec, threshold: float) -> pd.DataFrame:
    """The pairs of `scored` (scored from `min(threshold, FLOOR)`) to write as `MATCHES`:
    those at or above `threshold`, and below it those on an exact full name and a postcode
    only (the conditional ones); with a `name_postcode` column saying which rest on names
    and a postcode only, above the threshold too (where a typo'd name, whose level is not
    adjusted for how common the name is, may score higher than the exact one): all of
    those join as conditional matches, so never two namesakes."""
    names = _names(spec)
    if scored.empty or names is None:
        keep = scored["match_probability"] >= threshold
        return scored.assign(name_postcode=False)[keep].reset_index(drop=True)
    above = (scored["match_probability"] >= threshold).tolist()
    evidence = scored["evidence"].tolist()
    # The level's label is in the JSON text: most pairs are settled without parsing it.
    flags = [
        POSTCODE_ONLY_LEVEL in e and name_and_postcode_only(e, names, exact_name=False)
        for e in evidence
    ]
    keep = [
        a or (f and name_and_postcode_only(e, names))
        for a, f, e in zip(above, flags, evidence, strict=True)
    ]
    return scored.assign(name_postcode=flags)[keep].reset_index(drop=True)


def conditional(
    accepted_pairs: Iterable[tuple[str, str]],
    probability: Mapping[tuple[str, str], float],
    threshold: float | None,
    flagged: Iterable[tuple[str, str]] = (),
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The accepted matches that join only profiles that agree: those scored below
    `threshold` (none without a threshold), which join last, and the others `flagged` as
    on names and a postcode only, which join in their turn (strongest first, so that where
    records kept apart meet, the weakest link still gives way)."""
    below: dict[frozenset[str], tuple[str, str]] = {}
    if threshold is not None:
        for a, b in accepted_pairs:
            p = probability.get((a, b), probability.get((b, a)))
            if p is not None and p < threshold:
                below.setdefault(frozenset((a, b)), (a, b))
    checked: dict[frozenset[str], tuple[str, str]] = {}
    for a, b in flagged:
        key = frozenset((a, b))
        if key not in below:
            checked.setdefault(key, (a, b))
    return list(below.values()), list(checked.values())


def contacts(pairs: Iterable[tuple[str, str]]) -> dict[str, dict[str, list[str]]]:
    """rid -> "email" / "phone" -> the values of those identifiers among (rid, key) pairs,
    for `record_values`."""
    out: dict[str, dict[str, list[str]]] = {}
    for rid, key in pairs:
        kind, _, value = key.partition(":")
        if kind in ("email", "phone"):
            out.setdefault(rid, {}).setdefault(kind, []).append(value)
    return out


def record_values(fact: Mapping[str, Any], contacts: Mapping[str, Sequence[str]]) -> dict[str, Any]:
    """What `conflict` reads of one record: its birth date, address and postcode (`fact`)
    and its emails and phones, those its identifiers carry (`contacts`: type -> values,
    where a mapping declares them as identifiers) and those it holds."""
    out: dict[str, Any] = {a: fact.get(a) for a in ("dob", "address", "postcode")}
    for kind in ("email", "phone"):
        own = fact.get(kind)
        out[kind] = [*contacts.get(kind, ()), *([own] if own else ())]
    return out


def _values(attribute: str, fact: Mapping[str, Any], blocked: Blocked | None) -> set[str]:
    """A record's values of `attribute`: one, or several (a record's email and phone
    identifiers); an address with its postcode; placeholders (`blocked`) left out."""
    found = fact.get(attribute)
    if found is None:
        return set()
    raw = [found] if isinstance(found, str) else list(found)
    out: set[str] = set()
    for value in raw:
        text = str(value).strip().casefold()
        if not text or (blocked is not None and blocked(attribute, str(value))):
            continue
        if attribute == "address":
            text = f"{text}|{str(fact.get('postcode') or '').strip().casefold()}"
        out.add(text)
    return out


def conflict(
    one: Sequence[Mapping[str, Any]],
    other: Sequence[Mapping[str, Any]],
    blocked: Blocked | None = None,
    *,
    strict: bool = True,
) -> str | None:
    """The first of `CONFLICT_ATTRIBUTES` that the records of two profiles (`one`, `other`:
    attribute -> a value or a collection of values, per record) both hold and share no
    value of, nor two values a typo apart (`_near`), or None; with `strict` (a match below
    the threshold) also "no attribute" when either profile holds none of them (it cannot
    tell a namesake from the person).
    Placeholder values (`blocked`: a store's "noemail@...") are no value."""
    held: list[dict[str, set[str]]] = []
    for facts in (one, other):
        values: dict[str, set[str]] = {a: set() for a in CONFLICT_ATTRIBUTES}
        for fact in facts:
            for attribute in CONFLICT_ATTRIBUTES:
                values[attribute] |= _values(attribute, fact, blocked)
        held.append(values)
    a, b = held
    if strict and (not any(a.values()) or not any(b.values())):
        return "no attribute"
    for attribute in CONFLICT_ATTRIBUTES:
        mine, theirs = a[attribute], b[attribute]
        if mine and theirs and not mine & theirs and not _near(mine, theirs):
            return attribute
    return None


def _near(mine: set[str], theirs: set[str]) -> bool:
    """Whether some value of one side may be one of the other's mistyped
    (`family_rule.near_miss`: two edits or fewer, not the next number): one person's
    records split by a typo are not two people. Bounded: a profile holds few values."""
    return any(near_miss(x, y) for x in sorted(mine)[:20] for y in sorted(theirs)[:20])
