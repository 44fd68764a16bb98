"""`cdp resolve`, `cdp evaluate`, `cdp export clusters`: step 2, unify."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from cli.runtime import command_group, console, new_table, settings, with_graph
from matching.thresholds import DEFAULT_THRESHOLD

if TYPE_CHECKING:
    from graph.client import GraphClient
    from matching.evaluate import Quality
    from matching.resolve import ResolveReport

export_app = command_group(help="Export resolution results.")


def model_dir() -> Path:
    return settings().model_dir


def resolve(
    full: bool = typer.Option(False, "--full", help="Rebuild every profile, not only touched."),
    recompute: bool = typer.Option(
        False,
        "--recompute",
        help="With --full: rebuild even when nothing changed since the last full resolution.",
    ),
    config: Path | None = typer.Option(None, "--config", help="Identity rules YAML."),
    threshold: float = typer.Option(
        DEFAULT_THRESHOLD, help="Match probability from which a probabilistic pair links."
    ),
    probabilistic: bool = typer.Option(
        True, "--probabilistic/--deterministic-only", help="Use the trained model if any."
    ),
    engine: str | None = typer.Option(
        None,
        "--engine",
        help="Where the rules run: local (this process) or spark (default: RESOLVE_ENGINE).",
    ),
    spark_master: str | None = typer.Option(
        None,
        "--spark-master",
        help="With --engine spark: its master, spark://host:7077, yarn... (default: SPARK_MASTER).",
    ),
) -> None:
    """Resolve records into golden profiles (incremental unless --full)."""
    from matching.config import load_config
    from matching.engine import ENGINES, LocalEngine, ResolveEngine
    from matching.linking import ProbabilisticLinker
    from matching.resolve import Resolver

    if recompute and not full:
        raise typer.BadParameter("only with --full", param_hint="--recompute")
    s = settings()
    chosen = engine or s.resolve_engine
    if chosen not in ENGINES:
        raise typer.BadParameter(f"one of {', '.join(ENGINES)}", param_hint="--engine")
    cfg = load_config(config) if config else None
    session = None
    runner: ResolveEngine = LocalEngine()
    part_records = s.resolve_part_records
    if chosen == "spark":
        # Only this engine imports pyspark (and starts a JVM).
        from matching.spark_engine import SparkEngine, spark_session

        with console.status("starting Spark..."):
            session = spark_session(
                spark_master or s.spark_master,
                shuffle_partitions=s.spark_shuffle_partitions,
                conf=s.spark_conf,
            )
        runner = SparkEngine(session, bucket_records=s.spark_bucket_records)
        # A full run's parts are what each executor task resolves.
        part_records = s.spark_bucket_records

    async def work(g: GraphClient) -> ResolveReport:
        linker = (
            ProbabilisticLinker(
                g,
                model_dir(),
                threshold=threshold,
                config=cfg,
                scoring_memory=s.match_scoring_memory,
            )
            if probabilistic
            else None
        )
        return await Resolver(
            g, cfg, linker=linker, engine=runner, part_records=part_records
        ).resolve(full=full, recompute=recompute)

    try:
        with console.status(f"resolving identities ({chosen} engine)..."):
            rep = with_graph(work)
    finally:
        if session is not None:
            session.stop()
    print_resolve_report(rep)


def train() -> None:
    """Train the probabilistic matching model on the records (EM; saved and versioned)."""
    from matching.linking import ProbabilisticLinker

    async def work(g: GraphClient) -> str:
        model = await ProbabilisticLinker(g, model_dir()).train()
        return model.version

    with console.status("training the matching model (Splink, DuckDB)..."):
        version = with_graph(work)
    console.print(f"model {version} trained and saved in {model_dir()}; run `cdp resolve --full`")


def print_resolve_report(rep: ResolveReport) -> None:
    t = new_table("resolution", rep.mode)
    if rep.matching is not None and rep.matching.model_version:
        t.add_row("probabilistic model", rep.matching.model_version)
        t.add_row("records scored", f"{rep.matching.scored:,}")
        t.add_row("pairs above threshold", f"{rep.matching.pairs:,}")
        t.add_row(
            "match links written / removed", f"{rep.matching.written:,} / {rep.matching.removed:,}"
        )
    if rep.unchanged_since is not None:
        t.add_row(
            "nothing changed",
            f"since the full resolution of {rep.unchanged_since}: nothing recomputed "
            "(--recompute to rebuild anyway)",
        )
    for k, v in [
        ("records considered", rep.records),
        ("profiles (components)", rep.components),
        ("records moved", rep.moved_records),
        ("profiles created", rep.created),
        ("merges", rep.merged),
        ("splits", rep.split),
        ("ids retired", rep.retired),
        ("largest profile (records)", rep.largest_profile),
        ("seconds", f"{rep.seconds:.1f}"),
    ]:
        t.add_row(k, f"{v:,}" if isinstance(v, int) else str(v))
    for phase, seconds in rep.phases.items():
        t.add_row(f"seconds: {phase}", f"{seconds:.1f}")
    t.add_row("graph writes", rep.writes.describe(per_query=False))
    for reason, n in sorted(rep.skipped_links.items()):
        t.add_row(f"links not used: {reason}", f"{n:,}")
    for limit, n in sorted(rep.violations.items()):
        t.add_row(f"limit refused a join: {limit}", f"{n:,}")
    console.print(t)


def _load_truth(path: Path) -> dict[str, str]:
    with open(path, newline="", encoding="utf-8") as fh:
        return {f"{r['source']}:{r['source_id']}": r["person_id"] for r in csv.DictReader(fh)}


def print_quality(q: Quality) -> None:
    t = new_table("quality", "value")
    t.add_row("records scored", f"{q.records:,}")
    t.add_row("pairwise precision", f"{q.precision:.4f}")
    t.add_row("pairwise recall", f"{q.recall:.4f}")
    t.add_row("pairwise F1", f"{q.f1:.4f}")
    if q.identifiable_pairs is not None and q.identifiable_recall is not None:
        share = q.identifiable_pairs / q.true_pairs if q.true_pairs else 1.0
        t.add_row("identifiable true pairs (share)", f"{q.identifiable_pairs:,} ({share:.1%})")
        t.add_row("pairwise recall over identifiable pairs", f"{q.identifiable_recall:.4f}")
    t.add_row("profiles / true people", f"{q.clusters:,} / {q.true_clusters:,}")
    t.add_row("cluster precision (pure profiles)", f"{q.cluster_precision:.4f}")
    t.add_row("cluster recall (people found exactly)", f"{q.cluster_recall:.4f}")
    t.add_row("largest profile (records)", f"{q.largest_cluster:,}")
    console.print(t)


def evaluate_cmd(
    truth: Path = typer.Argument(..., help="Ground truth CSV: source, source_id, person_id."),
    config: Path | None = typer.Option(
        None, "--config", help="Identity rules YAML (which identifiers count as evidence)."
    ),
) -> None:
    """Compare the current profiles with a ground truth (pairwise and cluster figures)."""
    from graph import resolve_repo
    from matching.config import load_config
    from matching.evaluate import evaluate, graph_evidence

    async def work(g: GraphClient) -> tuple[dict[str, str], dict[str, set[str]]]:
        predicted = {rid: pid for _, _, rid, pid in await resolve_repo.clusters(g) if pid}
        return predicted, await graph_evidence(g, load_config(config) if config else None)

    predicted, evidence = with_graph(work)
    print_quality(evaluate(predicted, _load_truth(truth), evidence))


@export_app.command("clusters")
def export_clusters(out: Path = typer.Option(..., "--out", help="CSV file to write.")) -> None:
    """Write source, source_id, profile_id for every record."""
    from graph import resolve_repo

    async def work(g: GraphClient) -> list[tuple[str, str, str, str | None]]:
        return await resolve_repo.clusters(g)

    rows = with_graph(work)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["source", "source_id", "profile_id"])
        for source, source_id, _, pid in rows:
            w.writerow([source, source_id, pid or ""])
    console.print(f"{len(rows):,} records written to {out}")
