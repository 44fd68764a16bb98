"""Rebuild the 1M-customer enrichment benchmark graph (issue 6) without the pipeline.

Ingesting and resolving a million customers takes hours; for benchmarking enrichment the
graph is built offline instead, shaped as the pipeline builds it (Profile <-IN_PROFILE-
Record <-PLACED_BY- Order, Event -BY-> Record, with the properties `cypher/enrich_*` read),
profiles taken from the generator's ground truth except the records resolution cannot
link (web cookies that never logged in, walk-in sales without identity, junk records),
which stay profiles of their own. It is not the resolver's output, only its shape and size:
3.5M records, 1.96M profiles, 2.7M orders, 12.6M events.

    # 1. the generator's data (about 20 minutes, 20.5M rows)
    python -c "from pathlib import Path; from generator import generate; \
        generate(Path('/tmp/enrich-bench/data-1000000'), customers=1_000_000, seed=42)"
    # 2. neo4j-admin import CSVs (about 8 minutes, 2.4 GB)
    python -m bench.enrich_graph csv /tmp/enrich-bench/data-1000000 /tmp/enrich-bench/import
    # 3. offline import into the home a LocalNeo4j starts on (about 5 minutes); the server
    #    must be stopped. The import tool ships with the local Neo4j's jars.
    python -m bench.enrich_graph import /tmp/enrich-bench/import /tmp/enrich-bench/neo4j-1m
    # 4. start it and create the constraints and indexes (about 3 minutes)
    export NEO4J_URI=bolt://127.0.0.1:7695 NEO4J_LOCAL_PORT=7695 \
        NEO4J_LOCAL_HOME=/tmp/enrich-bench/neo4j-1m NEO4J_LOCAL_HEAP=4g \
        NEO4J_LOCAL_PAGECACHE=4g NEO4J_LOCAL_START_TIMEOUT_S=600
    python -m cli.main neo4j start && python -m cli.main migrate
    # 5. the benchmark
    python -m bench.enrich --repeat --incremental 10000
"""

from __future__ import annotations

import argparse
import csv
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.json as pj

from bench.admin_import import admin_import

T0 = time.perf_counter()


def log(*a: Any) -> None:
    print(f"{time.perf_counter() - T0:7.1f}s", *a, flush=True)


def utc_from_offset(series: Any) -> Any:
    return pd.to_datetime(series, utc=True, format="ISO8601").dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def naive_utc(series: Any) -> Any:
    return series.str.slice(0, 10) + "T" + series.str.slice(11, 19) + "Z"


