"""Enrichment on the real graph: every attribute against a hand-computed expectation, merges
and splits recomputed, new activity picked up, incremental = full, the demographic join,
the HTTP provider, and the time-relative Cypher against its Python twin."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import math
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest
import typer
from pydantic import SecretStr
from typer.testing import CliRunner

from api.app import create_app
from api.auth import issue_key
from cli import enrich_cmd
from core.settings import Settings
from enrich.affinity import shares_of
from enrich.clv import params_from_json, predict_clv
from enrich.enricher import ATTRIBUTES, EnrichConfig, Enricher
from enrich.predictive import MODEL_ID, model_props
from enrich.providers.base import DEMOGRAPHIC_ATTRIBUTES
from enrich.providers.http import HttpAreaProvider, HttpProviderSettings
from enrich.providers.postcode_file import PostcodeFileProvider
from enrich.reference import REFERENCE_ID
from enrich.relative import (
    days_since_last_purchase,
    days_since_last_purchase_cypher,
    engaged_90d,
    engaged_90d_cypher,
)
from generator import generate
from graph import enrich_repo
from graph.client import GraphClient
from ingest.mapping import builtin_mapping, parse_mapping
from ingest.pipeline import Ingestor
from matching.resolve import Resolver
from tests.factories.clv import CDNOW_LIKE
from tests.factories.graphql import GraphQLClient
from tests.fakes.server import FakeApi, Reply, Request

AS_OF = datetime(2026, 1, 1, tzinfo=UTC)
PARAMS = CDNOW_LIKE

SHOP_MAPPING = """
source: shop
customers:
  file: customers.csv
  key: id
  observed_at: updated
  identifiers:
    - {field: email, type: email}
  attributes:
    email: {field: email, kind: email}
    postcode: {field: postcode, kind: postcode}
    country: {field: country, kind: country}
    loyalty_tier: {field: tier, kind: text}
    loyalty_points: {field: points, kind: number}
    consent_email: {field: consent, kind: bool}
    consent_sms: {field: sms, kind: bool}
orders:
  file: orders.csv
  key: order_id
  customer_key: customer_id
  placed_at: ts
  total: total
  channel: channel
  lines: {field: items, format: delimited, sep: ";", part_sep: ":",
          parts: [sku, category, quantity, price]}
