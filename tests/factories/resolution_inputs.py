"""Random closed inputs for resolution with every phenomenon the rules handle: shared
emails and phones past their limits, generic and blocked values, households, one
person's duplicate accounts, family members kept apart, strong, rejected and forced links,
and conditional matches (`matching.name_postcode`: a till card's name and postcode) below
the threshold (`THRESHOLD`) and above it, some between profiles that disagree."""

from __future__ import annotations

import random
from typing import Any

from matching.component_rules import ResolutionInput
from matching.components import Resolution
from matching.households import HOUSEHOLD_PREFIX

SOURCES = ("pos", "shopify", "loyalty", "esp")
GIVEN = ("ann", "bob", "cara", "dan", "eve", "finn", "gus", "hana")
FAMILY = ("lee", "ng", "smith", "jones")
THRESHOLD = 0.95
"""The threshold under which the input's matches are conditional, for `ComponentRules`."""


def random_input(seed: int, people: int = 120) -> ResolutionInput:
    """A graph of `people` people, each with one to four records, and noise between them."""
    rnd = random.Random(seed)
    records: list[str] = []
    facts: dict[str, dict[str, Any]] = {}
    pairs: list[tuple[str, str]] = []
    person_of: dict[str, int] = {}
    for p in range(people):
        given, family = rnd.choice(GIVEN), rnd.choice(FAMILY)
        email = f"email:{given}.{family}{p}@x.com"
        phone = f"phone:+6140000{p:04d}"
        dob = f"19{rnd.randint(50, 99)}-0{rnd.randint(1, 9)}-1{rnd.randint(0, 9)}"
        for i in range(rnd.randint(1, 4)):
            rid = f"{rnd.choice(SOURCES)}:{p}-{i}"
            records.append(rid)
            person_of[rid] = p
            facts[rid] = {
                "given_name": given if rnd.random() > 0.1 else None,
                "family_name": family,
                "email": email.partition(":")[2],
                "phone": phone.partition(":")[2],
                "extra": (rnd.choice(("1980", "1990", None)),),
                "dob": dob if rnd.random() < 0.3 else None,
                "address": f"{p} high st" if rnd.random() < 0.3 else None,
                "postcode": "3030",
            }
            if rnd.random() < 0.7:
                pairs.append((rid, email))
            if rnd.random() < 0.5:
                pairs.append((rid, phone))
            if rnd.random() < 0.3:
                pairs.append((rid, f"loyalty_id:L{p}-{rnd.randint(0, 1)}"))
            if rnd.random() < 0.1:
                pairs.append((rid, "email:noemail@x.com"))
            if rnd.random() < 0.3:
                pairs.append((rid, f"ip_address:10.0.0.{rnd.randint(0, 5)}"))
    # Shared contacts: a landline of a few households, family emails, a generic one.
    generic: dict[str, str] = {}
    for h in range(people // 10):
        key = f"phone:+6130000{h:04d}"
        for rid in rnd.sample(records, rnd.randint(2, 5)):
            pairs.append((rid, key))
        if rnd.random() < 0.5:
            generic[key] = f"{HOUSEHOLD_PREFIX}different_people"
    for g in range(3):
        key = f"email:info{g}@shop.com"
        for rid in rnd.sample(records, 8):
            pairs.append((rid, key))
        generic[key] = "generic:given_names=8>=8"
    shared = {f"email:info{people}@shop.com"}
    for rid in rnd.sample(records, 3):
        pairs.append((rid, f"email:info{people}@shop.com"))
    matches: list[tuple[str, str]] = []
    probability: dict[tuple[str, str], float] = {}
    for _ in range(len(records) // 2):
        a, b = rnd.sample(records, 2)
        if rnd.random() < 0.7:
            # Mostly records of one person, or of a namesake.
            b = rnd.choice([r for r in records if person_of[r] == person_of[a]] or [b])
        if a != b:
            matches.append((a, b))
            probability[(a, b)] = rnd.choice((0.9, 0.96, 0.99, 0.99995))
    strong = [m for m in matches if probability[m] >= 0.9999]
    rejected = rnd.sample(matches, 3)
    accepted = [m for m in matches if m not in rejected]
    forced = [tuple(rnd.sample(records, 2)) for _ in range(3)]
    return ResolutionInput(
        records=sorted(records),
        pairs=pairs,
        facts=facts,
        extra=("dob",),
        accepted=accepted,
        rejected=rejected,
        strong=[m for m in strong if m not in rejected],
        probability={m: probability[m] for m in accepted},
        forced=[(a, b) for a, b in forced],
        # Some matches above the threshold rest on a name and a postcode only.
        name_postcode=[m for m in accepted if probability[m] == 0.99 and rnd.random() < 0.5],
        shared=shared,
        generic=generic,
    )


def assert_same_resolution(a: Resolution, b: Resolution) -> None:
    """The same partition, the same links dropped and the same joins refused (limit
    violations as a set: each closed part lists its own in the order it decided them)."""
    assert a.records == b.records
    assert a.components == b.components
    assert a.labels.tolist() == b.labels.tolist()
    assert a.skipped_links == b.skipped_links
    assert a.skipped_matches == b.skipped_matches
    assert sorted(map(repr, a.violations)) == sorted(map(repr, b.violations))
    assert a.unknown_types == b.unknown_types
