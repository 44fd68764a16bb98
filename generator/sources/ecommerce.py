"""Shopify-style exports: `ecommerce/customers.jsonl` (keyed by the integer `id`) and
`ecommerce/orders.jsonl` (each order points at its customer by `customer.id`).

Customers type their own details, so names are clean apart from lower-case typing and
nicknames; Shopify stores phones mostly as E.164. A few people have a second account
under another address (work, old, a Gmail variant, a typo).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from generator import emails, junk, noise
from generator.behaviour import Activity, Purchase
from generator.catalogue import Product, money
from generator.clock import shopify_ts
from generator.emails import EmailMess
from generator.noise import NameMess
from generator.people import Person
from generator.phones import StyleMix
from generator.places import STATE_NAMES, Address
from generator.presence import Presence
from generator.sources.base import Account, Context, Trail
from generator.truth import NAME_TYPO

NAME = "ecommerce"
CUSTOMERS = "ecommerce/customers.jsonl"
ORDERS = "ecommerce/orders.jsonl"
NAMES = NameMess(
    nickname=0.1,
    typo=0.01,
    upper=0.01,
    lower=0.06,
    padded=0.02,
    swapped=0.005,
    accents_dropped=0.15,
    missing_given=0.005,
    missing_family=0.01,
)
EMAILS = EmailMess(variant=0.04, upper=0.03, invalid=0.002, padded=0.0)
PHONES = StyleMix((3, 3, 0, 2, 1, 0, 91), mistakes=0.005)
SHIPPING_CENTS, FREE_SHIPPING_FROM = 995, 10_000
_SOURCE_NAMES = ("web",) * 17 + ("iphone", "android", "shopify_draft_order")


def shopify_address(ctx: Context, addr: Address) -> dict[str, str]:
    rng = ctx.rng
    city = addr.place.suburb
    if rng.random() < 0.03:
        city = city.upper() if rng.random() < 0.5 else city.lower()
    return {
        "address1": noise.address_line(rng, addr, abbreviate=0.55),
        "city": city,
        "province": STATE_NAMES[addr.place.state],
        "zip": noise.postcode_text(rng, addr.place.postcode, missing=0.01, mangled=0.003),
        "country_code": addr.place.country,
    }


class Ecommerce:
    name = NAME

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx
        self._customers = ctx.sinks.jsonl(CUSTOMERS)
        self._orders = ctx.sinks.jsonl(ORDERS)

    def person(self, person: Person, activity: Activity, presence: Presence, trail: Trail) -> None:
        if not presence.ecommerce_accounts:
            return
        rng, window = self._ctx.rng, self._ctx.window
        online = activity.online
        if online:
            created = online[0].at - timedelta(minutes=rng.randint(1, 25))
        else:
            created = window.uniform(rng, activity.acquired)
        accounts = [self._account(person, created, second=None)]
        if presence.ecommerce_accounts > 1:
            if len(online) > 1:
                later = online[rng.randrange(1, len(online))].at - timedelta(minutes=5)
            else:
                later = window.uniform(rng, created)
            accounts.append(self._account(person, later, second=accounts[0]))
        trail.accounts.extend(accounts)
        trail.accepts_marketing = rng.random() < 0.6

        placed: dict[int, list[Purchase]] = {a.customer_id: [] for a in accounts}
        for purchase in online:
            account = accounts[0]
            if len(accounts) > 1 and purchase.at >= accounts[1].created and rng.random() < 0.7:
                account = accounts[1]
            placed[account.customer_id].append(purchase)
            self._order(account, purchase, trail)

        for k, account in enumerate(accounts):
            self._customer(person, activity, account, placed[account.customer_id], trail, k)
            self._ctx.truth.record(NAME, account.customer_id, person.person_id)

    def _account(self, person: Person, created: datetime, *, second: Account | None) -> Account:
        """The first account, or (`second` = the first) a duplicate under another address."""
        rng, ctx = self._ctx.rng, self._ctx
        customer_id = ctx.ids.shopify_customer()
        if second is None:
            email = EMAILS.write(rng, person.email_at(created))
            account = Account(customer_id, created, email)
            changed = person.email_changed_at
            if changed is not None and changed > created and rng.random() < 0.6:
                account.later_email = EMAILS.write(rng, person.email)
                account.switched_at = changed + timedelta(days=rng.randint(0, 60))
            return account
        u = rng.random()
        current = person.email_at(created)
        if person.work_email and u < 0.4:
            email = person.work_email
        elif u < 0.6 and current.endswith("@gmail.com"):
            email = emails.gmail_variant(rng, current, EMAILS.tags)
        elif person.old_email and u < 0.75:
            taken = emails.mailbox(second.email)
            email = person.email if emails.mailbox(person.old_email) == taken else person.old_email
        elif person.alt_email and u < 0.9:
            email = person.alt_email
        else:
            email = emails.invalid(rng, current)
        return Account(customer_id, created, email)

    def _customer(
        self,
        person: Person,
        activity: Activity,
        account: Account,
        orders: list[Purchase],
        trail: Trail,
        k: int,
    ) -> None:
        rng, ctx = self._ctx.rng, self._ctx
        last_touch = max([account.created, *(p.at for p in orders)])
        if account.switched_at is not None:
            last_touch = max(last_touch, account.switched_at)
        updated = min(last_touch + timedelta(minutes=rng.randint(0, 600)), ctx.window.end)
        given, alt = person.names()
        written = NAMES.write(rng, given, alt, person.family)
        first, last = written
        if written.mistyped:
            ctx.truth.label(NAME, account.customer_id, NAME_TYPO)
        phone = person.phone_given(rng, 0.2)
        address: dict[str, str] | None = None
        if orders or rng.random() < 0.5:
            # Most customers update their address when they move; some never do.
            when = updated if rng.random() < 0.8 else account.created
            address = shopify_address(ctx, person.address_at(when))
        spent = sum(p.subtotal_cents for p in orders)
        tags = []
        if k == 0 and trail.accepts_marketing:
            tags.append("newsletter")
        if spent >= 150_000:
            tags.append("VIP")
        if trail.loyalty:
            tags.append("loyalty-member")
        self._customers.write(
            {
                "id": account.customer_id,
                "email": account.email_at(updated),
                "phone": PHONES.write(rng, phone) if phone and rng.random() < 0.45 else None,
                "first_name": first or None,
                "last_name": last or None,
                "accepts_marketing": k == 0 and trail.accepts_marketing,
                "created_at": shopify_ts(account.created),
                "updated_at": shopify_ts(updated),
                "orders_count": len(orders),
                "total_spent": money(spent),
                "default_address": address,
                "tags": ", ".join(tags),
            }
        )

    def _order(self, account: Account, purchase: Purchase, trail: Trail) -> None:
        rng = self._ctx.rng
        order_id, number = self._ctx.ids.shopify_order()
        subtotal = purchase.subtotal_cents
        shipping = SHIPPING_CENTS if subtotal < FREE_SHIPPING_FROM else 0
        trail.orders.append((purchase.at, number))
        self._orders.write(
            {
                "id": order_id,
                "order_number": number,
                "customer": {"id": account.customer_id},
                "email": account.email_at(purchase.at),
                "created_at": shopify_ts(purchase.at),
                "subtotal_price": money(subtotal),
                "total_shipping": money(shipping),
                "total_price": money(subtotal + shipping),
                "currency": "AUD",
                "source_name": rng.choice(_SOURCE_NAMES),
                "line_items": [_line(line.product, line.qty) for line in purchase.lines],
            }
        )

    def junk(self) -> None:
        rng, ctx = self._ctx.rng, self._ctx
        customer_id = ctx.ids.shopify_customer()
        first, last = junk.name(rng)
        created = ctx.window.uniform(rng, ctx.window.start)
        self._customers.write(
            {
                "id": customer_id,
                "email": junk.email(rng),
                "phone": junk.phone(rng) if rng.random() < 0.5 else None,
                "first_name": first,
                "last_name": last,
                "accepts_marketing": False,
                "created_at": shopify_ts(created),
                "updated_at": shopify_ts(created),
                "orders_count": 0,
                "total_spent": "0.00",
                "default_address": None,
                "tags": "test",
            }
        )
        ctx.truth.record(NAME, customer_id, ctx.ids.junk())

    def keyless(self, person: Person, activity: Activity) -> None:
        rng = self._ctx.rng
        first, last = NAMES.write(rng, person.given, person.nickname, person.family)
        self._customers.write(
            {
                "id": None,
                "email": person.email,
                "phone": None,
                "first_name": first,
                "last_name": last,
                "accepts_marketing": False,
                "created_at": shopify_ts(activity.acquired),
                "updated_at": shopify_ts(activity.acquired),
                "orders_count": 0,
                "total_spent": "0.00",
                "default_address": None,
                "tags": "",
            }
        )


def _line(product: Product, qty: int) -> dict[str, Any]:
    return {
        "sku": product.sku,
        "title": product.title,
        "product_type": product.category,
        "quantity": qty,
        "price": money(product.price_cents),
    }
