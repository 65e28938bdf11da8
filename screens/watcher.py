"""The incident watcher: picks up changes other writers make (a second `warroom`, `warroom
log` from a script) by polling the incident's change counter off the UI thread."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import tzinfo
from functools import partial
from typing import TYPE_CHECKING

from textual.dom import DOMNode
from textual.worker import get_current_worker

from screens.messages import IncidentChanged, TimelineLoaded, TimelineUnread
from storage.errors import WarroomError

if TYPE_CHECKING:
    from storage import live
    from storage.db import Store
    from storage.file_watch import FileWrites
    from storage.lite.index import RowReader, TimelineIndex
    from storage.outbox import ChangeProbe
    from storage.timeline_filter import TimelineFilter

POLL_SECONDS = 0.5
"""How often the watcher asks whether the incident changed."""

QUIET_POLL_SECONDS = 30.0
"""How often the watcher looks when the kernel says when the SQLite file is written
(`storage.file_watch`): a write wakes it at once, this is only a safety net. If that look
finds a change the kernel did not report (a file system it cannot watch, such as a network
share), the watcher stops trusting it and polls every `POLL_SECONDS`."""

SETTLE_SECONDS = 0.05
"""After a write to the file, how long it must stay quiet before the watcher looks again: a
commit's last write to the WAL comes just before the commit can be read."""

VISIBLE_WITHIN_SECONDS = 2.0
"""After a write to the file, how long the watcher keeps looking every `SETTLE_SECONDS` for
a change it cannot read yet (a commit waits for its WAL to reach the disk)."""

DEFER_POLLS = 2
"""Polls a change is left unread while the screen's writer has a line unreported: its
commit comes before its report, and a poll between the two would read the line back. A
change by someone else then shows up to this many polls later."""


def sqlite_file_of(store: Store) -> str | None:
    """The SQLite file the store opens, None for another database."""
    if store.dialect != "sqlite":
        return None
    return store.engine.url.database or None


def _read_index(
    sqlite_file: str | None, ref: str, zone: tzinfo, shown: TimelineFilter | None = None
) -> tuple[TimelineIndex | None, RowReader | None]:
    """The index and a row reader from the SQLite file with `sqlite3`; (None, None) when the
    file cannot be read so (the store reads it, and words a failure)."""
    if sqlite_file is None:
        return None, None
    import sqlite3

    from storage.lite.index import open_index

    try:
        index, reader = open_index(sqlite_file, ref, zone, shown)
    except (sqlite3.Error, WarroomError):
        return None, None
    return index, reader


def load_index(
    target: DOMNode, ref: str, zone: tzinfo, *, sqlite_file: str | None = None, store: Store | None = None,
    shown: TimelineFilter | None = None,
) -> None:
    """Read the index of incident `ref`'s timeline in a worker of `target`, and post it as
    `TimelineLoaded`. From a SQLite file (`sqlite_file`) it is read with the standard
    library's `sqlite3` (SQLAlchemy need not be loaded, nor a store open) and comes with a
    reader of whole rows on a read-only connection of its own; otherwise, or when the file
    cannot be read so, through `store` (without one `TimelineUnread` is posted). Days are
    found in `zone` and in UTC. With `shown`, only the events that filter keeps."""
    target.run_worker(partial(_load_index, target, ref, zone, sqlite_file, store, shown), thread=True,
                      exclusive=True, group="timeline-load", name="timeline loader")


def _load_index(target: DOMNode, ref: str, zone: tzinfo, sqlite_file: str | None, store: Store | None,
                shown: TimelineFilter | None) -> None:
    from storage.rows import Watermark

    index, reader = _read_index(sqlite_file, ref, zone, shown)
    if index is None:
        if store is None:
            target.post_message(TimelineUnread())
            return
        from storage import live

        try:
            index = live.timeline_index(store, ref, zone, shown=shown)
        except WarroomError as exc:
            if shown is None or not shown.active:
                raise
            target.post_message(TimelineUnread(shown, str(exc)))
            return
    target.post_message(TimelineLoaded(index, Watermark(index.change_count), reader, shown))


