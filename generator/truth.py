"""`truth/ground_truth.csv`: which true person each source record belongs to.

One row `source,source_id,person_id` per record, where a record is the unit the ingest
keys on:

- `ecommerce`: `id` of a line of `ecommerce/customers.jsonl` (integer, as a decimal
  string). Orders are not records; they hang off `customer.id`.
- `pos`: `pos_customer_id` of a row of `pos/customers.csv`; and `transaction_id` of
  each row of `pos/transactions.csv` whose `pos_customer_id` is empty (a walk-in is a
  record of its own). Transactions with a `pos_customer_id` are not records.
- `esp`: `profile_id` of a row of `esp/profiles.csv`. Events are not records.
- `loyalty`: `loyalty_id` of a row of `loyalty/members.csv`.
- `service`: `ticket_id` of a row of `service/tickets.csv` (every ticket is a record).
- `web`: each distinct `anonymous_id` (cookie) in `web/events.jsonl`.

Rows with an empty or null key are not records and are absent here. `person_id` is
`P` + 7 digits for a true person, or `junk-<n>` for a test/junk record (a fresh `n` for
every junk record, so junk never links to anything).

`truth/labels.csv`: the phenomena a record shows, one row `source,source_id,label` per
record and phenomenon, so that quality can be measured per phenomenon
(`bench/quality.py`). Labels: `till_card` (a POS registration with a name and a postcode
only), `twin` (every record of a person with a twin at the same address: the same family
name and birth date, another given name), `sibling` (every record of a child of a household
with a brother or sister of the same family name born on another day), `upper_name` (a POS
registration whose name the clerk typed in capitals), `shared_landline` and `shared_email`
(every record of a person whose household has a landline, or an email address, that its
members sometimes give),
`namesake` (every record of a person living alone with someone of the same full name living
alone in the same postcode), `unallocated_phone` (every record of a person whose own mobile
or household landline is a possible number in a range the `phonenumbers` metadata does not
know as allocated: about 9% of Australian mobiles), `unlisted_nickname` (every record of a
person with a short form the resolver's name lists do not tie to their name, "Lachie" for
"Lachlan", "Con" for "Konstantinos", which some of their records carry), `name_typo` (a
record whose given or family name was mistyped).
"""

from __future__ import annotations

from generator.sinks import CsvSink, Sinks

PATH = "truth/ground_truth.csv"
HEADER = ("source", "source_id", "person_id")
LABELS_PATH = "truth/labels.csv"
LABELS_HEADER = ("source", "source_id", "label")

TILL_CARD = "till_card"
TWIN = "twin"
SIBLING = "sibling"
UPPER_NAME = "upper_name"
SHARED_LANDLINE = "shared_landline"
SHARED_EMAIL = "shared_email"
NAMESAKE = "namesake"
UNALLOCATED_PHONE = "unallocated_phone"
UNLISTED_NICKNAME = "unlisted_nickname"
NAME_TYPO = "name_typo"
LABELS = (
    TILL_CARD,
    TWIN,
    SIBLING,
    UPPER_NAME,
    SHARED_LANDLINE,
    SHARED_EMAIL,
    NAMESAKE,
    UNALLOCATED_PHONE,
    UNLISTED_NICKNAME,
    NAME_TYPO,
)


class Truth:
    def __init__(self, sinks: Sinks) -> None:
        self._sink: CsvSink = sinks.csv(PATH, HEADER)
        self._labels: CsvSink = sinks.csv(LABELS_PATH, LABELS_HEADER)
        self._person: tuple[str, tuple[str, ...]] = ("", ())

    def person(self, person_id: str, labels: tuple[str, ...]) -> None:
        """The person whose records come next, and the labels each of them gets."""
        for label in labels:
            if label not in LABELS:
                raise ValueError(f"unknown label {label!r}")
        self._person = (person_id, labels)

    def record(self, source: str, source_id: str | int, person_id: str) -> None:
        self._sink.write((source, source_id, person_id))
        current, labels = self._person
        if person_id == current:
            for label in labels:
                self._labels.write((source, source_id, label))

    def label(self, source: str, source_id: str | int, label: str) -> None:
        """Mark a record as showing a phenomenon (one of `LABELS`)."""
        if label not in LABELS:
            raise ValueError(f"unknown label {label!r}")
        self._labels.write((source, source_id, label))
