"""The one interface every destination implements.

The sync engine computes, per segment and destination, the members to add, to remove
and to update, and hands them over in batches. A destination normalises and hashes at
its own edge, splits into the vendor's request limits, and answers with a
`DeliveryResult`: how many rows went out, which failed, which it could never take.
Row-level problems are reported, not raised; only what makes every row fail (bad
credentials, missing configuration) is raised.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from activate.destinations.errors import (
    DestinationAuthError,
    DestinationConfigError,
    DestinationError,
    DestinationHTTPError,
    DestinationTransportError,
    JobFailed,
    RateLimited,
)

__all__ = [
    "Channel",
    "DeliveryResult",
    "Destination",
    "DestinationAuthError",
    "DestinationConfigError",
    "DestinationError",
    "DestinationHTTPError",
    "DestinationTransportError",
    "JobFailed",
    "Member",
    "Purpose",
    "RateLimited",
    "RowError",
    "SegmentRef",
]

Channel = Literal["email", "sms", "paid_media", "webhook", "file"]
Purpose = Literal["email", "sms", "ad_user_data", "ad_personalization"]
"""What a customer consents to: a channel (email, sms) or an advertising purpose (Google's
EU user consent: ad_user_data, ad_personalization)."""


@dataclass(frozen=True)
class Member:
    """One golden profile as a destination sees it.

    PII fields are left out of `repr` so a stray log line or traceback shows the pid only.
    """

    pid: str
    email: str | None = field(default=None, repr=False)
    phone: str | None = field(default=None, repr=False)
    """E.164 with the leading '+'."""
    first_name: str | None = field(default=None, repr=False)
    last_name: str | None = field(default=None, repr=False)
    postcode: str | None = field(default=None, repr=False)
    country: str | None = field(default=None, repr=False)
    """ISO 3166-1 alpha-2."""
    city: str | None = field(default=None, repr=False)
    attributes: dict[str, Any] = field(default_factory=dict, repr=False)
    """Synced attributes, e.g. clv_12m, churn_risk."""
    consents: dict[Purpose, bool] = field(default_factory=dict, repr=False)
    """Consent as the sources recorded it, per purpose: `True` granted, `False` refused;
    a purpose no source recorded is absent, and absent is never read as granted."""
    vendor_id: str | None = None
    """The destination's own id for this member (a Klaviyo profile id), as the sync state
    recorded it from an earlier delivery; None when not known."""
    source_key: str | None = None
    """The member's customer key in the source the destination names its users by
    (`Destination.key_source`); None when the profile has no record of that source."""
    last_sent: dict[str, Any] | None = field(default=None, repr=False)
    """On an update: the identifiers (Member field names) and `attributes` as last
    delivered, from the sync state, for a destination that sends only what changed (Braze
    bills each attribute written); None when not known."""


@dataclass(frozen=True)
class SegmentRef:
    id: str
    name: str
    external_id: str | None = None
    """The list / audience id inside the destination, where it has one."""


@dataclass
class RowError:
    pid: str
    reason: str
    """Never holds the row's personal data."""
    retryable: bool = False
    """True when the row was not delivered for a transient reason (rate limit, outage)."""


@dataclass
class DeliveryResult:
    sent: int = 0
    failed: list[RowError] = field(default_factory=list)
    invalid: list[RowError] = field(default_factory=list)
    """Rows the destination cannot take at all (no email for an email-only destination)."""
    vendor_ids: dict[str, str] = field(default_factory=dict)
    """pid -> the destination's id for it, learnt by this delivery: the sync engine keeps
    it with the member's state and hands it back as `Member.vendor_id`."""

    def merge(self, other: DeliveryResult) -> DeliveryResult:
        self.sent += other.sent
        self.failed.extend(other.failed)
        self.invalid.extend(other.invalid)
        self.vendor_ids.update(other.vendor_ids)
        return self


class Destination(ABC):
    """A place segment members are delivered to. One module per implementation."""

    name: str
    max_batch: int
    """The largest batch one vendor request takes; callers may pass more, it is split."""
    channel: Channel
    """Which consent the sync engine checks before handing members over."""
    key_source: str | None = None
    """A source whose customer keys name the members at the vendor (a brand's own Braze
    external_id): the engine hands each member's key over as `Member.source_key`."""

    @abstractmethod
    async def add(self, segment: SegmentRef, members: Sequence[Member]) -> DeliveryResult:
        """Add members to the segment's list or audience (an upsert where the vendor has one)."""

    @abstractmethod
    async def remove(self, segment: SegmentRef, members: Sequence[Member]) -> DeliveryResult:
        """Take members out of the segment's list or audience."""

    async def update(self, segment: SegmentRef, members: Sequence[Member]) -> DeliveryResult:
        """Refresh members already in the segment; for upserting vendors that is `add`."""
        return await self.add(segment, members)

    async def begin(self, segment: SegmentRef, run_id: str) -> None:  # noqa: B027
        """Called once before a run's first batch. Default: nothing to do."""

    async def finish(self, segment: SegmentRef, run_id: str) -> None:  # noqa: B027
        """Called once after a run's last batch. Default: nothing to do."""

    async def outcomes(self, segment: SegmentRef, run_id: str) -> DeliveryResult:
        """Called after `finish()`: rows an asynchronous vendor refused after it took them
        (in `failed`). The engine forgets it delivered those, so the next run sends them
        again. Default: none."""
        return DeliveryResult()

    async def aclose(self) -> None:  # noqa: B027
        """Release what the destination owns (an HTTP client it created)."""

    def validate(self, member: Member) -> str | None:
        """The reason `member` cannot go to this destination, or None when it can."""
        return None if member.pid else "missing pid"

    def split_valid(self, members: Sequence[Member]) -> tuple[list[Member], list[RowError]]:
        valid: list[Member] = []
        invalid: list[RowError] = []
        for member in members:
            reason = self.validate(member)
            if reason is None:
                valid.append(member)
            else:
                invalid.append(RowError(member.pid, reason))
        return valid, invalid