class IncidentWatcher:
    """Every POLL_SECONDS, ask whether incident `ref` changed (on SQLite a pragma, then one
    indexed read if the database was written) and, if so,
    read what changed since the view `target` shows and post it as `IncidentChanged`.

    The target tells what it shows with `saw`; until it does, a later poll reads from the
    same watermark again, so a newer `IncidentChanged` may replace one still queued."""

    def __init__(self, target: DOMNode, store: Store, ref: str) -> None:
        self.target = target
        self.store = store
        self.ref = ref
        self.seen_changes = -1
        self.mark: live.Watermark | None = None
        self._own: set[int] = set()
        """Change counts of lines this screen's writer wrote (reported from its thread)."""
        self.lines_in_flight: Callable[[], bool] = lambda: False
        """Whether the screen's writer has a line not yet reported (see `_poll_with`)."""
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._writes: FileWrites | None = None
        """The SQLite file's writes as the kernel reports them, while polling (Linux)."""
        self._trust_writes = True
        """False once the safety net found a change the kernel did not report."""

    def saw(self, change_count: int | None = None, mark: live.Watermark | None = None) -> None:
        """The target now shows the incident as of `change_count` and events up to `mark`."""
        if change_count is not None:
            self.seen_changes = change_count
        if mark is not None:
            self.mark = mark

    def wrote_line(self, change_count: int) -> None:
        """The screen's writer wrote a line as change `change_count` (any thread): the
        screen shows it from what was written, so a poll does not read it."""
        self._own.add(change_count)

    def read_again_from(self, change_count: int) -> None:
        """Read what changed after `change_count` at the next poll, own lines included."""
        self._own.clear()
        self.seen_changes = change_count

    def _only_own_lines(self, count: int) -> bool:
        """Whether every change after the seen count up to `count` is a line written here."""
        seen = self.seen_changes
        self._own.difference_update([n for n in self._own if n <= seen])
        return count > seen and all(n in self._own for n in range(seen + 1, count + 1))

    def start(self) -> None:
        """Poll in one long-lived worker of the target (cancelled with it)."""
        self.target.run_worker(self._poll, thread=True, exclusive=True, group="poll", name="incident watcher")

    def poll_now(self) -> None:
        """Poll at once instead of after the current sleep."""
        self._wake_up()

    def stop(self) -> None:
        """Stop polling at once instead of after the current sleep."""
        self._stop.set()
        self._wake_up()

    def _wake_up(self) -> None:
        self._wake.set()
        writes = self._writes
        if writes is not None:
            writes.wake()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def load_timeline(self, sqlite_file: str | None = None, zone: tzinfo | None = None) -> None:
        """Read the whole timeline's index in a worker, and post it as `TimelineLoaded`
        (`load_index`, from the store's file unless `sqlite_file` is given, in `zone` else
        the policy's)."""
        zone = zone if zone is not None else self.store.policy.tz
        load_index(self.target, self.ref, zone, sqlite_file=sqlite_file or sqlite_file_of(self.store), store=self.store)

    def _poll(self) -> None:
        from storage.file_watch import FileWrites
        from storage.outbox import ChangeProbe

        probe = ChangeProbe(self.store)
        sqlite_file = sqlite_file_of(self.store)
        self._writes = FileWrites.open(sqlite_file) if sqlite_file else None
        try:
            if not self._stop.is_set():  # (`stop` wakes the file watch once it is set)
                self._poll_with(probe)
        finally:
            probe.close()
            writes, self._writes = self._writes, None
            if writes is not None:
                writes.close()

    def _sleep(self, on_timer: bool, settling: bool) -> str:
        """Until the next look: a write to the SQLite file where the kernel says when (else,
        or `on_timer`, the poll interval), at most the quiet poll's safety net;
        `settling` after a write, for a moment. A wake ends it. Says why it ended:
        "written" (the kernel reported a write), "settled" (quiet for the moment),
        "quiet" (the safety net's time ran out), "woken", or "timer" (no kernel watch
        trusted, or `on_timer`)."""
        writes = self._writes if self._trust_writes else None
        ended = "timer"
        if writes is None or on_timer:
            self._wake.wait(POLL_SECONDS)
        elif not self._wake.is_set():
            ended = "settled" if settling else "quiet"
            deadline = time.monotonic() + (SETTLE_SECONDS if settling else QUIET_POLL_SECONDS)
            while (left := deadline - time.monotonic()) > 0 and not self._wake.is_set():
                if writes.wait(left):  # (False early: another file of the folder, or a wake)
                    ended = "written"
                    break
        if self._wake.is_set() and ended != "written":
            ended = "woken"
        self._wake.clear()
        return ended

    def _poll_with(self, probe: ChangeProbe) -> None:
        """Poll until stopped. The change count is read again only when the probe says the
        database was written (on SQLite a pragma: an idle poll reads nothing), and the
        incident only when that count is not the one the target has seen (its own lines,
        reported by its writer, it has: see `saw`).

        After the kernel reports a write the watcher looks again once the file is quiet for
        `SETTLE_SECONDS`, and goes on looking so until the change can be read (a commit is
        readable only after its WAL is synced), for `VISIBLE_WITHIN_SECONDS` at most. A
        change that only the safety net's look finds means the kernel does not report
        this file's writes: from then on the watcher polls on the timer."""
        from storage import live

        worker = get_current_worker()
        count: int | None = None
        deferred = 0
        settling = False
        unread_since: float | None = None  # when the kernel reported a write not yet readable
        looked = False
        first = True
        while True:
            # The first look is at once (a write before the watch began was not reported);
            # until the target shows the incident, and for a deferred change, on the timer.
            ended = "woken" if first else self._sleep(bool(deferred) or self.mark is None, settling)
            first = False
            if ended == "written":
                unread_since = time.monotonic()
            elif unread_since is not None and time.monotonic() - unread_since > VISIBLE_WITHIN_SECONDS:
                unread_since = None
            settling = ended == "written" or unread_since is not None
            if self._stop.is_set() or worker.is_cancelled:
                return
            mark = self.mark
            if mark is None:
                continue
            try:
                if probe.changed():
                    if ended == "quiet" and looked:
                        self._trust_writes = False  # written, and the kernel did not say
                    unread_since = None
                    count = live.change_count(self.store, self.ref)
                looked = True
                # A count below the seen one was read before a write the target has shown.
                if count is None or count <= self.seen_changes or self._only_own_lines(count):
                    deferred = 0
                    continue
                if self.lines_in_flight() and deferred < DEFER_POLLS:
                    deferred += 1  # most likely that line, committed and about to be reported
                    continue
                deferred = 0
                view = live.incident_view(self.store, self.ref)
                rows, new_mark = live.events_since(self.store, self.ref, mark)
            except WarroomError:
                probe.reset()
                continue  # a busy or briefly unreachable database: try again next time
            try:
                if worker.is_cancelled or not self.target.post_message(IncidentChanged(view, rows, new_mark)):
                    return
            except RuntimeError:  # the app has closed its event loop
                return
