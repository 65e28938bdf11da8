"""The commands that move an incident through its phases: status, milestones, resolution
and the IC's sign-off. Resolving has one rule whichever command asks for it: the
resolution criteria are checked first (`storage.checklists.resolve`), and `--force`
resolves with some unmet, which the timeline records."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from tui.cli.common import AUTHOR_HELP, checked_at, command, confirm_time, local_time, open_store, shown, yes_option
from tui.cli.launch import main

if TYPE_CHECKING:
    from storage.db import Store

FORCE_HELP = "Resolve even with unmet resolution criteria (the timeline records which)."


def _resolve(store: Store, ref: str, *, force: bool, at: datetime | None, author: str | None) -> None:
    """Resolve through the resolution criteria, and print them as they stood."""
    from storage import checklists

    criteria = checklists.resolve(store, ref, force=force, at=at, author=author)
    for criterion in criteria:
        click.echo(shown(f"{'met' if criterion.met else 'UNMET':>5}  {criterion.label}: {criterion.detail}"))
    click.echo(shown(f"{ref} is resolved"))


def _resolved(store: Store, ref: str) -> bool:
    """Whether REF stands resolved (marking resolved then corrects its time); a resolved
    incident reopened since is resolved again through the criteria."""
    from storage import ops

    return ops.get_incident(store, ref).status == "resolved" and "resolved" in ops.milestones(store, ref)


@command(main)
@click.argument("ref")
@click.argument("status")
@click.option("--force", is_flag=True, help=FORCE_HELP)
@click.option("--at", "at", default=None, help="When it changed (14:32, -5m, ISO time).")
@click.option("--author", default=None, help=AUTHOR_HELP)
@yes_option
def status(
    ref: str,
    status: str,
    force: bool,
    at: str | None,
    author: str | None,
    yes: bool,
    db: str | None,
    config_path: Path | None,
) -> None:
    """Set REF's status: investigating, identified, mitigated, resolved (resolved checks the
    resolution criteria first, as `resolve` does)."""
    from storage import ops

    store = open_store(db, config_path)
    when = checked_at(store, ref, at, yes=yes)
    if status.strip().lower() == "resolved":
        _resolve(store, ref, force=force, at=when, author=author)
        return
    incident = ops.set_status(store, ref, status, at=when, author=author)
    click.echo(shown(f"{incident.ref} is {incident.status}"))


@command(main)
@click.argument("ref")
@click.argument("name")
@click.option("--at", "at", default=None, help="When it was reached (14:32, -5m, ISO time).")
@click.option("--force", is_flag=True, help=f"For resolved: {FORCE_HELP[0].lower()}{FORCE_HELP[1:]}")
@click.option("--author", default=None, help=AUTHOR_HELP)
@yes_option
def milestone(
    ref: str,
    name: str,
    at: str | None,
    force: bool,
    author: str | None,
    yes: bool,
    db: str | None,
    config_path: Path | None,
) -> None:
    """Mark milestone NAME (started, detected, acknowledged, investigating, mitigated, resolved,
    retrospective-prepared, retrospective-done). Marking it again corrects its time; a time out
    of the usual order is asked about first (or needs --yes from a script)."""
    from storage import ops

    store = open_store(db, config_path)
    key = ops.milestone_name(name)
    when = checked_at(store, ref, at, yes=yes, milestone=key)
    if not yes:
        concerns = ops.milestone_order_concerns(store, ref, key, when)
        confirm_time(store, when or store.now(), concerns, yes=yes)
    if key == "resolved" and not _resolved(store, ref):
        _resolve(store, ref, force=force, at=when, author=author)
        return
    reached = ops.set_milestone(store, ref, key, at=when, author=author)
    click.echo(f"{reached.name} at {local_time(store, reached.at)}")


@command(main)
@click.argument("ref")
@click.option("--force", is_flag=True, help=FORCE_HELP)
@click.option("--at", "at", default=None, help="When it was resolved (14:32, -5m, ISO time).")
@click.option("--author", default=None, help=AUTHOR_HELP)
@yes_option
def resolve(
    ref: str, force: bool, at: str | None, author: str | None, yes: bool, db: str | None, config_path: Path | None
) -> None:
    """Resolve REF after checking the resolution criteria."""
    store = open_store(db, config_path)
    when = checked_at(store, ref, at, yes=yes)
    _resolve(store, ref, force=force, at=when, author=author)


@command(main)
@click.argument("ref")
@click.option("--at", "at", default=None, help="When the record was signed off (14:32, -5m, ISO time).")
@yes_option
def signoff(ref: str, at: str | None, yes: bool, db: str | None, config_path: Path | None) -> None:
    """Sign off REF's record as its Incident Commander (run as the IC: see --as)."""
    from storage import checklists

    store = open_store(db, config_path)
    when = checked_at(store, ref, at, yes=yes)
    criterion = checklists.sign_off(store, ref, at=when)
    click.echo(shown(f"{criterion.label}: {criterion.detail}"))
