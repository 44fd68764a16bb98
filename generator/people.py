"""The true people: who they are, where they live, how to reach them.

People are drawn one household at a time from a single random stream, in index order,
so the population depends only on the seed, never on chunking. Households share an
address (and its move) and usually a family name; some members give another member's
phone number, some households have a landline or an email address the family shares, and
now and then two people of one full name live in one postcode (namesakes).

The phenomena added later (twins, shared landlines and emails, namesakes) draw from streams
of their own, so that adding them left the rest of the population as it was.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from generator import emails, known, names, places
from generator.clock import Window
from generator.ids import AffinePermutation, SeenSet
from generator.phones import Phone, landline, mobile
from generator.places import Address, Place

TWINS = 0.3
"""Share of a household's second and later children born twin to the child before."""
LANDLINES = 0.3
"""Share of AU households of two or more with a landline their members give on forms."""
LANDLINE_GIVEN = 0.35
"""How often a member of a household with a landline gives it instead of their own number."""
FAMILY_EMAILS = 0.12
"""Share of households of two or more with an email address the family shares."""
FAMILY_EMAIL_GIVEN = 0.3
"""How often a member of a household with a family email gives it instead of their own."""
NAMESAKES = 0.02
"""Share of people living alone who have a namesake (another person of the same given and
family name) living alone in the same postcode."""
_DOB_FIRST = date(1950, 1, 1).toordinal()
_DOB_LAST = date(2006, 12, 31).toordinal()


@dataclass(slots=True)
class Person:
    idx: int
    person_id: str
    gender: str
    given: str
    nickname: str | None
    """A short form of `given` this person is known by, if their name has one."""
    goes_by_nickname: bool
    family: str
    dob: date
    country: str
    home: Address
    moved_to: Address | None
    moved_at: datetime | None
    email: str
    """Current personal address; `old_email` until `email_changed_at`, if they changed."""
    old_email: str | None
    email_changed_at: datetime | None
    work_email: str | None
    alt_email: str | None
    """A second personal mailbox some people shop with (drawn here so every address is
    allocated in population order)."""
    phone: Phone | None
    shared_phone: Phone | None
    """A household member's number this person sometimes gives instead of their own."""
    household: int
    """Index of the household's first member (their own index when living alone)."""
    twin: bool = False
    """One of twins: a sibling at the same address shares the family name and birth date."""
    sibling: bool = False
    """A child of the household with a brother or sister of the same family name at the same
    address, born on another day (twins are `twin`)."""
    landline: Phone | None = None
    """The household's landline, which this person sometimes gives."""
    family_email: str | None = None
    """The household's shared email address, which this person sometimes gives."""
    namesake: bool = False
    """Someone else of the same given and family name lives alone in the same postcode."""
    shares: random.Random | None = None
    """This person's own stream for choosing between their own and the household's phone
    or email (so the main stream draws what it drew before these existed)."""

    @property
    def labels(self) -> tuple[str, ...]:
        """The phenomena every record of this person shows (`generator.truth.LABELS`)."""
        flags = (
            ("twin", self.twin),
            ("sibling", self.sibling),
            ("shared_landline", self.landline is not None),
            ("shared_email", self.family_email is not None),
            ("namesake", self.namesake),
            ("unallocated_phone", self._unallocated_phone()),
            (
                "unlisted_nickname",
                self.nickname is not None and not known.listed_nickname(self.given, self.nickname),
            ),
        )
        return tuple(label for label, on in flags if on)

    def _unallocated_phone(self) -> bool:
        """Their own number or the household's landline is in a range the phone library
        does not know as allocated (a possible number all the same)."""
        return any(p is not None and known.unallocated(p) for p in (self.phone, self.landline))

    def address_at(self, t: datetime) -> Address:
        if self.moved_to is not None and self.moved_at is not None and t >= self.moved_at:
            return self.moved_to
        return self.home

    def email_at(self, t: datetime) -> str:
        own = self.email
        if self.old_email is not None and self.email_changed_at is not None:
            own = self.old_email if t < self.email_changed_at else self.email
        if self.family_email is not None and self._share(FAMILY_EMAIL_GIVEN):
            return self.family_email
        return own

    def _share(self, p: float) -> bool:
        if self.shares is None:
            self.shares = random.Random(f"shares:{self.idx}")
        return self.shares.random() < p

    def names(self) -> tuple[str, str | None]:
        """(the name they usually give, the alternative form) for `NameMess.write`."""
        if self.nickname and self.goes_by_nickname:
            return self.nickname, self.given
        return self.given, self.nickname

    def phone_given(self, rng: random.Random, share: float = 0.5) -> Phone | None:
        """The number they write on a form: usually their own, sometimes the household's."""
        given = self.phone
        if self.shared_phone is not None and (self.phone is None or rng.random() < share):
            given = self.shared_phone
        if self.landline is not None and self._share(LANDLINE_GIVEN):
            return self.landline
        return given


