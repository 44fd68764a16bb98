"""RFM quintile scores and segment rules, checked against hand-computed cases."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from enrich.rfm import (
    ABOUT_TO_SLEEP,
    AT_RISK,
    CANT_LOSE_THEM,
    CHAMPIONS,
    HIBERNATING,
    LOST,
    LOYAL_CUSTOMERS,
    NEED_ATTENTION,
    NEW_CUSTOMERS,
    POTENTIAL_LOYALIST,
    PROMISING,
    SEGMENTS,
    RfmDataError,
    RfmError,
    rfm_scores,
    rfm_segment,
)

pytestmark = pytest.mark.unit


def _customers(
    days: Sequence[float], frequency: Sequence[float], monetary: Sequence[object]
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [f"c{i:02d}" for i in range(len(days))],
            "days_since_last_purchase": days,
            "frequency": frequency,
            "monetary": monetary,
        }
    )


def test_ten_distinct_customers_split_two_per_quintile() -> None:
    # Ranks 1..10 and qcut edges 1, 2.8, 4.6, 6.4, 8.2, 10: ranks 1-2 score 1, 3-4 score
    # 2, ... 9-10 score 5.
    days = [5, 400, 30, 90, 1, 200, 60, 10, 300, 120]
    frequency = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    monetary = [50, 40, 30, 20, 10, 100, 90, 80, 70, 60]
    scored = rfm_scores(_customers(days, frequency, monetary))
    # days ascending: c04(1) c00(5) c07(10) c02(30) c06(60) c03(90) c09(120) c05(200)
    # c08(300) c01(400); fewest days score 5.
    assert scored["r_score"].tolist() == [5, 1, 4, 3, 5, 2, 3, 4, 1, 2]
    assert scored["f_score"].tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    # monetary ascending: c04 c03 | c02 c01 | c00 c09 | c08 c07 | c06 c05
    assert scored["m_score"].tolist() == [3, 2, 2, 1, 1, 5, 5, 4, 4, 3]
    assert scored["rfm_cell"].tolist()[:3] == ["513", "112", "422"]
    assert scored["segment"].tolist()[:3] == [NEW_CUSTOMERS, LOST, POTENTIAL_LOYALIST]
    # c05 = (2,3,5), FM 4, lapsed: At Risk; c06 = (3,4,5): Loyal; c07 = (4,4,4): Champions.
    assert scored["segment"].tolist()[5:8] == [AT_RISK, LOYAL_CUSTOMERS, CHAMPIONS]


def test_ties_are_broken_by_customer_id_not_row_order() -> None:
    # Everyone bought once: ids decide, c00-c01 score 1 ... c08-c09 score 5.
    customers = _customers([10.0] * 10, [1.0] * 10, [20.0] * 10)
    scored = rfm_scores(customers)
    assert scored["f_score"].tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    shuffled = rfm_scores(customers.sample(frac=1.0, random_state=3))
    pd.testing.assert_frame_equal(shuffled.sort_index(), scored)


def test_input_is_kept_and_index_preserved() -> None:
    customers = _customers([1.0, 2.0, 3.0], [3.0, 2.0, 1.0], [1.0, 2.0, 3.0])
    customers.index = pd.Index([30, 10, 20])
    scored = rfm_scores(customers)
    assert scored.index.tolist() == [30, 10, 20]
    assert list(scored.columns) == [
        *customers.columns,
        "r_score",
        "f_score",
        "m_score",
        "rfm_cell",
        "segment",
    ]
    assert "r_score" not in customers.columns
    # Three ranks over five bins: scores 1, 3, 5.
    assert scored["r_score"].tolist() == [5, 3, 1]


def test_other_column_names() -> None:
    customers = pd.DataFrame({"id": ["a", "b"], "gap": [9, 1], "orders": [1, 4], "spend": [5, 2]})
    scored = rfm_scores(
        customers,
        customer_id="id",
        days_since_last_purchase="gap",
        frequency="orders",
        monetary="spend",
    )
    assert scored["rfm_cell"].tolist() == ["115", "551"]


def test_one_customer_scores_neutral_and_empty_input_is_empty() -> None:
    single = rfm_scores(_customers([3.0], [2.0], [9.0]))
    assert single["rfm_cell"].tolist() == ["333"]
    assert single["segment"].tolist() == [LOYAL_CUSTOMERS]
    empty = rfm_scores(_customers([], [], []))
    assert empty.empty
    assert "segment" in empty.columns


@pytest.mark.parametrize(
    ("r", "f", "m", "segment"),
    [
        (5, 5, 5, CHAMPIONS),
        (4, 5, 3, CHAMPIONS),  # FM = 4
        (4, 3, 4, LOYAL_CUSTOMERS),  # FM = 3.5 is short of Champions
        (3, 3, 3, LOYAL_CUSTOMERS),
        (3, 5, 5, LOYAL_CUSTOMERS),  # R = 3 is short of Champions
        (5, 1, 5, NEW_CUSTOMERS),
        (5, 1, 1, NEW_CUSTOMERS),
        (4, 1, 3, PROMISING),
        (5, 2, 2, POTENTIAL_LOYALIST),
        (4, 3, 2, POTENTIAL_LOYALIST),  # FM = 2.5 is short of Loyal
        (3, 2, 5, NEED_ATTENTION),
        (3, 4, 1, NEED_ATTENTION),
        (3, 1, 5, ABOUT_TO_SLEEP),
        (1, 5, 4, CANT_LOSE_THEM),
        (1, 4, 3, AT_RISK),  # M = 3 is short of Can't Lose Them
        (2, 5, 5, AT_RISK),
        (2, 1, 5, AT_RISK),  # FM = 3
        (1, 1, 1, LOST),
        (1, 1, 3, LOST),  # FM = 2
        (1, 2, 3, HIBERNATING),  # FM = 2.5
        (2, 1, 1, HIBERNATING),
        (2, 2, 3, HIBERNATING),
    ],
)
def test_segment_rules(r: int, f: int, m: int, segment: str) -> None:
    assert rfm_segment(r, f, m) == segment


def test_every_score_triple_has_a_segment_and_every_segment_is_used() -> None:
    names = {rfm_segment(r, f, m) for r in range(1, 6) for f in range(1, 6) for m in range(1, 6)}
    assert names == set(SEGMENTS)


@pytest.mark.parametrize(("r", "f", "m"), [(0, 3, 3), (3, 6, 3), (3, 3, -1), (True, 3, 3)])
def test_segment_refuses_scores_outside_1_to_5(r: int, f: int, m: int) -> None:
    with pytest.raises(RfmError, match="score must be 1-5"):
        rfm_segment(r, f, m)


@pytest.mark.parametrize(
    ("customers", "message"),
    [
        (_customers([1.0], [1.0], [1.0]).drop(columns="monetary"), "missing columns"),
        (_customers([1.0, np.nan], [1.0, 1.0], [1.0, 1.0]), "days_since_last_purchase"),
        (_customers([1.0, 2.0], [1.0, np.inf], [1.0, 1.0]), "frequency"),
        (_customers([1.0, 2.0], [1.0, 1.0], [1.0, "x"]), "monetary"),
        (_customers([1.0, 2.0], [1.0, 1.0], [1.0, 1.0]).assign(customer_id="same"), "unique"),
    ],
)
def test_invalid_input_is_refused(customers: pd.DataFrame, message: str) -> None:
    with pytest.raises(RfmDataError, match=message):
        rfm_scores(customers)


@given(st.lists(st.integers(min_value=0, max_value=20), min_size=5, max_size=200))
def test_quintiles_are_balanced_and_never_reverse_the_order(frequency: list[int]) -> None:
    n = len(frequency)
    scored = rfm_scores(_customers([1.0] * n, [float(v) for v in frequency], [1.0] * n))
    counts = scored["f_score"].value_counts()
    assert set(counts.index) == {1, 2, 3, 4, 5}
    assert counts.max() - counts.min() <= 1
    # A customer who bought more never scores lower than one who bought less.
    ordered = scored.sort_values(["frequency", "customer_id"])
    assert ordered["f_score"].is_monotonic_increasing
