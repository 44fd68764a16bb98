"""A household's shared phone or email links each member's own records, not the members.

An identifier carried by records that name different people (a family's landline, a
couple's email) must not merge those people; but it is still good evidence that two records
naming *the same* person at that phone are one customer. So the carriers are grouped by
person: names that can be one person's (`people_compatible`) join a group, and each group
links through the identifier as if the identifier were its own. A group whose names do not
all agree (a bridge name, such as "chris" between "christine" and "christopher") links
nothing, and neither does a carrier with no given name: it cannot be placed with one member.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import Final

from core.normalise import fold_name, is_fixed_line
from matching.names import disagreeing_people, people_compatible

LANDLINE: Final = "landline"
"""Why a landline did not place a record: it is the household's line, and the record has
no given name to tell which member it is (`unplaced_on_landlines`)."""
LANDLINE_DETAIL: Final = (
    "a landline is the household's: it places no record without a given name with one member"
)

HOUSEHOLD_PREFIX = "household:"
"""How a household's shared identifier is flagged (its `generic` reason starts so)."""

SUBKEY_SEPARATOR = "\x1f"
"""Between an identifier key and a member group's number in the key a group links by;
normalised identifier values never hold it."""


def is_household(flag: str | None) -> bool:
    return bool(flag) and str(flag).startswith(HOUSEHOLD_PREFIX)


def member_key(key: str, group: int) -> str:
    return f"{key}{SUBKEY_SEPARATOR}{group}"


def base_key(key: str) -> str:
    """The identifier key of a member key (any other key unchanged)."""
    return key.partition(SUBKEY_SEPARATOR)[0]


def member_groups(carriers: Iterable[tuple[str, str | None, str | None]]) -> dict[str, int]:
    """rid -> member group, for the carriers (rid, given, family) of one shared identifier
    that can be placed with one member. Groups are numbered by their smallest name, so the
    same carriers always give the same numbers."""
    by_name: dict[tuple[str, str], list[str]] = {}
    for rid, given, family in carriers:
        folded = (fold_name(given or ""), fold_name(family or ""))
        if folded[0]:
            by_name.setdefault(folded, []).append(rid)
    names = sorted(by_name)
    parent = list(range(len(names)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, a in enumerate(names):
        for j in range(i + 1, len(names)):
            if people_compatible(a, names[j]):
                ri, rj = find(i), find(j)
                if ri != rj:
                    parent[max(ri, rj)] = min(ri, rj)
    members: dict[int, list[tuple[str, str]]] = {}
    for i, name in enumerate(names):
        members.setdefault(find(i), []).append(name)
    out: dict[str, int] = {}
    for root, group in members.items():
        if disagreeing_people(group):
            continue
        for name in group:
            for rid in by_name[name]:
                out[rid] = root
    return out


def split_households(
    pairs: Sequence[tuple[str, str]],
    flags: Mapping[str, str],
    name_of: Callable[[str], tuple[str | None, str | None]],
) -> list[tuple[str, str]]:
    """`pairs` (rid, identifier key) with each household identifier's carriers that belong
    to one member re-keyed to that member's key (`member_key`), so that resolution links
    each member's records through it and nobody else's. Carriers that cannot be placed keep
    the flagged key, which links nothing. `flags` maps keys to their generic reason;
    `name_of` gives a record's (given, family)."""
    households = {k for k, flag in flags.items() if is_household(flag)}
    if not households:
        return list(pairs)
    carriers: dict[str, list[tuple[str, str | None, str | None]]] = {}
    for rid, key in pairs:
        if key in households:
            carriers.setdefault(key, []).append((rid, *name_of(rid)))
    groups = {key: member_groups(found) for key, found in carriers.items()}
    out: list[tuple[str, str]] = []
    for rid, key in pairs:
        group = groups[key].get(rid) if key in groups else None
        out.append((rid, key) if group is None else (rid, member_key(key, group)))
    return out


def unplaced_on_landlines(
    pairs: Sequence[tuple[str, str]],
    name_of: Callable[[str], tuple[str | None, str | None]],
    links: Callable[[str], bool],
    matched: Collection[str] = (),
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """`pairs` (rid, identifier key) without the landlines of records that have no given
    name and nothing else to place them by, and those (rid, key) left out.

    A landline is the household's line, whoever gave it: a till receipt with no name (or
    the family name only) that carries one could be any member's, so the landline does not
    place it (on the generator's 50,000 customers such receipts went to the wrong member more
    often than to the right one). A mobile is one person's, and a record with a given name
    is placed by its name (`split_households`). A record that another link places (an
    identifier it shares with another record, a match in `matched`: the receipt that also
    carries a member's email) keeps its landline, which then joins the member it was placed
    with, as the records kept apart allow (`matching.components`). Only landlines that would
    link (`links`: of a type that links, not blocked, generic, a household's or shared,
    whose carriers other rules place) are left out."""

    def landline(rid: str, key: str) -> bool:
        # Cheapest first: most pairs are not phones or carry a given name, and only the
        # rest pay for parsing the number.
        kind, _, value = key.partition(":")
        return (
            kind == "phone"
            and not fold_name(name_of(rid)[0] or "")
            and links(key)
            and is_fixed_line(value)
        )

    candidate = [landline(rid, key) for rid, key in pairs]
    carriers = Counter(key for (_, key), c in zip(pairs, candidate, strict=True) if not c)
    placed = set(matched) | {
        rid
        for (rid, key), c in zip(pairs, candidate, strict=True)
        if not c and carriers[key] > 1 and links(key)
    }
    kept: list[tuple[str, str]] = []
    left: list[tuple[str, str]] = []
    for pair, c in zip(pairs, candidate, strict=True):
        (left if c and pair[0] not in placed else kept).append(pair)
    return kept, left
