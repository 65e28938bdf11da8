"""The record writer of a screen: a `storage.outbox.Outbox` run on a worker of the screen,
reporting each write to it by message (`LineWritten`, `ChangeWritten`, `WriteFailed`,
`WriteRefused`)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.dom import DOMNode
from textual.message import Message
from textual.worker import get_current_worker

from screens.messages import ChangeWritten, LineWritten, WriteFailed, WriteRefused
from widgets.text import printable

if TYPE_CHECKING:
    from textual.app import App

    from screens.watcher import IncidentWatcher
    from storage.db import Store
    from storage.drafts import Drafts
    from storage.errors import DatabaseError, WarroomError
    from storage.outbox import Write

FINISH_SECONDS = 5.0
"""How long an app-level writer goes on once the app cancels its worker (the app is
closing), for its screen to queue what it saves on closing and for that to be written;
what is not written by then is left as it is (lines and section drafts stay on disk)."""


class RecordWriter:
    """Writes to incident `ref` off the UI thread, in order, retrying while the database
    fails; `target` hears of every write by message."""

    def __init__(self, target: DOMNode, store: Store, ref: str, drafts: Drafts | None = None, *,
                 retry: bool = True) -> None:
        """`retry` False: a write the database fails is reported refused, not tried again."""
        from storage.outbox import Outbox  # SQLModel: not before the first frame

        self.target = target
        self._outliving_target = False
        self._closing_by: float | None = None
        self._app: App[object] | None = None
        self.outbox = Outbox(store, ref, drafts, on_written=self._written, on_failed=self._failed,
                             on_refused=self._refused, retry=retry)

    def start(self, *, outliving_target: bool = False) -> None:
        """Write in one long-lived worker (so Enter costs no thread start): the target's,
        or the app's when `outliving_target`, so that what a closed screen queued is still
        written (see `finish`)."""
        self._outliving_target = outliving_target
        self._app = self.target.app  # on the UI thread: a worker thread cannot look it up
        if outliving_target:
            self.target.app.run_worker(self._run, thread=True, group="write-behind", name="record writer")
        else:
            self.target.run_worker(self._run, thread=True, exclusive=True, group="send", name="record writer")

    def stop(self) -> None:
        """Stop at once; what is not written stays queued, and lines stay on disk."""
        self.outbox.stop()

    def finish(self) -> None:
        """Stop once what is queued is written. An app-level writer goes on while the app
        closes (see `_draining`): the app's exit waits for its thread."""
        self.outbox.finish()

    def _run(self) -> None:
        worker = get_current_worker()
        self.outbox.run(lambda: worker.is_cancelled and not self._draining())

    def _draining(self) -> bool:
        """Whether a cancelled worker still writes. An app-level writer does, until `finish`
        and what was queued before it is written, for `FINISH_SECONDS` at most: quitting
        cancels the app's workers before or after it closes the screens, and a screen
        queues its last save as it closes."""
        if not self._outliving_target:
            return False
        if self._closing_by is None:
            self._closing_by = time.monotonic() + FINISH_SECONDS
        return time.monotonic() < self._closing_by

    def _post(self, message: Message) -> bool:
        """Tell the target; False when it is gone."""
        try:
            posted = self.target.post_message(message)
        except RuntimeError:  # the app has closed its event loop
            posted = False
        if not posted and not self._outliving_target:
            self.outbox.stop()  # the screen is closing: nobody to tell, nothing more to write
        return posted

    line_counted: Callable[[int], None] | None = None
    """Told (on the writer's thread, before the target hears of it) the change count of
    each line written: a watcher then knows the change is one the target shows."""

    def report_lines_to(self, watcher: IncidentWatcher) -> None:
        """Tell `watcher` each line's change count, and let it ask whether a line is on its
        way, so that it reads none of them back."""
        self.line_counted = watcher.wrote_line
        watcher.lines_in_flight = self.outbox.lines_in_flight

    def _written(self, write: Write, result: object) -> None:
        if write.line is not None:
            count = getattr(result, "change_count", None)  # storage.outbox.LoggedRows
            if count is not None and self.line_counted is not None:
                self.line_counted(count)
            self._post(LineWritten(write, result))  # type: ignore[arg-type]  # log_line's rows
        else:
            self._post(ChangeWritten(write, result))

    def _failed(self, write: Write, error: DatabaseError) -> None:
        self._post(WriteFailed(write, error))

    def _refused(self, write: Write, error: WarroomError) -> None:
        if not self._post(WriteRefused(write, error)) and self._outliving_target:
            # The screen that made the change has closed (a tick, then Escape): the app
            # says it was not done, rather than nobody.
            app = self._app
            if app is None:
                return
            with contextlib.suppress(RuntimeError):  # the app has closed
                app.call_from_thread(app.notify, printable(f"{write.description}: {error}"), title="Not done",
                                     severity="error", markup=False)
