"""Shopify webhooks (REST payloads) → rows of the built-in `ecommerce` mapping.

A webhook's customer or order becomes a row shaped like a line of the Shopify export that
`ecommerce` ingests (`customers.jsonl`, `orders.jsonl`), so a customer sent by webhook lands
on the same record (`ecommerce:<id>`) as the one from the batch export. Webhooks are signed:
`X-Shopify-Hmac-Sha256` is the base64 HMAC-SHA256 of the raw body with the app's secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ingest.errors import InvalidPayload

CUSTOMERS_FILE = "customers.jsonl"
ORDERS_FILE = "orders.jsonl"
CUSTOMER_TOPICS = frozenset({"customers/create", "customers/update"})
ORDER_TOPICS = frozenset({"orders/create", "orders/updated"})
_ID_CHARS = 64


def sign(secret: str, body: bytes) -> str:
    """The `X-Shopify-Hmac-Sha256` value of `body`."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def verify_hmac(secret: str, body: bytes, signature: str | None) -> bool:
    """True when `signature` is the body's HMAC (compared in constant time)."""
    if not signature:
        return False
    return hmac.compare_digest(sign(secret, body).encode(), signature.strip().encode())


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore")


def _id_text(v: Any) -> Any:
    if isinstance(v, int) and not isinstance(v, bool):
        return str(v)
    if isinstance(v, str):
        return v.strip() or None
    return v


class Address(_Lenient):
    address1: str | None = None
    city: str | None = None
    province: str | None = None
    zip: str | None = None
    country_code: str | None = None


class MarketingConsent(_Lenient):
    state: str | None = None


class Customer(_Lenient):
    id: str = Field(max_length=_ID_CHARS)
    email: str | None = None
    phone: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    accepts_marketing: bool | None = None
    email_marketing_consent: MarketingConsent | None = None
    default_address: Address | None = None
    created_at: str | None = None
    updated_at: str | None = None

    check_id = field_validator("id", mode="before")(_id_text)

    def consent_email(self) -> bool | None:
        """`accepts_marketing` (older API versions), else the consent state (newer ones)."""
        if self.accepts_marketing is not None:
            return self.accepts_marketing
        if self.email_marketing_consent and self.email_marketing_consent.state:
            return self.email_marketing_consent.state.lower() == "subscribed"
        return None


class CustomerRef(_Lenient):
    id: str | None = Field(default=None, max_length=_ID_CHARS)

    check_id = field_validator("id", mode="before")(_id_text)


class LineItem(_Lenient):
    sku: str | None = None
    title: str | None = None
    product_type: str | None = None
    quantity: int | None = None
    price: str | float | None = None


class Order(_Lenient):
    id: str = Field(max_length=_ID_CHARS)
    order_number: int | str | None = None
    customer: CustomerRef | None = None
    email: str | None = None
    created_at: str | None = None
    total_price: str | float | None = None
    currency: str | None = None
    source_name: str | None = None
    line_items: list[LineItem] = Field(default_factory=list)

    check_id = field_validator("id", mode="before")(_id_text)


M = TypeVar("M", bound=BaseModel)


def _validate(model: type[M], payload: Any) -> M:
    if not isinstance(payload, dict):
        raise InvalidPayload([("", "expected a JSON object")])
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        raise InvalidPayload(
            [(".".join(str(p) for p in e["loc"]), e["msg"]) for e in exc.errors(include_url=False)]
        ) from exc


def customer_row(payload: Any) -> dict[str, Any]:
    """A `customers/create` or `customers/update` payload as a `customers.jsonl` row.

    Raises:
        InvalidPayload: No customer `id`, or a field of the wrong type.
    """
    c = _validate(Customer, payload)
    address = c.default_address.model_dump() if c.default_address else None
    return {
        "id": c.id,
        "email": c.email,
        "phone": c.phone,
        "first_name": c.first_name,
        "last_name": c.last_name,
        "accepts_marketing": c.consent_email(),
        "created_at": c.created_at,
        "updated_at": c.updated_at,
        "default_address": address,
    }


def order_row(payload: Any) -> dict[str, Any]:
    """An `orders/create` payload as an `orders.jsonl` row. A guest checkout (no customer)
    keeps `customer: null`, which the pipeline quarantines with its reason.

    Raises:
        InvalidPayload: No order `id`, or a field of the wrong type.
    """
    o = _validate(Order, payload)
    return {
        "id": o.id,
        "order_number": o.order_number,
        "customer": {"id": o.customer.id} if o.customer and o.customer.id else None,
        "email": o.email,
        "created_at": o.created_at,
        "total_price": o.total_price,
        "currency": o.currency,
        "source_name": o.source_name,
        "line_items": [
            {
                "sku": li.sku or "",
                "title": li.title,
                "product_type": li.product_type or None,
                "quantity": 1 if li.quantity is None else li.quantity,
                "price": li.price,
            }
            for li in o.line_items
        ],
    }
