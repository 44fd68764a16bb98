"""Tests for `matching.components`: protection rules one by one, then properties against
networkx and against a plain reference implementation of the limit rules."""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching.components import (
    LimitViolation,
    Resolution,
    SkippedLink,
    SkippedMatch,
    resolve_components,
)
from matching.config import (
    BlockList,
    IdentifierType,
    IdentityConfig,
    default_config,
    merge_config,
)
from matching.protection import Protection

pytestmark = pytest.mark.unit

PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

DEFAULTS = default_config()
PROTECTION = Protection.from_config(DEFAULTS)

Pair = tuple[str, str]


@dataclass
class Data:
    """A small input, built record by record."""

    records: list[str] = field(default_factory=list)
    identifiers: list[Pair] = field(default_factory=list)
    matches: list[Pair] = field(default_factory=list)

    def record(self, rid: str, *keys: str) -> Data:
        self.records.append(rid)
        self.identifiers.extend((rid, key) for key in keys)
        return self

    def resolve(
        self, config: IdentityConfig = DEFAULTS, protection: Protection | None = None, **kw: object
    ) -> Resolution:
        return resolve_components(
            self.records,
            self.identifiers,
            self.matches,
            protection or Protection.from_config(config),
            config,
            **kw,  # type: ignore[arg-type]
        )


def groups(resolution: Resolution) -> set[frozenset[str]]:
    return {frozenset(c) for c in resolution.components}


def together(resolution: Resolution, *rids: str) -> bool:
    return len({resolution.component_of[r] for r in rids}) == 1


# ---------------------------------------------------------------------------------------------
# Rules, one by one


def test_shared_identifiers_join_records_across_sources() -> None:
    data = (
        Data()
        .record("ecommerce:1", "email:sarah@x.com")
        .record("loyalty:LY1", "email:sarah@x.com", "phone:+61491570156", "loyalty_id:LY1")
        .record("pos:C1", "phone:+61491570156")
        .record("esp:9", "email:other@x.com")
    )
    result = data.resolve()
    assert result.components == [["ecommerce:1", "loyalty:LY1", "pos:C1"], ["esp:9"]]
    assert result.labels.tolist() == [0, 1, 0, 0]
    assert result.component_of == {"ecommerce:1": 0, "esp:9": 1, "loyalty:LY1": 0, "pos:C1": 0}
    assert result.skipped_links == [] and result.violations == []


def test_blocked_exact_value_does_not_link() -> None:
    data = Data().record("pos:1", "email:test@test.com").record("pos:2", "email:test@test.com")
    result = data.resolve()
    assert groups(result) == {frozenset({"pos:1"}), frozenset({"pos:2"})}
    assert result.skipped_links == [
        SkippedLink("pos:1", "email:test@test.com", "blocked", "blocked_value:test@test.com"),
        SkippedLink("pos:2", "email:test@test.com", "blocked", "blocked_value:test@test.com"),
    ]


def test_store_noemail_default_does_not_link_walk_ins() -> None:
    data = Data()
    for i in range(5):
        data.record(f"pos:T{i}", "email:noemail@chatswood.example.com")
    result = data.resolve()
    assert len(result.components) == 5
    assert {s.detail for s in result.skipped_links} == {"blocked_value:noemail@*"}


def test_blocked_regex_does_not_link() -> None:
    data = Data().record("a:1", "phone:+61400000000").record("b:1", "phone:+61400000000")
    result = data.resolve()
    assert len(result.components) == 2
    assert all(s.detail.startswith("blocked_regex:(0{8}|") for s in result.skipped_links)


def test_test_records_stay_apart_but_keep_their_real_links() -> None:
    # A QA account with a test address and a real, shared phone still links by the phone.
    data = (
        Data()
        .record("ecommerce:1", "email:test+1@shop.com", "phone:+61491570160")
        .record("ecommerce:2", "email:test+1@shop.com")
        .record("esp:1", "phone:+61491570160")
    )
    result = data.resolve()
    assert groups(result) == {frozenset({"ecommerce:1", "esp:1"}), frozenset({"ecommerce:2"})}


def test_never_link_on_blank() -> None:
    data = Data().record("a:1", "email:", "phone: ").record("b:1", "email:", "phone: ")
    result = data.resolve()
    assert len(result.components) == 2
    assert {s.detail for s in result.skipped_links} == {"blank"}


