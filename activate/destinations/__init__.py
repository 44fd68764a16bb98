"""Destinations for segment activation: one module per vendor behind `base.Destination`,
sharing `delivery` (HTTP with retries, batching, redaction).

Vendor modules are imported by name (`activate.destinations.klaviyo`, ...) so that
using one does not load the others' dependencies (pyarrow for `file`).
"""

from activate.destinations.base import (
    DeliveryResult,
    Destination,
    DestinationAuthError,
    DestinationConfigError,
    DestinationError,
    DestinationHTTPError,
    DestinationTransportError,
    JobFailed,
    Member,
    RateLimited,
    RowError,
    SegmentRef,
)

__all__ = [
    "DeliveryResult",
    "Destination",
    "DestinationAuthError",
    "DestinationConfigError",
    "DestinationError",
    "DestinationHTTPError",
    "DestinationTransportError",
    "JobFailed",
    "Member",
    "RateLimited",
    "RowError",
    "SegmentRef",
]
