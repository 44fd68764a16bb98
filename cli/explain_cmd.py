"""`cdp explain` and `cdp override`: answers to "why", and operators' corrections."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import TYPE_CHECKING

import typer

from cli.resolve_cmd import model_dir
from cli.runtime import command_group, console, with_graph
from matching.errors import MatchingError

if TYPE_CHECKING:
    from graph.client import GraphClient
    from matching.explain import Explanation, ProfileFormation
    from matching.pair_score import PairScore

override_app = command_group(help="Operators' overrides of identity resolution.")


def explain(
    record_a: str | None = typer.Argument(None, help="A record id (source:source_id)."),
    record_b: str | None = typer.Argument(None, help="Another record id."),
    profile: str | None = typer.Option(None, "--profile", help="Explain how a profile formed."),
) -> None:
    """Why two records are (or are not) one customer, or how a profile was formed."""
    from matching.explain import Explanation, explain_pair, explain_profile
    from matching.linking import ProbabilisticLinker

    async def work(g: GraphClient) -> tuple[Explanation | ProfileFormation, PairScore | None]:
        if profile:
            return await explain_profile(g, profile), None
        if not (record_a and record_b):
            raise MatchingError("give two record ids, or --profile PID")
        linker = ProbabilisticLinker(g, model_dir())
        # The family rule yields to the attributes the model compares as personal.
        explained = await explain_pair(
            g, record_a, record_b, linker.personal_attributes(), linker.threshold
        )
        scored = None
        if not explained.same_profile:
            scored = await linker.score_pair(record_a, record_b)
        return explained, scored

    try:
        result, scored = with_graph(work)
    except MatchingError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    if isinstance(result, Explanation):
        console.print(f"[bold]{result.summary}[/bold]")
    console.print_json(json.dumps(asdict(result), default=str))
    if isinstance(result, Explanation) and not result.same_profile:
        print_pair_score(scored)


def print_pair_score(scored: PairScore | None) -> None:
    """The model's view of a pair that was not merged, in plain text."""
    if scored is None:
        console.print(
            "the probabilistic model never scores this pair: no trained model, or "
            "a record that names nobody"
        )
        return
    rules = [f"{name}{' (a hub value: not used)' if hub else ''}" for name, hub in scored.rules]
    console.print(f"blocking rules agreeing: {', '.join(rules) or 'none'}")
    if not scored.scored:
        console.print("never scored: no blocking rule proposes this pair")
        return
    console.print(scored.waterfall(), markup=False, highlight=False)
    if scored.held_back:
        console.print(f"held back by {scored.held_back}")
    elif not scored.above_threshold:
        from matching import name_postcode

        evidence = {name: {"level": level} for name, level, _ in scored.weights}
        if (
            scored.probability or 0.0
        ) >= name_postcode.FLOOR and name_postcode.name_and_postcode_only(
            evidence, name_postcode.DEFAULT_NAMES
        ):
            console.print(
                f"below the threshold {scored.threshold}, a name and a postcode only: a "
                "conditional link, which joins only profiles that agree"
            )
        else:
            console.print(f"below the threshold {scored.threshold}: no link")


def _run(coro_factory: object) -> None:
    try:
        with_graph(coro_factory)  # type: ignore[arg-type]
    except MatchingError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    console.print("done; run `cdp resolve` to apply")


@override_app.command("shared")
def shared(
    key: str = typer.Argument(..., help="Identifier key, e.g. phone:+61412345678."),
    undo: bool = typer.Option(False, "--undo"),
    by: str = typer.Option("cli", "--by"),
) -> None:
    """Mark an identifier shared (a family email, a shop phone): it stops linking."""
    from matching import overrides

    async def work(g: GraphClient) -> int:
        return await overrides.mark_identifier_shared(g, key, by=by, shared=not undo)

    _run(work)


@override_app.command("reject")
def reject(a: str, b: str, by: str = typer.Option("cli", "--by")) -> None:
    """Reject the probabilistic link between two records (kept across rebuilds)."""
    from matching import overrides

    async def work(g: GraphClient) -> None:
        await overrides.reject_match(g, a, b, by=by)

    _run(work)


@override_app.command("link")
def link(a: str, b: str, by: str = typer.Option("cli", "--by")) -> None:
    """Force two records into one profile."""
    from matching import overrides

    async def work(g: GraphClient) -> None:
        await overrides.force_link(g, a, b, by=by)

    _run(work)


@override_app.command("unlink")
def unlink(a: str, b: str) -> None:
    """Remove a forced link."""
    from matching import overrides

    async def work(g: GraphClient) -> int:
        return await overrides.remove_forced_link(g, a, b)

    _run(work)