def to_csv(src: Path, out: Path) -> None:
    """Write the import CSVs of the generator's data in src to out."""
    out.mkdir(parents=True, exist_ok=True)
    # -- which profile each record belongs to -------------------------------------------------
    truth = pd.read_csv(src / "truth/ground_truth.csv", dtype=str)
    truth["rid"] = truth["source"] + ":" + truth["source_id"]
    truth["pid"] = "p-" + truth["person_id"]
    log("truth", len(truth))

    # Web cookies that logged in at least once link to their person; the others stay alone.
    logged_in = set()
    web_events = []
    reader = pj.open_json(
        src / "web/events.jsonl", read_options=pj.ReadOptions(block_size=64 << 20)
    )
    for batch in reader:
        df = batch.to_pandas()[["event_id", "anonymous_id", "user_email", "type", "ts"]]
        df = df[df["anonymous_id"].notna()]
        logged_in.update(df.loc[df["user_email"].notna(), "anonymous_id"].unique().tolist())
        web_events.append(
            pd.DataFrame(
                {
                    "eid": "web:" + df["event_id"],
                    "source": "web",
                    "type": df["type"],
                    "ts": df["ts"].str.slice(0, 19) + "Z",
                    "rid": "web:" + df["anonymous_id"],
                }
            )
        )
    web_events = pd.concat(web_events, ignore_index=True)
    log("web events", len(web_events), "cookies logged in", len(logged_in))

    tx = pd.read_csv(src / "pos/transactions.csv", dtype=str, keep_default_na=False)
    walk_in = tx["pos_customer_id"] == ""
    anonymous = walk_in & (tx["phone"] == "") & (tx["email"] == "") & (tx["loyalty_number"] == "")
    alone = set(("pos:" + tx.loc[anonymous, "transaction_id"]).tolist())
    is_web = truth["source"] == "web"
    alone.update(truth.loc[is_web & ~truth["source_id"].isin(logged_in), "rid"].tolist())
    solo = truth["rid"].isin(alone) | truth["person_id"].str.startswith("junk")
    truth.loc[solo, "pid"] = "p-r-" + truth.loc[solo, "rid"].str.replace(":", "-", regex=False)
    log("records alone", int(solo.sum()), "profiles", truth["pid"].nunique())

    # -- records ------------------------------------------------------------------------------
    rec = truth[["rid", "source", "source_id", "pid"]].copy()
    cust = pd.read_json(src / "ecommerce/customers.jsonl", lines=True, dtype=False)
    cust = cust[cust["id"].notna()]
    addr = pd.json_normalize(cust["default_address"].where(cust["default_address"].notna(), {}))
    eco = pd.DataFrame(
        {
            "rid": "ecommerce:" + cust["id"].astype("int64").astype(str).values,
            "observed_at": utc_from_offset(cust["updated_at"]).values,
            "consent_email": np.where(cust["accepts_marketing"].astype(bool), "true", "false"),
            "postcode": addr.get("zip", pd.Series([None] * len(cust))).values,
            "country": addr.get("country_code", pd.Series([None] * len(cust))).values,
        }
    )
    esp = pd.read_csv(src / "esp/profiles.csv", dtype=str, keep_default_na=False)
    esp = esp[esp["profile_id"] != ""]
    espr = pd.DataFrame(
        {
            "rid": "esp:" + esp["profile_id"],
            "email_consent_status": esp["consent"],
            "observed_at": naive_utc(esp["created"]),
            "postcode": esp["zip"].replace("", None),
        }
    )
    loy = pd.read_csv(src / "loyalty/members.csv", dtype=str, keep_default_na=False)
    loy = loy[loy["loyalty_id"] != ""]
    loyr = pd.DataFrame(
        {
            "rid": "loyalty:" + loy["loyalty_id"],
            "loyalty_tier": loy["tier"],
            "loyalty_points": loy["points"].astype(float).astype(str),
            "postcode": loy["postcode"].str.zfill(4).replace("0000", None),
        }
    )
    attrs = pd.concat([eco, espr, loyr], ignore_index=True)
    rec = rec.merge(attrs, on="rid", how="left")
    rec[":LABEL"] = "Record"
    cols = [
        "rid",
        "source",
        "source_id",
        "observed_at",
        "loyalty_tier",
        "loyalty_points",
        "consent_email",
        "email_consent_status",
        "postcode",
    ]
    rec[cols + [":LABEL"]].rename(columns={"rid": "rid:ID(Record)"}).to_csv(
        out / "records.csv", index=False
    )
    rec[["rid", "pid"]].assign(t="IN_PROFILE").rename(
        columns={"rid": ":START_ID(Record)", "pid": ":END_ID(Profile)", "t": ":TYPE"}
    ).to_csv(out / "in_profile.csv", index=False)
    log("records written", len(rec))

    # -- profiles -----------------------------------------------------------------------------
    order = {"loyalty": 0, "ecommerce": 1, "esp": 2}
    pc = rec[rec["postcode"].notna()].copy()
    pc["rank"] = pc["source"].map(order).fillna(9)
    pc = pc.sort_values(["pid", "rank"]).drop_duplicates("pid")
    prof = rec.groupby("pid").agg(
        sources=("source", lambda s: ";".join(sorted(set(s)))), record_count=("rid", "size")
    )
    prof = prof.join(pc.set_index("pid")[["postcode", "country"]], how="left")
    prof["country"] = prof["country"].where(prof["country"].notna(), "AU")
    prof["enrich_dirty"] = "true"
    prof[":LABEL"] = "Profile"
    prof.reset_index().rename(
        columns={
            "pid": "pid:ID(Profile)",
            "sources": "sources:string[]",
            "record_count": "record_count:int",
            "enrich_dirty": "enrich_dirty:boolean",
        }
    ).to_csv(out / "profiles.csv", index=False)
    log("profiles written", len(prof))
    del rec, attrs, pc, prof, cust, addr, eco

    # -- orders -------------------------------------------------------------------------------
    with (
        open(out / "orders.csv", "w", newline="") as fo,
        open(out / "placed_by.csv", "w", newline="") as fr,
    ):
        wo, wr = csv.writer(fo), csv.writer(fr)
        wo.writerow(
            [
                "oid:ID(Order)",
                "source",
                "placed_at",
                "total:double",
                "channel",
                "store",
                "categories:string[]",
                "line_categories:string[]",
                "line_prices:double[]",
                "line_quantities:long[]",
                ":LABEL",
            ]
        )
        wr.writerow([":START_ID(Order)", ":END_ID(Record)", ":TYPE"])
        n = 0
        for chunk in pd.read_json(
            src / "ecommerce/orders.jsonl", lines=True, dtype=False, chunksize=200_000
        ):
            placed = utc_from_offset(chunk["created_at"]).tolist()
            for (oid, cust_, total, items), ts in zip(
                chunk[["id", "customer", "total_price", "line_items"]].itertuples(index=False),
                placed,
                strict=True,
            ):
                cats = [str(i.get("product_type") or "") for i in items]
                wo.writerow(
                    [
                        f"ecommerce:{oid}",
                        "ecommerce",
                        ts,
                        total,
                        "online",
                        "",
                        ";".join(sorted({c for c in cats if c})),
                        ";".join(cats),
                        ";".join(str(i.get("price")) for i in items),
                        ";".join(str(i.get("quantity")) for i in items),
                        "Order",
                    ]
                )
                wr.writerow([f"ecommerce:{oid}", f"ecommerce:{cust_['id']}", "PLACED_BY"])
                n += 1
        log("ecommerce orders", n)
        placed = naive_utc(tx["ts"]).tolist()
        for row, ts in zip(
            tx[["transaction_id", "pos_customer_id", "store_id", "total", "items"]].itertuples(
                index=False
            ),
            placed,
            strict=True,
        ):
            tid, pcid, store, total, items = row
            if not tid:
                continue
            parts = [p.split(":") for p in items.split(";") if p]
            cats = [p[1] if len(p) > 1 else "" for p in parts]
            wo.writerow(
                [
                    f"pos:{tid}",
                    "pos",
                    ts,
                    total or "0",
                    "store",
                    store,
                    ";".join(sorted({c for c in cats if c})),
                    ";".join(cats),
                    ";".join(p[3] if len(p) > 3 else "0" for p in parts),
                    ";".join(p[2] if len(p) > 2 else "1" for p in parts),
                    "Order",
                ]
            )
            wr.writerow([f"pos:{tid}", f"pos:{pcid or tid}", "PLACED_BY"])
            n += 1
        log("orders", n)

    # -- events -------------------------------------------------------------------------------
    ev = pd.read_csv(
        src / "esp/events.csv",
        dtype=str,
        keep_default_na=False,
        usecols=["event_id", "profile_id", "type", "ts"],
    )
    esp_events = pd.DataFrame(
        {
            "eid": "esp:" + ev["event_id"],
            "source": "esp",
            "type": ev["type"],
            "ts": naive_utc(ev["ts"]),
            "rid": "esp:" + ev["profile_id"],
        }
    )
    tk = pd.read_csv(src / "service/tickets.csv", dtype=str, keep_default_na=False)
    tk = tk[tk["ticket_id"] != ""]
    svc = pd.DataFrame(
        {
            "eid": "service:" + tk["ticket_id"],
            "source": "service",
            "type": "service_ticket",
            "ts": tk["created"],
            "rid": "service:" + tk["ticket_id"],
        }
    )
    events = pd.concat([esp_events, svc, web_events], ignore_index=True)
    events = events[events["rid"].isin(set(truth["rid"]))]
    events[["eid", "source", "type", "ts"]].assign(label="Event").rename(
        columns={"eid": "eid:ID(Event)", "label": ":LABEL"}
    ).to_csv(out / "events.csv", index=False)
    events[["eid", "rid"]].assign(t="BY").rename(
        columns={"eid": ":START_ID(Event)", "rid": ":END_ID(Record)", "t": ":TYPE"}
    ).to_csv(out / "by.csv", index=False)
    log("events", len(events))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = p.add_subparsers(dest="step", required=True)
    c = sub.add_parser("csv", help="generator data -> neo4j-admin import CSVs")
    c.add_argument("data", type=Path)
    c.add_argument("out", type=Path)
    i = sub.add_parser("import", help="import CSVs -> a LocalNeo4j home (server stopped)")
    i.add_argument("csv", type=Path)
    i.add_argument("home", type=Path)
    a = p.parse_args()
    if a.step == "csv":
        to_csv(a.data, a.out)
    else:
        admin_import(
            a.csv,
            a.home,
            nodes=["profiles", "records", "orders", "events"],
            relationships=["in_profile", "placed_by", "by"],
        )


if __name__ == "__main__":
    main()
