"""Klaviyo-style email platform: `esp/profiles.csv` (keyed by `profile_id`, a ULID) and
`esp/events.csv` (sent/open/click/unsubscribe, each pointing at a `profile_id`).

Profiles arrive three ways: synced from Shopify (names and address), a website pop-up
(often just an email) or at the till. Klaviyo keys profiles on email, so a new address
is a new profile; a few subscribers are SMS-only (phone, no email).
"""

from __future__ import annotations

import bisect
from datetime import datetime, timedelta

from generator import campaigns, emails, junk, noise
from generator.behaviour import Activity
from generator.clock import utc_ts
from generator.emails import EmailMess
from generator.ids import ulid
from generator.noise import NameMess
from generator.people import Person
from generator.phones import StyleMix
from generator.presence import Presence
from generator.sources.base import Context, Trail
from generator.truth import NAME_TYPO

NAME = "esp"
PROFILES = "esp/profiles.csv"
EVENTS = "esp/events.csv"
PROFILE_HEADER = (
    "profile_id",
    "email",
    "first_name",
    "last_name",
    "phone_number",
    "consent",
    "created",
    "last_event_date",
    "city",
    "zip",
)
EVENT_HEADER = ("event_id", "profile_id", "email", "type", "ts", "campaign")
NAMES = NameMess(
    nickname=0.12,
    typo=0.01,
    upper=0.01,
    lower=0.08,
    padded=0.02,
    swapped=0.005,
    accents_dropped=0.1,
    missing_given=0.0,
    missing_family=0.0,
)
EMAILS = EmailMess(variant=0.08, upper=0.02, invalid=0.004, padded=0.005)
PHONES = StyleMix((0, 2, 0, 1, 2, 0, 95), mistakes=0.003)
SUBSCRIBED, UNSUBSCRIBED, NEVER = "SUBSCRIBED", "UNSUBSCRIBED", "NEVER_SUBSCRIBED"


