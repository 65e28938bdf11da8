"""The `warroom` group itself and the commands that open the app (`open`, `demo`).

Textual is imported only when the app is run, inside `run_app`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from tui.cli.common import (
    AS_KEY,
    announce_made_private,
    command,
    fail_cleanly,
    identity_for,
    open_store,
    store_options,
)

if TYPE_CHECKING:
    from storage.db import Store


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
    """Run the TUI; the record is opened inside it, after the first paint."""
    from storage.errors import WarroomError
    from tui.app import WarroomApp

    ctx = click.get_current_context()
    root = ctx.find_root().params
    as_name: str | None = ctx.meta.get(AS_KEY)

    def opener() -> Store:  # runs in a worker thread, where there is no click context
        from storage.clock import clock_from_env
        from storage.db import Store
        from storage.policy import load_policy

        policy = load_policy(config_path or root.get("config_path"))
        identity = identity_for(policy, as_name)
        return Store(db or root.get("db"), policy=policy, clock=clock_from_env(), identity=identity)

    app = WarroomApp(opener=opener, ref=ref)
    app.run()
    if app.store is not None:
        announce_made_private(app.store)
        app.store.close()
    if app.failure is not None:
        raise WarroomError(app.failure)


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
        store = open_store(db or str(target), config_path)
        ref = build_demo(store)
        from tui.app import WarroomApp

        WarroomApp(store, ref=ref).run()
