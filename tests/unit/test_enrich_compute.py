"""Enrichment computations on hand-made facts: purchases and the CLV summary, category
affinity, channels, loyalty and consent, the population reference, predictions."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from enrich.affinity import category_affinity, shares_of
from enrich.channels import ChannelActivity, channel_attributes
from enrich.clv import predict_clv
from enrich.columns import Columns
from enrich.errors import EnrichError, StoredStateError
from enrich.facts import EventFactsBuilder, OrderFactsBuilder
from enrich.memberships import membership, record_row
from enrich.predictive import (
    REASON_NO_MODEL,
    StoredModel,
    model_from_props,
    model_props,
    predict,
)
from enrich.purchases import order_channel_cells, purchase_attributes
from enrich.reference import (
    PopulationReference,
    clv_percentile,
    clv_sample,
    rfm_bounds,
    score_by_bounds,
)
from enrich.rfm import RfmError, rfm_scores
from enrich.timestamps import MISSING, to_epoch_seconds, to_iso, to_iso_date
from graph.enrich_repo import _Rows, write_profiles_query
from graph.errors import InvalidName
from tests.factories.clv import CDNOW_LIKE

pytestmark = pytest.mark.unit

AS_OF = int(datetime(2026, 1, 1, tzinfo=UTC).timestamp())
DAY = 86_400
PARAMS = CDNOW_LIKE

Line = tuple[str, float, float]


def order_row(pid: str, orders: Sequence[tuple[str, float, str, Sequence[Line]]]) -> list[object]:
    """A row as `enrich_orders_*` streams it."""
    return [
        pid,
        [o[0] for o in orders],
        [o[1] for o in orders],
        [o[2] for o in orders],
        [[line[0] for line in o[3]] for o in orders],
        [[line[2] for line in o[3]] for o in orders],
        [[line[1] for line in o[3]] for o in orders],
    ]


def sample_orders() -> OrderFactsBuilder:
    b = OrderFactsBuilder()
    b.add(
        order_row(
            "a",
            [
                ("2025-01-01T10:00:00Z", 100.0, "online", [("Womenswear", 1, 100.0)]),
                ("2025-01-01T15:00:00Z", 50.0, "store", [("Footwear", 1, 50.0)]),
                ("2025-07-05T10:00:00Z", 80.0, "online", [("Womenswear", 2, 40.0)]),
                ("2025-12-02T10:00:00Z", 30.0, "store", [("Homeware", 1, 30.0)]),
            ],
        )
    )
    b.add(order_row("b", [("2025-10-01T12:00:00Z", 200.0, "online", [("Menswear", 1, 200.0)])]))
    b.add(order_row("empty", []))
    return b


# -- timestamps ---------------------------------------------------------------------------


def test_timestamps_round_trip_and_odd_values() -> None:
    values = ["2024-02-29T23:59:59Z", "2024-03-01T00:00:00", None, "", "not a time"]
    seconds = to_epoch_seconds(values)
    assert seconds[0] == int(datetime(2024, 2, 29, 23, 59, 59, tzinfo=UTC).timestamp())
    assert seconds[1] == int(datetime(2024, 3, 1, tzinfo=UTC).timestamp())
    assert list(seconds[2:]) == [MISSING] * 3
    assert to_iso(seconds) == ["2024-02-29T23:59:59Z", "2024-03-01T00:00:00Z", None, None, None]
    # Other ISO forms are read by the slow path, offsets converted to UTC.
    assert to_iso(to_epoch_seconds(["2024-05-01T10:00:00+10:00", "1969-12-31T23:59:59Z"])) == [
        "2024-05-01T00:00:00Z",
        "1969-12-31T23:59:59Z",
    ]
    assert to_iso_date(np.array([0, MISSING, 19_000])) == ["1970-01-01", None, "2022-01-08"]


@given(st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1)))
@settings(max_examples=200)
def test_fast_timestamp_parser_agrees_with_datetime(moment: datetime) -> None:
    moment = moment.replace(microsecond=0, tzinfo=UTC)
    text = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert to_epoch_seconds([text])[0] == int(moment.timestamp())
    assert to_iso(to_epoch_seconds([text])) == [text]


# -- purchases and the CLV summary --------------------------------------------------------


def test_purchase_attributes_and_lifetimes_summary() -> None:
    facts = sample_orders().build()
    assert facts.pids == ["a", "b"]
    attrs = purchase_attributes(facts, AS_OF)
    assert attrs.orders_count.tolist() == [4, 1]
    assert attrs.total_spend.tolist() == [260.0, 200.0]
    assert attrs.avg_order_value.tolist() == [65.0, 200.0]
    assert to_iso(attrs.first_purchase_s) == ["2025-01-01T10:00:00Z", "2025-10-01T12:00:00Z"]
    assert to_iso(attrs.last_purchase_s) == ["2025-12-02T10:00:00Z", "2025-10-01T12:00:00Z"]
    summary = attrs.summary.set_index("customer_id")
    # Two orders on 2025-01-01 are one purchase day worth 150; repeat days are 07-05 and
    # 12-02: x = 2, t_x = 335 days, T = 365 days, mean repeat value (80 + 30) / 2.
    assert summary.loc["a"].to_dict() == {
        "frequency": 2.0,
        "recency": 335.0,
        "T": 365.0,
        "monetary_value": 55.0,
    }
    b = summary.loc["b"]
    assert (b["frequency"], b["recency"], b["T"]) == (0.0, 0.0, 92.0)
    assert math.isnan(b["monetary_value"])


def test_a_purchase_after_as_of_stretches_t() -> None:
    b = OrderFactsBuilder()
    b.add(
        order_row(
            "x",
            [
                ("2025-12-01T00:00:00Z", 10.0, "online", []),
                ("2026-01-10T00:00:00Z", 10.0, "online", []),
            ],
        )
    )
    summary = purchase_attributes(b.build(), AS_OF).summary
    assert summary.loc[0, "recency"] == 40.0
    assert summary.loc[0, "T"] == 40.0


def test_orders_without_a_readable_time_are_dropped() -> None:
    b = OrderFactsBuilder()
    b.add(
        order_row(
            "x",
            [
                ("garbage", 5.0, "online", [("Kids", 1, 5.0)]),
                ("2025-12-01T00:00:00Z", 10.0, "online", [("Beauty", 1, 10.0)]),
            ],
        )
    )
    facts = b.build()
    assert facts.total.tolist() == [10.0]
    assert [facts.categories[c] for c in facts.line_category] == ["Beauty"]
    assert purchase_attributes(facts, AS_OF).orders_count.tolist() == [1]


# -- category affinity --------------------------------------------------------------------


def test_category_affinity_by_hand() -> None:
    facts = sample_orders().build()
    affinity = category_affinity(facts, AS_OF, half_life_days=180.0)
    # Weights: value x 2^(-age / 180 days); orders at 10:00 or 15:00 UTC, as of midnight.
    womens = 100 * 2 ** (-(365 - 10 / 24) / 180) + 80 * 2 ** (-(180 - 10 / 24) / 180)
    footwear = 50 * 2 ** (-(365 - 15 / 24) / 180)
    homeware = 30 * 2 ** (-(30 - 10 / 24) / 180)
    total = womens + footwear + homeware
    shares = shares_of(affinity.category_affinity[0])
    assert shares == {
        "Womenswear": round(womens / total, 4),
        "Homeware": round(homeware / total, 4),
        "Footwear": round(footwear / total, 4),
    }
    assert list(shares) == ["Womenswear", "Homeware", "Footwear"]  # largest first
    assert affinity.top_category == ["Womenswear", "Menswear"]
    assert shares_of(affinity.category_affinity[1]) == {"Menswear": 1.0}


def test_affinity_does_not_depend_on_as_of() -> None:
    facts = sample_orders().build()
    now = category_affinity(facts, AS_OF)
    later = category_affinity(facts, AS_OF + 400 * DAY)
    assert now == later


def test_affinity_leaves_out_uncategorised_and_non_positive_lines() -> None:
    b = OrderFactsBuilder()
    b.add(
        order_row(
            "x",
            [
                (
                    "2025-12-01T00:00:00Z",
                    10.0,
                    "online",
                    [("", 1, 99.0), ("Kids", 1, 0.0), ("Beauty", -1, 5.0)],
                )
            ],
        )
    )
    b.add(order_row("y", [("2025-12-01T00:00:00Z", 10.0, "online", [("Kids", 2, 5.0)])]))
    affinity = category_affinity(b.build(), AS_OF)
    assert affinity.category_affinity == [None, '{"Kids":1}']
    assert affinity.top_category == [None, "Kids"]


# -- channels -----------------------------------------------------------------------------


def test_order_channel_cells_count_distinct_days() -> None:
    cells = order_channel_cells(sample_orders().build())
    got = {
        (int(p), cells.names[int(c)]): (int(d), to_iso(np.array([s]))[0])
        for p, c, d, s in zip(cells.profile, cells.channel, cells.days, cells.last_s, strict=True)
    }
    assert got == {
        (0, "online"): (2, "2025-07-05T10:00:00Z"),
        (0, "store"): (2, "2025-12-02T10:00:00Z"),
        (1, "online"): (1, "2025-10-01T12:00:00Z"),
    }


def _cells(rows: Sequence[tuple[int, str, int, str]]) -> ChannelActivity:
    names = sorted({r[1] for r in rows}, reverse=True)  # codes need not follow names
    return ChannelActivity(
        profile=np.array([r[0] for r in rows], dtype=np.int64),
        channel=np.array([names.index(r[1]) for r in rows], dtype=np.int64),
        names=names,
        days=np.array([r[2] for r in rows], dtype=np.int64),
        last_s=to_epoch_seconds([r[3] for r in rows]),
    )


def test_preferred_channel_most_days_then_most_recent_never_service() -> None:
    orders = _cells(
        [
            (0, "online", 2, "2025-07-05T10:00:00Z"),
            (0, "store", 2, "2025-12-02T10:00:00Z"),
            (1, "online", 1, "2025-01-01T00:00:00Z"),
            (2, "store", 3, "2025-01-01T00:00:00Z"),
            (-1, "store", 9, "2025-01-01T00:00:00Z"),  # a profile not in the run: ignored
        ]
    )
    events = _cells(
        [
            (0, "email", 2, "2025-11-20T08:00:00Z"),
            (1, "service", 5, "2025-12-01T00:00:00Z"),
            (2, "web", 2, "2025-12-01T00:00:00Z"),
            (2, "store", 1, "2025-01-02T00:00:00Z"),  # same channel from another part: summed
            (3, "service", 1, "2025-12-01T00:00:00Z"),
        ]
    )
    channels, preferred = channel_attributes(5, [orders, events])
    assert channels == [
        ["email", "online", "store"],
        ["online", "service"],
        ["store", "web"],
        ["service"],
        None,
    ]
    assert preferred == ["store", "online", "store", None, None]
    # Store on profile 2: 3 + 1 days beats web's 2.
    tie = _cells([(0, "web", 2, "2025-12-01T00:00:00Z"), (0, "email", 2, "2025-12-01T00:00:00Z")])
    assert channel_attributes(1, [tie])[1] == ["email"]  # same days, same time: by name


# -- loyalty and consent ------------------------------------------------------------------


def test_loyalty_from_the_most_recentrecord_row() -> None:
    old = record_row("2024-01-01", loyalty_tier="Gold", loyalty_points="5000.0")
    new = record_row("2025-01-01", loyalty_tier="Silver", loyalty_points="120.0")
    tierless = record_row("2026-01-01", loyalty_points="7.5")
    m = membership([old, new, tierless], unsubscribe_event=False)
    assert (m.loyalty_tier, m.loyalty_points) == ("Silver", 7.5)
    assert membership([old], False).loyalty_points == 5000
    assert isinstance(membership([old], False).loyalty_points, int)


@pytest.mark.parametrize(
    ("signals", "unsubscribe_event", "consent", "unsubscribed"),
    [
        ([], False, None, False),
        ([{"consent_email": "false"}], False, False, False),
        ([{"consent_email": "false"}, {"email_consent_status": "SUBSCRIBED"}], False, True, False),
        ([{"consent_email": "true"}, {"email_consent_status": "UNSUBSCRIBED"}], False, False, True),
        ([{"consent_email": "true"}], True, False, True),
        ([{"email_consent_status": "NEVER_SUBSCRIBED"}], False, False, False),
        ([{"email_consent_status": "something else"}], False, None, False),
    ],
)
def test_email_consent_rules(
    signals: list[dict[str, str]], unsubscribe_event: bool, consent: bool | None, unsubscribed: bool
) -> None:
    records = [record_row("2025-01-01", **s) for s in signals]
    m = membership(records, unsubscribe_event)
    assert (m.consent_email, m.unsubscribed) == (consent, unsubscribed)


def test_sms_consent_is_its_own_channel() -> None:
    m = membership([record_row("x", consent_sms="yes", email_consent_status="UNSUBSCRIBED")], False)
    assert (m.consent_sms, m.consent_email) == (True, False)
    assert membership([record_row("x", sms_consent_status="opted-out")], False).consent_sms is False


# -- events -------------------------------------------------------------------------------


def test_event_rows_fold_into_engagement_and_cells() -> None:
    b = EventFactsBuilder()
    b.add(
        [
            "a",
            "2025-11-20T08:00:00Z",
            "2025-11-01T09:05:00Z",
            None,
            [["email", 2, "2025-11-20T08:00:00Z"], ["web", 4, "2025-10-01T00:00:00Z"]],
        ]
    )
    b.add(["b", None, None, "2025-10-05T00:00:00Z", []])
    facts = b.build()
    assert facts.pids == ["a", "b"]
    assert facts.last_open == ["2025-11-20T08:00:00Z", None]
    assert facts.last_click == ["2025-11-01T09:05:00Z", None]
    assert facts.last_unsubscribe == [None, "2025-10-05T00:00:00Z"]
    assert facts.activity_profile.tolist() == [0, 0]
    assert [facts.channels[c] for c in facts.activity_channel] == ["email", "web"]
    assert facts.activity_days.tolist() == [2, 4]


# -- population reference -----------------------------------------------------------------


@given(
    st.lists(
        st.tuples(st.integers(0, 6), st.integers(1, 4), st.integers(0, 5)),
        min_size=1,
        max_size=40,
    )
)
@settings(max_examples=60, deadline=None)
def test_reference_bounds_reproduce_rfm_scores(rows: list[tuple[int, int, int]]) -> None:
    """A population member scored against the stored boundaries gets its full-run score,
    ties included."""
    ids = [f"p{i:03d}" for i in range(len(rows))]
    last = np.array([float(r[0]) for r in rows])
    count = np.array([float(r[1]) for r in rows])
    spend = np.array([float(r[2]) * 10 for r in rows])
    scored = rfm_scores(
        pd.DataFrame(
            {
                "customer_id": ids,
                "days_since_last_purchase": 10.0 - last,
                "frequency": count,
                "monetary": spend,
            }
        )
    )
    for values, column in ((last, "r_score"), (count, "f_score"), (spend, "m_score")):
        scores = scored[column].to_numpy(dtype=np.int64)
        bounds = rfm_bounds(values, ids, scores)
        assert score_by_bounds(values, ids, bounds).tolist() == scores.tolist()


def test_new_customers_are_placed_between_the_bounds() -> None:
    ids = [f"p{i}" for i in range(10)]
    values = np.arange(10, dtype=np.float64)
    scores = np.repeat(np.arange(1, 6), 2)
    bounds = rfm_bounds(values, ids, scores)
    assert bounds[0] == (1.0, "p1")
    assert score_by_bounds(np.array([-5.0, 1.5, 100.0]), ["z", "z", "z"], bounds).tolist() == [
        1,
        2,
        5,
    ]


def test_clv_percentile_matches_pandas_ranks_and_samples_large_populations() -> None:
    rng = np.random.default_rng(1)
    small = np.round(rng.gamma(1.0, 50.0, 500), 1)  # ties on purpose
    expected = pd.Series(small).rank(method="average", pct=True).to_numpy()
    got = clv_percentile(small, clv_sample(small), len(small))
    np.testing.assert_allclose(got, expected)
    big = rng.gamma(1.0, 50.0, 50_000)
    sample = clv_sample(big)
    assert len(sample) == 10_001
    expected_big = pd.Series(big).rank(method="average", pct=True).to_numpy()
    got_big = clv_percentile(big, sample, len(big))
    assert np.max(np.abs(got_big - expected_big)) < 2e-4


def test_reference_json_round_trip_and_corruption() -> None:
    reference = PopulationReference(
        computed_at="2026-01-01T00:00:00Z",
        model_version="clv/1@x",
        customers=3,
        rfm_bounds={"r": [None, (1.0, "a"), (2.0, "b"), (3.0, "c")], "f": [None] * 4, "m": []},
        clv_sorted=[1.0, 2.5],
        clv_count=2,
    )
    assert PopulationReference.from_json(reference.to_json()) == reference
    with pytest.raises(StoredStateError):
        PopulationReference.from_json('{"format": "other"}')
    with pytest.raises(StoredStateError):
        PopulationReference.from_json("not json")


# -- predictions --------------------------------------------------------------------------


def _summary() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d"],
            "frequency": [2.0, 0.0, 3.0, 1.0],
            "recency": [335.0, 0.0, 300.0, 20.0],
            "T": [365.0, 92.0, 400.0, 700.0],
            "monetary_value": [55.0, np.nan, -10.0, 40.0],
        }
    )


def test_predictions_follow_the_model_and_null_what_it_cannot_say() -> None:
    model = StoredModel(params=PARAMS, number=3)
    summary = _summary()
    out = predict(summary, model, AS_OF // DAY, None)
    expected = predict_clv(PARAMS, summary)
    cols = out.columns
    assert out.customer_ids == ["a", "b", "c", "d"]
    assert cols["clv_model_version"] == ["clv/3@2026-01-01T00:00:00+00:00"] * 4
    # One purchase day: no P(alive) nor churn risk, the rest is given.
    assert cols["p_alive"][1] is None and cols["churn_risk"][1] is None
    assert cols["clv_reason"] == [None, "no_repeat_purchase", "non_positive_monetary_value", None]
    # Stored to 4 decimals (CLV to the cent).
    for i in (0, 2, 3):
        assert cols["p_alive"][i] == round(expected["p_alive"][i], 4)
        assert cols["churn_risk"][i] == expected["churn_risk"][i]
    for name in ("expected_purchases_90d", "expected_purchases_365d", "prob_purchase_30d"):
        assert cols[name] == np.round(expected[name], 4).tolist()
    assert cols["clv_12m"] == np.round(expected["clv_12m"], 2).tolist()
    assert cols["clv_percentile"] == np.round(expected["clv_percentile"], 4).tolist()
    gap = expected["expected_next_purchase_days"].to_numpy()
    for i, days in enumerate(gap):
        if days <= 5 * 365:
            assert (
                cols["expected_next_purchase_at"][i]
                == to_iso_date(np.array([AS_OF // DAY + round(days)]))[0]
            )
        else:
            assert cols["expected_next_purchase_at"][i] is None


def test_predictions_without_a_model() -> None:
    out = predict(_summary(), None, AS_OF // DAY, None)
    assert out.columns["clv_reason"] == [REASON_NO_MODEL] * 4
    assert out.columns["p_alive"] == [None] * 4
    assert out.columns["clv_model_version"] == [None] * 4


def test_incremental_percentiles_come_from_the_reference() -> None:
    model = StoredModel(params=PARAMS, number=1)
    full = predict(_summary(), model, AS_OF // DAY, None)
    reference = PopulationReference(
        computed_at="x",
        model_version=model.version,
        customers=4,
        rfm_bounds={},
        clv_sorted=clv_sample(full.clv_12m),
        clv_count=4,
    )
    one = predict(_summary().iloc[[2]].reset_index(drop=True), model, AS_OF // DAY, reference)
    assert one.columns["clv_percentile"] == [full.columns["clv_percentile"][2]]


def test_model_props_round_trip() -> None:
    props = {**model_props(PARAMS), "version": 4}
    stored = model_from_props(props)
    assert stored == StoredModel(params=PARAMS, number=4)
    assert model_from_props(None) is None
    with pytest.raises(StoredStateError):
        model_from_props({"params_json": json.dumps({"version": "other"})})


def test_model_errors_share_the_package_root() -> None:
    assert issubclass(RfmError, EnrichError)
    assert issubclass(StoredStateError, EnrichError)


def test_columns_turn_arrays_into_python_values_per_batch() -> None:
    cols = Columns(3)
    cols.numeric("count", "int", fill=0.0)[[0, 2]] = [4, 7]
    cols.numeric("spend")[1] = 12.5
    cols.numeric("flag", "bool")[0] = 1.0
    cols.scatter("name", np.array([2], dtype=np.int64), ["z"])
    names = [*cols.names, "at"]
    rows = cols.rows(["a", "b", "c"], names, np.array([1, 2]), {"at": "now"})
    assert rows == [["b", 0, 12.5, None, None, "now"], ["c", 7, None, None, "z", "now"]]
    assert isinstance(rows[1][1], int)
    assert cols.values("flag", 0, 1) == [True]
    assert cols.rows(["a", "b", "c"], names, np.zeros(0, dtype=np.int64), {"at": 1}) == []
    with pytest.raises(ValueError):
        cols.set_objects("short", [1])


def _fingerprints(values: dict[str, list[Any]]) -> list[int]:
    cols = Columns(len(next(iter(values.values()))))
    for name, column in values.items():
        if all(isinstance(v, float) for v in column):
            cols.numeric(name)[:] = column
        else:
            cols.set_objects(name, column)
    out: list[int] = cols.fingerprints(cols.names).tolist()
    return out


def test_fingerprints_tell_values_types_and_nulls_apart() -> None:
    a, b, c, d, e, f = _fingerprints(
        {"x": [None, "None", 1, 1.0, True, ["a", "b"]], "y": [2.0] * 6}
    )
    assert len({a, b, c, d, e, f}) == 6
    # Equal values give equal fingerprints, in any process (no per-process seed).
    same = _fingerprints({"x": ["s", "s", None, None], "y": [1.5, 1.5, float("nan"), float("nan")]})
    assert same[0] == same[1] and same[2] == same[3] and same[0] != same[2]
    assert _fingerprints({"x": ["s"]}) == _fingerprints({"x": ["s"]})
    # The attribute names are part of it: a value moved to another attribute differs.
    assert _fingerprints({"x": ["s"], "y": [None]}) != _fingerprints({"y": ["s"], "x": [None]})
    # Numeric columns: NaN is null, and null differs from zero.
    n0, n1, n2 = _fingerprints({"v": [0.0, float("nan"), -1.0]})
    assert len({n0, n1, n2}) == 3


def test_write_query_sets_each_name_from_its_row_position() -> None:
    query = write_profiles_query(["orders_count", "clv_12m"])
    assert query.startswith("UNWIND $rows AS row\nMATCH (p:Profile {pid: row[0]})\n")
    assert "SET p.orders_count = row[1],\n    p.clv_12m = row[2]\n" in query
    assert "SET p.enrich_dirty = null" in query and "$started" in query


@pytest.mark.parametrize("bad", ["a b", "x}) DETACH DELETE p //", "p.x", "`x`", "", "1x"])
def test_write_query_refuses_names_that_are_not_property_keys(bad: str) -> None:
    with pytest.raises(InvalidName):
        write_profiles_query(["orders_count", bad])


def test_write_batches_do_not_show_their_rows_in_a_repr() -> None:
    # The driver formats query parameters for its debug log: no customer data there.
    batch = _Rows([["p-1", "jane@example.com"]])
    assert repr({"rows": batch}) == "{'rows': <1 rows>}"
    assert batch == [["p-1", "jane@example.com"]]
