"""Source-system identifiers: sequential where the real system is sequential, opaque
(ULID, UUID) where it is opaque, and never colliding within a run.

Allocation is sequential in person order, so ids depend on the seed and the person's
position only, never on how people are chunked.
"""

from __future__ import annotations

import hashlib
import math
import random
import uuid
from datetime import datetime

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_EPOCH = datetime(1970, 1, 1)


class AffinePermutation:
    """A bijection of range(modulus) that looks random: `(a * i + b) % modulus`."""

    def __init__(self, rng: random.Random, modulus: int) -> None:
        a = rng.randrange(modulus // 3, modulus)
        while math.gcd(a, modulus) != 1:
            a += 1
        self.a, self.b, self.modulus = a, rng.randrange(modulus), modulus

    def __call__(self, i: int) -> int:
        return (self.a * i + self.b) % self.modulus


class SeenSet:
    """A fixed-size Bloom filter: has this string been handed out before?

    Memory stays bounded (16 bits per expected entry) however many customers are
    generated. A false positive only makes the caller choose another value, so values
    that pass are guaranteed unique.
    """

    def __init__(self, expected: int) -> None:
        bits = 1 << max(16, math.ceil(math.log2(max(expected, 1) * 16)))
        self._bits = bytearray(bits // 8)
        self._mask = bits - 1

    def add(self, key: str) -> bool:
        """Record `key`; False if it (probably) was already there."""
        h = int.from_bytes(hashlib.blake2b(key.encode(), digest_size=16).digest(), "little")
        positions = [(h >> (40 * k)) & self._mask for k in range(3)]
        bits = self._bits
        if all(bits[p >> 3] & (1 << (p & 7)) for p in positions):
            return False
        for p in positions:
            bits[p >> 3] |= 1 << (p & 7)
        return True


def ulid(rng: random.Random, t: datetime) -> str:
    """A 26-character ULID (Klaviyo profile ids look like this): time, then randomness."""
    value = (int((t - _EPOCH).total_seconds() * 1000) << 80) | rng.getrandbits(80)
    return "".join(_CROCKFORD[(value >> (5 * i)) & 31] for i in range(25, -1, -1))


def uuid4(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


class Ids:
    """Every counter and id space of one generation run."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._shopify_customer = 7_104_000_000_000
        self._shopify_order = 5_230_000_000_000
        self._order_number = 1000
        self._pos_customer = 0
        self._pos_perm = AffinePermutation(rng, 10_000_000)
        self._loyalty = 0
        self._loyalty_perm6 = AffinePermutation(rng, 1_000_000)
        self._loyalty_perm8 = AffinePermutation(rng, 100_000_000)
        self._transactions: dict[str, int] = {}
        self._ticket = 18_000
        self._esp_event = 0
        self._web_event = 0
        self._junk = 0

    def shopify_customer(self) -> int:
        self._shopify_customer += self._rng.randint(1, 3000)
        return self._shopify_customer

    def shopify_order(self) -> tuple[int, int]:
        """(order id, order number)."""
        self._shopify_order += self._rng.randint(1, 3000)
        self._order_number += 1
        return self._shopify_order, self._order_number

    def pos_customer(self) -> str:
        self._pos_customer += 1
        return f"C{self._pos_perm(self._pos_customer):07d}"

    def transaction(self, store_id: str) -> str:
        n = self._transactions.get(store_id, 0) + 1
        self._transactions[store_id] = n
        return f"{store_id}-{1 + n % 4}-{n:08d}"

    def loyalty(self) -> str:
        """`LY` + six digits while they last, then `LY` + eight digits (still unique)."""
        self._loyalty += 1
        if self._loyalty < 1_000_000:
            return f"LY{self._loyalty_perm6(self._loyalty):06d}"
        return f"LY{self._loyalty_perm8(self._loyalty):08d}"

    def ticket(self) -> str:
        self._ticket += 1
        return str(self._ticket)

    def esp_event(self) -> str:
        self._esp_event += 1
        return f"EV{self._esp_event:010d}"

    def web_event(self) -> str:
        self._web_event += 1
        return f"w{self._web_event:011d}"

    def junk(self) -> str:
        self._junk += 1
        return f"junk-{self._junk}"
