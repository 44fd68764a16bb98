"""Shopify webhook payloads → rows of the `ecommerce` mapping, and the HMAC check."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ingest.connectors import shopify
from ingest.connectors.shopify import customer_row, order_row, sign, verify_hmac
from ingest.convert import RowConverter
from ingest.errors import InvalidPayload
from ingest.mapping import builtin_mapping
from ingest.model import Order, QuarantinedRow, SourceRecord

SECRET = "shpss_test_secret"


def customer_payload(**over: Any) -> dict[str, Any]:
    p: dict[str, Any] = {
        "id": 706405506930370084,
        "email": "Bob.Norman@Example.com",
        "phone": "+61412345678",
        "first_name": "bob",
        "last_name": "NORMAN",
        "created_at": "2024-03-01T10:00:00+11:00",
        "updated_at": "2024-03-02T10:00:00+11:00",
        "email_marketing_consent": {"state": "subscribed", "opt_in_level": "single_opt_in"},
        "default_address": {
            "address1": "12 Smith Street",
            "city": "Fitzroy",
            "province": "Victoria",
            "zip": "3065",
            "country_code": "AU",
            "phone": "555-625-1199",
        },
        "tags": "VIP",
        "orders_count": 3,
        "note": "free text the row leaves out",
    }
    p.update(over)
    return p


def order_payload(**over: Any) -> dict[str, Any]:
    p: dict[str, Any] = {
        "id": 820982911946154508,
        "order_number": 1001,
        "email": "bob.norman@example.com",
        "created_at": "2024-03-05T12:00:00-05:00",
        "total_price": "59.90",
        "currency": "AUD",
        "customer": {"id": 706405506930370084, "email": "bob.norman@example.com"},
        "line_items": [
            {
                "sku": "TEE-1",
                "title": "Tee",
                "product_type": "Tops",
                "quantity": 2,
                "price": "19.95",
            },
            {"sku": None, "title": "Gift wrap", "quantity": 1, "price": "20.00"},
        ],
    }
    p.update(over)
    return p


def test_signature_round_trip() -> None:
    body = json.dumps(customer_payload()).encode()
    sig = sign(SECRET, body)
    assert verify_hmac(SECRET, body, sig)
    assert verify_hmac(SECRET, body, f" {sig} ")


@pytest.mark.parametrize(
    "tamper",
    [
        lambda body, sig: (body + b" ", sig),
        lambda body, sig: (body, sig[:-4] + "AAA="),
        lambda body, sig: (body, None),
        lambda body, sig: (body, ""),
        lambda body, sig: (body, sign("another secret", body)),
        lambda body, sig: (body, "not base64 at all ✓"),
    ],
)
def test_tampered_body_or_signature_fails(tamper: Any) -> None:
    body = json.dumps(customer_payload()).encode()
    b, s = tamper(body, sign(SECRET, body))
    assert not verify_hmac(SECRET, b, s)


def test_customer_row_has_the_export_shape() -> None:
    row = customer_row(customer_payload())
    assert row == {
        "id": "706405506930370084",
        "email": "Bob.Norman@Example.com",
        "phone": "+61412345678",
        "first_name": "bob",
        "last_name": "NORMAN",
        "accepts_marketing": True,
        "created_at": "2024-03-01T10:00:00+11:00",
        "updated_at": "2024-03-02T10:00:00+11:00",
        "default_address": {
            "address1": "12 Smith Street",
            "city": "Fitzroy",
            "province": "Victoria",
            "zip": "3065",
            "country_code": "AU",
        },
    }


@pytest.mark.parametrize(
    ("over", "expected"),
    [
        ({"accepts_marketing": False}, False),
        ({"email_marketing_consent": {"state": "not_subscribed"}}, False),
        ({"email_marketing_consent": {"state": "unsubscribed"}}, False),
        ({"email_marketing_consent": None}, None),
        ({"email_marketing_consent": None, "accepts_marketing": True}, True),
    ],
)
def test_marketing_consent(over: dict[str, Any], expected: bool | None) -> None:
    assert customer_row(customer_payload(**over))["accepts_marketing"] is expected


def test_customer_row_lands_on_the_export_record() -> None:
    m = builtin_mapping("ecommerce")
    cust = m.customer_section(shopify.CUSTOMERS_FILE)
    assert cust is not None
    rec = RowConverter(m).customer(cust, customer_row(customer_payload()), "http", 1)
    assert isinstance(rec, SourceRecord)
    assert rec.rid == "ecommerce:706405506930370084"
    keys = {i.key for i in rec.identifiers}
    assert {"email:bob.norman@example.com", "phone:+61412345678"} <= keys
    assert rec.attributes["given_name"] == "Bob"
    assert rec.attributes["consent_email"] in (True, "true")
    assert rec.attributes["postcode"] == "3065"


def test_customer_without_address_or_consent() -> None:
    row = customer_row({"id": "55", "email": None})
    assert row["default_address"] is None and row["accepts_marketing"] is None


def test_order_row_and_its_order() -> None:
    row = order_row(order_payload())
    assert row["customer"] == {"id": "706405506930370084"}
    assert row["line_items"][1] == {
        "sku": "",
        "title": "Gift wrap",
        "product_type": None,
        "quantity": 1,
        "price": "20.00",
    }
    m = builtin_mapping("ecommerce")
    (sec,) = m.orders
    order = RowConverter(m).order(sec, row, "http", 1)
    assert isinstance(order, Order)
    assert order.oid == "ecommerce:820982911946154508"
    assert order.rid == "ecommerce:706405506930370084"
    assert order.total == 59.9 and order.currency == "AUD"
    assert order.placed_at == "2024-03-05T17:00:00Z"
    assert [(ln.sku, ln.category, ln.quantity) for ln in order.lines] == [
        ("TEE-1", "Tops", 2),
        ("", None, 1),
    ]


def test_guest_checkout_is_quarantined_with_its_reason() -> None:
    m = builtin_mapping("ecommerce")
    row = order_row(order_payload(customer=None))
    assert row["customer"] is None
    q = RowConverter(m).order(m.orders[0], row, "http", 1)
    assert isinstance(q, QuarantinedRow) and q.reason == "missing_customer_key:customer.id"


@pytest.mark.parametrize(
    ("convert", "payload", "field"),
    [
        (customer_row, {"email": "a@b.co"}, "id"),
        (customer_row, {"id": None}, "id"),
        (customer_row, {"id": 1, "default_address": "x"}, "default_address"),
        (customer_row, {"id": 1, "accepts_marketing": "perhaps"}, "accepts_marketing"),
        (order_row, {"total_price": "1"}, "id"),
        (order_row, {"id": 1, "line_items": {"sku": "x"}}, "line_items"),
        (order_row, {"id": 1, "line_items": [{"quantity": "two"}]}, "line_items.0.quantity"),
        (customer_row, [1, 2], ""),
    ],
)
def test_schema_errors_name_the_field(convert: Any, payload: Any, field: str) -> None:
    with pytest.raises(InvalidPayload) as err:
        convert(payload)
    assert field in [f for f, _ in err.value.errors]
