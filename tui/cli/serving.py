"""`warroom view` and `warroom serve`: one incident followed live, read-only, in this
terminal or in browsers (see `tui.viewer` and `tui.serve`)."""

from __future__ import annotations

import ipaddress
import os
import shlex
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from tui.cli.common import command
from tui.cli.launch import main

if TYPE_CHECKING:
    from storage.db import Store


def _db_and_config(db: str | None, config_path: Path | None) -> tuple[str | None, Path | None]:
    """The database and config given here or to `warroom` itself."""
    root = click.get_current_context().find_root().params
    return db or root.get("db"), config_path or root.get("config_path")


def read_only_opener(db: str | None, config_path: Path | None) -> Callable[[], Store]:
    """What opens the record read-only, with no name at the keyboard (nothing is written);
    it may run on a worker thread, where there is no click context."""
    from storage.clock import clock_from_env
    from storage.db import Store
    from storage.identity import Identity
    from storage.policy import load_policy

    target, config = _db_and_config(db, config_path)
    policy, clock = load_policy(config), clock_from_env()
    return lambda: Store(target, policy=policy, clock=clock, identity=Identity("", "viewer"), read_only=True)


@command(main, "view")
@click.argument("ref", required=False)
def view_command(ref: str | None, db: str | None, config_path: Path | None) -> None:
    """Follow incident REF (else the most recently active open one) read-only: the timeline,
    roles and countdowns as the record is written, with search and filters; no key changes
    anything. For a second screen, or someone who should watch without writing."""
    from storage.errors import WarroomError
    from tui.viewer import ViewerApp

    app = ViewerApp(read_only_opener(db, config_path), ref)
    app.run()
    if app.store is not None:
        app.store.close()
    if app.failure is not None:
        raise WarroomError(app.failure)


@command(main, "serve")
@click.argument("ref", required=False)
@click.option("--host", default="127.0.0.1", show_default=True,
              help="The address to listen on. Loopback by default; 0.0.0.0 (or this machine's address) to let "
                   "other machines watch: the link printed at start carries the token they need.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="The port to listen on.")
@click.option("--max-viewers", default=25, show_default=True, type=click.IntRange(1, 500),
              help="Browsers watching at once (each runs a view of its own).")
def serve_command(ref: str | None, host: str, port: int, max_viewers: int, db: str | None,
                  config_path: Path | None) -> None:
    """Show incident REF (else the most recently active open one) in web browsers, read-only
    and live, for stakeholders: each browser runs `warroom view` on this machine (through
    textual-serve). Prints the link to open, with its token; Ctrl+C stops."""
    from storage import ops
    from storage.errors import InvalidInput
    from tui.serve import ViewServer, new_token

    store = read_only_opener(db, config_path)()  # refused here, not in each browser: no record, an old schema
    try:
        shown_ref = ref or ops.most_recent_open(store)
        if shown_ref is None:
            raise InvalidInput("no incident is open: give the reference of the one to show")
        ops.get_incident(store, shown_ref)
    finally:
        store.close()
    target, config = _db_and_config(db, config_path)
    # The view reads the database and config from the environment, not its command line,
    # where a server URL's password would show in the process list.
    if target is not None:
        os.environ["WARROOM_DB"] = target
    if config is not None:
        os.environ["WARROOM_CONFIG"] = str(config.resolve())
    view = [sys.executable, "-m", "tui.cli", "view", shown_ref]  # the same incident for every browser
    # (`exec`: the view's parent is this server, not a shell; it leaves when its parent is gone)
    server = ViewServer(f"exec {shlex.join(view)}", host=host, port=port, token=new_token(), ref=shown_ref,
                        max_viewers=max_viewers)
    if not _is_loopback(host):
        click.echo(f"Listening on {host}: anyone who can reach this machine and has the link can watch. The "
                   "link is not encrypted: across networks you do not trust, put it behind an HTTPS proxy.",
                   err=True)
    try:
        server.serve()
    except OSError as exc:  # the port taken, an address not this machine's, a name that does not resolve
        raise InvalidInput(f"cannot listen on {host} port {port}: {exc.strerror or exc}") from None


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False

