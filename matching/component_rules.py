"""The rules that turn one closed set of records into profiles, as one picklable object.

`ComponentRules.resolve` is what every engine runs: the local engine once over every record
of the scope, the Spark engine (`matching.spark_engine`) once per coarse component on an
executor. It holds nothing but configuration (no graph client, no model store), so it can be
shipped to wherever the records are; the records' facts travel with the input.

The rules are those of `matching.components.resolve_components` plus what the resolver adds
around it: households' shared contacts split per person (`matching.households`), one
person's duplicate accounts past a limit (`matching.names`) and the records kept apart
(`matching.apart`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from core.normalise import fold_name
from matching import name_postcode
from matching.apart import family_apart
from matching.components import Resolution, SkippedLink, resolve_components
from matching.config import IdentityConfig
from matching.households import (
    LANDLINE,
    LANDLINE_DETAIL,
    is_household,
    split_households,
    unplaced_on_landlines,
)
from matching.names import duplicate_account_names
from matching.protection import Protection

__all__ = ["ComponentRules", "ResolutionInput"]

Pair = tuple[str, str]


@dataclass
class ResolutionInput:
    """What one resolution of a closed set of records reads.

    Attributes:
        records: The rids (a union of whole components: see `matching.components`).
        pairs: (rid, identifier key) of the records' identifiers.
        facts: rid -> the record's facts; the rules read `given_name`, `family_name`,
            `email`, `phone` and `extra` (the values of the attributes `extra` names).
        extra: The attributes whose values each fact's `extra` holds, in order.
        accepted: Accepted `MATCHES` pairs.
        rejected: Matches an operator rejected.
        strong: Accepted matches strong enough to join past a limit.
        probability: (a, b) -> probability of the accepted matches.
        forced: Links an operator forced.
        shared: Identifier keys an operator marked shared.
        generic: Identifier key -> why it must not link (generic, or a household's).
        carried_elsewhere: Keys that records outside `records` carry too (see
            `resolve_components`).
        name_postcode: Accepted matches on a full name and a postcode only, above the
            threshold too (`matching.name_postcode`): they join as conditional matches.
    """

    records: Sequence[str]
    pairs: Sequence[Pair]
    facts: Mapping[str, Mapping[str, Any]]
    extra: tuple[str, ...] = ()
    accepted: Sequence[Pair] = ()
    rejected: Sequence[Pair] = ()
    strong: Sequence[Pair] = ()
    probability: Mapping[Pair, float] = field(default_factory=dict)
    forced: Sequence[Pair] = ()
    shared: Collection[str] = ()
    generic: Mapping[str, str] = field(default_factory=dict)
    carried_elsewhere: Collection[str] = ()
    name_postcode: Sequence[Pair] = ()


@dataclass(frozen=True)
class ComponentRules:
    """Identity rules with everything they need but the records.

    Attributes:
        protection: Blocked values.
        config: Identifier types, limits, duplicate accounts.
        personal: The attributes the model compares as one person's own (the family rule
            yields to an agreement on one of them).
        household_types: Identifier types whose joins respect the records kept apart
            (`resolve_components`' `apart_types`): a household's phone or email.
        threshold: The linker's threshold: an accepted match scored below it is a
            conditional name-and-postcode match (`matching.name_postcode`), which joins
            only profiles that agree. None: every accepted match joins as any other.
    """

    protection: Protection
    config: IdentityConfig
    personal: tuple[str, ...] = ()
    household_types: tuple[str, ...] = ("phone", "email")
    threshold: float | None = None

    def __reduce__(
        self,
    ) -> tuple[Any, tuple[IdentityConfig, tuple[str, ...], tuple[str, ...], float | None]]:
        # The checks hold caches that do not pickle; they are compiled again from the
        # configuration where the rules arrive (`Resolver` compiles them the same way).
        return _rules_of, (self.config, self.personal, self.household_types, self.threshold)

    def resolve(self, data: ResolutionInput) -> Resolution:
        """The components of `data.records` under every rule."""
        by_rid = data.facts
        households = self.households(data.generic, data.shared)

        def name_of(rid: str) -> tuple[str | None, str | None]:
            f = by_rid.get(rid)
            return (f["given_name"], f["family_name"]) if f else (None, None)

        def same_person(a: str, b: str, via_match: bool) -> bool:
            x, y = by_rid.get(a), by_rid.get(b)
            return x is not None and y is not None and self.duplicate_accounts(x, y, via_match)

        blocked = self.protection.is_blocked_key

        types = self.config.identifier_types

        def links(key: str) -> bool:
            spec = types.get(key.partition(":")[0])
            return (
                spec is not None
                and spec.link
                and key not in data.generic
                and key not in data.shared
                and not blocked(key)
            )

        matched = {r for pair in (*data.accepted, *data.strong, *data.forced) for r in pair}
        conditional, checked = name_postcode.conditional(
            data.accepted, data.probability, self.threshold, data.name_postcode
        )
        # A strong match on names and a postcode only is checked all the same (and a
        # threshold above the strong matches' would make a conditional match strong).
        strong = data.strong
        if (conditional or checked) and strong:
            held = {frozenset(pair) for pair in (*conditional, *checked)}
            strong = [pair for pair in strong if frozenset(pair) not in held]
        pairs, unplaced = unplaced_on_landlines(data.pairs, name_of, links, matched)
        resolution = resolve_components(
            data.records,
            split_households(pairs, households, name_of),
            data.accepted,
            self.protection,
            self.config,
            forced_links=data.forced,
            rejected_matches=data.rejected,
            shared_identifiers=data.shared,
            generic_identifiers=data.generic,
            strong_matches=strong,
            same_person=same_person,
            apart=self.apart(by_rid, data.extra),
            match_probability=data.probability,
            apart_types=self.apart_types,
            carried_elsewhere=data.carried_elsewhere,
            conditional_matches=conditional,
            checked_matches=checked,
            consistent=self.consistent(by_rid, data.pairs),
        )
        return _report_unplaced(resolution, unplaced, data.pairs)

    def consistent(
        self, by_rid: Mapping[str, Mapping[str, Any]], pairs: Sequence[Pair]
    ) -> Callable[[Sequence[str], Sequence[str], float | None], str | None]:
        """Given the rids of two profiles, what says they are two people, if anything
        (`name_postcode.conflict`): their records' birth dates and addresses (facts) and
        their email and phone identifiers (`pairs`, where a mapping declares them) besides
        the email and phone the records hold."""
        contacts: dict[str, dict[str, list[str]]] = {}
        read: list[bool] = []

        def record(rid: str) -> Mapping[str, Any]:
            if not read:
                # Only when a conditional match is checked: most components have none.
                read.append(True)
                contacts.update(name_postcode.contacts(pairs))
            return name_postcode.record_values(by_rid.get(rid) or {}, contacts.get(rid, {}))

        threshold = self.threshold

        def check(one: Sequence[str], other: Sequence[str], p: float | None) -> str | None:
            # Below the threshold a profile must hold something to tell a namesake by;
            # above it, only a value that differs holds a name-and-postcode match back.
            strict = threshold is not None and p is not None and p < threshold
            return name_postcode.conflict(
                [record(r) for r in one],
                [record(r) for r in other],
                self.protection.is_blocked,
                strict=strict,
            )

        return check

    @property
    def apart_types(self) -> tuple[str, ...]:
        """The identifier types whose joins respect the records kept apart: the household
        types and every type that links and is not `personal` (a device, a cookie)."""
        types = self.config.identifier_types
        others = (t for t, spec in types.items() if spec.link and not spec.personal)
        return tuple(sorted({*self.household_types, *others}))

    def households(self, generic: Mapping[str, str], shared: Collection[str]) -> dict[str, str]:
        """The identifiers shared by a household whose carriers are split per person."""
        return {
            k: flag
            for k, flag in generic.items()
            if is_household(flag) and k not in shared and not self.protection.is_blocked_key(k)
        }

    def may_join(
        self,
        keys: Sequence[str],
        generic: Mapping[str, str],
        *,
        blocked: Collection[str] | None = None,
    ) -> list[bool]:
        """For each identifier key, whether it can join records in some component: of a
        type that links, not blocked, and not generic unless it is a household's (whose
        carriers one person's key may still join). Operator-shared keys are the caller's
        to drop. An engine that splits the records first must keep every such link.
        `blocked`: the blocked ones among `keys`, when the caller has checked them."""
        types = self.config.identifier_types
        if blocked is None:
            blocked = self.protection.blocked_keys(keys)
        out = []
        for key in keys:
            spec = types.get(key.partition(":")[0])
            flag = generic.get(key)
            out.append(
                spec is not None
                and spec.link
                and key not in blocked
                and (flag is None or is_household(flag))
            )
        return out

    def apart(
        self, by_rid: Mapping[str, Mapping[str, Any]], extra: Sequence[str]
    ) -> Callable[[Sequence[str]], list[tuple[str, str, str]]]:
        """The family rule over the records of one component (`family_rule.kept_apart`):
        two members of one family, by name, with no personal attribute agreeing, are kept
        out of one profile however matches or a household's phone or email (the
        `household_types`) join them."""
        return family_apart(by_rid, extra, self.personal, self.protection.is_blocked)

    def duplicate_accounts(
        self, x: Mapping[str, Any], y: Mapping[str, Any], via_match: bool
    ) -> bool:
        """Whether two records are one person's accounts. When they share a contact: names
        that can be one person's under one family name (`duplicate_account_names`). When a
        match rather than a shared contact joins them: the same full name and no email or
        phone on one that differs from the other's (placeholders aside). A father and son
        of one name at one address have their own email or mobile; a second account opened
        at the till or the web shop usually lacks one, or repeats it."""
        if not via_match:
            return duplicate_account_names(
                (fold_name(x["given_name"] or ""), fold_name(x["family_name"] or "")),
                (fold_name(y["given_name"] or ""), fold_name(y["family_name"] or "")),
            )
        if not (x["given_name"] and x["family_name"] and y["given_name"] and y["family_name"]):
            return False
        if fold_name(x["given_name"]) != fold_name(y["given_name"]):
            return False
        if fold_name(x["family_name"]) != fold_name(y["family_name"]):
            return False
        for contact in ("email", "phone"):
            a, b = x[contact], y[contact]
            if a and b and a.casefold() != b.casefold():
                blocked = self.protection.is_blocked
                if not (blocked(contact, a) or blocked(contact, b)):
                    return False
        return True


def _report_unplaced(
    resolution: Resolution, unplaced: Sequence[Pair], pairs: Sequence[Pair]
) -> Resolution:
    """`resolution` with the landlines that placed no record reported, where another
    carrier of the landline sits in another profile (the link that did not happen)."""
    if not unplaced:
        return resolution
    left = {key for _, key in unplaced}
    carriers: dict[str, list[str]] = {}
    for rid, key in pairs:
        if key in left:
            carriers.setdefault(key, []).append(rid)
    component = resolution.component_of
    skipped = [
        SkippedLink(rid, key, LANDLINE, LANDLINE_DETAIL)
        for rid, key in unplaced
        if rid in component
        and any(component.get(c, -1) != component[rid] for c in carriers[key] if c != rid)
    ]
    if not skipped:
        return resolution
    merged = sorted([*resolution.skipped_links, *skipped], key=lambda s: (s.rid, s.identifier_key))
    return replace(resolution, skipped_links=merged)


def _rules_of(
    config: IdentityConfig,
    personal: tuple[str, ...],
    household_types: tuple[str, ...],
    threshold: float | None = None,
) -> ComponentRules:
    return ComponentRules(
        Protection.from_config(config), config, personal, household_types, threshold
    )
