"""What every source emitter shares: the run context, the per-person trail of ids that
later sources refer back to, and the `Source` protocol."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from generator.behaviour import Activity
from generator.clock import Window
from generator.ids import Ids
from generator.people import Person
from generator.presence import Presence
from generator.sinks import Sinks
from generator.truth import Truth


@dataclass(slots=True)
class Context:
    """Shared state of one run. `rng` is the activity stream, consumed in person order."""

    rng: random.Random
    window: Window
    ids: Ids
    sinks: Sinks
    truth: Truth


@dataclass(slots=True)
class Account:
    """A Shopify account, as later sources (web logins) see it."""

    customer_id: int
    created: datetime
    email: str
    later_email: str | None = None
    """The address the customer switched the account to at `switched_at`."""
    switched_at: datetime | None = None

    def email_at(self, t: datetime) -> str:
        if self.later_email is not None and self.switched_at is not None and t >= self.switched_at:
            return self.later_email
        return self.email


@dataclass(slots=True)
class Trail:
    """Ids one person left in earlier sources that later sources mention."""

    loyalty: list[tuple[str, datetime]] = field(default_factory=list)
    accounts: list[Account] = field(default_factory=list)
    orders: list[tuple[datetime, int]] = field(default_factory=list)
    accepts_marketing: bool = False

    def loyalty_at(self, t: datetime) -> str | None:
        """The newest loyalty card the person held at `t`."""
        current = None
        for loyalty_id, joined in self.loyalty:
            if joined <= t:
                current = loyalty_id
        return current

    def account_at(self, t: datetime) -> Account | None:
        current = None
        for account in self.accounts:
            if account.created <= t:
                current = account
        return current


class Source(Protocol):
    """A source system: writes a person's records, junk records and keyless rows."""

    name: str

    def person(self, person: Person, activity: Activity, presence: Presence, trail: Trail) -> None:
        """Write every record (and order/event) this source holds for `person`."""

    def junk(self) -> None:
        """Write one test/junk record, recorded in ground truth as its own `junk-<n>`."""

    def keyless(self, person: Person, activity: Activity) -> None:
        """Write one row without its key (for quarantine); it is not in ground truth."""
