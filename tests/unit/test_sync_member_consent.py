"""Consent a member carries to a destination is what the sources recorded, nothing more."""

from __future__ import annotations

import pytest

from activate.sync.members import member_from_row, member_hash, recorded_consents, row_hash

pytestmark = pytest.mark.unit

ROW = {"pid": "p1", "email": "a@shop.test", "consent_email": True}


def test_only_explicit_booleans_are_recorded() -> None:
    assert recorded_consents(ROW) == {"email": True}
    assert recorded_consents({**ROW, "consent_ad_user_data": "yes"}) == {"email": True}
    assert recorded_consents({**ROW, "unsubscribed": True}) == {"email": False}
    row = {**ROW, "consent_ad_user_data": True, "consent_ad_personalization": False}
    assert member_from_row(row, ()).consents == {
        "email": True,
        "ad_user_data": True,
        "ad_personalization": False,
    }


def test_no_advertising_consent_is_inferred_from_the_email_opt_in() -> None:
    member = member_from_row(ROW, ())
    assert "ad_user_data" not in member.consents
    assert "ad_personalization" not in member.consents


def test_a_change_of_sent_consent_is_an_update_and_old_hashes_stay_valid() -> None:
    before = row_hash(ROW, ())
    # Email consent is checked, not sent: it leaves the hash (of earlier runs) alone.
    assert row_hash({**ROW, "consent_email": False}, ()) == before
    granted = {**ROW, "consent_ad_user_data": True}
    assert row_hash(granted, ()) != before
    assert row_hash(granted, ()) == member_hash(member_from_row(granted, ()))
