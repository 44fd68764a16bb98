"""Merge protection: identifier values that must never join records.

Two kinds of identifier never link:
- *blocked* values: blanks, placeholders and test data named by the configuration
  (`is_blocked`), decided from the value alone;
- *generic* identifiers: real-looking values carried by many records that disagree about who
  they are, such as a store's default email (`detect_generic`), decided from statistics the
  graph layer computes in one aggregate query (`IdentifierStats`).

Per-profile limits, the third protection, need the components and live in
`matching.components`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from matching.config import ALL_TYPES, BlockList, GenericThresholds, IdentityConfig

__all__ = ["BLANK", "IdentifierStats", "Protection", "split_key"]

BLANK: Final = "blank"
"""The reason for a value without a letter or digit; such a value never links."""

# Enough for the distinct identifiers of a large incremental batch; resolution checks each
# distinct identifier once (`blocked_keys`), so the cache only pays off across calls.
_CACHE_SIZE: Final = 1 << 17
# Group references cannot be combined into one alternation (their numbers would shift), so
# patterns that use them are tried one by one.
_GROUP_REFERENCE: Final = re.compile(r"\\[1-9]|\\g<|\(\?P[=<]|\(\?\(")
_ALNUM: Final = re.compile(r"[^\W_]")


def split_key(key: str) -> tuple[str, str]:
    """Split an `Identifier.key` ("type:value") into (type, value); type "" when no colon."""
    id_type, sep, value = key.partition(":")
    if not sep:
        return "", key
    return id_type, value


def _fold(value: str) -> str:
    return value.strip().casefold()


def _glob(entry: str) -> str:
    return "^" + ".*".join(re.escape(part) for part in entry.split("*")) + "$"


def _anchored(pattern: str) -> bool:
    """Whether a pattern can only match at the start: it opens with ^ and has no `|` outside
    groups. Such patterns are tried with `match`, which does not scan the value."""
    if not pattern.startswith("^"):
        return False
    depth, i, in_class = 0, 0, False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
            i += 1 + (pattern[i + 1 : i + 2] == "^")
            i += pattern[i : i + 1] == "]"  # a "]" first in a class is literal
            continue
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            return False
        i += 1
    return True


@dataclass(frozen=True, slots=True)
class _Pattern:
    regex: re.Pattern[str]
    anchored: bool
    reason: str

    @classmethod
    def compile(cls, pattern: str, reason: str) -> _Pattern:
        return cls(re.compile(pattern, re.IGNORECASE), _anchored(pattern), reason)

    def hit(self, folded: str) -> bool:
        found = self.regex.match(folded) if self.anchored else self.regex.search(folded)
        return found is not None


def _union(patterns: list[_Pattern]) -> re.Pattern[str] | None:
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{p.regex.pattern})" for p in patterns), re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class _Rules:
    """The compiled rules of one scope, checked cheapest first.

    Most values match nothing, so the patterns are screened by two unions (one tried at the
    start of the value only) before the first matching pattern is looked for, in order.
    """

    exact: dict[str, str]
    """folded value -> reason, for entries without `*`."""
    prefixes: tuple[tuple[str, str], ...]
    """Entries "text*": (folded text, reason)."""
    suffixes: tuple[tuple[str, str], ...]
    """Entries "*text": (folded text, reason)."""
    prefix_screen: tuple[str, ...]
    suffix_screen: tuple[str, ...]
    patterns: tuple[_Pattern, ...]
    """Other wildcard entries, then regexes, in configuration order."""
    screen_start: re.Pattern[str] | None
    screen_anywhere: re.Pattern[str] | None
    unscreened: tuple[_Pattern, ...]
    """Patterns with group references, which cannot join a union."""

    @classmethod
    def compile(cls, lists: Iterable[BlockList]) -> _Rules:
        exact: dict[str, str] = {}
        prefixes: list[tuple[str, str]] = []
        suffixes: list[tuple[str, str]] = []
        patterns: list[_Pattern] = []
        for rules in lists:
            for entry in rules.values:
                folded, reason = _fold(entry), f"blocked_value:{entry}"
                stars = folded.count("*")
                if not stars:
                    exact.setdefault(folded, reason)
                elif stars == 1 and folded.endswith("*"):
                    prefixes.append((folded[:-1], reason))
                elif stars == 1 and folded.startswith("*"):
                    suffixes.append((folded[1:], reason))
                else:
                    patterns.append(_Pattern.compile(_glob(folded), reason))
            patterns.extend(_Pattern.compile(p, f"blocked_regex:{p}") for p in rules.regex)
        plain = [p for p in patterns if not _GROUP_REFERENCE.search(p.regex.pattern)]
        return cls(
            exact,
            tuple(prefixes),
            tuple(suffixes),
            tuple(p for p, _ in prefixes),
            tuple(p for p, _ in suffixes),
            tuple(patterns),
            _union([p for p in plain if p.anchored]),
            _union([p for p in plain if not p.anchored]),
            tuple(p for p in patterns if _GROUP_REFERENCE.search(p.regex.pattern)),
        )

    def check(self, folded: str) -> str | None:
        reason = self.exact.get(folded)
        if reason is not None:
            return reason
        if folded.startswith(self.prefix_screen):
            for prefix, reason in self.prefixes:
                if folded.startswith(prefix):
                    return reason
        if folded.endswith(self.suffix_screen):
            for suffix, reason in self.suffixes:
                if folded.endswith(suffix):
                    return reason
        hit = bool(self.screen_start is not None and self.screen_start.match(folded)) or bool(
            self.screen_anywhere is not None and self.screen_anywhere.search(folded)
        )
        if not hit:
            for pattern in self.unscreened:
                if pattern.hit(folded):
                    hit = True
                    break
        if hit:
            for pattern in self.patterns:
                if pattern.hit(folded):
                    return pattern.reason
        return None


@dataclass(frozen=True, slots=True)
class IdentifierStats:
    """What the records carrying one identifier say, for generic detection.

    The graph layer fills one per identifier from a single aggregate query over
    `(:Record)-[:HAS_IDENTIFIER]->(:Identifier)`; each count is of distinct non-blank values
    among those records (names folded with `core.normalise.fold_name`).

    Attributes:
        key: The `Identifier.key`.
        type: The identifier type.
        records: How many records carry it.
        given_names: Distinct folded given names.
        family_names: Distinct folded family names.
        postcodes: Distinct postcodes.
        dobs: Distinct dates of birth.
    """

    key: str
    type: str
    records: int
    given_names: int = 0
    family_names: int = 0
    postcodes: int = 0
    dobs: int = 0


def _generic_reason(stats: IdentifierStats, limits: GenericThresholds) -> str | None:
    if stats.records >= limits.max_records:
        return f"generic:records={stats.records}>={limits.max_records}"
    if stats.records < limits.min_records:
        return None
    floor = limits.min_distinct_share * stats.records
    for name, count, limit in (
        ("given_names", stats.given_names, limits.max_distinct_given_names),
        ("family_names", stats.family_names, limits.max_distinct_family_names),
        ("postcodes", stats.postcodes, limits.max_distinct_postcodes),
        ("dobs", stats.dobs, limits.max_distinct_dobs),
    ):
        if count >= limit and count >= floor:
            return f"generic:{name}={count}>={limit}"
    return None


class Protection:
    """Blocked-value and generic-identifier checks, compiled from an `IdentityConfig`."""

    def __init__(self, config: IdentityConfig) -> None:
        everywhere = config.blocked.get(ALL_TYPES)
        shared = [everywhere] if everywhere is not None else []
        self._config = config
        self._default_rules = _Rules.compile(shared)
        self._rules: dict[str, _Rules] = {}
        for id_type in config.identifier_types:
            own = config.blocked.get(id_type)
            self._rules[id_type] = _Rules.compile([own, *shared] if own else shared)
        self._check: Callable[[str, str], str | None] = lru_cache(maxsize=_CACHE_SIZE)(
            self._check_uncached
        )

    @classmethod
    def from_config(cls, config: IdentityConfig) -> Protection:
        """Compile the checks of a configuration."""
        return cls(config)

    @property
    def config(self) -> IdentityConfig:
        """The configuration the checks were compiled from."""
        return self._config

    def _check_uncached(self, id_type: str, value: str) -> str | None:
        folded = value.strip().casefold()
        if not (folded[:1].isalnum() or _ALNUM.search(folded)):
            return BLANK
        return self._rules.get(id_type, self._default_rules).check(folded)

    def is_blocked(self, id_type: str, value: str) -> str | None:
        """Tell whether an identifier value must never link.

        Args:
            id_type: The identifier type ("email", "phone", ...). A type the configuration
                does not know gets the rules for all types.
            value: The normalised value (without the "type:" prefix).

        Returns:
            None when the value may link; otherwise the reason: "blank" for a value with no
            letter or digit, "blocked_value:<entry>" or "blocked_regex:<pattern>" naming the
            configuration rule that matched. When several match, exact values are named
            first, then "text*" and "*text" entries, then other patterns; each time the
            type's own rules before the rules for all types.
        """
        return self._check(id_type, value)

    def is_blocked_key(self, key: str) -> str | None:
        """`is_blocked` for an `Identifier.key` ("type:value")."""
        id_type, value = split_key(key)
        return self._check(id_type, value)

    def blocked_keys(self, keys: Iterable[str]) -> dict[str, str]:
        """Check many identifiers at once, without the cache (for resolution and audits).

        Args:
            keys: `Identifier.key`s ("type:value").

        Returns:
            key -> reason (as `is_blocked` gives it) for the blocked keys only.
        """
        check = self._check_uncached
        blocked: dict[str, str] = {}
        for key in keys:
            id_type, sep, value = key.partition(":")
            reason = check(id_type, value) if sep else check("", key)
            if reason is not None:
                blocked[key] = reason
        return blocked

    def detect_generic(self, stats: Iterable[IdentifierStats]) -> dict[str, str]:
        """Find the identifiers too generic to link.

        An identifier is generic when it is carried by at least `max_records` records, or by
        at least `min_records` records whose distinct given names, family names, postcodes
        or dates of birth reach their `max_distinct_*` threshold and `min_distinct_share` of
        the records. The thresholds are the configuration's, per identifier type.

        Args:
            stats: One entry per identifier, as the graph layer aggregates it.

        Returns:
            Identifier key -> reason ("generic:given_names=12>=8", "generic:records=250>=200")
            for each generic identifier; identifiers not generic are absent.
        """
        thresholds: dict[str, GenericThresholds] = {}
        generic: dict[str, str] = {}
        for entry in stats:
            limits = thresholds.get(entry.type)
            if limits is None:
                limits = thresholds[entry.type] = self._config.generic_for(entry.type)
            reason = _generic_reason(entry, limits)
            if reason is not None:
                generic[entry.key] = reason
        return generic
