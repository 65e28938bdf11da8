"""`warroom tail`: an incident's timeline followed as it grows, for bots and a second screen."""

from __future__ import annotations

import contextlib
import json
import select
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import click

from tui.cli.common import command, open_store, timeline_line
from tui.cli.launch import main

if TYPE_CHECKING:
    from storage.db import Store
    from storage.rows import EventRow, Watermark

SAFETY_NET_SECONDS = 5.0
"""How long `tail` waits for the kernel's word on a SQLite file before it looks anyway."""

SETTLE_SECONDS = 0.1
"""After a write, how long until `tail` looks once more (a commit is readable once its WAL
is synced, a moment after the first write the kernel reports)."""

POLL_SECONDS = 0.5
"""How often `tail` looks for changes where the kernel does not say when the file is written
(PostgreSQL, a network file system); on a local SQLite file it waits for the write itself."""


@command(main, "tail")
@click.argument("ref")
@click.option("-n", "--lines", "count", default=10, show_default=True, type=click.IntRange(min=0),
              help="How many of the newest events to print first.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object a line (JSON Lines).")
@click.option("--once", is_flag=True, hidden=True, help="Print the newest events and stop (for tests).")
def tail_command(ref: str, count: int, as_json: bool, once: bool, db: str | None, config_path: Path | None) -> None:
    """Follow REF's timeline: its newest events, then each event as it is logged, and an
    event again when it is edited or struck (marked `revised` in JSON). Ctrl+C stops it.

    JSON lines hold seq, at (UTC), kind, author, text, key, struck, link and change
    (`new` or `revised`); every character outside ASCII is escaped."""
    from storage import live

    store = open_store(db, config_path)
    printed = live.last_seq(store, ref)  # (read first: an event logged meanwhile is printed twice, not missed)
    newest, mark = live.event_rows(store, ref, newest=max(count, 1))
    rows = newest[-count:] if count else []
    with _quiet_stop():
        for row in rows:
            _print(store, row, "new", as_json)
        if once:
            return
        waiter = _Waiter(store)
        try:
            while not _reader_gone():
                written = waiter.wait()
                printed, mark = _print_changes(store, ref, mark, printed, as_json)
                if written:  # its commit may be readable only a moment later
                    time.sleep(SETTLE_SECONDS)
                    printed, mark = _print_changes(store, ref, mark, printed, as_json)
        finally:
            waiter.close()


def _print_changes(store: Store, ref: str, mark: Watermark, printed: int, as_json: bool) -> tuple[int, Watermark]:
    """Print what changed since `mark`; the highest seq printed and the new watermark."""
    from storage import live

    changed, mark = live.events_since(store, ref, mark)
    for row in sorted(changed, key=lambda row: row.seq):
        _print(store, row, "new" if row.seq > printed else "revised", as_json)
        printed = max(printed, row.seq)
    return printed, mark


def _print(store: Store, row: EventRow, change: str, as_json: bool) -> None:
    if as_json:
        line = json.dumps({
            "seq": row.seq, "at": row.at.isoformat().replace("+00:00", "Z"), "kind": row.kind, "author": row.author,
            "text": row.text, "key": row.key, "struck": row.struck, "link": row.link, "change": change,
        })
    else:
        notes = (" (struck)" if row.struck else "") + (" (revised)" if change == "revised" else "")
        line = timeline_line(store, row.seq, row.at, row.key, row.kind, row.author, row.text, notes)
    click.echo(line)
    sys.stdout.flush()  # (a bot reading the pipe gets each line as it comes)


class _Waiter:
    """Waits until the database may have changed: the kernel's word on a local SQLite file,
    else `POLL_SECONDS`."""

    def __init__(self, store: Store) -> None:
        from storage.file_watch import FileWrites

        database = store.engine.url.database if store.dialect == "sqlite" else None
        self._writes = FileWrites.open(database) if database else None

    def wait(self) -> bool:
        """Whether the kernel said the file was written (False: the time ran out)."""
        if self._writes is None:
            time.sleep(POLL_SECONDS)
            return False
        return self._writes.wait(SAFETY_NET_SECONDS)

    def close(self) -> None:
        if self._writes is not None:
            self._writes.close()


def _reader_gone() -> bool:
    """Whether stdout is a pipe whose reader has closed it (`| head` has its lines): then
    `tail` ends now, not at the next event it would print, which may never come."""
    try:
        poller = select.poll()
        poller.register(sys.stdout.fileno(), 0)  # (no event asked: only an error or a hang-up is said)
    except (AttributeError, ValueError, OSError):  # (no file behind stdout, as under a test runner)
        return False
    return any(events & (select.POLLERR | select.POLLHUP) for _, events in poller.poll(0))


@contextlib.contextmanager
def _quiet_stop() -> Iterator[None]:
    """Ctrl+C, or the reader of the pipe going away (`| head`), ends `tail` without a trace."""
    try:
        yield
    except KeyboardInterrupt:
        return
    except BrokenPipeError:
        sys.stdout = None  # (not flushed again at exit, into the closed pipe)
        return
