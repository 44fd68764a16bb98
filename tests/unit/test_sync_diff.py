"""The sync diff: adds, updates, removes, consent and validity, without a database."""

from __future__ import annotations

from typing import Any, get_args

import pytest

from activate.destinations.base import Member
from activate.sync.diff import plan_sync
from activate.sync.members import (
    SyncableAttribute,
    from_snapshot,
    has_consent,
    member_from_row,
    member_hash,
    row_hash,
    snapshot,
)
from graph.queries import cypher

pytestmark = pytest.mark.unit


def row(pid: str, **props: Any) -> dict[str, Any]:
    return {"pid": pid, "email": f"{pid}@shop.com", "consent_email": True, **props}


def plan(rows: list[dict[str, Any]], synced: dict[str, str], **kw: Any) -> Any:
    options: dict[str, Any] = {
        "attributes": ["clv_12m"],
        "required_consent": ["email"],
        "validate": lambda m: None if m.email else "no email",
        **kw,
    }
    return plan_sync(rows, synced, **options)


def digest(r: dict[str, Any]) -> str:
    return member_hash(member_from_row(r, ["clv_12m"]))


def test_first_run_adds_everyone_then_nothing_changes() -> None:
    rows = [row("a", clv_12m=10.0), row("b", clv_12m=20.0)]
    first = plan(rows, {})
    assert [m.pid for m in first.adds] == ["a", "b"] and first.removes == []
    second = plan(rows, first.hashes)
    assert (second.adds, second.updates, second.removes, second.unchanged) == ([], [], [], 2)


def test_a_changed_synced_field_is_an_update_and_others_are_not() -> None:
    a = row("a", clv_12m=10.0, loyalty_points=5)
    synced = {"a": digest(a)}
    assert plan([{**a, "loyalty_points": 6}], synced).unchanged == 1  # not synced
    p = plan([{**a, "clv_12m": 11.0}], synced)
    assert [m.pid for m in p.updates] == ["a"] and p.hashes["a"] != synced["a"]
    assert [m.pid for m in plan([{**a, "email": "new@shop.com"}], synced).updates] == ["a"]


def test_merge_removes_the_retired_pid_and_adds_the_survivor() -> None:
    old, survivor = row("p-old"), row("p-new")
    p = plan([survivor], {"p-old": digest(old)})
    assert [m.pid for m in p.adds] == ["p-new"] and p.removes == ["p-old"]


def test_consent_and_validity() -> None:
    rows = [
        row("ok"),
        row("no", consent_email=False),
        row("unsub", unsubscribed=True),
        row("unknown", consent_email=None),
        row("noemail", email=None),
    ]
    synced = {"no": "h1", "noemail": "h2"}
    p = plan(rows, synced)
    assert [m.pid for m in p.adds] == ["ok"]
    assert p.no_consent == 3 and [e.pid for e in p.invalid] == ["noemail"]
    # members who lost consent or can no longer be taken leave the destination
    assert p.removes == ["no", "noemail"]
    assert plan(rows, {}, required_consent=[]).no_consent == 0


def test_has_consent_needs_an_explicit_true() -> None:
    assert has_consent({"consent_email": True}, ["email"])
    assert not has_consent({"consent_email": "true"}, ["email"])
    assert not has_consent({"consent_email": True, "unsubscribed": True}, ["email"])
    assert has_consent({"consent_sms": True}, ["sms"])
    assert not has_consent({"consent_email": True}, ["email", "sms"])
    assert has_consent({}, [])


def test_row_hash_is_the_hash_of_the_member() -> None:
    r = row("a", given_name=" Ann ", clv_12m=3.5, postcode=2000)
    for attributes in ([], ["clv_12m"], ["clv_12m", "churn_risk"]):
        assert row_hash(r, attributes) == member_hash(member_from_row(r, attributes))
    assert row_hash(r, ["clv_12m"]) != row_hash({**r, "clv_12m": 3.6}, ["clv_12m"])


def test_snapshot_round_trip_keeps_identifiers_only() -> None:
    m = member_from_row(
        {"pid": "a", "email": " a@shop.com ", "given_name": "Ann", "clv_12m": 3.0}, ["clv_12m"]
    )
    assert (m.email, m.first_name, m.attributes) == ("a@shop.com", "Ann", {"clv_12m": 3.0})
    back = from_snapshot("a", snapshot(m))
    assert back == Member(pid="a", email="a@shop.com", first_name="Ann")
    assert from_snapshot("a", None) == Member(pid="a")
    assert from_snapshot("a", "not json") == Member(pid="a")


def test_synced_attributes_are_read_as_keys_from_a_parameter() -> None:
    text = cypher("sync_segment_members")
    assert "[k IN $attributes | p[k]]" in text
    assert not any(name in text for name in get_args(SyncableAttribute))
