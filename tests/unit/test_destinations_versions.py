"""Vendor API versions: one place, with end-of-life dates, and the operator's warning."""

from __future__ import annotations

from datetime import date

import pytest

from activate.destinations.klaviyo import KlaviyoConfig
from activate.destinations.meta import MetaConfig
from activate.destinations.versions import (
    KLAVIYO_REVISION,
    META_END_OF_LIFE,
    META_GRAPH_VERSION,
    check_version,
    klaviyo_end_of_life,
)
from tests.fakes import FakeKlaviyo, FakeMeta

pytestmark = pytest.mark.unit

TODAY = date(2026, 12, 5)


def test_defaults_are_current_versions_that_are_not_ending() -> None:
    assert MetaConfig(access_token="t" * 10).api_version == META_GRAPH_VERSION
    assert KlaviyoConfig(api_key="k" * 10).revision == KLAVIYO_REVISION
    assert FakeMeta("t").api_version == META_GRAPH_VERSION
    assert FakeKlaviyo("k").revision == KLAVIYO_REVISION
    for kind in ("meta", "klaviyo"):
        check = check_version(kind, {}, TODAY)
        assert check is not None and not check.warn, check


def test_the_retired_versions_we_used_are_flagged() -> None:
    klaviyo = check_version("klaviyo", {"revision": "2024-10-15"}, TODAY)
    assert klaviyo is not None and klaviyo.warn and klaviyo.days_left is not None
    assert klaviyo.days_left < 0 and "reached its end of life on 2026-10-15" in klaviyo.message


@pytest.mark.parametrize(
    ("version", "today", "warn"),
    [
        ("v20.0", date(2026, 6, 25), False),  # 91 days before 2026-09-24
        ("v20.0", date(2026, 6, 26), True),  # 90 days before
        ("v20.0", date(2026, 9, 25), True),  # past
        ("v23.0", TODAY, False),
        ("v9.9", TODAY, True),  # unknown to us: say so
    ],
)
def test_meta_warns_within_90_days(version: str, today: date, warn: bool) -> None:
    check = check_version("meta", {"api_version": version}, today)
    assert check is not None and check.warn is warn, check.message if check else None


def test_klaviyo_revisions_retire_two_years_after_release() -> None:
    assert klaviyo_end_of_life("2026-10-15") == date(2028, 10, 15)
    assert klaviyo_end_of_life("2024-02-29") == date(2026, 2, 28)
    assert klaviyo_end_of_life("latest") is None
    assert META_END_OF_LIFE[META_GRAPH_VERSION] is None  # Meta has not published it yet


def test_unversioned_kinds_are_not_checked() -> None:
    for kind in ("braze", "google", "attentive", "webhook", "file"):
        assert check_version(kind, {}, TODAY) is None
