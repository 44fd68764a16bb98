"""The catalogue of profile attributes: every property of a golden `Profile` that other
parts of the system name, with its type, what it means, whether it is personal data,
whether segments may filter on it, whether destinations may be sent it, and what writes it.

The lists that used to repeat these names are derived from it (the enricher's outputs,
the segment filter allow-list), or checked against it by a unit test where a type checker
needs the names spelled out (`activate.sync.members.SyncableAttribute`,
`activate.segments.fields.FieldName`, the GraphQL `Enrichment` and `Demographics` types,
`matching.survivorship`'s golden fields).

Order matters: the enricher creates its columns, and so fingerprints its rows, in this
order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

AttributeType = Literal["int", "float", "bool", "text", "texts", "timestamp", "date", "json"]
"""How a value is stored: `timestamp` is ISO 8601 UTC text, `date` an ISO date, `json` the
text of a JSON object, `texts` a list of strings."""
Writer = Literal["resolution", "enrichment", "provider", "read"]
"""What writes it: survivorship, the enricher, an area provider (through the enricher), or
nothing (computed when read, from `reads`)."""
Family = Literal[
    "golden",
    "purchases",
    "rfm",
    "channels",
    "affinity",
    "engagement",
    "membership",
    "predictive",
    "demographics",
    "provenance",
]
FilterKind = Literal["number", "string", "scalar", "bool", "list", "days"]
"""The kind of a segment filter field, which decides its operators
(`activate.segments.fields.OPS_BY_KIND`)."""


@dataclass(frozen=True, slots=True)
class Attribute:
    """One profile attribute.

    Attributes:
        name: The Profile property (for `read` attributes, the name they are read as).
        type: How the value is stored.
        description: What it means.
        written_by: What writes it.
        family: The group of attributes computed together.
        personal: Personal data (masked or hidden from clienteling keys, never logged).
        filter: The segment filter kind, or None when segments may not filter on it.
        syncable: Destinations may be sent it as a synced attribute.
        graphql: The API shows it (on `Profile`, `Enrichment` or `Demographics`).
        reads: For a `read` attribute, the stored properties it is computed from.
    """

    name: str
    type: AttributeType
    description: str
    written_by: Writer
    family: Family
    personal: bool = False
    filter: FilterKind | None = None
    syncable: bool = False
    graphql: bool = True
    reads: tuple[str, ...] = ()


def _golden(
    name: str,
    type_: AttributeType,
    description: str,
    *,
    personal: bool = False,
    filter: FilterKind | None = None,
) -> Attribute:
    return Attribute(name, type_, description, "resolution", "golden", personal, filter)


def _enriched(
    name: str,
    type_: AttributeType,
    family: Family,
    description: str,
    *,
    filter: FilterKind | None = None,
    syncable: bool = False,
) -> Attribute:
    return Attribute(name, type_, description, "enrichment", family, False, filter, syncable)


def _area(name: str, description: str) -> Attribute:
    return Attribute(name, "text", description, "provider", "demographics")


def _read(
    name: str,
    type_: AttributeType,
    reads: tuple[str, ...],
    description: str,
    *,
    filter: FilterKind | None = None,
    graphql: bool = True,
) -> Attribute:
    return Attribute(
        name, type_, description, "read", "provenance", False, filter, False, graphql, reads
    )


CATALOGUE: Final[tuple[Attribute, ...]] = (
    # golden attributes, by survivorship (names, emails and phones are identifiers, not
    # filters)
    _golden("given_name", "text", "Given name", personal=True),
    _golden("family_name", "text", "Family name", personal=True),
    _golden("email", "text", "Email address", personal=True),
    _golden("phone", "text", "Phone number (E.164)", personal=True),
    _golden("address", "text", "Street address", personal=True),
    _golden("city", "text", "City of the golden address", filter="string"),
    _golden("state", "text", "State or region", filter="string"),
    _golden("postcode", "text", "Postcode", filter="string"),
    _golden("country", "text", "ISO 3166-1 alpha-2 country", filter="string"),
    _golden("dob", "date", "Date of birth", personal=True),
    _golden("sources", "texts", "Source systems the profile's records come from", filter="list"),
    _golden("record_count", "int", "Source records in the profile", filter="number"),
    # purchases
    _enriched("orders_count", "int", "purchases", "Orders placed", filter="number", syncable=True),
    _enriched("total_spend", "float", "purchases", "Total spend", filter="number", syncable=True),
    _enriched(
        "avg_order_value",
        "float",
        "purchases",
        "Average order value",
        filter="number",
        syncable=True,
    ),
    _enriched("first_purchase_at", "timestamp", "purchases", "First purchase", syncable=True),
    _enriched("last_purchase_at", "timestamp", "purchases", "Last purchase", syncable=True),
    # RFM
    _enriched("rfm_r", "int", "rfm", "Recency score, 1 (least recent) to 5"),
    _enriched("rfm_f", "int", "rfm", "Frequency score, 1 to 5"),
    _enriched("rfm_m", "int", "rfm", "Monetary score, 1 to 5"),
    _enriched("rfm_segment", "text", "rfm", "RFM segment name", filter="string", syncable=True),
    # channels
    _enriched("channels", "texts", "channels", "Channels bought in: online, store", filter="list"),
    _enriched(
        "preferred_channel",
        "text",
        "channels",
        "Channel most bought in",
        filter="string",
        syncable=True,
    ),
    # category affinity
    _enriched("category_affinity", "json", "affinity", "Share of spend per category"),
    _enriched(
        "top_category", "text", "affinity", "Category most bought", filter="string", syncable=True
    ),
    # email engagement
    _enriched("last_email_open_at", "timestamp", "engagement", "Last email open"),
    _enriched("last_email_click_at", "timestamp", "engagement", "Last email click"),
    # loyalty and consent
    _enriched("unsubscribed", "bool", "membership", "Unsubscribed from email", filter="bool"),
    _enriched("loyalty_tier", "text", "membership", "Loyalty tier", filter="string", syncable=True),
    _enriched(
        "loyalty_points",
        "float",
        "membership",
        "Loyalty points balance",
        filter="number",
        syncable=True,
    ),
    _enriched("consent_email", "bool", "membership", "Consented to email marketing", filter="bool"),
    _enriched("consent_sms", "bool", "membership", "Consented to SMS marketing", filter="bool"),
    # predictions of the CLV model
    _enriched(
        "p_alive",
        "float",
        "predictive",
        "Probability the customer is still active",
        filter="number",
        syncable=True,
    ),
    _enriched(
        "churn_risk",
        "text",
        "predictive",
        "Churn risk (band or score)",
        filter="scalar",
        syncable=True,
    ),
    _enriched("expected_purchases_90d", "float", "predictive", "Expected purchases in 90 days"),
    _enriched("expected_purchases_365d", "float", "predictive", "Expected purchases in 365 days"),
    _enriched(
        "clv_12m",
        "float",
        "predictive",
        "Predicted value over the next 12 months",
        filter="number",
        syncable=True,
    ),
    _enriched(
        "clv_percentile",
        "float",
        "predictive",
        "Percentile of clv_12m, 0 to 1",
        filter="number",
        syncable=True,
    ),
    _enriched(
        "prob_purchase_30d",
        "float",
        "predictive",
        "Probability of a purchase in 30 days",
        filter="number",
        syncable=True,
    ),
    _enriched("expected_next_purchase_at", "date", "predictive", "Expected next purchase"),
    _enriched("clv_reason", "text", "predictive", "Why the predictions are null, when they are"),
    _enriched("clv_model_version", "text", "predictive", "The CLV model version used"),
    # provenance
    _enriched("enriched_at", "timestamp", "provenance", "When enrichment last wrote it"),
    # area demographics, from the configured provider
    _area("demo_income_band", "Median income band of the area"),
    _area("demo_age_band", "Age band of the area"),
    _area("demo_urbanity", "Urbanity of the area"),
    _area("demo_lifestyle", "Lifestyle segment of the area"),
    _area("demo_provider", "The provider of the area bands"),
    _area("demo_fetched_at", "When the provider answered"),
    # computed when read, relative to the day (they change as days pass)
    _read(
        "days_since_last_purchase",
        "int",
        ("last_purchase_at",),
        "Days since the last purchase",
        filter="days",
    ),
    _read(
        "engaged_90d",
        "bool",
        ("last_email_open_at", "last_email_click_at", "enriched_at"),
        "An email open or click in the last 90 days",
    ),
    _read(
        "days_since_first_purchase",
        "int",
        ("first_purchase_at",),
        "Days since the first purchase",
        filter="days",
        graphql=False,
    ),
    _read(
        "days_since_last_email_open",
        "int",
        ("last_email_open_at",),
        "Days since an email open",
        filter="days",
        graphql=False,
    ),
    _read(
        "days_since_last_email_click",
        "int",
        ("last_email_click_at",),
        "Days since an email click",
        filter="days",
        graphql=False,
    ),
)

BY_NAME: Final = {a.name: a for a in CATALOGUE}


def names(
    *,
    written_by: Writer | None = None,
    family: Family | None = None,
    exclude_family: Family | None = None,
) -> tuple[str, ...]:
    """Names of the catalogue's attributes, in its order, chosen by writer and family."""
    return tuple(
        a.name
        for a in CATALOGUE
        if (written_by is None or a.written_by == written_by)
        and (family is None or a.family == family)
        and (exclude_family is None or a.family != exclude_family)
    )


GOLDEN: Final = names(family="golden")
"""What survivorship writes from the records (plus each one's `<name>_source`)."""
PREDICTIVE: Final = names(written_by="enrichment", family="predictive")
PREDICTIVE_NUMBERS: Final = tuple(n for n in PREDICTIVE if BY_NAME[n].type == "float")
"""The predictive attributes that are numbers (or null)."""
ENRICHED: Final = names(written_by="enrichment")
"""Every property an enrichment run writes on each profile (plus `DEMOGRAPHIC` with a
provider)."""
DEMOGRAPHIC: Final = names(written_by="provider")
"""The properties an area provider fills: four bands and their provenance."""
FILTERABLE: Final = tuple(a.name for a in CATALOGUE if a.filter is not None)
SYNCABLE: Final = tuple(a.name for a in CATALOGUE if a.syncable)
PERSONAL: Final = tuple(a.name for a in CATALOGUE if a.personal)
