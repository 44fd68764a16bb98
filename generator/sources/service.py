"""Customer service tickets (`service/tickets.csv`), each ticket its own record keyed by
`ticket_id`. The agent types the name; email tickets carry an address, phone tickets a
number read out over the phone; subjects often quote an order number.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from generator import junk
from generator.behaviour import Activity
from generator.catalogue import ALL_PRODUCTS
from generator.clock import utc_z
from generator.emails import EmailMess
from generator.noise import NameMess
from generator.people import Person
from generator.phones import StyleMix
from generator.presence import Presence
from generator.sources.base import Context, Trail
from generator.truth import NAME_TYPO

NAME = "service"
PATH = "service/tickets.csv"
HEADER = ("ticket_id", "created", "email", "phone", "name", "subject", "channel")
NAMES = NameMess(
    nickname=0.2,
    typo=0.04,
    upper=0.02,
    lower=0.1,
    padded=0.02,
    swapped=0.01,
    accents_dropped=0.5,
    missing_given=0.0,
    missing_family=0.0,
)
EMAILS = EmailMess(variant=0.05, upper=0.03, invalid=0.01, padded=0.01)
PHONES = StyleMix((50, 30, 5, 10, 0, 0, 5), mistakes=0.02)
CHANNELS = ("email", "chat", "phone")

_ORDER_SUBJECTS = (
    "Where is my order #{n}",
    "Where is my order #{n}?",
    "Order #{n} not received",
    "Return request - order #{n}",
    "Wrong size in order #{n}",
    "Refund for order #{n}",
    "Damaged item in order #{n}",
    "Change delivery address for #{n}",
    "order {n} missing an item",
)
_STORE_SUBJECTS = (
    "Exchange an item bought in store",
    "Refund for in-store purchase",
    "Faulty item bought at {store}",
    "Lost my receipt from {store}",
)
_GENERAL_SUBJECTS = (
    "Loyalty points missing",
    "Update my email address",
    "Unsubscribe me please",
    "Gift card balance",
    "Do you have the {product} in stock?",
    "Store opening hours",
    "Price match request",
    "Can't log in to my account",
    "Question about sizing",
)
_SPAM = (
    "SEO services for your website",
    "Partnership opportunity",
    "test",
    "Test ticket please ignore",
)


def _subject(rng: random.Random, templates: tuple[str, ...], **values: object) -> str:
    return rng.choice(templates).format(**values)


class Service:
    name = NAME

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx
        self._out = ctx.sinks.csv(PATH, HEADER)

    def person(self, person: Person, activity: Activity, presence: Presence, trail: Trail) -> None:
        rng, window = self._ctx.rng, self._ctx.window
        for _ in range(presence.tickets):
            created: datetime | None = None
            if trail.orders and rng.random() < 0.7:
                placed, number = rng.choice(trail.orders)
                created = placed + timedelta(hours=rng.uniform(20, 14 * 24))
                subject = _subject(rng, _ORDER_SUBJECTS, n=number)
            elif activity.in_store and rng.random() < 0.5:
                visit = rng.choice(activity.in_store)
                created = visit.at + timedelta(hours=rng.uniform(2, 10 * 24))
                store = visit.store.suburb if visit.store else ""
                subject = _subject(rng, _STORE_SUBJECTS, store=store)
            else:
                product = rng.choice(ALL_PRODUCTS).title.split(" - ")[0]
                subject = _subject(rng, _GENERAL_SUBJECTS, product=product)
            if created is None or created >= window.end:
                created = window.uniform(rng, activity.acquired)
            self._ticket(person, created, subject)

    def _ticket(self, person: Person, created: datetime, subject: str) -> None:
        rng, ctx = self._ctx.rng, self._ctx
        channel = rng.choices(CHANNELS, cum_weights=(50, 80, 100))[0]
        email = ""
        if (channel != "phone" and rng.random() < 0.95) or rng.random() < 0.25:
            address = person.work_email if person.work_email and rng.random() < 0.1 else None
            email = EMAILS.write(rng, address or person.email_at(created))
        phone = person.phone_given(rng, 0.3)
        has_phone = phone is not None and rng.random() < (0.9 if channel == "phone" else 0.1)
        given, alt = person.names()
        written = NAMES.write(rng, given, alt, person.family)
        first, last = written
        u = rng.random()
        name = f"{first} {last}" if u < 0.7 else (first if u < 0.9 else "")
        mistyped = written.mistyped if u < 0.7 else (written.typos[0] if u < 0.9 else False)
        if not email and not has_phone:
            if phone is not None:
                has_phone = True
            else:
                email = EMAILS.write(rng, person.email_at(created))
        ticket_id = ctx.ids.ticket()
        self._out.write(
            (
                ticket_id,
                utc_z(created),
                email,
                PHONES.write(rng, phone) if has_phone and phone else "",
                name,
                subject,
                channel,
            )
        )
        ctx.truth.record(NAME, ticket_id, person.person_id)
        if mistyped:
            ctx.truth.label(NAME, ticket_id, NAME_TYPO)

    def junk(self) -> None:
        rng, ctx = self._ctx.rng, self._ctx
        ticket_id = ctx.ids.ticket()
        created = ctx.window.uniform(rng, ctx.window.start)
        first, last = junk.name(rng)
        self._out.write(
            (
                ticket_id,
                utc_z(created),
                junk.email(rng),
                "",
                f"{first} {last}",
                rng.choice(_SPAM),
                "email",
            )
        )
        ctx.truth.record(NAME, ticket_id, ctx.ids.junk())

    def keyless(self, person: Person, activity: Activity) -> None:
        self._out.write(
            (
                "",
                utc_z(activity.acquired),
                person.email,
                "",
                person.given,
                "Where is my order?",
                "chat",
            )
        )