def test_generic_identifier_does_not_link() -> None:
    data = Data().record("a:1", "phone:+61491570001").record("b:1", "phone:+61491570001")
    generic = {"phone:+61491570001": "generic:given_names=12>=8"}
    result = data.resolve(generic_identifiers=generic)
    assert len(result.components) == 2
    assert result.skipped_links[0] == SkippedLink(
        "a:1", "phone:+61491570001", "generic", "generic:given_names=12>=8"
    )


def test_precomputed_blocked_flags_replace_the_protection_checks() -> None:
    data = (
        Data()
        .record("a:1", "email:x@shop.com", "email:test@test.com")
        .record("b:1", "email:x@shop.com", "email:test@test.com")
    )
    flags = {"email:x@shop.com": "blocked_value:x@*", "email:other@x.com": "blocked_value:o*"}
    result = data.resolve(blocked_identifiers=flags)
    # Only the flags count: the default rules would have blocked test@test.com instead.
    assert groups(result) == {frozenset({"a:1", "b:1"})}
    assert [(s.rid, s.detail) for s in result.skipped_links] == [
        ("a:1", "blocked_value:x@*"),
        ("b:1", "blocked_value:x@*"),
    ]


def test_operator_shared_identifier_does_not_link() -> None:
    data = (
        Data()
        .record("loyalty:1", "email:family@x.com", "phone:+61491570001")
        .record("loyalty:2", "email:family@x.com")
    )
    result = data.resolve(shared_identifiers={"email:family@x.com"})
    assert len(result.components) == 2
    assert [s.reason for s in result.skipped_links] == ["shared", "shared"]


def test_per_type_limit_refuses_the_merge_and_logs_the_violation() -> None:
    # Partners with a card each share a home phone: the phone must not merge them.
    data = (
        Data()
        .record("loyalty:LY1", "loyalty_id:LY1", "phone:+61291570001", "email:sam@x.com")
        .record("loyalty:LY2", "loyalty_id:LY2", "phone:+61291570001", "email:alex@x.com")
        .record("ecommerce:7", "email:sam@x.com", "phone:+61291570001")
    )
    result = data.resolve()
    assert groups(result) == {
        frozenset({"loyalty:LY1", "ecommerce:7"}),
        frozenset({"loyalty:LY2"}),
    }
    assert result.violations == [
        LimitViolation(
            identifier_key="phone:+61291570001",
            match=None,
            type="loyalty_id",
            limit=1,
            source=None,
            would_hold=2,
            sizes=(2, 1),
        )
    ]
    assert result.skipped_links == [
        SkippedLink("loyalty:LY2", "phone:+61291570001", "limit:loyalty_id", "max_per_profile=1")
    ]


def test_per_source_limit() -> None:
    # Two POS accounts sharing a phone stay apart; accounts of two POS systems may join.
    data = (
        Data()
        .record("pos:C1", "pos_customer_id:C1", "phone:+61491570001")
        .record("pos:C2", "pos_customer_id:C2", "phone:+61491570001")
        .record("pos_nz:C9", "pos_customer_id:C9", "phone:+61491570001")
    )
    result = data.resolve()
    assert groups(result) == {frozenset({"pos:C1", "pos_nz:C9"}), frozenset({"pos:C2"})}
    (violation,) = result.violations
    assert (violation.type, violation.source, violation.limit) == ("pos_customer_id", "pos", 1)
    assert result.skipped_links[0].detail == "max_per_profile_per_source=1 (pos)"


