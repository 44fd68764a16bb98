"""Segment-spec messages → rows of the `segment` mapping, and those rows → records/events."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingest.connectors import segment_spec
from ingest.connectors.segment_spec import parse_batch, parse_message, to_rows
from ingest.convert import RowConverter
from ingest.errors import InvalidPayload
from ingest.mapping import builtin_mapping
from ingest.model import Event, QuarantinedRow, SourceRecord

NOW = "2024-06-01T00:00:00Z"


def _identify(**over: Any) -> dict[str, Any]:
    msg: dict[str, Any] = {
        "type": "identify",
        "messageId": "m-1",
        "userId": "u-42",
        "anonymousId": "anon-7",
        "timestamp": "2024-05-01T10:00:00.000Z",
        "traits": {
            "email": "Jane.Doe+shop@Gmail.com ",
            "phone": "0412 345 678",
            "firstName": "jane",
            "lastName": "DOE",
            "birthday": "1990-05-17",
            "address": {"street": "1 George St", "city": "Sydney", "postalCode": "2000"},
        },
        "context": {"ip": "203.0.113.9", "userAgent": "Mozilla/5.0", "traits": {"plan": "x"}},
    }
    msg.update(over)
    return msg


def _track(**over: Any) -> dict[str, Any]:
    msg: dict[str, Any] = {
        "type": "track",
        "messageId": "t-1",
        "anonymousId": "anon-7",
        "event": "Product Viewed",
        "properties": {"sku": "SKU-1", "price": 19.5},
        "timestamp": "2024-05-01T10:05:00Z",
    }
    msg.update(over)
    return msg


def test_identify_becomes_an_identify_row_without_ip_or_user_agent() -> None:
    rows = to_rows([parse_message(_identify(), "identify")], NOW)
    assert rows.track == [] and rows.duplicates == 0
    (row,) = rows.identify
    assert row["messageId"] == "m-1"
    assert row["userId"] == "u-42" and row["anonymousId"] == "anon-7"
    assert row["ts"] == "2024-05-01T10:00:00.000Z"
    assert row["traits"]["firstName"] == "jane"
    assert row["context"] == {"traits": {"plan": "x"}}
    assert rows.messages == [{"message_id": "m-1", "type": "identify"}]


def test_identify_row_becomes_a_record_with_normalised_identifiers() -> None:
    m = builtin_mapping("segment")
    row = to_rows([parse_message(_identify(), "identify")], NOW).identify[0]
    cust = m.customer_section(segment_spec.IDENTIFY)
    assert cust is not None
    rec = RowConverter(m).customer(cust, row, "http:/v1/identify", 1)
    assert isinstance(rec, SourceRecord)
    assert rec.rid == "segment:u-42"
    keys = {i.key for i in rec.identifiers}
    assert keys == {
        "user_id:u-42",
        "cookie:anon-7",
        "email:janedoe@gmail.com",
        "phone:+61412345678",
    }
    assert rec.attributes["given_name"] == "Jane"
    assert rec.attributes["family_name"] == "Doe"
    assert rec.attributes["dob"] == "1990-05-17"
    assert rec.attributes["postcode"] == "2000"
    assert rec.observed_at == "2024-05-01T10:00:00Z"


def test_full_name_trait_fills_given_and_family_names() -> None:
    m = builtin_mapping("segment")
    msg = _identify(traits={"name": "Sarah Connor"})
    row = to_rows([parse_message(msg, "identify")], NOW).identify[0]
    cust = m.customer_section(segment_spec.IDENTIFY)
    assert cust is not None
    rec = RowConverter(m).customer(cust, row, "f", 1)
    assert isinstance(rec, SourceRecord)
    assert (rec.attributes["given_name"], rec.attributes["family_name"]) == ("Sarah", "Connor")


def test_anonymous_identify_is_keyed_by_anonymous_id() -> None:
    m = builtin_mapping("segment")
    msg = _identify(userId=None)
    row = to_rows([parse_message(msg, "identify")], NOW).identify[0]
    cust = m.customer_section(segment_spec.IDENTIFY)
    assert cust is not None
    rec = RowConverter(m).customer(cust, row, "f", 1)
    assert isinstance(rec, SourceRecord) and rec.rid == "segment:anon-7"


def test_track_row_becomes_an_event_and_a_record_with_its_identifiers() -> None:
    m = builtin_mapping("segment")
    row = to_rows([parse_message(_track(userId=7), "track")], NOW).track[0]
    assert row["userId"] == "7"
    conv = RowConverter(m)
    (sec,) = m.events
    ev = conv.event(sec, row, "f", 1)
    assert isinstance(ev, Event)
    assert ev.eid == "segment:t-1" and ev.rid == "segment:7"
    assert ev.type == "product viewed"
    assert ev.ts == "2024-05-01T10:05:00Z"
    assert ev.properties["properties"] == {"sku": "SKU-1", "price": 19.5}
    cust = m.customer_section(segment_spec.TRACK)
    assert cust is not None
    rec = conv.customer(cust, row, "f", 1)
    assert isinstance(rec, SourceRecord)
    assert {i.key for i in rec.identifiers} == {"user_id:7", "cookie:anon-7"}


def test_unparseable_timestamp_is_kept_for_quarantine() -> None:
    m = builtin_mapping("segment")
    row = to_rows([parse_message(_track(timestamp="yesterday"), "track")], NOW).track[0]
    q = RowConverter(m).event(m.events[0], row, "f", 1)
    assert isinstance(q, QuarantinedRow) and q.reason.startswith("unparseable_timestamp")


def test_time_falls_back_to_original_timestamp_then_receipt() -> None:
    a = _track(timestamp=None, originalTimestamp="2024-01-01T00:00:00Z")
    b = _track(messageId="t-2", timestamp=None)
    rows = to_rows(parse_batch({"batch": [a, b]}), NOW).track
    assert [r["ts"] for r in rows] == ["2024-01-01T00:00:00Z", NOW]


def test_page_and_screen_are_events() -> None:
    page = {"type": "page", "anonymousId": "a", "name": "Home", "properties": {"url": "/"}}
    screen = {"type": "screen", "userId": "u", "name": "Cart"}
    rows = to_rows(parse_batch({"batch": [page, screen]}), NOW)
    assert [(r["event"], r["properties"]["name"]) for r in rows.track] == [
        ("page", "Home"),
        ("screen", "Cart"),
    ]


def test_group_and_alias_are_ignored() -> None:
    msgs = parse_batch(
        {
            "batch": [
                {"type": "group", "groupId": "g", "userId": "u"},
                {"type": "alias", "previousId": "a", "userId": "u"},
                _identify(),
            ]
        }
    )
    rows = to_rows(msgs, NOW)
    assert rows.ignored == 2 and len(rows.identify) == 1


def test_seen_and_repeated_message_ids_are_duplicates() -> None:
    msgs = parse_batch({"batch": [_identify(), _identify(), _track(), _track(messageId="t-2")]})
    rows = to_rows(msgs, NOW, seen={"t-2"})
    assert rows.duplicates == 2
    assert [m["message_id"] for m in rows.messages] == ["m-1", "t-1"]


def test_message_without_id_gets_a_stable_content_id() -> None:
    a = parse_message(_track(messageId=None), "track")
    b = parse_message(_track(messageId=None), "track")
    c = parse_message(_track(messageId=None, event="Other"), "track")
    assert segment_spec.message_id(a) == segment_spec.message_id(b) != segment_spec.message_id(c)
    assert segment_spec.message_id(a).startswith("auto-")


def test_batch_context_is_the_default_of_each_message() -> None:
    msgs = parse_batch(
        {
            "batch": [_track(), _track(messageId="t-2", context={"traits": {"email": "a@b.co"}})],
            "context": {"traits": {"email": "batch@b.co"}, "page": {"url": "https://x"}},
        }
    )
    rows = to_rows(msgs, NOW).track
    assert rows[0]["context"]["traits"] == {"email": "batch@b.co"}
    assert rows[1]["context"] == {"traits": {"email": "a@b.co"}, "page": {"url": "https://x"}}


def test_identify_rows_are_ordered_oldest_first() -> None:
    late = _identify(messageId="late", timestamp="2024-05-02T00:00:00Z")
    early = _identify(messageId="early", timestamp="2024-05-01T00:00:00+02:00")
    rows = to_rows(parse_batch({"batch": [late, early]}), NOW)
    assert [r["messageId"] for r in rows.identify] == ["early", "late"]


@pytest.mark.parametrize(
    ("body", "kind", "field", "text"),
    [
        (_identify(userId=None, anonymousId=None), "identify", "", "userId or anonymousId"),
        (_track(event=None), "track", "event", "valid string"),
        ({k: v for k, v in _track().items() if k != "event"}, "track", "event", "required"),
        (_identify(traits=["x"]), "identify", "traits", "dictionary"),
        (_identify(timestamp=12), "identify", "timestamp", "string"),
        (_track(), "identify", "type", "must be 'identify'"),
        (["not", "an", "object"], "track", "", "JSON object"),
    ],
)
def test_schema_errors_name_the_field(body: Any, kind: str, field: str, text: str) -> None:
    with pytest.raises(InvalidPayload) as err:
        parse_message(body, "identify" if kind == "identify" else "track")
    fields = [f for f, _ in err.value.errors]
    assert field in fields
    assert text in str(err.value)


def test_blank_user_id_is_no_user_id() -> None:
    msg = parse_message(_identify(userId="  "), "identify")
    assert msg.user_id is None and msg.anonymous_id == "anon-7"
    with pytest.raises(InvalidPayload, match="userId or anonymousId"):
        parse_message(_identify(userId="", anonymousId=None), "identify")


def test_batch_errors_name_the_message() -> None:
    with pytest.raises(InvalidPayload) as err:
        parse_batch({"batch": [_identify(), _track(event=""), {"type": "nope"}, {"x": 1}]})
    fields = [f for f, _ in err.value.errors]
    assert "batch.1.event" in fields
    assert "batch.2" in fields and "batch.3" in fields
    with pytest.raises(InvalidPayload) as err:
        parse_batch({"batch": [{"type": "alias", "userId": "u" * 600}]})
    assert [f for f, _ in err.value.errors] == ["batch.0.userId"]


@pytest.mark.parametrize("body", [{}, {"batch": "x"}, [], {"batch": [1]}])
def test_batch_shape_errors(body: Any) -> None:
    with pytest.raises(InvalidPayload):
        parse_batch(body)


_ids = st.sampled_from(["a", "b", "c", "d"])


@given(
    st.lists(
        st.tuples(st.sampled_from(["identify", "track", "group"]), _ids, st.booleans()),
        max_size=30,
    ),
    st.sets(_ids),
)
def test_every_message_is_counted_once(spec: list[tuple[str, str, bool]], seen: set[str]) -> None:
    batch = []
    for kind, mid, with_id in spec:
        msg: dict[str, Any] = {"type": kind, "userId": "u", "event": "E"}
        if with_id:
            msg["messageId"] = f"{kind}-{mid}"
        batch.append(msg)
    rows = to_rows(parse_batch({"batch": batch}), NOW, seen={f"track-{s}" for s in seen})
    written = len(rows.identify) + len(rows.track)
    assert written + rows.duplicates + rows.ignored == len(batch)
    assert written == len(rows.messages) == len({m["message_id"] for m in rows.messages})
