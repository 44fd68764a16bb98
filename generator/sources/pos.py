"""In-store point of sale: `pos/customers.csv` and `pos/transactions.csv`.

Record key: a POS customer is keyed by `pos_customer_id` (one row in customers.csv);
a transaction with an empty `pos_customer_id` is a walk-in and is itself a record,
keyed by its `transaction_id`. Transactions with a `pos_customer_id` are orders of that
customer record. Clerks type what they hear: typos, capitals, swapped names, and at
some stores the till fills `noemail@<store>.example.com` for everyone who gives none.
"""

from __future__ import annotations

import random

from generator import junk
from generator.behaviour import Activity, Purchase
from generator.catalogue import ALL_PRODUCTS, money
from generator.clock import at_local_hour, local_ts, ymd
from generator.emails import EmailMess
from generator.noise import NameMess
from generator.people import Person
from generator.phones import StyleMix
from generator.presence import Presence
from generator.sources.base import Context, Trail
from generator.stores import Store, any_store
from generator.truth import NAME_TYPO, UPPER_NAME
from generator.truth import TILL_CARD as TILL_CARD_LABEL

NAME = "pos"
CUSTOMERS = "pos/customers.csv"
TRANSACTIONS = "pos/transactions.csv"
CUSTOMER_HEADER = (
    "pos_customer_id",
    "name",
    "phone",
    "email",
    "store_id",
    "created",
    "postcode",
)
TILL_CARD = 0.3
"""Share of POS registrations that are till cards: a name and a postcode, nothing else."""
POSTCODE_ASKED = 0.4
"""Share of the other registrations where the clerk also took the postcode."""
TRANSACTION_HEADER = (
    "transaction_id",
    "store_id",
    "store_name",
    "ts",
    "pos_customer_id",
    "customer_name",
    "phone",
    "email",
    "loyalty_number",
    "total",
    "items",
)
CLERK = NameMess(
    nickname=0.15,
    typo=0.06,
    upper=0.2,
    lower=0.08,
    padded=0.03,
    swapped=0.05,
    accents_dropped=0.7,
    missing_given=0.04,
    missing_family=0.03,
)
PHONES = StyleMix((30, 45, 5, 3, 4, 8, 5), mistakes=0.02)
EMAILS = EmailMess(variant=0.03, upper=0.05, invalid=0.03, padded=0.02)


def clerk_name(rng: random.Random, person: Person) -> tuple[str, bool]:
    """One free-text name field as a clerk fills it, and whether a name in it was mistyped."""
    given, alt = person.names()
    written = CLERK.write(rng, given, alt, person.family)
    (first, last), (first_typo, last_typo) = written, written.typos
    u = rng.random()
    if not first or not last:
        return (first or last).strip() or "", written.mistyped
    if u < 0.75:
        return f"{first} {last}", written.mistyped
    if u < 0.85:
        return f"{last.upper()}, {first}", written.mistyped
    if u < 0.93:
        return f"{first[0]} {last}", last_typo
    return first, first_typo


def items(purchase: Purchase) -> str:
    return ";".join(
        f"{line.product.sku}:{line.product.category}:{line.qty}:{money(line.product.price_cents)}"
        for line in purchase.lines
    )


