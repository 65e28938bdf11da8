"""The command screen: the incident an IC keeps open and a scribe types into.

Header, timeline, role roster and countdowns (`LiveIncidentScreen`), plus the scribe's
input line, the lines set aside and the keys that change the incident. Every write goes to
the screen's `RecordWriter`, which makes it off the UI thread, in order, and reports by
message; changes made by other processes arrive from the incident watcher.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.widgets import Static

from screens.command_keys import COMMAND_KEYS, SPARED_ON_NARROW_TERMINALS
from screens.incident_actions import IncidentActionsScreen
from screens.messages import CannotContinue, ChangeWritten, LineWritten, WriteFailed, WriteRefused
from screens.timeline_filters import incident_panels
from screens.writer import RecordWriter
from storage.drafts import Drafts, HeldLine, PendingLine, new_entry_id
from storage.errors import Busy, NeedsConfirmation, WarroomError
from storage.reminders import REMIND_COMMAND
from widgets.footer import KeysFooter
from widgets.held_lines import HeldEntry, HeldLines
from widgets.incident_header import IncidentHeader
from widgets.scribe_input import ScribeInput
from widgets.text import literal, printable
from widgets.timeline import TimelineView

if TYPE_CHECKING:
    from screens.live_incident import FirstLook
    from storage.db import Store
    from storage.outbox import Write

SLOW_SAVE_SECONDS = 1.0
"""A line not written after this long is shown as waiting, with its text."""


class CommandScreen(IncidentActionsScreen):
    """Run one incident: watch the timeline and roles, log events, keep updates on time."""

    BINDINGS: ClassVar[list[BindingType]] = COMMAND_KEYS

    def __init__(self, store: Store | None, ref: str | None, first: FirstLook | None = None) -> None:
        """Without a store the screen paints at once (showing `first`, when given) and waits for `attach`."""
        super().__init__(store, ref, first)
        self.drafts: Drafts | None = None
        self.writer: RecordWriter | None = None
        self._outgoing: list[Write] = []
        """Lines entered and changes made, not yet written, oldest first (the lines are
        kept on disk until written)."""
        self._delayed: set[Write] = set()
        """Changes that waited (behind others, or for the database): a refusal names them."""
        self._refusal_titles: dict[Write, str] = {}
        self._waiting_since: float | None = None
        self._send_problem: str | None = None
        self._held: list[HeldLine] = []
        """Lines set aside when entered or written (refused, or their time to confirm),
        oldest first; kept on disk."""
        self._disk_warned = False
        self._error_shown: str | None = None  # the message above the scribe line, if any

    # --- layout ---------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        tz = self.store.policy.tz if self.store is not None else UTC
        yield IncidentHeader(id="incident-header")
        yield incident_panels(tz)
        yield Static(id="scribe-error")
        yield Static(id="scribe-waiting")
        yield HeldLines(id="scribe-held")
        yield ScribeInput(id="scribe")
        yield KeysFooter(spare_first=SPARED_ON_NARROW_TERMINALS)

    def on_mount(self) -> None:
        timeline = self.query_one(TimelineView)
        timeline.border_title = "Timeline"
        self.query_one(ScribeInput).focus()
        if self.writer is not None:
            pass  # the record opened (and `attach` ran) between compose and Mount
        elif self.store is not None and self.ref is not None:
            self.attach_or_leave(self.store, self.ref)
        elif self.first_look is not None:
            self.show_first(*self.first_look)
        else:
            timeline.empty_text = "Opening the incident record…"
            self.query_one(IncidentHeader).show(title="Opening the incident record…")

    def on_unmount(self) -> None:
        if self.writer is not None:
            dropped = self.unsaved_changes
            self.writer.stop()
            if dropped:  # lines stay on disk and come back; a change made with a key does not
                self.app.notify(
                    printable(
                        f"Not saved, the database was busy: {'; '.join(dropped)}. Make it again from the incident."
                    ),
                    title="Changes not saved",
                    severity="error",
                    timeout=30,
                    markup=False,
                )

    def attach(self, store: Store, ref: str) -> None:
        """Show incident `ref` of `store` (called once the record is open)."""
        self.drafts = Drafts(store.url)
        self.writer = RecordWriter(self, store, ref, self.drafts)
        self.show_incident(store, ref)
        if self._watcher is not None:
            self.writer.report_lines_to(self._watcher)
        scribe = self.query_one(ScribeInput)
        pending = self._take_back_pending(store, ref)
        draft = self.drafts.load(ref)
        if draft and any(line.text == draft for line in pending):
            draft = None  # stopped between keeping the entered line and clearing the input
        if draft and not scribe.value:
            scribe.value = draft
            scribe.cursor_position = len(draft)
            self.notify(
                "The line you were typing was kept: it is back in the input.", title="Draft restored", markup=False
            )
        elif scribe.value:
            self.drafts.save(ref, scribe.value)
        self._held = self.drafts.load_held(ref) + self._held
        self._show_held()
        self.writer.start()

    def attach_or_leave(self, store: Store, ref: str) -> None:
        """`attach`, or, when the record cannot be read (a damaged page), leave the app with
        the reason, keeping the line typed meanwhile as the incident's draft."""
        try:
            self.attach(store, ref)
        except WarroomError as exc:
            typed = self.query_one(ScribeInput).value
            if typed:
                Drafts(store.url).save(ref, typed)
            kept = "; the line you typed is kept and comes back when the incident opens" if typed else ""
            self.post_message(CannotContinue(f"{exc}{kept}"))

    def _take_back_pending(self, store: Store, ref: str) -> list[PendingLine]:
        """Queue again the lines entered before the last stop that the record lacks
        (found by their entry ids: each is written once, however alike their texts)."""
        from storage import waiting

        assert self.drafts is not None and self.writer is not None
        pending = self.drafts.load_pending(ref)
        if not pending:
            return []
        try:
            unsaved = waiting.take_back(store, self.drafts, ref, pending)
        except WarroomError as exc:
            self.notify(
                f"Lines entered before warroom stopped are kept; they could not be checked now: {exc}",
                title="Lines kept",
                severity="warning",
                timeout=10,
                markup=False,
            )
            unsaved = [line if line.entry_id else line._replace(entry_id=new_entry_id()) for line in pending]
        writes, _ = self.writer.outbox.send_lines(unsaved, on_disk=True)
        self._outgoing = [*writes, *self._outgoing]
        if unsaved:
            self._waiting_since = time.monotonic()
            count = f"{len(unsaved)} line{'s' if len(unsaved) > 1 else ''}"
            self.notify(
                f"{count} entered earlier (before warroom stopped, or in another warroom still running) "
                "are not in the record yet: writing them now, each once.",
                title="Lines kept",
                timeout=10,
                markup=False,
            )
        return pending

    def _tick(self) -> None:
        super()._tick()
        if self._outgoing:  # a line that waits long enough is shown as waiting
            self._show_waiting()

    def _tick_within(self) -> float | None:
        return 1.0 if self._outgoing else None

    # --- the scribe line ------------------------------------------------------------

    def on_input_changed(self, event: ScribeInput.Changed) -> None:
        if isinstance(event.input, ScribeInput):  # the one #scribe
            if self.drafts is not None and self.ref is not None:
                self.drafts.save(self.ref, event.value)
            if event.input.error is None:  # cleared by an edit, not by the refused line put back
                self._show_error(None)

    def on_input_submitted(self, event: ScribeInput.Submitted) -> None:
        if event.input.id == "scribe" and not self.refused_in_input(event.value):
            self._enter_lines([event.value])

    def refused_in_input(self, line: str) -> bool:
        """Put a `/remind` line that cannot be logged back in the (empty) input with the reason."""
        if self.store is None or not line.lstrip(" !").lower().startswith(REMIND_COMMAND):
            return False
        scribe, problem = self.query_one(ScribeInput), self._problem(line, self.store.now())
        if problem is None or problem[1] or scribe.value:
            return False
        scribe.value, scribe.cursor_position = line, len(line)
        scribe.show_error(problem[0])
        self._show_error(problem[0])
        return True

    def on_scribe_input_lines_pasted(self, event: ScribeInput.LinesPasted) -> None:
        """A paste of several lines: one confirmation showing them, then one event each."""
        from screens.paste import PasteDialog

        lines = list(event.lines)
        if self.store is None:
            self.notify(
                "The incident record is still opening: nothing was logged, paste again in a moment.",
                title="Paste not logged",
                severity="warning",
                markup=False,
            )
            return
        pasted_at = self.store.now()  # the lines were entered now, whenever confirmed
        problems: dict[int, str] = {}
        for position, line in enumerate(lines):
            problem = self._problem(line, pasted_at)
            if problem is not None:
                problems[position] = problem[0]

        def chosen(log_them: bool | None) -> None:
            if log_them:
                self._enter_lines(lines, pasted_at)
            else:
                self.notify(f"The {len(lines)} pasted lines were not logged.", title="Paste cancelled", markup=False)

        self.app.push_screen(PasteDialog(lines, problems), chosen)

    def _problem(self, line: str, now: datetime) -> tuple[str, bool] | None:
        """Why `line` cannot be logged as it is, and whether a confirmation would do; None
        when it can."""
        from storage import ops

        assert self.store is not None
        view = self.view
        start = ops.incident_start(view.declared_at, view.milestones) if view is not None else None
        try:
            _, concerns = ops.line_concerns(self.store, line, start=start, entered_at=now)
        except WarroomError as exc:
            return str(exc), False
        said = "; ".join(concerns)
        return (said[:1].upper() + said[1:] + ": Ctrl+Y logs it at that time", True) if concerns else None

    def _enter_lines(self, lines: Sequence[str], entered_at: datetime | None = None) -> None:
        """Take entered lines, in order: each is queued to be written (on disk first) or,
        when it cannot be logged as it is, set aside with the reason. The input is free
        for the next line at once either way."""
        if self.store is None or self.ref is None or self.drafts is None:
            # Not open yet (a moment at start): the line goes back in the input, kept as
            # the draft once the record is open.
            scribe = self.query_one(ScribeInput)
            scribe.value = " ".join([*lines, scribe.value]).strip()
            scribe.cursor_position = len(scribe.value)
            message = "The incident record is still opening: your line is kept, press Enter again in a moment."
            scribe.show_error(message)
            self._show_error(message)
            return
        entered_at = entered_at or self.store.now()
        author = self.store.user  # who is typing: the name the record was opened with
        entered: list[PendingLine] = []
        held = len(self._held)
        for line in lines:
            if not line.strip():
                continue
            problem = self._problem(line, entered_at)
            if problem is not None:
                reason, confirmable = problem
                self._held.append(HeldLine(line, reason, entered_at, new_entry_id(), confirmable, author))
            else:
                entered.append(PendingLine(line, entered_at, new_entry_id(), author))
        if len(self._held) != held:
            self._keep_held()
        if entered:
            self._queue_lines(entered)

    def _queue_lines(self, lines: list[PendingLine]) -> None:
        """Hand `lines` to the writer, which keeps them on disk until written."""
        assert self.writer is not None
        if not self._outgoing:
            self._waiting_since = time.monotonic()
        writes, kept = self.writer.send_lines(lines)
        if not kept:
            self._warn_not_on_disk()
        self._outgoing.extend(writes)
        self._show_waiting()
        self._tick_soon(1.0)

    # --- lines set aside --------------------------------------------------------------

    def _keep_held(self) -> None:
        """Keep the lines set aside on disk and show them."""
        if self.drafts is not None and self.ref is not None and not self.drafts.save_held(self.ref, self._held):
            self._warn_not_on_disk()
        self._show_held()

    def _warn_not_on_disk(self) -> None:
        """Say (once) that lines cannot be kept on disk: a crash now would lose them."""
        if self._disk_warned or self.drafts is None:
            return
        self._disk_warned = True
        self.notify(
            printable(
                f"Lines waiting or set aside cannot be kept on disk ({self.drafts.directory} cannot be "
                "written): they are kept while warroom runs, and lost if it is killed."
            ),
            title="Not kept on disk",
            severity="error",
            timeout=20,
            markup=False,
        )

    def _show_held(self) -> None:
        if self._is_torn_down():
            return
        self.query_one(HeldLines).show_entries(
            [HeldEntry(line.text, line.reason, line.needs_confirmation) for line in self._held]
        )
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "recall_held":
            return bool(self._held)
        if action == "confirm_held":
            return any(line.needs_confirmation for line in self._held)
        return True

    def action_recall_held(self) -> None:
        """Put the oldest line set aside back in the input, with its reason, to fix."""
        if not self._held:
            return
        scribe = self.query_one(ScribeInput)
        if scribe.value.strip():
            self.notify(
                "Log or clear the line you are typing first (Ctrl+U clears it); the line set aside stays.",
                title="Input in use",
                severity="warning",
                markup=False,
            )
            return
        line = self._held.pop(0)
        self._keep_held()
        scribe.value = line.text
        scribe.cursor_position = len(line.text)
        scribe.show_error(line.reason)
        self._show_error(line.reason)
        scribe.focus()

    def action_confirm_held(self) -> None:
        """Log the oldest line set aside for its time, at that time, as entered."""
        line = next((held for held in self._held if held.needs_confirmation), None)
        if line is None or self.store is None:
            return
        self._held.remove(line)
        self._keep_held()
        self._queue_lines([PendingLine(line.text, line.entered_at, line.entry_id, line.author, confirmed=True)])

    # --- writes and what became of them -----------------------------------------------

    @property
    def unsaved_lines(self) -> tuple[str, ...]:
        """Lines entered and not yet in the record, oldest first."""
        return tuple(write.line.text for write in self._outgoing if write.line is not None)

    @property
    def unsaved_changes(self) -> tuple[str, ...]:
        """Changes made with a key and not yet in the record (the database was busy)."""
        return tuple(write.description for write in self._outgoing if write.line is None)

    def send_change(
        self,
        description: str,
        apply: Callable[..., object],
        *args: object,
        refused_title: str = "Not done",
        stamped: bool = True,
        **kwargs: object,
    ) -> None:
        """Change this incident with `apply(store, ref, *args, **kwargs)`, after the lines
        and changes waiting (shown as waiting, with `description`, while the database is
        busy). `stamped`: it keeps the time it was made (`at`, unless given). A refusal
        becomes a notification titled `refused_title`."""
        if self.store is None or self.ref is None or self.writer is None:
            return
        if stamped:
            kwargs.setdefault("at", self.store.now())
        if not self._outgoing:
            self._waiting_since = time.monotonic()
        write = self.writer.outbox.send(description, partial(apply, self.store, self.ref, *args, **kwargs))
        if self._outgoing:
            self._delayed.add(write)
        if refused_title != "Not done":
            self._refusal_titles[write] = refused_title
        self._outgoing.append(write)
        self._show_waiting()
        self._tick_soon(1.0)

    def _forget_outgoing(self, write: Write) -> None:
        """No longer waiting: `write` is written or set aside."""
        if write in self._outgoing:
            self._outgoing.remove(write)
        self._delayed.discard(write)
        self._refusal_titles.pop(write, None)
        if not self._outgoing:
            self._waiting_since = None
            self._send_problem = None
        else:
            self._waiting_since = time.monotonic()
        self._show_waiting()

    def on_line_written(self, message: LineWritten) -> None:
        """Show a written line (the rows it wrote: nothing is read again)."""
        self._send_problem = None
        self._forget_outgoing(message.write)
        if self._is_torn_down():
            return
        self.show_written(message.rows, getattr(message.rows, "change_count", None))
        self.query_one(TimelineView).show_newest()

    def on_change_written(self, message: ChangeWritten) -> None:
        """A change is in the record: the watcher reads the incident again at once."""
        self._send_problem = None
        self._forget_outgoing(message.write)
        self.poll_now()

    def on_write_refused(self, message: WriteRefused) -> None:
        write, error = message.write, message.error
        if write.line is not None:
            self._line_refused(write, write.line, str(error), isinstance(error, NeedsConfirmation))
            return
        title = self._refusal_titles.get(write, "Not done")
        text = f"{write.description}: {error}" if write in self._delayed else str(error)
        self._forget_outgoing(write)
        self.show_refusal(error, text, title)

    def _line_refused(self, write: Write, line: PendingLine, message: str, confirmable: bool) -> None:
        """A line the record refused when written: set aside with the reason, to fix (or
        to confirm, when its time needs a confirmation), then forgotten as pending."""
        self._held.append(HeldLine(line.text, message, line.entered_at, line.entry_id, confirmable, line.author))
        self._keep_held()
        if self.writer is not None:
            self.writer.outbox.forget(write)
        self._forget_outgoing(write)

    def on_write_failed(self, message: WriteFailed) -> None:
        if message.write.line is None:
            self._delayed.add(message.write)
        if isinstance(message.error, Busy):
            self._send_problem = "the database is busy: another writer holds it"
        else:
            self._send_problem = str(message.error)
        self._show_waiting()

    def _show_waiting(self) -> None:
        """Show the lines waiting to be written, once they have waited a moment."""
        if self._is_torn_down():
            return
        waiting = self.query_one("#scribe-waiting", Static)
        slow = self._waiting_since is not None and time.monotonic() - self._waiting_since >= SLOW_SAVE_SECONDS
        if not self._outgoing or not (slow or self._send_problem):
            if waiting.display:  # setting it, even unchanged, lays the screen out once
                waiting.display = False
            return
        count = len(self._outgoing)
        lines = f"{count} line{'s' if count > 1 else ''}"
        if any(write.line is None for write in self._outgoing):
            lines = f"{count} change{'s' if count > 1 else ''}"
        reason = self._send_problem or "waiting for the database"
        first = printable(self._outgoing[0].text)
        if len(first) > 60:
            first = first[:59] + "…"
        order = ", in order, from" if count > 1 else ""
        waiting.update(literal(f"Not saved yet, retrying ({reason}). {lines} kept{order}: “{first}”"))
        waiting.display = True

    def _show_error(self, message: str | None) -> None:
        """Show `message` above the scribe line (None hides it); unchanged, do nothing (each key clears it)."""
        if (message := message or None) == self._error_shown:
            return
        self._error_shown = message
        error = self.query_one("#scribe-error", Static)
        error.update(literal(message or ""))
        error.display = bool(message)
