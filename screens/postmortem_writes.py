"""The post-mortem editor's side of its record writer: what to do once each write is made
or refused, and the line saying what waits while the database is busy."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widgets import Static

from screens.messages import ChangeWritten, WriteFailed, WriteRefused
from screens.writer import RecordWriter
from storage.db import Store
from storage.errors import Busy, WarroomError
from widgets.text import literal, printable

if TYPE_CHECKING:
    from storage.outbox import Write

Then = Callable[[object], None]
"""Called on the UI thread with what a write returned."""

Refused = Callable[[WarroomError], None]
"""Called on the UI thread with why the record refused a write."""


class WritingScreen(Screen[None]):
    """A screen whose changes are made by a `RecordWriter` on an app worker, in order; a
    write the database fails (busy) is kept and tried again, and shown waiting in
    `#pm-waiting` meanwhile."""

    def __init__(self, store: Store, ref: str) -> None:
        super().__init__()
        self.store = store
        self.ref = ref
        self.writer = RecordWriter(self, store, ref)
        self._after: dict[Write, tuple[Then | None, Refused | None]] = {}
        """What to do once each queued write is made, or refused, in the order queued."""
        self._problem: str | None = None
        """Why the oldest write waits (the last failure), until a write is made."""

    def write(self, description: str, apply: Callable[[], object], then: Then | None = None,
              refused: Refused | None = None) -> Write:
        """Make `apply()` off the UI thread after what is queued; then `then(result)`, or
        `refused(error)`."""
        write = self.writer.outbox.send(description, apply)
        self._after[write] = (then, refused)
        return write

    def refused(self, title: str, exc: WarroomError) -> None:
        """Say, once, that a change was not made and why."""
        self.notify(str(exc), title=title, severity="error", markup=False)

    def on_change_written(self, message: ChangeWritten) -> None:
        then, _ = self._after.pop(message.write, (None, None))
        self._problem = None
        self._show_waiting()
        if then is not None and self.is_attached:
            then(message.result)

    def on_write_refused(self, message: WriteRefused) -> None:
        _, refused = self._after.pop(message.write, (None, None))
        self._show_waiting()
        if refused is not None and self.is_attached:
            refused(message.error)

    def on_write_failed(self, message: WriteFailed) -> None:
        error = message.error
        self._problem = "the database is busy: another writer holds it" if isinstance(error, Busy) else str(error)
        self._show_waiting()

    def _show_waiting(self) -> None:
        """Show what waits to be written while the database fails, in order; else nothing."""
        try:
            waiting = self.query_one("#pm-waiting", Static)
        except NoMatches:  # closing
            return
        if self._problem is None or not self._after:
            waiting.display = False
            return
        count = len(self._after)
        first = printable(next(iter(self._after)).text)
        order = ", in order, from" if count > 1 else ""
        waiting.update(literal(f"Not saved yet, retrying ({self._problem}). "
                               f"{count} change{'s' if count > 1 else ''} kept{order}: “{first}”"))
        waiting.display = True
