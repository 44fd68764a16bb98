"""Time-relative attributes computed at read time, and their Cypher builders as text."""

from __future__ import annotations

from datetime import date

import pytest

from enrich.errors import EnrichError
from enrich.relative import (
    days_since_last_purchase,
    days_since_last_purchase_cypher,
    engaged_90d,
    engaged_90d_cypher,
    last_engaged_at,
)

pytestmark = pytest.mark.unit

TODAY = date(2026, 1, 1)


def test_days_since_last_purchase_counts_utc_dates() -> None:
    assert days_since_last_purchase({"last_purchase_at": "2025-12-31T23:59:59Z"}, TODAY) == 1
    assert days_since_last_purchase({"last_purchase_at": "2026-01-01T00:00:00Z"}, TODAY) == 0
    assert days_since_last_purchase({"last_purchase_at": "2025-01-01T10:00:00Z"}, TODAY) == 365
    assert days_since_last_purchase({}, TODAY) is None
    assert days_since_last_purchase({"last_purchase_at": None}, TODAY) is None


def test_days_since_move_with_the_calendar_without_recompute() -> None:
    profile = {"last_purchase_at": "2025-12-02T10:00:00Z"}
    assert days_since_last_purchase(profile, TODAY) == 30
    assert days_since_last_purchase(profile, date(2026, 3, 2)) == 90


@pytest.mark.parametrize(
    ("opened", "clicked", "today", "engaged"),
    [
        ("2025-10-04T08:00:00Z", None, TODAY, True),  # 89 days before: inside
        ("2025-10-03T23:00:00Z", None, TODAY, False),  # 90 days before: outside
        (None, "2025-12-31T00:00:00Z", TODAY, True),
        ("2025-01-01T00:00:00Z", "2025-12-01T00:00:00Z", TODAY, True),
        ("2025-10-04T08:00:00Z", None, date(2026, 1, 2), False),  # a day later: out
        (None, None, TODAY, False),
        ("2026-02-01T00:00:00Z", None, TODAY, False),  # after the day asked about
    ],
)
def test_engaged_90d(opened: str | None, clicked: str | None, today: date, engaged: bool) -> None:
    profile = {"last_email_open_at": opened, "last_email_click_at": clicked}
    assert engaged_90d(profile, today) is engaged


def test_last_engaged_at_is_the_later_of_open_and_click() -> None:
    assert (
        last_engaged_at(
            {"last_email_open_at": "2025-01-02T00:00:00Z", "last_email_click_at": "2025-03-01"}
        )
        == "2025-03-01"
    )
    assert last_engaged_at({}) is None


def test_cypher_builders_as_text() -> None:
    assert days_since_last_purchase_cypher() == (
        "duration.inDays(date(datetime(p.last_purchase_at)), date($today)).days"
    )
    assert days_since_last_purchase_cypher("prof", "asOf") == (
        "duration.inDays(date(datetime(prof.last_purchase_at)), date($asOf)).days"
    )
    engaged = engaged_90d_cypher("q", "d")
    assert engaged.startswith("(coalesce(date(datetime(q.last_email_open_at)) > date($d)")
    assert "duration({days: 90})" in engaged
    assert "q.last_email_click_at" in engaged
    assert engaged.count("coalesce(") == 2


@pytest.mark.parametrize(
    "bad",
    ["p) DETACH DELETE (p", "p.x", "1p", "", "p`", "$today", "p /* */", "a" * 80],
)
def test_cypher_builders_refuse_injection(bad: str) -> None:
    with pytest.raises(EnrichError):
        days_since_last_purchase_cypher(bad)
    with pytest.raises(EnrichError):
        days_since_last_purchase_cypher("p", bad)
    with pytest.raises(EnrichError):
        engaged_90d_cypher(bad)