def test_duplicate_accounts_under_one_name_join_past_a_per_source_limit() -> None:
    # One regular with two POS ids at one phone, under one name; a third id at that phone
    # under another name meets the limit; a shared loyalty id is no such evidence.
    names = {"pos:C1": "ann lee", "pos:C2": "ann lee", "pos:C3": "bo lee", "pos:C4": "ann lee"}
    data = (
        Data()
        .record("pos:C1", "pos_customer_id:C1", "phone:+61491570001")
        .record("pos:C2", "pos_customer_id:C2", "phone:+61491570001")
        .record("pos:C3", "pos_customer_id:C3", "phone:+61491570001", "loyalty_id:L9")
        .record("pos:C4", "pos_customer_id:C4", "loyalty_id:L9")
    )
    result = data.resolve(same_person=lambda a, b, _: names[a] == names[b])
    assert groups(result) == {
        frozenset({"pos:C1", "pos:C2"}),
        frozenset({"pos:C3"}),
        frozenset({"pos:C4"}),
    }
    assert [v.identifier_key for v in result.violations] == ["loyalty_id:L9", "phone:+61491570001"]
    # Without the check, or with no duplicate-account types, the limit holds for all.
    assert len(groups(data.resolve())) == 4
    no_types = merge_config({"duplicate_account_types": []})
    assert len(groups(data.resolve(no_types, same_person=lambda a, b, _: True))) == 4


def test_priority_decides_which_link_is_refused() -> None:
    # The email (priority 40) joins first; the phone (50) would add a second loyalty id.
    data = (
        Data()
        .record("a:1", "loyalty_id:L1", "phone:+61491570001")
        .record("b:1", "email:kim@x.com", "phone:+61491570001")
        .record("c:1", "loyalty_id:L2", "email:kim@x.com")
    )
    result = data.resolve()
    assert groups(result) == {frozenset({"b:1", "c:1"}), frozenset({"a:1"})}
    assert [v.identifier_key for v in result.violations] == ["phone:+61491570001"]


def test_a_profile_already_over_a_limit_may_still_grow() -> None:
    # One record carrying two cards: joining a record of one of them adds nothing new.
    data = (
        Data()
        .record("loyalty:dup", "loyalty_id:L1", "loyalty_id:L2")
        .record("pos:1", "loyalty_id:L1")
        .record("pos:2", "loyalty_id:L3", "phone:+61491570001")
        .record("pos_b:3", "phone:+61491570001", "loyalty_id:L2")
    )
    result = data.resolve()
    assert together(result, "loyalty:dup", "pos:1", "pos_b:3")
    assert not together(result, "loyalty:dup", "pos:2")


def test_blocked_identifier_on_one_record_does_not_count_towards_a_limit() -> None:
    config = merge_config({"identifier_types": {"email": {"max_per_profile": 2}}})
    data = (
        Data()
        .record("a:1", "email:e1@x.com", "email:noemail@x.com", "phone:+61491570001")
        .record("b:1", "email:e2@x.com", "phone:+61491570001")
    )
    result = data.resolve(config)
    assert result.components == [["a:1", "b:1"]]
    assert result.skipped_links == [] and result.violations == []


def test_rejected_match_does_not_join() -> None:
    data = Data().record("a:1").record("b:1").record("c:1")
    data.matches = [("a:1", "b:1"), ("c:1", "b:1")]
    result = data.resolve(rejected_matches=[("b:1", "a:1")])
    assert groups(result) == {frozenset({"a:1"}), frozenset({"b:1", "c:1"})}
    assert result.skipped_matches == [SkippedMatch("a:1", "b:1", "rejected", "operator")]


def _twins(rids: object) -> list[tuple[str, str, str]]:
    """Keeps "c:o" (Oliver) and "c:h" (his twin Harry) apart, when both are asked about."""
    assert isinstance(rids, list) and rids == sorted(rids)
    return [("c:h", "c:o", "family rule")] if {"c:h", "c:o"} <= set(rids) else []


@pytest.mark.parametrize("strong", [False, True])
def test_records_kept_apart_are_not_joined_by_a_path_of_matches(strong: bool) -> None:
    data = Data().record("c:o").record("c:h").record("c:d").record("c:e")
    data.matches = [("c:d", "c:h"), ("c:o", "c:d"), ("c:e", "c:d")]
    probability = {("c:d", "c:o"): 0.9999, ("c:d", "c:h"): 0.97, ("c:e", "c:d"): 0.99}
    result = data.resolve(
        apart=_twins,
        match_probability=probability,
        strong_matches=data.matches if strong else (),
    )
    # The weakest link of the path between the twins gives way.
    assert groups(result) == {frozenset({"c:o", "c:d", "c:e"}), frozenset({"c:h"})}
    assert result.skipped_matches == [SkippedMatch("c:d", "c:h", "apart", "family rule: c:h / c:o")]