"""
CUSTOMERS = ["id", "email", "tier", "points", "consent", "sms", "postcode", "country", "updated"]
ORDERS = ["order_id", "customer_id", "ts", "total", "channel", "items"]
ESP_PROFILES = [
    "profile_id",
    "email",
    "first_name",
    "last_name",
    "phone_number",
    "consent",
    "created",
    "last_event_date",
    "city",
    "zip",
]
ESP_EVENTS = ["event_id", "profile_id", "email", "type", "ts", "campaign"]
POSTCODES = """postcode,state,median_income_band,age_band,urbanity,lifestyle_segment,country
2000,NSW,Middle,18-34,inner,Young Renters,AU
6011,WA,High,50-64,metro,Established Affluent,AU
6011,WGN,High,35-49,inner,Inner-City Professionals,NZ
"""


def write_csv(path: Path, columns: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(columns))
    w.writeheader()
    for row in rows:
        w.writerow({c: row.get(c, "") for c in columns})
    path.write_text(buf.getvalue(), encoding="utf-8")


def order(
    oid: str, cid: str, ts: str, channel: str, *lines: tuple[str, int, float]
) -> dict[str, Any]:
    return {
        "order_id": oid,
        "customer_id": cid,
        "ts": ts,
        "total": f"{sum(q * p for _, q, p in lines):.2f}",
        "channel": channel,
        "items": ";".join(f"SKU-{i}:{c}:{q}:{p:.2f}" for i, (c, q, p) in enumerate(lines)),
    }


SHOP_CUSTOMERS = [
    {
        "id": "a1",
        "email": "anna@mail.test.au",
        "tier": "Gold",
        "points": "1200",
        "consent": "no",
        "sms": "yes",
        "postcode": "2000",
        "country": "AU",
        "updated": "2025-01-01",
    },
    {"id": "b1", "email": "ben@mail.test.au", "consent": "yes", "postcode": "6011"},
    {"id": "d1", "email": "dan@mail.test.au", "postcode": "9999", "country": "AU"},
    {"id": "e1", "email": "eve@mail.test.au"},
    {"id": "f1", "email": "fay@mail.test.au"},
]
SHOP_ORDERS = [
    order("o1", "a1", "2025-01-01T10:00:00Z", "online", ("Womenswear", 1, 100.0)),
    order("o2", "a1", "2025-01-01T15:00:00Z", "store", ("Footwear", 1, 50.0)),
    order("o3", "a1", "2025-07-05T10:00:00Z", "online", ("Womenswear", 2, 40.0)),
    order("o4", "a1", "2025-12-02T10:00:00Z", "store", ("Homeware", 1, 30.0)),
    order("o5", "b1", "2025-10-01T12:00:00Z", "online", ("Menswear", 1, 200.0)),
    order("o6", "d1", "2025-03-01T10:00:00Z", "store", ("Kids", 1, 40.0)),
    order("o7", "d1", "2025-03-15T10:00:00Z", "store", ("Kids", 2, 30.0)),
    order("o8", "e1", "2025-06-01T10:00:00Z", "online", ("Beauty", 3, 100.0)),
    order("o9", "e1", "2025-08-01T10:00:00Z", "online", ("Beauty", 3, 100.0)),
    order("o10", "e1", "2025-09-01T10:00:00Z", "online", ("Beauty", 3, 100.0)),
    *(
        order(f"of{d}", "f1", f"2025-12-1{d}T10:00:00Z", "online", ("Accessories", 1, 10.0))
        for d in range(5)
    ),
]
ESP_PROFILE_ROWS = [
    {"profile_id": "PA", "email": "anna@mail.test.au", "consent": "SUBSCRIBED"},
    {"profile_id": "PB", "email": "ben@mail.test.au", "consent": "UNSUBSCRIBED"},
    {"profile_id": "PC", "email": "cleo@mail.test.au", "consent": "SUBSCRIBED"},
]
ESP_EVENT_ROWS = [
    {"event_id": "E1", "profile_id": "PA", "type": "sent", "ts": "2025-11-01 08:00:00"},
    {"event_id": "E2", "profile_id": "PA", "type": "open", "ts": "2025-11-01 09:00:00"},
    {"event_id": "E3", "profile_id": "PA", "type": "click", "ts": "2025-11-01 09:05:00"},
    {"event_id": "E4", "profile_id": "PA", "type": "open", "ts": "2025-11-20 08:00:00"},
    {"event_id": "E5", "profile_id": "PB", "type": "sent", "ts": "2025-10-01 09:00:00"},
    {"event_id": "E6", "profile_id": "PB", "type": "unsubscribe", "ts": "2025-10-05 10:00:00"},
    {"event_id": "E7", "profile_id": "PC", "type": "sent", "ts": "2025-12-24 09:00:00"},
    {"event_id": "E8", "profile_id": "PC", "type": "open", "ts": "2025-12-25 09:00:00"},
]


async def ingest_shop(
    graph: GraphClient,
    folder: Path,
    customers: Sequence[Mapping[str, Any]],
    orders: Sequence[Mapping[str, Any]],
    source: str = "shop",
) -> None:
    write_csv(folder / source / "customers.csv", CUSTOMERS, customers)
    write_csv(folder / source / "orders.csv", ORDERS, orders)
    mapping = parse_mapping(SHOP_MAPPING.replace("source: shop", f"source: {source}"), "test")
    await Ingestor(graph, mapping).ingest_path(folder / source)


async def ingest_hand_data(graph: GraphClient, folder: Path) -> None:
    await ingest_shop(graph, folder, SHOP_CUSTOMERS, SHOP_ORDERS)
    write_csv(folder / "esp" / "profiles.csv", ESP_PROFILES, ESP_PROFILE_ROWS)
    write_csv(folder / "esp" / "events.csv", ESP_EVENTS, ESP_EVENT_ROWS)
    await Ingestor(graph, builtin_mapping("esp")).ingest_path(folder / "esp")
    await Resolver(graph).resolve()


async def store_params(graph: GraphClient) -> str:
    number = await enrich_repo.put_model(graph, MODEL_ID, model_props(PARAMS))
    return f"clv/{number}@{PARAMS.fitted_at}"


async def profile_of(graph: GraphClient, rid: str) -> dict[str, Any]:
    rows = await graph.read_text(
        "t",
        "MATCH (:Record {rid: $rid})-[:IN_PROFILE]->(p:Profile) RETURN properties(p) AS p",
        {"rid": rid},
    )
    assert rows, rid
    return dict(rows[0]["p"])


async def all_profiles(graph: GraphClient) -> dict[str, dict[str, Any]]:
    rows = await graph.read_text(
        "t", "MATCH (p:Profile) WHERE p.retired IS NULL RETURN p.pid AS pid, properties(p) AS p"
    )
    return {r["pid"]: dict(r["p"]) for r in rows}


async def dirty_count(graph: GraphClient) -> int:
    rows = await graph.read_text(
        "t", "MATCH (p:Profile) WHERE p.enrich_dirty IS NOT NULL RETURN count(p) AS n"
    )
    return int(rows[0]["n"])


@pytest.fixture
def postcodes(tmp_path: Path) -> Path:
    path = tmp_path / "postcodes.csv"
    path.write_text(POSTCODES, encoding="utf-8")
    return path


# -- every attribute by hand --------------------------------------------------------------

# The CLV summaries by hand (days; orders grouped by UTC day):
# A: days 2025-01-01 (100 + 50), 07-05 (80), 12-02 (30): x 2, t_x 335, T 365, m (80+30)/2.
# B: one order 2025-10-01: x 0, T 92.   D: 03-01, 03-15: x 1, t_x 14, T 306, m 60.
# E: 06-01, 08-01, 09-01: x 2, t_x 92, T 214, m 300.   F: 12-10..12-14: x 4, t_x 4, T 22.
HAND_SUMMARY = pd.DataFrame(
    {
        "customer_id": ["A", "B", "D", "E", "F"],
        "frequency": [2.0, 0.0, 1.0, 2.0, 4.0],
        "recency": [335.0, 0.0, 14.0, 92.0, 4.0],
        "T": [365.0, 92.0, 306.0, 214.0, 22.0],
        "monetary_value": [55.0, np.nan, 60.0, 300.0, 10.0],
    }
)


async def test_attributes_match_hand_computed_values(
    graph: GraphClient, tmp_path: Path, postcodes: Path
) -> None:
    await ingest_hand_data(graph, tmp_path)
    version = await store_params(graph)
    started = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    report = await Enricher(graph, provider=PostcodeFileProvider(postcodes)).run(
        full=True, as_of=AS_OF
    )
    assert report.mode == "full" and report.with_purchases == 5 and report.predicted == 5
    a = await profile_of(graph, "shop:a1")
    b = await profile_of(graph, "shop:b1")
    c = await profile_of(graph, "esp:PC")
    d = await profile_of(graph, "shop:d1")
    e = await profile_of(graph, "shop:e1")
    f = await profile_of(graph, "shop:f1")
    assert a["pid"] == (await profile_of(graph, "esp:PA"))["pid"]
    assert set(ATTRIBUTES) <= set(a) | {k for k in ATTRIBUTES if a.get(k) is None}

    # Purchases.
    assert (a["orders_count"], a["total_spend"], a["avg_order_value"]) == (4, 260.0, 65.0)
    assert a["first_purchase_at"] == "2025-01-01T10:00:00Z"
    assert a["last_purchase_at"] == "2025-12-02T10:00:00Z"
    assert (d["orders_count"], d["total_spend"], d["avg_order_value"]) == (2, 100.0, 50.0)
    assert (c["orders_count"], c["total_spend"]) == (0, 0.0)
    assert c.get("avg_order_value") is None and c.get("last_purchase_at") is None

    # RFM among the five buyers: R by last purchase D < E < B < A < F; F by orders
    # B 1 < D 2 < E 3 < A 4 < F 5; M by spend F 50 < D 100 < B 200 < A 260 < E 900.
    rfm = {
        name: (p["rfm_r"], p["rfm_f"], p["rfm_m"], p["rfm_segment"])
        for name, p in {"A": a, "B": b, "D": d, "E": e, "F": f}.items()
    }
    assert rfm == {
        "A": (4, 4, 4, "Champions"),
        "B": (3, 1, 3, "About To Sleep"),
        "D": (1, 2, 2, "Lost"),
        "E": (2, 3, 5, "At Risk"),
        "F": (5, 5, 1, "Loyal Customers"),
    }
    assert c.get("rfm_r") is None and c.get("rfm_segment") is None

    # Channels: A has two days each online, in store and by email; store is the latest.
    assert (a["channels"], a["preferred_channel"]) == (["email", "online", "store"], "store")
    assert (b["channels"], b["preferred_channel"]) == (["online"], "online")  # sent/unsub: no
    assert (c["channels"], c["preferred_channel"]) == (["email"], "email")
    assert (d["channels"], d["preferred_channel"]) == (["store"], "store")

    # Category affinity, half-life 180 days, ages from the orders' times to AS_OF.
    womens = 100 * 2 ** (-(365 - 10 / 24) / 180) + 80 * 2 ** (-(180 - 10 / 24) / 180)
    footwear = 50 * 2 ** (-(365 - 15 / 24) / 180)
    homeware = 30 * 2 ** (-(30 - 10 / 24) / 180)
    total = womens + footwear + homeware
    assert shares_of(a["category_affinity"]) == {
        "Womenswear": round(womens / total, 4),
        "Homeware": round(homeware / total, 4),
        "Footwear": round(footwear / total, 4),
    }
    assert a["top_category"] == "Womenswear"
    assert json.loads(e["category_affinity"]) == {"Beauty": 1.0}
    assert (d["top_category"], f["top_category"]) == ("Kids", "Accessories")
    assert c.get("category_affinity") is None

    # Email engagement, loyalty, consent.
    assert a["last_email_open_at"] == "2025-11-20T08:00:00Z"
    assert a["last_email_click_at"] == "2025-11-01T09:05:00Z"
    assert c["last_email_open_at"] == "2025-12-25T09:00:00Z"
    assert b.get("last_email_open_at") is None
    assert (a["unsubscribed"], b["unsubscribed"], c["unsubscribed"]) == (False, True, False)
    assert (a["consent_email"], b["consent_email"], c["consent_email"]) == (True, False, True)
    assert d.get("consent_email") is None
    assert (a["consent_sms"], b.get("consent_sms")) == (True, None)
    assert (a["loyalty_tier"], a["loyalty_points"]) == ("Gold", 1200)
    assert b.get("loyalty_tier") is None
    assert sorted(a["sources"]) == ["esp", "shop"]

    # Predictions: the closed forms of the stored model on the hand summary.
    # Probabilities, expected purchases and percentiles are stored to 4 decimals.
    expected = predict_clv(PARAMS, HAND_SUMMARY).set_index("customer_id")
    for name, p in {"A": a, "B": b, "D": d, "E": e, "F": f}.items():
        want = expected.loc[name]
        repeat = name != "B"
        assert p["clv_model_version"] == version
        assert p.get("p_alive") == (round(want["p_alive"], 4) if repeat else None)
        assert p.get("churn_risk") == (want["churn_risk"] if repeat else None)
        for attr in ("expected_purchases_90d", "expected_purchases_365d", "prob_purchase_30d"):
            assert p[attr] == round(want[attr], 4), (name, attr)
        assert p["clv_12m"] == round(want["clv_12m"], 2)
        assert p["clv_percentile"] == round(want["clv_percentile"], 4)
        gap = want["expected_next_purchase_days"]
        next_at = (
            str(np.datetime64("2026-01-01") + np.timedelta64(round(gap), "D"))
            if gap <= 5 * 365
            else None
        )
        assert p.get("expected_next_purchase_at") == next_at
        assert p.get("clv_reason") == (None if repeat else "no_repeat_purchase")
    assert c.get("clv_reason") == "no_purchases" and c.get("p_alive") is None
    assert c.get("clv_12m") is None
    # When the profile was written, not the as-of moment of the figures.
    assert a["enriched_at"] >= started

    # Demographics with provenance: A by (AU, 2000); B has no country and 6011 exists in
    # AU and NZ, so the default AU; D's 9999 is unknown.
    assert (a["demo_income_band"], a["demo_age_band"]) == ("Middle", "18-34")
    assert (a["demo_urbanity"], a["demo_lifestyle"]) == ("inner", "Young Renters")
    assert a["demo_provider"] == "postcode_file:postcodes.csv"
    assert a["demo_fetched_at"].endswith("Z")
    assert b["demo_lifestyle"] == "Established Affluent"
    assert all(d.get(k) is None for k in DEMOGRAPHIC_ATTRIBUTES)
    assert await dirty_count(graph) == 0


async def test_without_a_model_predictions_are_null_with_a_reason(
    graph: GraphClient, tmp_path: Path
) -> None:
    await ingest_hand_data(graph, tmp_path)
    report = await Enricher(graph).run(as_of=AS_OF)
    # The first run on a graph has no population reference: it is a full run.
    assert (report.mode, report.full_reason) == ("full", "no population reference yet")
    assert report.model_version is None
    a = await profile_of(graph, "shop:a1")
    c = await profile_of(graph, "esp:PC")
    assert a["clv_reason"] == "no_model" and a.get("p_alive") is None
    assert a["rfm_segment"] == "Champions" and a["orders_count"] == 4
    assert c["clv_reason"] == "no_purchases"
    assert a.get("demo_provider") is None  # no provider: demographics left alone


# -- incremental --------------------------------------------------------------------------


async def test_merged_and_split_profiles_are_recomputed(graph: GraphClient, tmp_path: Path) -> None:
    x = {"id": "s1", "email": "x1@mail.test.au"}
    y = {"id": "s2", "email": "y1@mail.test.au"}
    orders = [
        order("p1", "s1", "2025-05-01T10:00:00Z", "online", ("Kids", 1, 10.0)),
        order("p2", "s2", "2025-06-01T10:00:00Z", "store", ("Beauty", 1, 20.0)),
        order("p3", "s2", "2025-07-01T10:00:00Z", "store", ("Beauty", 1, 30.0)),
    ]
    await ingest_shop(graph, tmp_path, [x, y], orders)
    await Resolver(graph).resolve()
    await store_params(graph)
    enricher = Enricher(graph)
    await enricher.run(full=True, as_of=AS_OF)
    assert (await profile_of(graph, "shop:s1"))["orders_count"] == 1
    assert (await profile_of(graph, "shop:s2"))["orders_count"] == 2

    # s2 takes s1's email: the records merge into one profile.
    await ingest_shop(graph, tmp_path, [x, {**y, "email": "x1@mail.test.au"}], orders)
    await Resolver(graph).resolve()
    assert await dirty_count(graph) == 1
    report = await enricher.run(as_of=AS_OF)
    assert (report.mode, report.dirty, report.profiles) == ("incremental", 1, 1)
    merged = await profile_of(graph, "shop:s1")
    assert merged["pid"] == (await profile_of(graph, "shop:s2"))["pid"]
    assert (merged["orders_count"], merged["total_spend"]) == (3, 60.0)
    assert merged["channels"] == ["online", "store"] and merged["preferred_channel"] == "store"
    assert merged["first_purchase_at"] == "2025-05-01T10:00:00Z"
    assert merged["p_alive"] is not None  # now a repeat customer across both records
    assert await dirty_count(graph) == 0

    # And apart again: both profiles recomputed.
    await ingest_shop(graph, tmp_path, [x, {**y, "email": "z1@mail.test.au"}], orders)
    await Resolver(graph).resolve()
    report = await enricher.run(as_of=AS_OF)
    assert report.dirty == 2 and report.profiles == 2
    one, two = await profile_of(graph, "shop:s1"), await profile_of(graph, "shop:s2")
    assert one["pid"] != two["pid"]
    assert (one["orders_count"], one["total_spend"], one["channels"]) == (1, 10.0, ["online"])
    assert (two["orders_count"], two["total_spend"], two["channels"]) == (2, 50.0, ["store"])
    assert one.get("p_alive") is None and one["clv_reason"] == "no_repeat_purchase"
    assert await dirty_count(graph) == 0


async def test_new_activity_is_picked_up_without_resolution(
    graph: GraphClient, tmp_path: Path
) -> None:
    await ingest_hand_data(graph, tmp_path)
    await store_params(graph)
    enricher = Enricher(graph)
    await enricher.run(full=True, as_of=AS_OF)
    untouched = await profile_of(graph, "shop:e1")
    # A new order of an existing record: no record changes, so nothing is dirty.
    later = [*SHOP_ORDERS, order("o99", "a1", "2025-12-20T10:00:00Z", "online", ("Kids", 1, 40))]
    await ingest_shop(graph, tmp_path, SHOP_CUSTOMERS, later)
    report = await enricher.run(as_of=AS_OF)
    assert (report.mode, report.dirty, report.active, report.profiles) == (
        "incremental",
        0,
        1,
        1,
    )
    a = await profile_of(graph, "shop:a1")
    assert (a["orders_count"], a["total_spend"]) == (5, 300.0)
    assert a["last_purchase_at"] == "2025-12-20T10:00:00Z"
    assert await profile_of(graph, "shop:e1") == untouched
    # Nothing new: nothing recomputed.
    assert (await enricher.run(as_of=AS_OF)).profiles == 0


async def test_a_profile_resolved_during_a_run_stays_dirty(
    graph: GraphClient, tmp_path: Path
) -> None:
    await ingest_hand_data(graph, tmp_path)
    await Enricher(graph).run(full=True, as_of=AS_OF)
    assert await dirty_count(graph) == 0
    d, e = await profile_of(graph, "shop:d1"), await profile_of(graph, "shop:e1")
    # d: marked by resolution before the run; e: rewritten by a resolution that finished
    # after the run started (its resolved_at is later), so its new state is not read yet.
    await graph.write_text(
        "t",
        "MATCH (p:Profile {pid: $d}) SET p.enrich_dirty = true, p.orders_count = -1 "
        "WITH 1 AS one MATCH (q:Profile {pid: $e}) "
        "SET q.enrich_dirty = true, q.resolved_at = '2999-01-01T00:00:00Z'",
        {"d": d["pid"], "e": e["pid"]},
    )
    report = await Enricher(graph).run(as_of=AS_OF)
    assert (report.mode, report.dirty, report.profiles) == ("incremental", 2, 2)
    assert (await profile_of(graph, "shop:d1"))["orders_count"] == 2
    remaining = await graph.read_text(
        "t", "MATCH (p:Profile) WHERE p.enrich_dirty IS NOT NULL RETURN p.pid AS pid"
    )
    assert [r["pid"] for r in remaining] == [e["pid"]]


async def test_unchanged_profiles_are_not_rewritten(graph: GraphClient, tmp_path: Path) -> None:
    await ingest_hand_data(graph, tmp_path)
    await store_params(graph)
    enricher = Enricher(graph)
    first = await enricher.run(full=True, as_of=AS_OF)
    assert first.profiles > 0 and first.unchanged == 0
    before = await all_profiles(graph)
    assert all(isinstance(p.get("enrich_hash"), int) for p in before.values())

    # Same facts, same moment: every profile computes to what it has; none is written
    # (enriched_at says when a profile's attributes were last written).
    again = await enricher.run(full=True, as_of=AS_OF)
    assert (again.profiles, again.unchanged) == (0, first.profiles)
    assert await all_profiles(graph) == before

    # A dirty profile is written (and its flag cleared) even when nothing changed; a
    # profile whose stored fingerprint differs is written too.
    d, e = await profile_of(graph, "shop:d1"), await profile_of(graph, "shop:e1")
    await graph.write_text(
        "t",
        "MATCH (p:Profile {pid: $d}) SET p.enrich_dirty = true "
        "WITH 1 AS one MATCH (q:Profile {pid: $e}) SET q.enrich_hash = 1, q.orders_count = -1",
        {"d": d["pid"], "e": e["pid"]},
    )
    full = await enricher.run(full=True, as_of=AS_OF)
    assert (full.profiles, full.unchanged) == (2, first.profiles - 2)
    after = await all_profiles(graph)
    assert after[e["pid"]]["orders_count"] == e["orders_count"]
    assert after[e["pid"]]["enrich_hash"] == e["enrich_hash"]
    assert await dirty_count(graph) == 0

    # Without skipping, every profile is written.
    everything = await Enricher(graph, config=EnrichConfig(skip_unchanged=False)).run(
        full=True, as_of=AS_OF
    )
    assert (everything.profiles, everything.unchanged) == (first.profiles, 0)


async def test_attributes_that_become_null_are_removed(graph: GraphClient, tmp_path: Path) -> None:
    await ingest_hand_data(graph, tmp_path)
    await store_params(graph)
    enricher = Enricher(graph)
    await enricher.run(full=True, as_of=AS_OF)
    d = await profile_of(graph, "shop:d1")
    assert d["orders_count"] == 2 and d["clv_12m"] is not None and d["rfm_segment"]

    # d's orders disappear without resolution marking anything: a full run finds its
    # fingerprint changed and removes every purchase attribute.
    await graph.write_text(
        "t",
        "MATCH (:Profile {pid: $pid})<-[:IN_PROFILE]-(:Record)<-[:PLACED_BY]-(o:Order) "
        "DETACH DELETE o",
        {"pid": d["pid"]},
    )
    report = await enricher.run(full=True, as_of=AS_OF)
    # d, and the other buyers, whose relative scores (RFM, CLV percentile) moved; the
    # profile without purchases is left alone.
    assert report.profiles == 5 and report.unchanged == 1
    gone = await profile_of(graph, "shop:d1")
    assert (gone["orders_count"], gone["total_spend"], gone["clv_reason"]) == (
        0,
        0.0,
        "no_purchases",
    )
    for name in ("avg_order_value", "first_purchase_at", "last_purchase_at", "rfm_r"):
        assert name not in gone, name
    for name in ("rfm_segment", "top_category", "category_affinity", "clv_12m", "p_alive"):
        assert name not in gone, name
    assert "store" not in (gone.get("channels") or [])


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return bool(a == b)


def _differences(
    left: Mapping[str, Any], right: Mapping[str, Any], names: Sequence[str]
) -> list[str]:
    return [n for n in names if not _same(left.get(n), right.get(n))]


RELATIVE = ("rfm_r", "rfm_f", "rfm_m", "rfm_segment", "clv_percentile")
COMPARED = [n for n in ATTRIBUTES if n != "enriched_at"]
ABSOLUTE = [n for n in COMPARED if n not in RELATIVE]


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("gen")
    generate(out, customers=200, seed=5)
    return out


async def test_fit_then_incremental_agrees_with_full(
    graph: GraphClient, generated: Path, tmp_path: Path
) -> None:
    for source in ("ecommerce", "pos", "esp", "loyalty", "service", "web"):
        await Ingestor(graph, builtin_mapping(source)).ingest_path(generated)
    await Resolver(graph).resolve()
    provider = PostcodeFileProvider(generated / "reference" / "postcodes.csv")
    enricher = Enricher(graph, provider=provider)
    moment = datetime(2026, 11, 28, tzinfo=UTC)

    fitted = await enricher.run(fit=True, as_of=moment)
    assert fitted.fitted and fitted.mode == "full" and fitted.demographics_matched > 0
    model = await enrich_repo.get_model(graph, MODEL_ID)
    assert model is not None and model["version"] == 1
    params = params_from_json(model["params_json"])
    assert params.fitted_at == model["fitted_at"] and params.n_customers == fitted.with_purchases
    assert fitted.model_version == f"clv/1@{params.fitted_at}"
    full = await all_profiles(graph)
    assert len(full) == fitted.profiles and await dirty_count(graph) == 0
    assert {p["clv_model_version"] for p in full.values() if p["orders_count"]} == {
        fitted.model_version
    }

    # Unchanged profiles recomputed incrementally get exactly what the full run gave them,
    # relative scores included (they are placed by the stored population reference).
    some = sorted(full)[::5]
    await graph.write_text(
        "t", "MATCH (p:Profile) WHERE p.pid IN $pids SET p.enrich_dirty = true", {"pids": some}
    )
    report = await enricher.run(as_of=moment)
    assert (report.mode, report.profiles) == ("incremental", len(some))
    again = await all_profiles(graph)
    for pid in some:
        assert _differences(full[pid], again[pid], [*COMPARED, *DEMOGRAPHIC_ATTRIBUTES[:4]]) == []

    # New orders for a few customers: the incremental run, then a full run, agree on every
    # absolute attribute; relative ones move at most a little with the population.
    rows = [
        json.loads(line)
        for line in (generated / "ecommerce" / "orders.jsonl").read_text().splitlines()[:6]
    ]
    extra = tmp_path / "ecommerce"
    extra.mkdir()
    for i, row in enumerate(rows):
        row["id"] = 9_000_000_000_000 + i
        row["created_at"] = "2026-11-15T10:00:00+11:00"
    (extra / "orders.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    await Ingestor(graph, builtin_mapping("ecommerce")).ingest_path(extra)
    report = await enricher.run(as_of=moment)
    assert report.mode == "incremental" and 1 <= report.profiles <= 6
    incremental = await all_profiles(graph)
    await enricher.run(full=True, as_of=moment)
    recomputed = await all_profiles(graph)
    for pid, profile in recomputed.items():
        assert _differences(incremental[pid], profile, ABSOLUTE) == [], pid
        for name in ("rfm_r", "rfm_f", "rfm_m"):
            if profile.get(name) is not None:
                assert abs(incremental[pid][name] - profile[name]) <= 1
        if profile.get("clv_percentile") is not None:
            assert abs(incremental[pid]["clv_percentile"] - profile["clv_percentile"]) < 0.05
    reference = await enrich_repo.get_model(graph, REFERENCE_ID)
    assert reference is not None and reference["orders_watermark"] >= "2026-11-14"


# -- providers and time-relative attributes -----------------------------------------------


class FakeAreas(FakeApi):
    def route(self, request: Request) -> Reply:
        self.require(request.headers.get("authorization") == "Bearer k-test-1", "key", 401)
        areas = request.json()["areas"]
        return Reply(
            200,
            {
                "results": [
                    {
                        "country": a["country"] or "AU",
                        "postcode": a["postcode"],
                        "income_band": "High",
                        "age_band": "35-49",
                        "urbanity": "metro",
                        "lifestyle_segment": "Growing Families",
                    }
                    for a in areas
                    if a["postcode"] != "9999"
                ]
            },
        )


@pytest.fixture
def areas() -> Iterator[FakeAreas]:
    with FakeAreas() as api:
        yield api


async def test_http_provider_fills_demographics_with_provenance(
    graph: GraphClient, tmp_path: Path, areas: FakeAreas
) -> None:
    await ingest_hand_data(graph, tmp_path)
    settings = HttpProviderSettings(
        name="areas-api", base_url=areas.url, api_key=SecretStr("k-test-1"), batch_size=1
    )
    provider = HttpAreaProvider(settings)
    try:
        report = await Enricher(graph, provider=provider).run(full=True, as_of=AS_OF)
    finally:
        await provider.aclose()
    assert areas.violations == []
    assert report.demographics_matched == 2  # A (2000) and B (6011); D's 9999 unknown
    assert len(areas.calls("POST")) == 3  # one per distinct area, batch size 1
    a = await profile_of(graph, "shop:a1")
    assert (a["demo_lifestyle"], a["demo_provider"]) == ("Growing Families", "areas-api")
    assert a["demo_fetched_at"] >= "2026"
    d = await profile_of(graph, "shop:d1")
    assert d.get("demo_provider") is None


async def test_relative_cypher_agrees_with_python(graph: GraphClient, tmp_path: Path) -> None:
    await ingest_hand_data(graph, tmp_path)
    await Enricher(graph).run(full=True, as_of=AS_OF)
    days = days_since_last_purchase_cypher("p", "today")
    engaged = engaged_90d_cypher("p", "today")
    query = (
        f"MATCH (p:Profile) WHERE p.retired IS NULL "
        f"RETURN properties(p) AS props, {days} AS days, {engaged} AS engaged"
    )
    for today in (date(2026, 1, 1), date(2026, 2, 18), date(2026, 3, 26)):
        rows = await graph.read_text("t", query, {"today": today.isoformat()})
        assert rows
        for row in rows:
            assert row["days"] == days_since_last_purchase(row["props"], today)
            assert row["engaged"] is engaged_90d(row["props"], today)
    a = await profile_of(graph, "shop:a1")
    # Days pass without a recompute: 30 days after 2025-12-02 on New Year's day, 90 later.
    assert days_since_last_purchase(a, date(2026, 1, 1)) == 30
    assert days_since_last_purchase(a, date(2026, 3, 2)) == 90
    assert engaged_90d(a, date(2026, 2, 17)) is True  # open on 2025-11-20: 89 days
    assert engaged_90d(a, date(2026, 2, 18)) is False


# -- command line -------------------------------------------------------------------------


async def test_cli_runs_reports_and_refuses_a_fit_without_history(
    graph: GraphClient, tmp_path: Path, postcodes: Path
) -> None:
    app = typer.Typer()
    app.command()(enrich_cmd.enrich)
    runner = CliRunner()

    def invoke(*args: str) -> tuple[int, str]:
        result = runner.invoke(app, list(args))
        return result.exit_code, " ".join(result.stdout.split())  # rich wraps lines

    # One-time buyers only: nothing to fit the spend model on.
    once = [
        order(f"x{i}", f"s{i}", "2025-05-01T10:00:00Z", "online", ("Kids", 1, 9)) for i in (1, 2)
    ]
    await ingest_shop(graph, tmp_path, [{"id": "s1"}, {"id": "s2"}], once, source="solo")
    await Resolver(graph).resolve()
    code, out = await asyncio.to_thread(invoke, "--fit", "--as-of", "2026-01-01")
    assert code == 1 and "cannot fit the CLV models" in out and "repeat customers" in out
    assert await enrich_repo.get_model(graph, MODEL_ID) is None

    await ingest_hand_data(graph, tmp_path)
    code, out = await asyncio.to_thread(
        invoke, "--all", "--as-of", "2026-01-01", "--postcodes", str(postcodes)
    )
    assert code == 0, out
    assert "profiles written" in out and "none (run `cdp enrich --fit`)" in out
    assert (await profile_of(graph, "shop:a1"))["demo_provider"] == "postcode_file:postcodes.csv"
    code, out = await asyncio.to_thread(invoke, "--no-demographics", "--as-of", "2026-01-01")
    assert code == 0 and "incremental" in out
    code, _ = await asyncio.to_thread(invoke, "--as-of", "yesterday")
    assert code == 2


# -- the GraphQL API ----------------------------------------------------------------------

ENRICHMENT_FIELDS = {
    "ordersCount": "orders_count",
    "totalSpend": "total_spend",
    "avgOrderValue": "avg_order_value",
    "firstPurchaseAt": "first_purchase_at",
    "lastPurchaseAt": "last_purchase_at",
    "rfmR": "rfm_r",
    "rfmF": "rfm_f",
    "rfmM": "rfm_m",
    "rfmSegment": "rfm_segment",
    "channels": "channels",
    "preferredChannel": "preferred_channel",
    "topCategory": "top_category",
    "lastEmailOpenAt": "last_email_open_at",
    "lastEmailClickAt": "last_email_click_at",
    "unsubscribed": "unsubscribed",
    "loyaltyTier": "loyalty_tier",
    "loyaltyPoints": "loyalty_points",
    "consentEmail": "consent_email",
    "consentSms": "consent_sms",
    "pAlive": "p_alive",
    "churnRisk": "churn_risk",
    "expectedPurchases90d": "expected_purchases_90d",
    "expectedPurchases365d": "expected_purchases_365d",
    "clv12m": "clv_12m",
    "clvPercentile": "clv_percentile",
    "probPurchase30d": "prob_purchase_30d",
    "expectedNextPurchaseAt": "expected_next_purchase_at",
    "clvReason": "clv_reason",
    "clvModelVersion": "clv_model_version",
    "enrichedAt": "enriched_at",
}


async def test_graphql_serves_every_enrichment_attribute(
    graph: GraphClient, settings: Settings, tmp_path: Path, postcodes: Path
) -> None:
    await ingest_hand_data(graph, tmp_path)
    await store_params(graph)
    await Enricher(graph, provider=PostcodeFileProvider(postcodes)).run(full=True, as_of=AS_OF)
    key = await issue_key(graph, "test-analyst", "analyst")
    fields = " ".join(ENRICHMENT_FIELDS)
    query = f"""query($pid: ID!) {{ profile(pid: $pid) {{
        enrichment {{ {fields} categoryAffinity daysSinceLastPurchase engaged90d }}
        demographics {{ incomeBand ageBand urbanity lifestyle provider fetchedAt }} }} }}"""
    app = create_app(settings, graph=graph)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            api = GraphQLClient(client, {"analyst": key})
            for rid in ("shop:a1", "esp:PC", "shop:f1"):
                props = await profile_of(graph, rid)
                data = await api.data(query, {"pid": props["pid"]}, role="analyst")
                served = data["profile"]
                e = served["enrichment"]
                for name, prop in ENRICHMENT_FIELDS.items():
                    assert _same(e[name], props.get(prop)), (rid, name, e[name], props.get(prop))
                assert e["categoryAffinity"] == (
                    None
                    if props.get("category_affinity") is None
                    else json.loads(props["category_affinity"])
                )
                today = datetime.now(UTC).date()
                assert e["daysSinceLastPurchase"] == days_since_last_purchase(props, today)
                assert e["engaged90d"] is engaged_90d(props, today)
                demo = served["demographics"]
                if props.get("demo_provider") is None:
                    assert demo is None
                else:
                    assert demo["provider"] == props["demo_provider"]
                    assert demo["incomeBand"] == props["demo_income_band"]
                    assert demo["fetchedAt"] == props["demo_fetched_at"]
    a = await profile_of(graph, "shop:a1")
    assert a["churn_risk"] in {"High", "Medium", "Low"}  # served as text, not a number
