"""Yes/no flags such as a marketing consent."""

from __future__ import annotations

from typing import Final

from core.normalise.text import EMPTY, Normalised, as_text, is_blank, rejected

INVALID_BOOL: Final = "invalid_bool"

_TRUE_WORDS: Final = frozenset(
    {"true", "t", "yes", "y", "1", "on", "subscribed", "opted_in", "opt_in", "optin", "optedin"}
)
_FALSE_WORDS: Final = frozenset(
    {"false", "f", "no", "n", "0", "off", "unsubscribed", "opted_out", "opt_out", "optout"}
    | {"optedout"}
)
_TRUE: Final = Normalised("true", None)
_FALSE: Final = Normalised("false", None)


def normalise_bool(raw: object) -> Normalised:
    """Read a yes/no flag such as a marketing consent.

    Args:
        raw: The value from the source: a bool, 1/0, or words such as "yes", "n", "subscribed",
            "opted-out" in any case.

    Returns:
        "true" or "false"; reason "invalid_bool" for anything else.
    """
    if is_blank(raw):
        return EMPTY
    if isinstance(raw, bool):
        return _TRUE if raw else _FALSE
    key = as_text(raw).strip().lower().replace("-", "_").replace(" ", "_")
    if key in _TRUE_WORDS:
        return _TRUE
    if key in _FALSE_WORDS:
        return _FALSE
    return rejected(INVALID_BOOL)