def test_records_kept_apart_still_join_through_an_identifier_or_a_forced_link() -> None:
    data = Data().record("c:o", "loyalty_id:L1").record("c:h", "loyalty_id:L1").record("c:d")
    data.matches = [("c:o", "c:d"), ("c:h", "c:d")]
    assert len(data.resolve(apart=_twins).components) == 1
    data = Data().record("c:o").record("c:h")
    data.matches = [("c:o", "c:h")]
    result = data.resolve(apart=_twins, forced_links=[("c:h", "c:o")])
    assert len(result.components) == 1


def test_a_household_phone_joins_each_members_records_but_not_the_members() -> None:
    # Oliver's two accounts and his twin Harry's till receipt (no name) carry the family's
    # landline; the receipt also carries Harry's email, which his web account has.
    data = (
        Data()
        .record("c:o", "phone:+61295550172")
        .record("c:o2", "phone:+61295550172")
        .record("c:r", "phone:+61295550172", "email:harry@x.com")
        .record("c:h", "email:harry@x.com")
    )
    assert len(data.resolve(apart=_twins).components) == 1  # the phone does not hold apart
    # Oliver's second account bears his name too, so the family rule keeps it from Harry's.
    result = data.resolve(apart=_oliver_and_harry, apart_types=("phone", "email"))
    assert groups(result) == {frozenset({"c:o", "c:o2"}), frozenset({"c:r", "c:h"})}
    # The email (higher priority) joined the receipt to Harry first; the phone gave way.
    assert result.skipped_links == [
        SkippedLink("c:r", "phone:+61295550172", "apart", "family rule: c:h / c:o")
    ]


def _oliver_and_harry(rids: object) -> list[tuple[str, str, str]]:
    """Keeps each of Oliver's records ("c:o", "c:o2") and Harry's ("c:h") apart."""
    assert isinstance(rids, list)
    pairs = [("c:h", "c:o"), ("c:h", "c:o2")]
    return [(a, b, "family rule") for a, b in pairs if {a, b} <= set(rids)]


def test_a_household_identifier_places_a_record_that_could_be_either_member_with_neither() -> None:
    # The family's landline is on Oliver's record, on his twin Harry's and on a till receipt
    # with no name: the receipt could be either twin's, so the landline places it with
    # neither (before, it went to whichever twin came first); Oliver's second record, whose
    # name keeps it apart from Harry, still joins Oliver.
    data = (
        Data()
        .record("c:a", "phone:+61295550172")
        .record("c:h", "phone:+61295550172")
        .record("c:o", "phone:+61295550172")
        .record("c:o2", "phone:+61295550172")
    )
    result = data.resolve(apart=_oliver_and_harry, apart_types=("phone",))
    assert groups(result) == {
        frozenset({"c:o", "c:o2"}),
        frozenset({"c:h"}),
        frozenset({"c:a"}),
    }
    assert (
        SkippedLink(
            "c:a", "phone:+61295550172", "apart", "either of two people, family rule: c:h / c:o"
        )
        in result.skipped_links
    )


def test_records_an_operator_rejected_are_not_joined_by_a_path_of_other_links() -> None:
    data = Data().record("a:1").record("b:1", "email:b@x.com").record("c:1").record("d:1")
    data.matches = [("a:1", "c:1"), ("c:1", "b:1"), ("d:1", "c:1")]
    probability = {("a:1", "c:1"): 0.99, ("b:1", "c:1"): 0.97, ("c:1", "d:1"): 0.98}
    result = data.resolve(rejected_matches=[("b:1", "a:1")], match_probability=probability)
    # The weakest link of the path between the two gives way.
    assert groups(result) == {frozenset({"a:1", "c:1", "d:1"}), frozenset({"b:1"})}
    assert result.skipped_matches == [
        SkippedMatch("b:1", "c:1", "apart", "rejected by an operator: a:1 / b:1")
    ]
    # Through an identifier of a type that holds apart, too; a forced link still joins.
    data = Data().record("a:1", "email:s@x.com").record("b:1", "email:s@x.com")
    assert len(data.resolve(rejected_matches=[("a:1", "b:1")]).components) == 1
    result = data.resolve(rejected_matches=[("a:1", "b:1")], apart_types=("email",))
    assert len(result.components) == 2
    # The first carrier's side keeps the link, as the profile built so far does at a limit.
    assert result.skipped_links == [
        SkippedLink("b:1", "email:s@x.com", "apart", "rejected by an operator: a:1 / b:1")
    ]
    forced = data.resolve(
        rejected_matches=[("a:1", "b:1")], apart_types=("email",), forced_links=[("a:1", "b:1")]
    )
    assert len(forced.components) == 1