class Esp:
    name = NAME

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx
        self._profiles = ctx.sinks.csv(PROFILES, PROFILE_HEADER)
        self._events = ctx.sinks.csv(EVENTS, EVENT_HEADER)
        self._calendar = campaigns.schedule(ctx.rng, ctx.window)
        self._starts = [c.at for c in self._calendar]

    def person(self, person: Person, activity: Activity, presence: Presence, trail: Trail) -> None:
        if not presence.esp_profiles:
            return
        rng, window = self._ctx.rng, self._ctx.window
        if trail.accounts:
            origin = "shopify"
            created = trail.accounts[0].created + timedelta(seconds=rng.randint(5, 900))
            consent = SUBSCRIBED if trail.accepts_marketing else NEVER
        elif activity.in_store and rng.random() < 0.5:
            origin = "store"
            created = rng.choice(activity.in_store).at + timedelta(seconds=rng.randint(5, 90))
            consent = SUBSCRIBED if rng.random() < 0.8 else NEVER
        else:
            origin = "popup"
            created = window.uniform(rng, activity.acquired - timedelta(days=30))
            consent = SUBSCRIBED
        if consent == SUBSCRIBED and rng.random() < 0.04:
            consent = UNSUBSCRIBED
        email = person.email_at(created)
        self._profile(person, activity, origin, created, email, consent, 1.0)

        changed = person.email_changed_at
        if changed is not None and changed > created and rng.random() < 0.5:
            # Klaviyo keys on email: the new address becomes a second profile.
            later = window.uniform(rng, changed)
            self._profile(person, activity, "popup", later, person.email, SUBSCRIBED, 0.7)
        elif presence.esp_profiles > 1:
            later = window.uniform(rng, created)
            u = rng.random()
            if u < 0.35 and email.endswith("@gmail.com"):
                other = emails.gmail_variant(rng, email, EMAILS.tags)
            elif u < 0.6 and (person.work_email or person.alt_email):
                other = person.work_email or person.alt_email or ""
            elif u < 0.8 and person.phone:
                other = ""
            else:
                other = emails.invalid(rng, email)
            self._profile(person, activity, "popup", later, other, SUBSCRIBED, 0.5)

    def _profile(
        self,
        person: Person,
        activity: Activity,
        origin: str,
        created: datetime,
        email: str,
        consent: str,
        engagement: float,
    ) -> None:
        rng, ctx = self._ctx.rng, self._ctx
        profile_id = ulid(rng, created)
        rendered = EMAILS.write(rng, email) if email else ""
        sms_only = not email
        first = last = ""
        u = rng.random()
        given, alt = person.names()
        mistyped = False
        if origin != "popup" or u < 0.2:
            written = NAMES.write(rng, given, alt, person.family)
            (first, last), mistyped = written, written.mistyped
        elif u < 0.55:
            written = NAMES.write(rng, given, alt, person.family)
            first, mistyped = written[0], written.typos[0]
        if mistyped:
            ctx.truth.label(NAME, profile_id, NAME_TYPO)
        phone = person.phone if sms_only or rng.random() < 0.2 else None
        city = postcode = ""
        if origin == "shopify" or rng.random() < 0.15:
            where = person.address_at(created).place
            city = where.suburb
            postcode = noise.postcode_text(rng, where.postcode, missing=0.02)

        last_event = ""
        if consent == SUBSCRIBED and not sms_only:
            last_event, consent = self._events_for(
                profile_id, rendered, created, activity, engagement
            )
        self._profiles.write(
            (
                profile_id,
                rendered,
                first,
                last,
                PHONES.write(rng, phone) if phone else "",
                consent,
                utc_ts(created),
                last_event,
                city,
                postcode,
            )
        )
        ctx.truth.record(NAME, profile_id, person.person_id)

    def _events_for(
        self,
        profile_id: str,
        email: str,
        created: datetime,
        activity: Activity,
        engagement: float,
    ) -> tuple[str, str]:
        """Write the profile's events; return (last event time, final consent).

        `engagement` scales the person's open rate: secondary addresses are read less.
        """
        rng, ids = self._ctx.rng, self._ctx.ids
        write = self._events.write
        open_p = activity.engagement * engagement
        click_p = activity.click_rate
        unsubscribe_p = 0.002 + 0.012 * (1 - open_p)
        last: datetime | None = None
        for campaign in self._calendar[bisect.bisect_right(self._starts, created) :]:
            if rng.random() >= campaign.audience:
                continue
            sent = campaign.at + timedelta(seconds=rng.randint(0, 1800))
            write((ids.esp_event(), profile_id, email, "sent", utc_ts(sent), campaign.name))
            last = sent
            if rng.random() < open_p:
                last = sent + timedelta(seconds=int(rng.expovariate(1 / 10_800)) + 30)
                write((ids.esp_event(), profile_id, email, "open", utc_ts(last), campaign.name))
                if rng.random() < click_p:
                    last += timedelta(seconds=rng.randint(5, 600))
                    row = (ids.esp_event(), profile_id, email, "click", utc_ts(last), campaign.name)
                    write(row)
            if rng.random() < unsubscribe_p:
                last += timedelta(seconds=rng.randint(5, 900))
                row = (
                    ids.esp_event(),
                    profile_id,
                    email,
                    "unsubscribe",
                    utc_ts(last),
                    campaign.name,
                )
                write(row)
                return utc_ts(last), UNSUBSCRIBED
        return (utc_ts(last) if last else ""), SUBSCRIBED

    def junk(self) -> None:
        rng, ctx = self._ctx.rng, self._ctx
        created = ctx.window.uniform(rng, ctx.window.start)
        profile_id = ulid(rng, created)
        first, last = junk.name(rng)
        self._profiles.write(
            (profile_id, junk.email(rng), first, last, "", SUBSCRIBED, utc_ts(created), "", "", "")
        )
        ctx.truth.record(NAME, profile_id, ctx.ids.junk())

    def keyless(self, person: Person, activity: Activity) -> None:
        created = activity.acquired
        self._profiles.write(
            ("", person.email, person.given, "", "", NEVER, utc_ts(created), "", "", "")
        )
