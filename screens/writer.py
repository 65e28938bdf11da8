"""The record writer of a screen: a `storage.outbox.Outbox` run on a worker of the screen,
reporting each write to it by message (`LineWritten`, `ChangeWritten`, `WriteFailed`,
`WriteRefused`)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

from textual.dom import DOMNode
from textual.message import Message
from textual.worker import get_current_worker

from screens.messages import ChangeWritten, LineWritten, WriteFailed, WriteRefused
from widgets.text import printable

if TYPE_CHECKING:
    from textual.app import App
    from textual.timer import Timer

    from screens.watcher import IncidentWatcher
    from storage.db import Store
    from storage.drafts import Drafts, PendingLine
    from storage.errors import DatabaseError, WarroomError
    from storage.outbox import Write

FINISH_SECONDS = 5.0
"""How long an app-level writer goes on once the app cancels its worker (the app is
closing), for its screen to queue what it saves on closing and for that to be written;
what is not written by then is left as it is (lines and section drafts stay on disk)."""

PAINT_HOLD_SECONDS = 0.03
"""How long the app's painting waits, at most, for a line just entered to be written and
shown (see `RecordWriter.send_lines`)."""


class PaintHold:
    """The app's painting held (`App.batch_update`) from Enter until the line entered is
    shown, for `PAINT_HOLD_SECONDS` at most, so that the line and the input emptied are
    drawn in one frame. Otherwise the emptied input takes a frame of its own, and Textual
    draws the next frame, with the line, one to two frames (17 to 33 ms) after that one,
    long after the write (a few ms) is done. Used on the UI thread."""

    def __init__(self) -> None:
        self._held: AbstractContextManager[None] | None = None
        self._timer: Timer | None = None
        self._app: App[object] | None = None

    @property
    def held(self) -> bool:
        return self._held is not None

    def begin(self, app: App[object]) -> None:
        """Hold painting (still held: nothing more), until `end` or the time is up."""
        if self._held is not None:
            return
        self._app = app
        self._held = app.batch_update()
        self._held.__enter__()
        self._timer = app.set_timer(PAINT_HOLD_SECONDS, self.end, name="paint hold")

    def end(self) -> None:
        """Paint again, if held: what changed meanwhile, in one frame."""
        held, timer, app = self._held, self._timer, self._app
        self._held = self._timer = self._app = None
        if timer is not None:
            timer.stop()
        if held is None or app is None:
            return
        held.__exit__(None, None, None)
        with contextlib.suppress(Exception):  # no screen any more: nothing to paint
            app.screen.check_idle()  # the screen's next idle draws the frame


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
        self.paint_hold = PaintHold()
        self.outbox = Outbox(store, ref, drafts, on_written=self._written, on_failed=self._failed,
                             on_refused=self._refused, retry=retry)

    def start(self, *, outliving_target: bool = False) -> None:
        """Write in one long-lived worker (so Enter costs no thread start): the target's,
        or the app's when `outliving_target`, so that what a closed screen queued is still
        written (see `finish`)."""
        self._outliving_target = outliving_target
        self._app = self.target.app  # on the UI thread: a worker thread cannot look it up
        if outliving_target:
            worker = self.target.app.run_worker(self._run, thread=True, group="write-behind", name="record writer")
        else:
            worker = self.target.run_worker(self._run, thread=True, exclusive=True, group="send", name="record writer")
        cancel = worker.cancel

        def cancel_and_tell() -> None:  # (the outbox sleeps until told: an idle app does not wake for it)
            cancel()
            self.outbox.look_again()

        worker.cancel = cancel_and_tell  # type: ignore[method-assign]

    def stop(self) -> None:
        """Stop at once; what is not written stays queued, and lines stay on disk."""
        self.outbox.stop()
        self.paint_hold.end()

    def send_lines(self, lines: Sequence[PendingLine]) -> tuple[list[Write], bool]:
        """`Outbox.send_lines`, entered lines drawn with the first one shown (`PaintHold`)."""
        self.paint_hold.begin(self.target.app)
        return self.outbox.send_lines(lines)

    def _line_reported(self) -> None:
        """After a line's report (from the writer's thread): paint, once the target has
        handled it (its queue is in order) and the widgets it changed have asked to be drawn
        (each asks from its own task, already waiting to run: an asyncio loop runs its ready
        callbacks in order)."""
        if self.paint_hold.held:
            with contextlib.suppress(RuntimeError):  # the app has closed its event loop
                self.target.call_later(lambda: asyncio.get_running_loop().call_soon(self.paint_hold.end))

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
            self._line_reported()
        else:
            self._post(ChangeWritten(write, result))

    def _failed(self, write: Write, error: DatabaseError) -> None:
        self._post(WriteFailed(write, error))
        if write.line is not None:
            self._line_reported()

    def _refused(self, write: Write, error: WarroomError) -> None:
        posted = self._post(WriteRefused(write, error))
        if write.line is not None:
            self._line_reported()
        if not posted and self._outliving_target:
            # The screen that made the change has closed (a tick, then Escape): the app
            # says it was not done, rather than nobody.
            app = self._app
            if app is None:
                return
            with contextlib.suppress(RuntimeError):  # the app has closed
                app.call_from_thread(app.notify, printable(f"{write.description}: {error}"), title="Not done",
                                     severity="error", markup=False)