def test_match_that_would_pass_a_limit_is_refused() -> None:
    data = Data().record("a:1", "loyalty_id:L1").record("b:1", "loyalty_id:L2")
    data.matches = [("b:1", "a:1")]
    result = data.resolve()
    assert len(result.components) == 2
    assert result.skipped_matches == [
        SkippedMatch("a:1", "b:1", "limit:loyalty_id", "max_per_profile=1")
    ]
    assert result.violations[0].match == ("a:1", "b:1")
    assert result.violations[0].identifier_key is None


def test_forced_link_joins_whatever_the_limits() -> None:
    data = Data().record("a:1", "loyalty_id:L1").record("b:1", "loyalty_id:L2").record("c:1")
    result = data.resolve(forced_links=[("b:1", "a:1")])
    assert groups(result) == {frozenset({"a:1", "b:1"}), frozenset({"c:1"})}
    assert result.violations == []


def test_strong_match_joins_whatever_the_limits() -> None:
    # Two loyalty cards of one member: the ordinary match is refused by the limit, the
    # strong one joins, and the profile past the limit still refuses a third card.
    data = (
        Data()
        .record("a:1", "loyalty_id:L1", "email:m@x.com")
        .record("b:1", "loyalty_id:L2", "email:m@x.com")
        .record("c:1", "loyalty_id:L3", "email:m@x.com")
    )
    data.matches = [("a:1", "b:1"), ("b:1", "c:1")]
    result = data.resolve(strong_matches=[("b:1", "a:1")])
    assert groups(result) == {frozenset({"a:1", "b:1"}), frozenset({"c:1"})}
    assert [(v.identifier_key, v.match) for v in result.violations] == [
        ("email:m@x.com", None),
        (None, ("b:1", "c:1")),
    ]
    assert {s.rid for s in result.skipped_links} == {"c:1"}


def test_rejected_strong_match_does_not_join() -> None:
    data = Data().record("a:1", "loyalty_id:L1").record("b:1", "loyalty_id:L2")
    data.matches = [("a:1", "b:1")]
    result = data.resolve(strong_matches=[("a:1", "b:1")], rejected_matches=[("a:1", "b:1")])
    assert len(result.components) == 2


def test_type_that_does_not_link_still_counts_towards_its_limit() -> None:
    config = merge_config({"identifier_types": {"dob": {"link": False, "max_per_profile": 1}}})
    data = (
        Data()
        .record("a:1", "phone:+61491570001", "dob:1980-01-01")
        .record("b:1", "phone:+61491570001", "dob:1991-05-05")
        .record("c:1", "dob:1980-01-01")
    )
    result = data.resolve(config)
    assert groups(result) == {frozenset({"a:1"}), frozenset({"b:1"}), frozenset({"c:1"})}
    assert result.violations[0].type == "dob"


def test_unknown_types_never_link_and_are_reported() -> None:
    data = Data().record("a:1", "crm_ref:77").record("b:1", "crm_ref:77", "nokey")
    result = data.resolve()
    assert len(result.components) == 2
    assert result.unknown_types == ["", "crm_ref"]


def test_links_to_records_outside_the_input_are_ignored_and_counted() -> None:
    data = Data().record("a:1", "email:a@x.com")
    data.identifiers.append(("zz:9", "email:a@x.com"))
    data.matches = [("a:1", "zz:9")]
    result = data.resolve(forced_links=[("zz:9", "a:1")])
    assert result.components == [["a:1"]]
    assert result.outside_scope == 3


def test_duplicate_and_self_links_are_harmless() -> None:
    data = Data().record("a:1", "email:a@x.com", "email:a@x.com").record("a:1")
    data.matches = [("a:1", "a:1")]
    result = data.resolve()
    assert result.components == [["a:1"]]


