"""Email addresses: syntax checks without DNS look-ups, and the canonical form used for matching."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Final

from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email

from core.normalise.text import CACHE_SIZE, EMPTY, Normalised, as_text, is_blank, rejected

INVALID_EMAIL: Final = "invalid_email_syntax"

# The common ASCII shape that email-validator accepts without further checks; anything else
# (Unicode, "--" labels that might be Punycode, odd lengths) goes to email-validator itself.
_EMAIL_FAST: Final = re.compile(
    r"[a-z0-9_!#$%&'*+/=?^`{|}~-]+(?:\.[a-z0-9_!#$%&'*+/=?^`{|}~-]+)*"
    r"@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-z0-9][a-z0-9-]{0,61})?[a-z]"
)
_EMAIL_SHAPE: Final = re.compile(r"[^@\s]+@[^@\s]+")
_EMAIL_MAX_LENGTH: Final = 254
_SPECIAL_USE_SUFFIXES: Final = tuple("." + name for name in SPECIAL_USE_DOMAIN_NAMES)


@lru_cache(maxsize=CACHE_SIZE)
def _check_email(email: str) -> Normalised:
    if len(email) <= _EMAIL_MAX_LENGTH and _EMAIL_FAST.fullmatch(email):
        domain = email.rpartition("@")[2]
        if "--" not in domain and not domain.endswith(_SPECIAL_USE_SUFFIXES):
            return Normalised(email, None)
    if not _EMAIL_SHAPE.fullmatch(email):
        return rejected(INVALID_EMAIL)
    try:
        info = validate_email(email, check_deliverability=False, allow_smtputf8=True)
    except EmailNotValidError:
        return rejected(INVALID_EMAIL)
    return Normalised(info.normalized.lower(), None)


def normalise_email(raw: object) -> Normalised:
    """Trim, lower-case and syntax-check an email address (no DNS look-ups).

    Args:
        raw: The value from the source.

    Returns:
        The address in lower case, with an internationalised domain in its Unicode form;
        reason "invalid_email_syntax" when it is not a valid address.
    """
    if is_blank(raw):
        return EMPTY
    return _check_email(as_text(raw).strip().lower())


_GMAIL_DOMAINS: Final = frozenset({"gmail.com", "googlemail.com"})


def canonical_email(email: str) -> str:
    """A second form of an email address, for matching only.

    Gmail ignores dots and "+tags" in the local part and treats googlemail.com as gmail.com, so
    those variants are one mailbox. Other providers differ, so their addresses are unchanged.

    Args:
        email: An address already returned by `normalise_email`.

    Returns:
        The canonical address.
    """
    local, at, domain = email.rpartition("@")
    if not at or domain not in _GMAIL_DOMAINS:
        return email
    return local.split("+", 1)[0].replace(".", "") + "@gmail.com"