def _dob(rng: random.Random) -> date:
    span = _DOB_LAST - _DOB_FIRST
    return date.fromordinal(_DOB_FIRST + int(rng.betavariate(2.0, 1.7) * span))


def _clip_dob(ordinal: int) -> date:
    return date.fromordinal(min(max(ordinal, _DOB_FIRST), _DOB_LAST))


class Population:
    """Yields `total` people in index order."""

    def __init__(self, rng: random.Random, window: Window, total: int, seen: SeenSet) -> None:
        self._rng = rng
        self._window = window
        self._total = total
        self._seen = seen
        self._phones = AffinePermutation(rng, 100_000_000)
        self._namesake_of: Person | None = None
        """A person living alone whose namesake is the next one living alone (in their
        country)."""

    def __iter__(self) -> Iterator[Person]:
        idx = 0
        while idx < self._total:
            size = self._household_size()
            size = min(size, self._total - idx)
            yield from self._household(idx, size)
            idx += size

    def _household_size(self) -> int:
        if self._rng.random() >= 0.24:
            return 1
        return self._rng.choices((2, 3, 4), cum_weights=(70, 92, 100))[0]

    def _household(self, first: int, size: int) -> Iterator[Person]:
        rng = self._rng
        u = rng.random()
        country = "AU" if u < 0.97 else ("NZ" if u < 0.99 else "GB")
        where = places.place(rng, country)
        home = places.address(rng, where)
        moved_to: Address | None = None
        moved_at: datetime | None = None
        if rng.random() < 0.12:
            moved_at = self._window.uniform(
                rng, self._window.start + timedelta(days=60), self._window.end - timedelta(days=30)
            )
            new_place = where
            for _ in range(20):
                new_place = places.place(rng, country)
                if new_place.state == where.state or rng.random() < 0.3:
                    break
            moved_to = places.address(rng, new_place)

        head = self._person(first, first, country, home, moved_to, moved_at, None, None)
        members = [head]
        for k in range(1, size):
            twin = False
            if k == 1:
                gender = head.gender if rng.random() < 0.1 else ("M" if head.gender == "F" else "F")
                family = head.family if rng.random() < 0.75 else None
                dob = _clip_dob(head.dob.toordinal() + int(rng.gauss(0, 4 * 365)))
                share = 0.35
            else:
                gender = rng.choice("FM")
                family = head.family if rng.random() < 0.92 else None
                offset = rng.randint(22 * 365, 36 * 365)
                if head.dob.toordinal() + offset > _DOB_LAST:
                    offset = rng.randint(-8 * 365, 8 * 365)
                dob = _clip_dob(head.dob.toordinal() + offset)
                share = 0.12
                # Twins from their own stream, so that adding them left the rest as it was.
                older = members[-1]
                if k >= 3 and random.Random(f"twin:{first}:{k}:{head.dob}").random() < TWINS:
                    family, dob = older.family, older.dob
                    older.twin = twin = True
            member = self._person(
                first + k, first, country, home, moved_to, moved_at, family, (gender, dob)
            )
            member.twin = twin
            if head.phone is not None and (member.phone is None or rng.random() < share):
                member.shared_phone = head.phone
            members.append(member)
        children = members[2:]
        for child in children:
            child.sibling = any(
                other is not child and other.family == child.family and other.dob != child.dob
                for other in children
            )
        if size == 1:
            self._namesakes(head)
        else:
            self._shared_contacts(first, members)
        # A whole household at once: both twins are known as such before either is written.
        yield from members

    def _shared_contacts(self, first: int, members: list[Person]) -> None:
        """A landline or a family email for some households (from their own stream)."""
        own = random.Random(f"shared:{first}")
        head = members[0]
        phone = landline(own) if head.country == "AU" and own.random() < LANDLINES else None
        email = None
        if own.random() < FAMILY_EMAILS:
            email = emails.new_address(
                own, self._seen, "family", head.family, head.dob.year, head.country
            )
        for member in members:
            member.landline, member.family_email = phone, email

    def _namesakes(self, person: Person) -> None:
        """Make `person` (living alone) the namesake of the last person picked for one, or
        pick them: the next person living alone in their country then takes their name
        and moves to their postcode. Both are flagged before either is written."""
        earlier = self._namesake_of
        if earlier is not None and earlier.country == person.country:
            self._namesake_of = None
            own = random.Random(f"namesake:{person.idx}")
            place: Place = earlier.home.place
            person.gender, person.given = earlier.gender, earlier.given
            person.family, person.nickname = earlier.family, earlier.nickname
            person.home = places.address(own, place)
            person.moved_to = person.moved_at = None
            first_for_email = person.names()[0]
            person.email = emails.new_address(
                own, self._seen, first_for_email, person.family, person.dob.year, person.country
            )
            person.old_email = person.email_changed_at = None
            person.namesake = True
            return
        # Not near the end, where no one may be left to take the name.
        if (
            earlier is None
            and person.idx + 50 < self._total
            and random.Random(f"namesake:{person.idx}").random() < NAMESAKES
        ):
            person.namesake = True
            self._namesake_of = person

    def _person(
        self,
        idx: int,
        household: int,
        country: str,
        home: Address,
        moved_to: Address | None,
        moved_at: datetime | None,
        family: str | None,
        gender_dob: tuple[str, date] | None,
    ) -> Person:
        rng = self._rng
        if gender_dob is None:
            u = rng.random()
            gender = "F" if u < 0.52 else ("M" if u < 0.985 else "X")
            dob = _dob(rng)
        else:
            gender, dob = gender_dob
        given = names.given_name(rng, gender)
        family = family or names.family_name(rng)
        short = names.NICKNAMES.get(given)
        nickname = (short[0] if rng.random() < 0.6 else rng.choice(short)) if short else None
        goes_by = nickname is not None and rng.random() < 0.3
        first_for_email = nickname if goes_by and nickname else given

        seen = self._seen
        email = emails.new_address(rng, seen, first_for_email, family, dob.year, country)
        old_email: str | None = None
        changed_at: datetime | None = None
        if rng.random() < 0.08:
            old_email = email
            email = emails.new_address(rng, seen, first_for_email, family, dob.year, country)
            changed_at = self._window.uniform(rng, self._window.start + timedelta(days=90))
        work = None
        if rng.random() < 0.12:
            work = emails.new_address(rng, seen, given, family, dob.year, country, work=True)
        alt = None
        if rng.random() < 0.06:
            alt = emails.new_address(rng, seen, first_for_email, family, dob.year, country)
        phone = mobile(country, self._phones(idx)) if rng.random() < 0.93 else None
        return Person(
            idx=idx,
            person_id=f"P{idx + 1:07d}",
            gender=gender,
            given=given,
            nickname=nickname,
            goes_by_nickname=goes_by,
            family=family,
            dob=dob,
            country=country,
            home=home,
            moved_to=moved_to,
            moved_at=moved_at,
            email=email,
            old_email=old_email,
            email_changed_at=changed_at,
            work_email=work,
            alt_email=alt,
            phone=phone,
            shared_phone=None,
            household=household,
        )


def chunked(people: Iterator[Person], size: int) -> Iterator[list[Person]]:
    """Lists of at most `size` people, built lazily: only one chunk is ever in memory."""
    chunk: list[Person] = []
    for person in people:
        chunk.append(person)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