def test_empty_input() -> None:
    result = Data().resolve()
    assert result.components == [] and result.records == [] and result.component_of == {}


# ---------------------------------------------------------------------------------------------
# Properties

TYPES = ("email", "phone", "loyalty_id", "pos_customer_id", "ip")
# Value "0" of every type is blocked, so blocked identifiers (on one record or several) mix
# with the limits.
LIMITED = IdentityConfig(
    blocked={"*": BlockList(values=("0",))},
    identifier_types={
        "loyalty_id": IdentifierType(priority=10, max_per_profile=1),
        "pos_customer_id": IdentifierType(priority=20, max_per_profile_per_source=1),
        "email": IdentifierType(priority=40, max_per_profile=2),
        "phone": IdentifierType(priority=50, max_per_profile=2, max_per_profile_per_source=1),
        "ip": IdentifierType(priority=60, link=False, max_per_profile=2),
    },
)
BLOCKED_VALUE = ":0"
UNLIMITED = IdentityConfig(identifier_types={t: IdentifierType() for t in TYPES})


@st.composite
def graphs(draw: st.DrawFn, max_records: int = 14) -> Data:
    n = draw(st.integers(1, max_records))
    records = [f"{draw(st.sampled_from('ab'))}:{i:02d}" for i in range(n)]
    keys = [f"{t}:{v}" for t in TYPES for v in range(draw(st.integers(2, 4)))]
    data = Data(records=records)
    for rid in records:
        for key in draw(st.lists(st.sampled_from(keys), max_size=4)):
            data.identifiers.append((rid, key))
    pairs = st.tuples(st.sampled_from(records), st.sampled_from(records))
    data.matches = draw(st.lists(pairs, max_size=4))
    return data


def reference(
    data: Data,
    config: IdentityConfig,
    forced: Iterable[Pair] = (),
    rejected: Iterable[Pair] = (),
) -> set[frozenset[str]]:
    """The rules of `resolve_components`, written as plainly as possible."""
    types = config.identifier_types
    rids = sorted(set(data.records))
    held: dict[str, set[str]] = {r: set() for r in rids}
    for rid, key in data.identifiers:
        if rid in held and not key.endswith(BLOCKED_VALUE):
            held[rid].add(key)
    component = {r: frozenset({r}) for r in rids}

    def counts(members: frozenset[str]) -> dict[tuple[str, str | None], int]:
        found: dict[tuple[str, str | None], set[str]] = {}
        for rid in members:
            for key in held[rid]:
                t = key.partition(":")[0]
                if types[t].max_per_profile:
                    found.setdefault((t, None), set()).add(key)
                if types[t].max_per_profile_per_source:
                    found.setdefault((t, rid.partition(":")[0]), set()).add(key)
        return {slot: len(keys) for slot, keys in found.items()}

    def allowed(a: frozenset[str], b: frozenset[str]) -> bool:
        ca, cb, cu = counts(a), counts(b), counts(a | b)
        for (t, source), n in cu.items():
            limit = (
                types[t].max_per_profile if source is None else types[t].max_per_profile_per_source
            )
            assert limit is not None
            if n > limit and n > max(ca.get((t, source), 0), cb.get((t, source), 0)):
                return False
        return True

    def join(a: frozenset[str], b: frozenset[str]) -> frozenset[str]:
        merged = a | b
        for rid in merged:
            component[rid] = merged
        return merged

    linking = sorted(
        {key for rid in rids for key in held[rid] if types[key.partition(":")[0]].link},
        key=lambda k: (types[k.partition(":")[0]].priority, k.partition(":")[0], k),
    )
    for key in linking:
        carriers = [r for r in rids if key in held[r]]
        acc = component[carriers[0]]
        for rid in carriers[1:]:
            other = component[rid]
            if other != acc and allowed(acc, other):
                acc = join(acc, other)
    refused = {tuple(sorted(p)) for p in rejected}

    def holds_rejected(a: frozenset[str], b: frozenset[str]) -> bool:
        return any({x, y} <= a | b and not ({x, y} <= a or {x, y} <= b) for x, y in refused)

    for a, b in sorted({tuple(sorted(p)) for p in data.matches} - refused):
        ca, cb = component[a], component[b]
        if ca != cb and allowed(ca, cb) and not holds_rejected(ca, cb):
            join(ca, cb)
    for a, b in forced:
        if component[a] != component[b]:
            join(component[a], component[b])
    return set(component.values())


