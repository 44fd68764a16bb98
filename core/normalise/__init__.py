"""Validate and normalise customer data values on their way into the graph, and look-ups
that must read a value exactly as ingestion did.

Every `normalise_*` function takes a raw value of any type and returns a `Normalised`: the
normalised value, or the reason it was rejected. One module per kind of value; this package
re-exports their public names.
"""

from core.normalise.address import INVALID_ADDRESS, normalise_address
from core.normalise.boolean import INVALID_BOOL, normalise_bool
from core.normalise.country import UNKNOWN_COUNTRY, normalise_country
from core.normalise.dates import (
    FUTURE_DATE,
    IMPLAUSIBLE_DATE,
    UNPARSEABLE_DATE,
    UNPARSEABLE_TIMESTAMP,
    normalise_date,
    normalise_timestamp,
)
from core.normalise.email import INVALID_EMAIL, canonical_email, normalise_email
from core.normalise.identifiers import identifier_key, normalise_identifier
from core.normalise.names import INVALID_NAME, fold_name, normalise_name
from core.normalise.phone import (
    INVALID_PHONE,
    UNALLOCATED_PHONE,
    is_fixed_line,
    normalise_phone,
)
from core.normalise.postcode import INVALID_POSTCODE, normalise_postcode
from core.normalise.text import Normalised, is_blank

__all__ = [
    "FUTURE_DATE",
    "IMPLAUSIBLE_DATE",
    "INVALID_ADDRESS",
    "INVALID_BOOL",
    "INVALID_EMAIL",
    "INVALID_NAME",
    "INVALID_PHONE",
    "UNALLOCATED_PHONE",
    "INVALID_POSTCODE",
    "UNKNOWN_COUNTRY",
    "UNPARSEABLE_DATE",
    "UNPARSEABLE_TIMESTAMP",
    "Normalised",
    "canonical_email",
    "fold_name",
    "identifier_key",
    "is_blank",
    "normalise_address",
    "normalise_bool",
    "normalise_country",
    "normalise_date",
    "normalise_email",
    "normalise_identifier",
    "normalise_name",
    "normalise_phone",
    "is_fixed_line",
    "normalise_postcode",
    "normalise_timestamp",
]
