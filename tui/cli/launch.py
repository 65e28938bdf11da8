"""The `warroom` group itself and the commands that open the app (`open`, `demo`).

Textual is imported only when the app is run, inside `run_app`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from tui.cli.common import (
    AS_KEY,
    announce,
    announce_made_private,
    command,
    fail_cleanly,
    identity_for,
    open_store,
    store_options,
)

if TYPE_CHECKING:
    from storage.clock import Clock
    from storage.db import Store
    from storage.identity import Identity
    from storage.lite import LiteStore
    from storage.lite.view import FirstScreen
    from storage.policy import Policy


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@store_options
@click.version_option(package_name="warroom")
@click.pass_context
@fail_cleanly
def main(ctx: click.Context, db: str | None, config_path: Path | None) -> None:
    """Run a live incident and write its post-mortem, from the terminal.

    With no command, opens the app on the most recently active open incident.
    """
    if ctx.invoked_subcommand is None:
        run_app(db, config_path, None)


def run_app(db: str | None, config_path: Path | None, ref: str | None) -> None:
    """Run the TUI. The record is opened inside it, after the first paint; a current SQLite
    file is read for that paint first, without SQLAlchemy (`first_look`)."""
    from storage.clock import clock_from_env
    from storage.errors import WarroomError
    from storage.policy import load_policy

    ctx = click.get_current_context()
    root = ctx.find_root().params
    target: str | None = db or root.get("db")
    policy = load_policy(config_path or root.get("config_path"))
    clock = clock_from_env()
    identity = identity_for(policy, ctx.meta.get(AS_KEY))
    notices: list[str] = []
    first = first_look(target, ref, policy=policy, clock=clock, identity=identity, notices=notices)

    def opener() -> Store:  # runs in a worker thread, where there is no click context
        from storage.db import Store

        return Store(target, policy=policy, clock=clock, identity=identity)

    from tui.app import WarroomApp

    app = WarroomApp(opener=opener, first_look=first, ref=ref)
    app.settles_heap = True
    app.run()
    announce(notices)
    if app.store is not None:
        announce_made_private(app.store)
        app.store.close()
    if app.failure is not None:
        raise WarroomError(app.failure)


def first_look(
    db: str | None, ref: str | None, *, policy: Policy, clock: Clock, identity: Identity, notices: list[str]
) -> tuple[LiteStore, FirstScreen] | None:
    """Incident `ref` (else the most recently active open one) read for the app's first
    frame through the SQLite fast path, with the store it was read by (closed); None when
    the app must open the record first: not a SQLite file at the current schema, no
    incident open, or a record that cannot be read this way (opening it says why). An
    unknown `ref` is refused here (`NotFound`). Files made private are added to `notices`."""
    from storage.errors import NotFound, WarroomError
    from storage.lite import open_lite, sqlite_path
    from storage.lite.view import first_screen
    from storage.rows import FIRST_PAINT_EVENTS

    path = sqlite_path(db)
    if path is None:
        return None
    lite = open_lite(path, policy=policy, clock=clock, identity=identity, notices=notices)
    if lite is None:
        return None
    try:
        first = first_screen(lite, ref, newest=FIRST_PAINT_EVENTS)
    except NotFound:
        announce(notices)
        raise
    except WarroomError:
        return None
    finally:
        lite.close()
    return None if first is None else (lite, first)


@command(main, "open")
@click.argument("ref")
def open_incident(ref: str, db: str | None, config_path: Path | None) -> None:
    """Open the app on incident REF."""
    run_app(db, config_path, ref)


@command(main)
@click.option(
    "--keep",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the demo database here instead of a throwaway file.",
)
def demo(keep: Path | None, db: str | None, config_path: Path | None) -> None:
    """Open the app on a throwaway database holding an incident in progress."""
    import tempfile

    from storage.demo import build_demo

    with tempfile.TemporaryDirectory(prefix="warroom-demo-") as folder:
        target = keep if keep is not None else Path(folder) / "demo.db"
        store = open_store(db or click.get_current_context().find_root().params.get("db") or str(target), config_path)
        ref = build_demo(store)
        from tui.app import WarroomApp

        WarroomApp(store, ref=ref).run()