def nx_components(data: Data) -> set[frozenset[str]]:
    graph: nx.Graph[str] = nx.Graph()
    graph.add_nodes_from(data.records)
    graph.add_edges_from(data.identifiers)
    graph.add_edges_from(data.matches)
    return {frozenset(c) - {k for _, k in data.identifiers} for c in nx.connected_components(graph)}


@PROPERTY
@given(graphs(max_records=30))
def test_without_limits_components_are_networkx_connected_components(data: Data) -> None:
    result = data.resolve(UNLIMITED)
    assert groups(result) == nx_components(data)
    assert sorted(r for c in result.components for r in c) == sorted(set(data.records))


@PROPERTY
@given(graphs(), st.data())
def test_limits_follow_the_reference_rules(data: Data, draw: st.DataObject) -> None:
    pairs = st.tuples(st.sampled_from(data.records), st.sampled_from(data.records))
    forced = draw.draw(st.lists(pairs, max_size=2))
    rejected = draw.draw(st.lists(pairs, max_size=2))
    result = data.resolve(LIMITED, forced_links=forced, rejected_matches=rejected)
    assert groups(result) == reference(data, LIMITED, forced, rejected)


@PROPERTY
@given(graphs())
def test_profiles_respect_limits_their_records_respect(data: Data) -> None:
    result = data.resolve(LIMITED)
    held: dict[str, set[str]] = {}
    for rid, key in data.identifiers:
        if not key.endswith(BLOCKED_VALUE):
            held.setdefault(rid, set()).add(key)
    for members in result.components:
        for t in ("loyalty_id", "email", "phone", "ip"):
            limit = LIMITED.identifier_types[t].max_per_profile
            assert limit is not None
            single = max(
                len({k for k in held.get(r, ()) if k.startswith(t + ":")}) for r in members
            )
            union = {k for r in members for k in held.get(r, ()) if k.startswith(t + ":")}
            assert len(union) <= max(limit, single)


def shuffled(data: Data, rng: random.Random) -> Data:
    def flip(pairs: list[Pair]) -> list[Pair]:
        out = [(b, a) if rng.random() < 0.5 else (a, b) for a, b in pairs]
        rng.shuffle(out)
        return out

    records = list(data.records)
    identifiers = list(data.identifiers)
    rng.shuffle(records)
    rng.shuffle(identifiers)
    return Data(records, identifiers, flip(data.matches))


@PROPERTY
@given(graphs(), st.randoms(use_true_random=False))
def test_result_does_not_depend_on_input_order(data: Data, rng: random.Random) -> None:
    first = data.resolve(LIMITED)
    again = shuffled(data, rng).resolve(LIMITED)
    assert first.components == again.components
    assert first.labels.tolist() == again.labels.tolist()
    assert first.skipped_links == again.skipped_links
    assert first.skipped_matches == again.skipped_matches
    assert first.violations == again.violations


def _apart_of(pairs: set[frozenset[str]]) -> object:
    def apart(rids: object) -> list[tuple[str, str, str]]:
        assert isinstance(rids, list)
        inside = set(rids)
        return [(min(p), max(p), "family rule") for p in pairs if p <= inside]

    return apart


@PROPERTY
@given(graphs(), st.data())
def test_no_profile_holds_two_records_kept_apart(data: Data, draw: st.DataObject) -> None:
    # Every linking type but loyalty_id and pos_customer_id holds records apart; those two
    # come first by priority, so they alone may have joined two records kept apart.
    pairs = st.tuples(st.sampled_from(data.records), st.sampled_from(data.records))
    family = {frozenset(p) for p in draw.draw(st.lists(pairs, max_size=3)) if p[0] != p[1]}
    rejected = [p for p in draw.draw(st.lists(pairs, max_size=2)) if p[0] != p[1]]
    holding = ("email", "phone", "ip")
    result = data.resolve(
        LIMITED, apart=_apart_of(family), rejected_matches=rejected, apart_types=holding
    )
    others = Data(
        data.records,
        [(r, k) for r, k in data.identifiers if not k.startswith(holding)],
    ).resolve(UNLIMITED)
    joined_otherwise = {frozenset(c) for c in others.components}
    for members in map(set, result.components):
        for x, y in [tuple(p) for p in family] + rejected:
            if {x, y} <= members:
                # Only identifiers of types that do not hold apart may join them.
                assert any({x, y} <= c for c in joined_otherwise)
    # Without records to keep apart, the types holding apart change nothing.
    assert data.resolve(LIMITED, apart_types=holding).components == data.resolve(LIMITED).components


