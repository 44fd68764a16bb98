"""The object types of the schema. Each wraps the properties a `graph/` read returned; the
fields that need more (a profile's records, a record's identifiers, orders) ask the
request's DataLoaders. Personal data is masked here for keys that may not see it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from api.context import Context
from api.graphql import values as v
from api.graphql.errors import bad_input
from api.graphql.masking import RecordKeyMask, mask_email, mask_identifier, mask_phone
from api.graphql.pagination import Connection, connection, decode_cursor, encode_cursor, page_size
from graph.profile_repo import PageKey

Props = dict[str, Any]
Ctx = Info[Context, None]


def _pii(info: Ctx) -> bool:
    return info.context.sees_personal_data


def _email(value: Any, info: Ctx) -> str | None:
    s = v.text(value)
    return s if s is None or _pii(info) else mask_email(s)


def _phone(value: Any, info: Ctx) -> str | None:
    s = v.text(value)
    return s if s is None or _pii(info) else mask_phone(s)


async def record_key_mask(info: Ctx, rids: Iterable[str]) -> RecordKeyMask | None:
    """How record ids and source keys of these records are shown: None in full."""
    if _pii(info):
        return None
    sources = sorted({rid.partition(":")[0] for rid in rids})
    types = await info.context.loaders.source_key_types.load_many(sources)
    return RecordKeyMask(
        dict(zip(sources, types, strict=True)), info.context.graph.suppression_keys[0]
    )


def _private(value: Any, info: Ctx) -> str | None:
    """Shown in full or not at all (street address, date of birth)."""
    return v.text(value) if _pii(info) else None


# -- small value types ----------------------------------------------------------------------


@strawberry.type(description="A golden value and the source system it was taken from.")
class SourcedValue:
    value: str
    source: str | None


def _sourced(props: Props, name: str, shown: str | None) -> SourcedValue | None:
    if shown is None:
        return None
    return SourcedValue(value=shown, source=v.text(props.get(f"{name}_source")))


@strawberry.type
class Identifier:
    """An identifier (email, E.164 phone, loyalty id, ...) as it is keyed in the graph."""

    _p: strawberry.Private[Props]

    def _type(self) -> str:
        return str(self._p.get("type") or "")

    def _value(self, info: Ctx) -> str:
        raw = str(self._p.get("value") or "")
        return raw if _pii(info) else mask_identifier(self._type(), raw)

    @strawberry.field(description="`type:normalised value` (masked for clienteling keys).")
    def key(self, info: Ctx) -> str:
        return f"{self._type()}:{self._value(info)}"

    @strawberry.field
    def type(self) -> str:
        return self._type()

    @strawberry.field(description="The normalised value (masked for clienteling keys).")
    def value(self, info: Ctx) -> str:
        return self._value(info)

    @strawberry.field(description="Why it never links (a test or placeholder value), if so.")
    def blocked(self) -> str | None:
        return v.text(self._p.get("blocked"))

    @strawberry.field(description="Why it is too common to link (a shop's phone), if so.")
    def generic(self) -> str | None:
        return v.text(self._p.get("generic"))

    @strawberry.field(description="An operator marked it shared: it no longer links.")
    def shared(self) -> bool:
        return bool(self._p.get("shared"))

    @strawberry.field(description="Why a per-profile limit refused this link, if it did.")
    def refused(self) -> str | None:
        return v.text(self._p.get("refused"))

    @strawberry.field
    def first_seen(self) -> str | None:
        return v.text(self._p.get("first_seen"))

    @strawberry.field
    def last_seen(self) -> str | None:
        return v.text(self._p.get("last_seen"))

    @strawberry.field(description="Records carrying it (within the profile).")
    def records(self) -> int:
        return v.integer(self._p.get("records")) or 0

    @strawberry.field(description="Sources of the records carrying it (within the profile).")
    def sources(self) -> list[str]:
        return v.texts(self._p.get("sources")) or []


@strawberry.type
class OrderLine:
    sku: str | None
    category: str | None
    quantity: int | None
    price: float | None


@strawberry.type
class Order:
    _p: strawberry.Private[Props]

    @strawberry.field
    def oid(self) -> strawberry.ID:
        return strawberry.ID(str(self._p.get("oid")))

    @strawberry.field
    def order_id(self) -> str | None:
        return v.text(self._p.get("order_id"))

    @strawberry.field
    def source(self) -> str | None:
        return v.text(self._p.get("source"))

    @strawberry.field
    def placed_at(self) -> str | None:
        return v.text(self._p.get("placed_at"))

    @strawberry.field
    def total(self) -> float | None:
        return v.number(self._p.get("total"))

    @strawberry.field
    def currency(self) -> str | None:
        return v.text(self._p.get("currency"))

    @strawberry.field
    def channel(self) -> str | None:
        return v.text(self._p.get("channel"))

    @strawberry.field
    def store(self) -> str | None:
        return v.text(self._p.get("store"))

    @strawberry.field
    def categories(self) -> list[str]:
        return v.texts(self._p.get("categories")) or []

    @strawberry.field
    def lines(self) -> list[OrderLine]:
        skus = self._p.get("line_skus") or []
        cats = self._p.get("line_categories") or []
        qty = self._p.get("line_quantities") or []
        prices = self._p.get("line_prices") or []

        def at(xs: list[Any], i: int) -> Any:
            return xs[i] if i < len(xs) else None

        return [
            OrderLine(
                sku=v.text(at(skus, i)),
                category=v.text(at(cats, i)) or None,
                quantity=v.integer(at(qty, i)),
                price=v.number(at(prices, i)),
            )
            for i in range(len(skus))
        ]


@strawberry.type
class Event:
    """Engagement: an email sent, opened or clicked, a web page viewed, a ticket."""

    _p: strawberry.Private[Props]

    @strawberry.field
    def eid(self) -> strawberry.ID:
        return strawberry.ID(str(self._p.get("eid")))

    @strawberry.field
    def type(self) -> str | None:
        return v.text(self._p.get("type"))

    @strawberry.field
    def ts(self) -> str | None:
        return v.text(self._p.get("ts"))

    @strawberry.field
    def source(self) -> str | None:
        return v.text(self._p.get("source"))

    @strawberry.field(description="The event's properties (hidden from clienteling keys).")
    def properties(self, info: Ctx) -> JSON | None:
        if not _pii(info):
            return None
        return JSON(v.json_value(self._p.get("properties")))


@strawberry.type(description="A merge, split or creation of profiles.")
class ProfileChange:
    kind: str
    pid: str
    others: list[str]
    records: int | None
    at: str | None


@strawberry.type
class SegmentMembership:
    segment_id: str
    name: str | None
    since: str | None


@strawberry.type
class Record:
    """One customer as one source system knows it."""

    _p: strawberry.Private[Props]
    _pid: strawberry.Private[str | None] = None

    @strawberry.field(
        description="`source:source_id` (a key that is personal data, such as a "
        "loyalty number or an email, masked for clienteling keys)."
    )
    async def rid(self, info: Ctx) -> strawberry.ID:
        rid = str(self._p.get("rid"))
        mask = await record_key_mask(info, [rid])
        return strawberry.ID(rid if mask is None else mask.rid(rid))

    @strawberry.field
    def source(self) -> str | None:
        return v.text(self._p.get("source"))

    @strawberry.field(
        description="The source's key (masked for clienteling keys when it is personal data)."
    )
    async def source_id(self, info: Ctx) -> str | None:
        sid = v.text(self._p.get("source_id"))
        rid = str(self._p.get("rid"))
        mask = None if sid is None else await record_key_mask(info, [rid])
        return sid if mask is None or sid is None else mask.source_id(rid.partition(":")[0], sid)

    @strawberry.field
    def given_name(self) -> str | None:
        return v.text(self._p.get("given_name"))

    @strawberry.field
    def family_name(self) -> str | None:
        return v.text(self._p.get("family_name"))

    @strawberry.field
    def email(self, info: Ctx) -> str | None:
        return _email(self._p.get("email"), info)

    @strawberry.field
    def phone(self, info: Ctx) -> str | None:
        return _phone(self._p.get("phone"), info)

    @strawberry.field(description="Street address (hidden from clienteling keys).")
    def address(self, info: Ctx) -> str | None:
        return _private(self._p.get("address"), info)

    @strawberry.field
    def city(self) -> str | None:
        return v.text(self._p.get("city"))

    @strawberry.field
    def state(self) -> str | None:
        return v.text(self._p.get("state"))

    @strawberry.field
    def postcode(self) -> str | None:
        return v.text(self._p.get("postcode"))

    @strawberry.field
    def country(self) -> str | None:
        return v.text(self._p.get("country"))

    @strawberry.field(description="Date of birth (hidden from clienteling keys).")
    def dob(self, info: Ctx) -> str | None:
        return _private(self._p.get("dob"), info)

    @strawberry.field(description="Only an order or event named it; no customer row yet.")
    def stub(self) -> bool:
        return bool(self._p.get("stub"))

    @strawberry.field
    def batch_id(self) -> str | None:
        return v.text(self._p.get("batch_id"))

    @strawberry.field
    def file(self) -> str | None:
        return v.text(self._p.get("file"))

    @strawberry.field
    def row(self) -> int | None:
        return v.integer(self._p.get("row"))

    @strawberry.field
    def observed_at(self) -> str | None:
        return v.text(self._p.get("observed_at"))

    @strawberry.field
    def created_at(self) -> str | None:
        return v.text(self._p.get("created_at"))

    @strawberry.field
    def updated_at(self) -> str | None:
        return v.text(self._p.get("updated_at"))

    @strawberry.field(description="Values the source sent that failed validation (field:reason).")
    def issues(self) -> list[str]:
        return v.texts(self._p.get("issues")) or []

    @strawberry.field(description="The row as the source sent it (hidden from clienteling keys).")
    def raw(self, info: Ctx) -> JSON | None:
        if not _pii(info):
            return None
        return JSON(v.json_value(self._p.get("raw")))

    @strawberry.field
    async def identifiers(self, info: Ctx) -> list[Identifier]:
        rows = await info.context.loaders.record_identifiers.load(str(self._p.get("rid")))
        return [Identifier(_p=r) for r in rows]

    @strawberry.field(description="The profile the record is in.")
    async def profile(self, info: Ctx) -> Profile | None:
        if self._pid is None:
            return None
        props = await info.context.loaders.profile.load(self._pid)
        return None if props is None else Profile(_p=props)


# -- enrichment -----------------------------------------------------------------------------


@strawberry.type(description="Attributes computed from behaviour by enrichment.")
class Enrichment:
    _p: strawberry.Private[Props]

    @strawberry.field
    def orders_count(self) -> int | None:
        return v.int_attribute(self._p, "orders_count")

    @strawberry.field
    def total_spend(self) -> float | None:
        return v.float_attribute(self._p, "total_spend")

    @strawberry.field
    def avg_order_value(self) -> float | None:
        return v.float_attribute(self._p, "avg_order_value")

    @strawberry.field
    def first_purchase_at(self) -> str | None:
        return v.text_attribute(self._p, "first_purchase_at")

    @strawberry.field
    def last_purchase_at(self) -> str | None:
        return v.text_attribute(self._p, "last_purchase_at")

    @strawberry.field(description="Computed when read, from lastPurchaseAt.")
    def days_since_last_purchase(self) -> int | None:
        return v.days_since_last_purchase(self._p)

    @strawberry.field(description="Recency score, 1 (least recent) to 5.")
    def rfm_r(self) -> int | None:
        return v.int_attribute(self._p, "rfm_r")

    @strawberry.field(description="Frequency score, 1 to 5.")
    def rfm_f(self) -> int | None:
        return v.int_attribute(self._p, "rfm_f")

    @strawberry.field(description="Monetary score, 1 to 5.")
    def rfm_m(self) -> int | None:
        return v.int_attribute(self._p, "rfm_m")

    @strawberry.field
    def rfm_segment(self) -> str | None:
        return v.text_attribute(self._p, "rfm_segment")

    @strawberry.field
    def channels(self) -> list[str] | None:
        return v.texts_attribute(self._p, "channels")

    @strawberry.field
    def preferred_channel(self) -> str | None:
        return v.text_attribute(self._p, "preferred_channel")

    @strawberry.field
    def top_category(self) -> str | None:
        return v.text_attribute(self._p, "top_category")

    @strawberry.field(description="Share of spend per category.")
    def category_affinity(self) -> JSON | None:
        shares = v.json_attribute(self._p, "category_affinity")
        return None if shares is None else JSON(shares)

    @strawberry.field
    def last_email_open_at(self) -> str | None:
        return v.text_attribute(self._p, "last_email_open_at")

    @strawberry.field
    def last_email_click_at(self) -> str | None:
        return v.text_attribute(self._p, "last_email_click_at")

    @strawberry.field(description="An email open or click in the last 90 days; computed when read.")
    def engaged_90d(self) -> bool | None:
        return v.engaged_90d(self._p)

    @strawberry.field
    def unsubscribed(self) -> bool | None:
        return v.bool_attribute(self._p, "unsubscribed")

    @strawberry.field
    def loyalty_tier(self) -> str | None:
        return v.text_attribute(self._p, "loyalty_tier")

    @strawberry.field
    def loyalty_points(self) -> float | None:
        return v.float_attribute(self._p, "loyalty_points")

    @strawberry.field
    def consent_email(self) -> bool | None:
        return v.bool_attribute(self._p, "consent_email")

    @strawberry.field
    def consent_sms(self) -> bool | None:
        return v.bool_attribute(self._p, "consent_sms")

    @strawberry.field(description="Probability the customer is still active (BG/NBD).")
    def p_alive(self) -> float | None:
        return v.float_attribute(self._p, "p_alive")

    @strawberry.field(description="High, Medium or Low, from P(alive).")
    def churn_risk(self) -> str | None:
        return v.text_attribute(self._p, "churn_risk")

    @strawberry.field
    def expected_purchases_90d(self) -> float | None:
        return v.float_attribute(self._p, "expected_purchases_90d")

    @strawberry.field
    def expected_purchases_365d(self) -> float | None:
        return v.float_attribute(self._p, "expected_purchases_365d")

    @strawberry.field(description="Predicted customer lifetime value over 12 months.")
    def clv_12m(self) -> float | None:
        return v.float_attribute(self._p, "clv_12m")

    @strawberry.field
    def clv_percentile(self) -> float | None:
        return v.float_attribute(self._p, "clv_percentile")

    @strawberry.field
    def prob_purchase_30d(self) -> float | None:
        return v.float_attribute(self._p, "prob_purchase_30d")

    @strawberry.field
    def expected_next_purchase_at(self) -> str | None:
        return v.text_attribute(self._p, "expected_next_purchase_at")

    @strawberry.field(description="Why the predictions are null, when they are.")
    def clv_reason(self) -> str | None:
        return v.text_attribute(self._p, "clv_reason")

    @strawberry.field(description="The CLV model version the predictions come from.")
    def clv_model_version(self) -> str | None:
        return v.text_attribute(self._p, "clv_model_version")

    @strawberry.field
    def enriched_at(self) -> str | None:
        return v.text_attribute(self._p, "enriched_at")


@strawberry.type(description="Bands bought from a demographics provider.")
class Demographics:
    _p: strawberry.Private[Props]

    @strawberry.field
    def income_band(self) -> str | None:
        return v.text_attribute(self._p, "demo_income_band")

    @strawberry.field
    def age_band(self) -> str | None:
        return v.text_attribute(self._p, "demo_age_band")

    @strawberry.field
    def urbanity(self) -> str | None:
        return v.text_attribute(self._p, "demo_urbanity")

    @strawberry.field
    def lifestyle(self) -> str | None:
        return v.text_attribute(self._p, "demo_lifestyle")

    @strawberry.field
    def provider(self) -> str | None:
        return v.text_attribute(self._p, "demo_provider")

    @strawberry.field
    def fetched_at(self) -> str | None:
        return v.text_attribute(self._p, "demo_fetched_at")


# -- the profile ----------------------------------------------------------------------------


def _page_key(pid: str, first: int | None, after: str | None, kind: str) -> PageKey:
    n = page_size(first)
    cur = decode_cursor(kind, after)
    if cur is None:
        return PageKey(pid, n)
    if not (isinstance(cur, list) and len(cur) == 2 and all(isinstance(c, str) for c in cur)):
        raise bad_input("the cursor `after` is malformed; pass an endCursor from this list")
    return PageKey(pid, n, cur[0], cur[1])


@strawberry.type(description="A golden customer: one person across every source.")
class Profile:
    _p: strawberry.Private[Props]
    _asked: strawberry.Private[str | None] = None

    @strawberry.field(description="The stable profile id.")
    def pid(self) -> strawberry.ID:
        return strawberry.ID(str(self._p.get("pid")))

    @strawberry.field(
        description="The retired id that was asked for, when it redirected (MERGED_INTO) here."
    )
    def redirected_from(self) -> str | None:
        asked = self._asked
        return asked if asked is not None and asked != self._p.get("pid") else None

    @strawberry.field
    def given_name(self) -> SourcedValue | None:
        return _sourced(self._p, "given_name", v.text(self._p.get("given_name")))

    @strawberry.field
    def family_name(self) -> SourcedValue | None:
        return _sourced(self._p, "family_name", v.text(self._p.get("family_name")))

    @strawberry.field(description="Masked for clienteling keys.")
    def email(self, info: Ctx) -> SourcedValue | None:
        return _sourced(self._p, "email", _email(self._p.get("email"), info))

    @strawberry.field(description="E.164; masked for clienteling keys.")
    def phone(self, info: Ctx) -> SourcedValue | None:
        return _sourced(self._p, "phone", _phone(self._p.get("phone"), info))

    @strawberry.field(description="Street address; hidden from clienteling keys.")
    def address(self, info: Ctx) -> SourcedValue | None:
        return _sourced(self._p, "address", _private(self._p.get("address"), info))

    @strawberry.field
    def city(self) -> SourcedValue | None:
        return _sourced(self._p, "city", v.text(self._p.get("city")))

    @strawberry.field
    def state(self) -> SourcedValue | None:
        return _sourced(self._p, "state", v.text(self._p.get("state")))

    @strawberry.field
    def postcode(self) -> SourcedValue | None:
        return _sourced(self._p, "postcode", v.text(self._p.get("postcode")))

    @strawberry.field
    def country(self) -> SourcedValue | None:
        return _sourced(self._p, "country", v.text(self._p.get("country")))

    @strawberry.field(description="Date of birth; hidden from clienteling keys.")
    def dob(self, info: Ctx) -> SourcedValue | None:
        return _sourced(self._p, "dob", _private(self._p.get("dob"), info))

    @strawberry.field(description="The source systems of its records.")
    def sources(self) -> list[str]:
        return v.texts(self._p.get("sources")) or []

    @strawberry.field
    def record_count(self) -> int:
        return v.integer(self._p.get("record_count")) or 0

    @strawberry.field
    def created_at(self) -> str | None:
        return v.text(self._p.get("created_at"))

    @strawberry.field(description="When identity resolution last wrote it.")
    def resolved_at(self) -> str | None:
        return v.text(self._p.get("resolved_at"))

    @strawberry.field
    def enrichment(self) -> Enrichment:
        return Enrichment(_p=self._p)

    @strawberry.field
    def demographics(self) -> Demographics | None:
        return Demographics(_p=self._p) if self._p.get("demo_provider") is not None else None

    @strawberry.field(description="Its identifiers, distinct, across its records.")
    async def identifiers(self, info: Ctx) -> list[Identifier]:
        rows = await info.context.loaders.profile_identifiers.load(str(self._p.get("pid")))
        return [Identifier(_p=r) for r in rows]

    @strawberry.field(description="Its source records.")
    async def records(self, info: Ctx) -> list[Record]:
        pid = str(self._p.get("pid"))
        rows = await info.context.loaders.records.load(pid)
        return [Record(_p=r, _pid=pid) for r in rows]

    @strawberry.field(description="Its orders, newest first.")
    async def orders(
        self, info: Ctx, first: int | None = 10, after: str | None = None
    ) -> Connection[Order]:
        key = _page_key(str(self._p.get("pid")), first, after, "order")
        page = await info.context.loaders.orders.load(key)
        return connection(
            page.items,
            page.has_next,
            lambda o: encode_cursor("order", [str(o.get("placed_at") or ""), str(o["oid"])]),
            lambda o: Order(_p=o),
            has_previous=key.after_id is not None,
            total=page.total,
        )

    @strawberry.field(description="Its engagement events, newest first.")
    async def events(
        self, info: Ctx, first: int | None = 10, after: str | None = None
    ) -> Connection[Event]:
        key = _page_key(str(self._p.get("pid")), first, after, "event")
        page = await info.context.loaders.events.load(key)
        return connection(
            page.items,
            page.has_next,
            lambda e: encode_cursor("event", [str(e.get("ts") or ""), str(e["eid"])]),
            lambda e: Event(_p=e),
            has_previous=key.after_id is not None,
            total=page.total,
        )

    @strawberry.field(description="Merges, splits and creation that formed it, oldest first.")
    async def history(self, info: Ctx) -> list[ProfileChange]:
        rows = await info.context.loaders.history.load(str(self._p.get("pid")))
        return [
            ProfileChange(
                kind=str(r["kind"]),
                pid=str(r["pid"]),
                others=v.texts(r.get("others")) or [],
                records=v.integer(r.get("records")),
                at=v.text(r.get("at")),
            )
            for r in rows
        ]

    @strawberry.field(description="Segments it is a member of ([] when none).")
    async def segments(self, info: Ctx) -> list[SegmentMembership]:
        rows = await info.context.loaders.segments.load(str(self._p.get("pid")))
        return [
            SegmentMembership(
                segment_id=str(r["id"]), name=v.text(r.get("name")), since=v.text(r.get("since"))
            )
            for r in rows
        ]


# -- operations -----------------------------------------------------------------------------


@strawberry.type
class IngestBatch:
    _p: strawberry.Private[Props]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self._p.get("id")))

    @strawberry.field
    def source(self) -> str | None:
        return v.text(self._p.get("source"))

    @strawberry.field
    def file(self) -> str | None:
        return v.text(self._p.get("file"))

    @strawberry.field
    def status(self) -> str | None:
        return v.text(self._p.get("status"))

    @strawberry.field
    def error(self) -> str | None:
        return v.text(self._p.get("error"))

    @strawberry.field
    def rows_read(self) -> int | None:
        return v.integer(self._p.get("rows_read"))

    @strawberry.field
    def rows_accepted(self) -> int | None:
        return v.integer(self._p.get("rows_accepted"))

    @strawberry.field
    def rows_quarantined(self) -> int | None:
        return v.integer(self._p.get("rows_quarantined"))

    @strawberry.field
    def rows_suppressed(self) -> int | None:
        return v.integer(self._p.get("rows_suppressed"))

    @strawberry.field
    def records_changed(self) -> int | None:
        return v.integer(self._p.get("records_changed"))

    @strawberry.field
    def orders(self) -> int | None:
        return v.integer(self._p.get("orders"))

    @strawberry.field
    def events(self) -> int | None:
        return v.integer(self._p.get("events"))

    @strawberry.field
    def started_at(self) -> str | None:
        return v.text(self._p.get("started_at"))

    @strawberry.field
    def finished_at(self) -> str | None:
        return v.text(self._p.get("finished_at"))


@strawberry.type(description="A row that could not be a record, kept with its reason.")
class QuarantinedRow:
    _p: strawberry.Private[Props]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self._p.get("id")))

    @strawberry.field
    def source(self) -> str | None:
        return v.text(self._p.get("source"))

    @strawberry.field
    def file(self) -> str | None:
        return v.text(self._p.get("file"))

    @strawberry.field
    def row(self) -> int | None:
        return v.integer(self._p.get("row"))

    @strawberry.field
    def kind(self) -> str | None:
        return v.text(self._p.get("kind"))

    @strawberry.field
    def reason(self) -> str | None:
        return v.text(self._p.get("reason"))

    @strawberry.field
    def batch_id(self) -> str | None:
        return v.text(self._p.get("batch_id"))

    @strawberry.field(description="The row as read.")
    def raw(self) -> JSON | None:
        raw = self._p.get("raw")
        return None if raw is None else JSON(v.json_value(raw))
