"""`cdp forget`: GDPR erasure from the command line, the very function behind the API's
`forgetCustomer`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from cli.resolve_cmd import model_dir
from cli.runtime import console, with_graph

if TYPE_CHECKING:
    from graph.client import GraphClient
    from matching import erasure


def forget(
    id_type: str = typer.Argument(..., metavar="TYPE", help="email, phone, loyalty_id, ..."),
    value: str = typer.Argument(..., help="The identifier, typed as anyone would."),
    region: str = typer.Option("AU", help="The country of a phone without a country code."),
    pid: str | None = typer.Option(
        None, "--pid", help="The profile to forget, when several carry the identifier."
    ),
) -> None:
    """Forget the customer carrying an identifier (GDPR erasure): their records, events,
    identifiers no one else carries and profile are deleted, their orders unlinked, what
    remains resolved again, and suppression hashes kept so a later ingest does not bring
    them back."""
    from ingest.errors import InvalidIdentifier
    from ingest.identifiers import typed_identifier_key
    from matching import erasure
    from matching.errors import MatchingError

    async def work(g: GraphClient) -> erasure.Forgotten:
        return await erasure.forget(
            g, typed_identifier_key(id_type, value, region), pid, model_dir=model_dir()
        )

    try:
        done = with_graph(work)
    except (InvalidIdentifier, MatchingError) as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    e = done.erased
    if not done.found:
        console.print("no record carries this identifier")
    console.print(
        f"forgotten: {e.profiles} profiles, {e.records} records, {e.identifiers} identifiers, "
        f"{e.events} events; {e.orders_unlinked} orders unlinked; "
        f"{e.quarantined} quarantined rows and {e.snapshots} sync snapshots deleted; "
        f"{e.suppressions} suppression hashes kept; "
        f"{done.re_resolved_records} records resolved again"
    )
