"""Website behaviour (`web/events.jsonl`): page views, add-to-carts and logins.

The record key is the cookie, `anonymous_id`: each distinct value is one record. A
person browses from one to three devices (`device_id`), and clears cookies now and
then, so one device carries several cookies. A session where the visitor logs in
carries their account email in `user_email` from the login on.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from json.encoder import encode_basestring

from generator import catalogue
from generator.behaviour import Activity
from generator.clock import utc_millis_z
from generator.ids import uuid4
from generator.people import Person
from generator.presence import Presence
from generator.sources.base import Context, Trail
from generator.stores import WEB_HOST

NAME = "web"
PATH = "web/events.jsonl"
_ENTRY = ("/", "/", "/collections/new-arrivals", "/collections/sale")


class _Cookies:
    """The cookies of one device over time: a new one each time the jar is cleared."""

    def __init__(self, rng: random.Random, start: datetime, end: datetime) -> None:
        self.device_id = f"dev_{rng.getrandbits(64):016x}"
        count = rng.choices((0, 1, 2), cum_weights=(70, 90, 100))[0]
        resets = sorted(start + (end - start) * rng.random() for _ in range(count))
        self._switch = resets
        self._ids = [uuid4(rng) for _ in range(len(resets) + 1)]

    def at(self, t: datetime) -> str:
        k = sum(1 for s in self._switch if s <= t)
        return self._ids[k]


class Web:
    name = NAME

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx
        self._out = ctx.sinks.jsonl(PATH)

    def person(self, person: Person, activity: Activity, presence: Presence, trail: Trail) -> None:
        if not presence.web:
            return
        rng, window = self._ctx.rng, self._ctx.window
        first_visit = max(activity.acquired - timedelta(days=45), window.start)
        devices = [
            _Cookies(rng, first_visit, window.end)
            for _ in range(rng.choices((1, 2, 3), cum_weights=(55, 90, 100))[0])
        ]
        sessions: list[tuple[datetime, bool]] = [
            (p.at - timedelta(seconds=rng.randint(120, 2400)), True) for p in activity.online
        ]
        for _ in range(int(rng.expovariate(1 / 2.5))):
            sessions.append((window.uniform(rng, first_visit), False))
        if not sessions:
            sessions.append((window.uniform(rng, first_visit), False))
        sessions.sort()
        used: dict[str, None] = {}
        for start, buying in sessions:
            cookies = devices[0] if len(devices) == 1 else rng.choice(devices)
            anonymous_id = cookies.at(start)
            used[anonymous_id] = None
            self._session(anonymous_id, cookies.device_id, start, buying, trail)
        for anonymous_id in used:
            self._ctx.truth.record(NAME, anonymous_id, person.person_id)

    def _session(
        self, anonymous_id: str, device_id: str, t: datetime, buying: bool, trail: Trail
    ) -> None:
        rng = self._ctx.rng
        account = trail.account_at(t)
        login_at = -1
        pages = 1 + int(rng.expovariate(1 / (3.0 if buying else 1.5)))
        if account is not None and rng.random() < (0.6 if buying else 0.15):
            login_at = rng.randrange(pages)
        email: str | None = None
        url = WEB_HOST + rng.choice(_ENTRY)
        for k in range(pages):
            if k == login_at and account is not None:
                email = account.email_at(t)
                if rng.random() < 0.05:
                    email = email.lower() if rng.random() < 0.5 else email.capitalize()
                self._event(anonymous_id, device_id, email, "login", f"{WEB_HOST}/account/login", t)
                t += timedelta(seconds=rng.expovariate(1 / 20))
            self._event(anonymous_id, device_id, email, "page_view", url, t)
            t += timedelta(seconds=rng.expovariate(1 / 45))
            if url.startswith(f"{WEB_HOST}/products/") and rng.random() < (0.5 if buying else 0.1):
                self._event(anonymous_id, device_id, email, "add_to_cart", url, t)
                t += timedelta(seconds=rng.expovariate(1 / 30))
            url = _next_url(rng)

    def _event(
        self,
        anonymous_id: str | None,
        device_id: str,
        email: str | None,
        kind: str,
        url: str,
        t: datetime,
    ) -> None:
        # The bytes `json.dumps(event, ensure_ascii=False)` gives, without its overhead:
        # this is the biggest file.
        self._out.write_encoded(
            f'{{"event_id": "{self._ctx.ids.web_event()}", '
            f'"anonymous_id": {_quote(anonymous_id)}, '
            f'"device_id": {_quote(device_id)}, '
            f'"user_email": {_quote(email)}, '
            f'"type": "{kind}", "url": {_quote(url)}, "ts": "{utc_millis_z(t)}"}}\n'
        )

    def junk(self) -> None:
        """A crawler: one cookie, many fast page views, no login."""
        rng, ctx = self._ctx.rng, self._ctx
        anonymous_id = uuid4(rng)
        device_id = f"dev_{rng.getrandbits(64):016x}"
        t = ctx.window.uniform(rng, ctx.window.start)
        for _ in range(rng.randint(15, 40)):
            self._event(anonymous_id, device_id, None, "page_view", _next_url(rng), t)
            t += timedelta(milliseconds=rng.randint(200, 3000))
        ctx.truth.record(NAME, anonymous_id, ctx.ids.junk())

    def keyless(self, person: Person, activity: Activity) -> None:
        rng = self._ctx.rng
        device_id = f"dev_{rng.getrandbits(64):016x}"
        self._event(None, device_id, None, "page_view", WEB_HOST + "/", activity.acquired)


def _quote(text: str | None) -> str:
    return "null" if text is None else encode_basestring(text)


def _next_url(rng: random.Random) -> str:
    u = rng.random()
    if u < 0.55:
        product = rng.choice(catalogue.ALL_PRODUCTS)
        return f"{WEB_HOST}/products/{product.handle}?sku={product.sku}"
    if u < 0.8:
        return f"{WEB_HOST}/collections/{rng.choice(catalogue.CATEGORIES).lower()}"
    if u < 0.9:
        return f"{WEB_HOST}/cart"
    return f"{WEB_HOST}/search?q={rng.choice(catalogue.CATEGORIES).lower()}"
