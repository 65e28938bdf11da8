"""`warroom set`: correct an incident's facts after declaring it."""

from __future__ import annotations

from pathlib import Path

import click

from tui.cli.common import AUTHOR_HELP, command, open_store, shown
from tui.cli.launch import main


@command(main, "set")
@click.argument("ref")
@click.option("--functionality", default=None, help="Title: what is affected (e.g. checkout).")
@click.option("--state", default=None, help="Title: how it is affected (e.g. failing).")
@click.option("--audience", default=None, help="Title: for whom (e.g. EU customers).")
@click.option("--impact", default=None, help="What customers experience (empty to clear).")
@click.option("--quantity", default=None, help="Customers impacted: Unknown, All, Some, Few.")
@click.option("--customers", default=None, help="Known impacted customers (empty to clear).")
@click.option("--full-outage/--no-full-outage", "full_outage", default=None, help="Whether it is a full outage.")
@click.option("--author", default=None, help=AUTHOR_HELP)
def set_facts(
    ref: str,
    functionality: str | None,
    state: str | None,
    audience: str | None,
    impact: str | None,
    quantity: str | None,
    customers: str | None,
    full_outage: bool | None,
    author: str | None,
    db: str | None,
    config_path: Path | None,
) -> None:
    """Correct REF's title parts and impact after declaring it.

    Each fact that changes goes on the timeline with its old and new value; status
    messages and the post-mortem use the new ones.
    """
    from storage import ops

    store = open_store(db, config_path)
    incident = ops.set_facts(
        store, ref, functionality=functionality, state=state, audience=audience, customer_impact=impact,
        quantity_impacted=quantity, known_impacted_customers=customers, full_outage=full_outage, author=author,
    )
    outage = "full outage" if incident.full_outage else "not a full outage"
    click.echo(shown(f"{incident.ref} {ops.title_of(store, incident)}"))
    click.echo(shown(f"impact: {incident.customer_impact or '(none)'}; customers impacted: "
                     f"{incident.quantity_impacted}; known: {incident.known_impacted_customers or '(none)'}; {outage}"))