class Pos:
    name = NAME

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx
        self._customers = ctx.sinks.csv(CUSTOMERS, CUSTOMER_HEADER)
        self._transactions = ctx.sinks.csv(TRANSACTIONS, TRANSACTION_HEADER)

    def person(self, person: Person, activity: Activity, presence: Presence, trail: Trail) -> None:
        in_store = activity.in_store
        if not in_store:
            return
        rng, ctx = self._ctx.rng, self._ctx
        registered: list[tuple[str, Purchase]] = []
        if presence.pos_customers:
            first = in_store[0] if rng.random() < 0.7 else rng.choice(in_store)
            registered.append((self._customer(person, first.store, first), first))
        if presence.pos_customers > 1:
            later = [p for p in in_store if p.at > registered[0][1].at]
            dup = rng.choice(later) if later else registered[0][1]
            store = dup.store if dup.store != registered[0][1].store else any_store(rng)
            registered.append((self._customer(person, store, dup), dup))
        for pos_id, _ in registered:
            ctx.truth.record(NAME, pos_id, person.person_id)

        for purchase in in_store:
            active = None
            for pos_id, created in registered:
                if created.at <= purchase.at:
                    active = pos_id
            attached = active if active and rng.random() < 0.85 else ""
            transaction_id = self._transaction(person, purchase, attached, trail)
            if not attached:
                ctx.truth.record(NAME, transaction_id, person.person_id)

    def _customer(self, person: Person, store: Store | None, at: Purchase) -> str:
        rng = self._ctx.rng
        store = store or any_store(rng)
        pos_id = self._ctx.ids.pos_customer()
        phone = person.phone_given(rng, 0.3)
        if rng.random() < 0.45:
            email = EMAILS.write(rng, person.email_at(at.at))
        elif store.noemail_default and rng.random() < 0.7:
            email = store.noemail
        else:
            email = ""
        name, mistyped = clerk_name(rng, person)
        phone_text = PHONES.write(rng, phone) if phone and rng.random() < 0.75 else ""
        # Till cards and postcodes draw from their own stream, keyed by the record, so the
        # rest of the data set stays what it was before they were added.
        own = random.Random(f"pos-card:{pos_id}:{person.person_id}")
        till_card = own.random() < TILL_CARD
        postcode = person.address_at(at.at).place.postcode
        if till_card:
            phone_text = email = ""
        elif own.random() >= POSTCODE_ASKED:
            postcode = ""
        self._customers.write(
            (pos_id, name, phone_text, email, store.store_id, ymd(at.at.date()), postcode)
        )
        if till_card:
            self._ctx.truth.label(NAME, pos_id, TILL_CARD_LABEL)
        if any(ch.isalpha() for ch in name) and name == name.upper():
            self._ctx.truth.label(NAME, pos_id, UPPER_NAME)
        if mistyped:
            self._ctx.truth.label(NAME, pos_id, NAME_TYPO)
        return pos_id

    def _transaction(self, person: Person, purchase: Purchase, attached: str, trail: Trail) -> str:
        rng = self._ctx.rng
        store = purchase.store or any_store(rng)
        name_p, phone_p, email_p = (0.55, 0.35, 0.25) if attached else (0.2, 0.15, 0.08)
        phone = person.phone_given(rng, 0.3) if rng.random() < phone_p else None
        if rng.random() < email_p:
            email = EMAILS.write(rng, person.email_at(purchase.at))
        elif store.noemail_default and rng.random() < 0.7:
            email = store.noemail
        else:
            email = ""
        loyalty = trail.loyalty_at(purchase.at)
        transaction_id = self._ctx.ids.transaction(store.store_id)
        name, mistyped = clerk_name(rng, person) if rng.random() < name_p else ("", False)
        if mistyped and not attached:
            # A walk-in's transaction is a record of its own; an attached one is not.
            self._ctx.truth.label(NAME, transaction_id, NAME_TYPO)
        self._transactions.write(
            (
                transaction_id,
                store.store_id,
                store.name,
                local_ts(purchase.at),
                attached,
                name,
                PHONES.write(rng, phone) if phone else "",
                email,
                loyalty if loyalty and rng.random() < 0.6 else "",
                money(purchase.subtotal_cents),
                items(purchase),
            )
        )
        return transaction_id

    def junk(self) -> None:
        rng, ctx = self._ctx.rng, self._ctx
        store = any_store(rng)
        first, last = junk.name(rng)
        at = ctx.window.uniform(rng, ctx.window.start)
        if rng.random() < 0.5:
            pos_id = ctx.ids.pos_customer()
            email = store.noemail if rng.random() < 0.5 else junk.email(rng)
            self._customers.write(
                (
                    pos_id,
                    f"{first} {last}",
                    junk.phone(rng),
                    email,
                    store.store_id,
                    ymd(at.date()),
                    "",
                )
            )
            ctx.truth.record(NAME, pos_id, ctx.ids.junk())
            return
        transaction_id = ctx.ids.transaction(store.store_id)
        self._transactions.write(
            (
                transaction_id,
                store.store_id,
                store.name,
                local_ts(at),
                "",
                f"{first} {last}",
                junk.phone(rng) if rng.random() < 0.5 else "",
                store.noemail if store.noemail_default else "",
                "",
                "0.01",
                "",
            )
        )
        ctx.truth.record(NAME, transaction_id, ctx.ids.junk())

    def keyless(self, person: Person, activity: Activity) -> None:
        rng = self._ctx.rng
        store = activity.home_store
        if rng.random() < 0.5:
            self._customers.write(
                (
                    "",
                    clerk_name(rng, person)[0],
                    PHONES.write(rng, person.phone) if person.phone else "",
                    "",
                    store.store_id,
                    ymd(activity.acquired.date()),
                )
            )
            return
        product = rng.choice(ALL_PRODUCTS)
        self._transactions.write(
            (
                "",
                store.store_id,
                store.name,
                local_ts(at_local_hour(rng, activity.acquired, 9, 21)),
                "",
                clerk_name(rng, person)[0],
                "",
                "",
                "",
                money(product.price_cents),
                f"{product.sku}:{product.category}:1:{money(product.price_cents)}",
            )
        )
