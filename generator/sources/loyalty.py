"""Loyalty programme members (`loyalty/members.csv`), keyed by `loyalty_id`.

Members sign up on a paper or tablet form at the till: capitals, typos, dates of birth
in every format. Members who later changed email still have the old one here, and
movers mostly keep their old postcode. A lost card means a second member row.
"""

from __future__ import annotations

from datetime import datetime

from generator import junk, noise
from generator.behaviour import Activity
from generator.clock import dmy
from generator.emails import EmailMess
from generator.noise import NameMess
from generator.people import Person
from generator.phones import StyleMix
from generator.presence import Presence
from generator.sources.base import Context, Trail
from generator.truth import NAME_TYPO

NAME = "loyalty"
PATH = "loyalty/members.csv"
HEADER = (
    "loyalty_id",
    "tier",
    "points",
    "email",
    "phone",
    "first_name",
    "last_name",
    "dob",
    "postcode",
    "joined",
)
NAMES = NameMess(
    nickname=0.12,
    typo=0.03,
    upper=0.12,
    lower=0.02,
    padded=0.02,
    swapped=0.015,
    accents_dropped=0.4,
    missing_given=0.005,
    missing_family=0.005,
)
EMAILS = EmailMess(variant=0.02, upper=0.05, invalid=0.015, padded=0.01)
PHONES = StyleMix((35, 35, 5, 5, 3, 5, 12), mistakes=0.01)
TIERS = ((4000, "Platinum"), (1500, "Gold"), (500, "Silver"), (0, "Bronze"))


def tier(lifetime_points: int) -> str:
    return next(name for floor, name in TIERS if lifetime_points >= floor)


class Loyalty:
    name = NAME

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx
        self._out = ctx.sinks.csv(PATH, HEADER)

    def person(self, person: Person, activity: Activity, presence: Presence, trail: Trail) -> None:
        if not presence.loyalty_cards:
            return
        rng, window = self._ctx.rng, self._ctx.window
        in_store = activity.in_store
        if in_store and rng.random() < 0.65:
            joined = in_store[0].at
        else:
            joined = window.uniform(rng, activity.acquired)
        if person.email_changed_at is not None and person.email_changed_at > activity.acquired:
            joined = min(joined, window.uniform(rng, activity.acquired, person.email_changed_at))
        cards = [joined]
        if presence.loyalty_cards > 1:
            cards.append(window.uniform(rng, joined))
        for k, start in enumerate(cards):
            end = cards[k + 1] if k + 1 < len(cards) else None
            loyalty_id = self._ctx.ids.loyalty()
            self._write(person, activity, loyalty_id, start, end)
            trail.loyalty.append((loyalty_id, start))
            self._ctx.truth.record(NAME, loyalty_id, person.person_id)

    def _write(
        self,
        person: Person,
        activity: Activity,
        loyalty_id: str,
        joined: datetime,
        until: datetime | None,
    ) -> None:
        rng = self._ctx.rng
        earned = (
            sum(
                p.subtotal_cents
                for p in activity.purchases
                if p.at >= joined and (until is None or p.at < until)
            )
            // 100
        )
        redeemed = 0
        if earned >= 500 and rng.random() < 0.6:
            redeemed = 500 * rng.randint(1, earned // 500)
        # Loyalty data is rarely updated: the email at sign-up (the old one for people
        # who changed), the postcode at sign-up for most movers.
        email = person.old_email or person.email
        has_email = rng.random() < 0.85
        phone = person.phone_given(rng, 0.4)
        has_phone = phone is not None and rng.random() < 0.7
        if not has_email and not has_phone:
            has_email = True
        given, alt = person.names()
        written = NAMES.write(rng, given, alt, person.family)
        first, last = written
        if written.mistyped:
            self._ctx.truth.label(NAME, loyalty_id, NAME_TYPO)
        where = person.address_at(joined if rng.random() < 0.75 else self._ctx.window.end)
        self._out.write(
            (
                loyalty_id,
                tier(earned),
                earned - redeemed,
                EMAILS.write(rng, email) if has_email else "",
                PHONES.write(rng, phone) if has_phone and phone else "",
                first,
                last,
                noise.dob_text(rng, person.dob),
                noise.postcode_text(rng, where.place.postcode, missing=0.03),
                dmy(joined.date()),
            )
        )

    def junk(self) -> None:
        rng, ctx = self._ctx.rng, self._ctx
        loyalty_id = ctx.ids.loyalty()
        first, last = junk.name(rng)
        joined = ctx.window.uniform(rng, ctx.window.start)
        self._out.write(
            (
                loyalty_id,
                "Bronze",
                0,
                junk.email(rng),
                junk.phone(rng) if rng.random() < 0.6 else "",
                first,
                last,
                rng.choice(("01/01/1900", "", "00/00/0000", "01/01/2000")),
                rng.choice(("0000", "2000", "", "9999")),
                dmy(joined.date()),
            )
        )
        ctx.truth.record(NAME, loyalty_id, ctx.ids.junk())

    def keyless(self, person: Person, activity: Activity) -> None:
        rng = self._ctx.rng
        first, last = NAMES.write(rng, person.given, person.nickname, person.family)
        self._out.write(
            (
                "",
                "Bronze",
                0,
                person.email,
                "",
                first,
                last,
                noise.dob_text(rng, person.dob),
                person.home.place.postcode,
                dmy(activity.acquired.date()),
            )
        )
