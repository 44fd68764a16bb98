"""FEBRL with households and twins added (bench/febrl_households.py): who is added, and how
merged twins and household members are counted."""

from __future__ import annotations

import pytest

from bench.febrl import febrl_file
from bench.febrl_households import HOUSEHOLD, TWIN, Added, _rows, add_households, merged_pairs

pytestmark = pytest.mark.unit

ADDRESS = ("street_number", "address_1", "address_2", "suburb", "postcode", "state")


def test_twins_and_household_members_live_with_a_febrl_person() -> None:
    _, rows = _rows(febrl_file("dataset3"))
    extra, added = add_households(rows, share=0.2, seed=7)
    assert len(extra) == len(added) and {a.kind for a in added} == {TWIN, HOUSEHOLD}
    originals = {r["rec_id"].split("-")[1]: r for r in rows if r["rec_id"].endswith("-org")}
    soc_sec_ids = {r["soc_sec_id"] for r in rows}
    for row, who in zip(extra, added, strict=True):
        org = originals[who.of]
        assert row["rec_id"] == who.rec_id and not row["rec_id"].startswith("rec-")
        assert row["surname"] == org["surname"]
        assert all(row[f] == org[f] for f in ADDRESS)
        assert row["given_name"] != org["given_name"]
        assert row["soc_sec_id"] not in soc_sec_ids
        same_dob = row["date_of_birth"] == org["date_of_birth"]
        assert same_dob == (who.kind == TWIN)
    # Seeded: the same sample every time.
    assert add_households(rows, share=0.2, seed=7)[0] == extra


def test_merged_pairs_count_an_added_person_in_the_original_profile_or_with_another() -> None:
    added = [
        Added("twin-1-0-org", TWIN, "1"),
        Added("household-1-1-org", HOUSEHOLD, "1"),
        Added("household-2-0-org", HOUSEHOLD, "2"),
        Added("household-2-1-org", HOUSEHOLD, "2"),
    ]
    members = {"1": ["febrl:rec-1-org", "febrl:rec-1-dup-0"], "2": ["febrl:rec-2-org"]}
    predicted = {
        "febrl:rec-1-org": "p1",
        "febrl:rec-1-dup-0": "p1",
        "febrl:twin-1-0-org": "p1",
        "febrl:household-1-1-org": "p9",
        "febrl:rec-2-org": "p2",
        "febrl:household-2-0-org": "p3",
        "febrl:household-2-1-org": "p3",
    }
    assert merged_pairs(predicted, members, added, "febrl") == {TWIN: 1, HOUSEHOLD: 1}


def test_till_cards_carry_a_name_and_postcode_and_namesakes_live_in_the_postcode() -> None:
    from bench.febrl_households import NAMESAKE, TILL, add_till_cards_and_namesakes, tills_joined

    _, rows = _rows(febrl_file("dataset3"))
    extra, added = add_till_cards_and_namesakes(rows, till_cards=0.2, namesakes=0.05, seed=7)
    kinds = [a.kind for a in added]
    assert kinds.count(TILL) > 300 and kinds.count(NAMESAKE) > 50
    by_id = {r["rec_id"]: r for r in [*rows, *extra]}
    for row, who in zip(extra, added, strict=True):
        assert row["rec_id"] == who.rec_id
        if who.kind == TILL:
            person = by_id.get(f"rec-{who.of}-org") or by_id[who.of]
            filled = {k for k, v in row.items() if v}
            assert filled == {"rec_id", "given_name", "surname", "postcode"}
            assert all(row[k] == person[k] for k in ("given_name", "surname", "postcode"))
        else:
            org = by_id[f"rec-{who.of}-org"]
            assert (row["given_name"], row["surname"], row["postcode"]) == (
                org["given_name"],
                org["surname"],
                org["postcode"],
            )
            assert row["date_of_birth"] != org["date_of_birth"]
            assert row["soc_sec_id"] != org["soc_sec_id"]
    members = {"1": ["febrl:rec-1-org"]}
    till = [Added("till-1-org", TILL, "1"), Added("namesaketill-2-org", TILL, "namesake-2-org")]
    predicted = {
        "febrl:rec-1-org": "p1",
        "febrl:till-1-org": "p1",
        "febrl:namesake-2-org": "p2",
        "febrl:namesaketill-2-org": "p3",
    }
    assert tills_joined(predicted, members, till, "febrl") == 1