@PROPERTY
@given(graphs(), st.randoms(use_true_random=False), st.data())
def test_records_kept_apart_do_not_depend_on_input_order(
    data: Data, rng: random.Random, draw: st.DataObject
) -> None:
    pairs = st.tuples(st.sampled_from(data.records), st.sampled_from(data.records))
    family = {frozenset(p) for p in draw.draw(st.lists(pairs, max_size=3)) if p[0] != p[1]}
    apart, holding = _apart_of(family), ("email", "phone")
    first = data.resolve(LIMITED, apart=apart, apart_types=holding)
    again = shuffled(data, rng).resolve(LIMITED, apart=apart, apart_types=holding)
    assert first.components == again.components
    assert first.skipped_links == again.skipped_links
    assert first.skipped_matches == again.skipped_matches


def restrict(data: Data, keep: set[str]) -> Data:
    return Data(
        [r for r in data.records if r in keep],
        [(r, k) for r, k in data.identifiers if r in keep],
        [(a, b) for a, b in data.matches if a in keep and b in keep],
    )


@PROPERTY
@given(graphs(max_records=20), st.data())
def test_incremental_resolution_of_a_closed_part_equals_the_full_result(
    data: Data, draw: st.DataObject
) -> None:
    # The closure of some dirty records over every link (limits ignored), as the graph layer
    # computes it, is resolved alone.
    unrestricted = resolve_components(
        data.records, data.identifiers, data.matches, Protection.from_config(UNLIMITED), UNLIMITED
    )
    dirty = draw.draw(st.sets(st.sampled_from(data.records), max_size=3))
    closure = {r for c in unrestricted.components if dirty & set(c) for r in c}
    full = data.resolve(LIMITED)
    part = restrict(data, closure).resolve(LIMITED)
    expected = [c for c in full.components if set(c) <= closure]
    assert part.components == expected
    carriers: dict[str, set[str]] = {}
    for rid, key in data.identifiers:
        carriers.setdefault(key, set()).add(rid)

    def inside(v: LimitViolation) -> bool:
        if v.identifier_key is not None:
            return bool(carriers[v.identifier_key] & closure)
        return v.match is not None and v.match[0] in closure

    assert part.violations == [v for v in full.violations if inside(v)]


def test_large_random_input_matches_networkx() -> None:
    rng = random.Random(7)
    data = Data(records=[f"s{rng.randint(0, 3)}:{i}" for i in range(3000)])
    for rid in data.records:
        for _ in range(rng.randint(0, 2)):
            data.identifiers.append((rid, f"{rng.choice(TYPES[:2])}:{rng.randint(0, 2500)}"))
    data.matches = [(rng.choice(data.records), rng.choice(data.records)) for _ in range(300)]
    result = data.resolve(UNLIMITED)
    assert groups(result) == nx_components(data)


def test_limit_checks_on_many_identifiers_agree_with_the_reference() -> None:
    rng = random.Random(11)
    data = Data(records=[f"{rng.choice('ab')}:{i:03d}" for i in range(300)])
    keys = [f"{t}:{v}" for t in TYPES for v in range(40)]
    for rid in data.records:
        data.identifiers.extend((rid, rng.choice(keys)) for _ in range(rng.randint(0, 3)))
    data.matches = [(rng.choice(data.records), rng.choice(data.records)) for _ in range(30)]
    assert groups(data.resolve(LIMITED)) == reference(data, LIMITED)


def test_mapping_of_generic_identifiers_is_accepted_as_any_mapping() -> None:
    generic: Mapping[str, str] = {"email:a@x.com": "generic:records=300>=200"}
    data = Data().record("a:1", "email:a@x.com").record("b:1", "email:a@x.com")
    assert len(data.resolve(generic_identifiers=generic).components) == 2
