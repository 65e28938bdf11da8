"""The command screen: the incident an IC keeps open and a scribe types into.

Header, timeline, role roster, countdowns to the next updates and the scribe's input
line. Every change goes through `storage.ops`; changes made by other processes (a second
`warroom`, `warroom log` from a script) are picked up by polling a change counter.
"""

from __future__ import annotations

import queue
import threading
import time
from datetime import datetime, timezone
from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar, NamedTuple

from textual import work
from textual.worker import get_current_worker
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Static

from storage.drafts import Drafts, HeldLine, PendingLine, new_entry_id
from storage.errors import Busy, DatabaseError, NeedsConfirmation, WarroomError
from widgets.countdown import Countdown, CountdownPanel
from widgets.held_lines import HeldEntry, HeldLines
from widgets.incident_header import IncidentHeader
from widgets.roster import RoleRoster, RosterHolder, RosterRole
from widgets.scribe_input import ScribeInput
from widgets.text import literal, printable
from widgets.timeline import TimelineEntry, TimelineView

if TYPE_CHECKING:
    from storage import live
    from storage.db import Store

# The storage modules (SQLAlchemy, SQLModel) are imported where they are first used, so
# that the screen can paint while the record is still being opened in a worker.

COUNTDOWNS: tuple[tuple[str, str], ...] = (
    ("initial", "Initial communication"),
    ("checkin", "Responder check-in"),
    ("internal", "Internal update"),
    ("status_page", "Status page"),
)
"""The countdowns shown (storage.countdowns.COUNTDOWN_LABELS, without importing it)."""

SENDER_WAKE_SECONDS = 0.5
"""How often the idle writer thread looks whether the app is closing."""
POLL_SECONDS = 0.5
"""How often the screen asks whether another process changed the incident."""

FIRST_PAINT_EVENTS = 400
"""Events loaded before the first frame; the rest of a long timeline follows in a worker."""

SLOW_SAVE_SECONDS = 1.0
"""A line not written after this long is shown as waiting, with its text."""

QUICK_WAIT_MS = 250
"""How long a change made with a key waits for another writer's lock on the UI thread
before it is handed to the writer thread (the screen never freezes for the full wait)."""

RETRY_SECONDS = (0.5, 1.0, 2.0, 5.0)
"""Pauses between attempts to write a line after a failure (the last one repeats); a
busy database is retried at once, the wait being in the database's own lock timeout."""


class PendingChange(NamedTuple):
    """A change made with a key (severity, role, milestone, update sent) that found the
    database busy: `storage.ops.<operation>(store, ref, *args, **kwargs)`, to retry."""

    description: str
    operation: str
    args: tuple[object, ...]
    kwargs: dict[str, object]


Pending = PendingLine | PendingChange


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _entries(rows: Sequence[live.EventRow | live.EventStub]) -> list[TimelineEntry]:
    """Rows as timeline entries: an event row has the entry's fields, in its order, and a
    stub the fields the timeline needs to place it (it reads the rest when shown)."""
    return rows  # type: ignore[return-value]


def _entries_by_id(rows: dict[int, live.EventRow]) -> dict[int, TimelineEntry]:
    return rows  # type: ignore[return-value]


class CommandScreen(Screen[None]):
    """Run one incident: watch the timeline and roles, log events, keep updates on time."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f2", "severity", "Severity", id="command.severity", tooltip="Change the incident's severity"),
        Binding("f3", "milestone", "Milestone", id="command.milestone", tooltip="Mark a milestone reached"),
        Binding("f4", "handover", "Roles", id="command.handover", tooltip="Hand over or add a role"),
        Binding("f5", "update_sent", "Update sent", id="command.update", tooltip="Record an update as sent"),
        Binding("f6", "incidents", "Incidents", id="command.incidents", tooltip="Open the incident list"),
        Binding("f7", "toggle_utc", "UTC", id="command.utc", tooltip="Show times in UTC or local time"),
        Binding("f8", "compose", "Compose", id="command.compose", tooltip="Compose a status update from the templates"),
        Binding("f9", "checklist", "Checklist", id="command.checklist", tooltip="Process checklist, resolution and follow-ups"),
        Binding("f12", "postmortem", "Post-mortem", id="command.postmortem", tooltip="Write this incident's post-mortem"),
        Binding("escape", "focus_input", "Type", id="command.type", tooltip="Back to the scribe line", show=False),
        Binding("ctrl+y", "confirm_held", "Confirm time", id="command.confirm_held",
                tooltip="Log the oldest line set aside for its time, at that time"),
        Binding("ctrl+r", "recall_held", "Fix line", id="command.recall_held",
                tooltip="Take the oldest line set aside back into the input to fix it"),
    ]

    def __init__(self, store: Store | None, ref: str | None) -> None:
        """Without a store the screen paints at once and waits for `attach`."""
        super().__init__()
        self.store: Store | None = store
        self.ref: str | None = ref
        self.drafts: Drafts | None = None
        self.view: live.IncidentView | None = None
        self._mark: live.Watermark | None = None
        self._seen_changes = -1
        self._has_started = False
        self._stop_watching = threading.Event()
        self._outgoing: list[Pending] = []
        """Lines entered and changes made, not yet written, oldest first (the lines are
        kept on disk until written)."""
        self._impatient: Store | None = None
        """The record, with a short wait for other writers: for changes made with a key."""
        self._to_sender: queue.SimpleQueue[Pending | None] = queue.SimpleQueue()
        """Lines for the writer thread (None wakes it to stop)."""
        self._waiting_since: float | None = None
        self._send_problem: str | None = None
        self._held: list[HeldLine] = []
        """Lines set aside when entered or written (refused, or their time to confirm),
        oldest first; kept on disk."""
        self._disk_warned = False

    # --- layout ---------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        tz = self.store.policy.tz if self.store is not None else timezone.utc
        yield IncidentHeader(id="incident-header")
        with Horizontal(id="command-body"):
            yield TimelineView(tz=tz, id="timeline")
            with Vertical(id="sidebar"):
                yield RoleRoster(tz=tz, id="roster")
                yield CountdownPanel(COUNTDOWNS, id="countdowns")
        yield Static(id="scribe-error")
        yield Static(id="scribe-waiting")
        yield HeldLines(id="scribe-held")
        yield ScribeInput(id="scribe")
        yield Footer()

    def on_mount(self) -> None:
        timeline = self.query_one(TimelineView)
        timeline.border_title = "Timeline"
        self.query_one(ScribeInput).focus()
        if self.store is not None and self.ref is not None:
            self.attach_or_leave(self.store, self.ref)
        else:
            timeline.empty_text = "Opening the incident record…"
            self.query_one(IncidentHeader).show(title="Opening the incident record…")

    def on_unmount(self) -> None:
        self._stop_watching.set()  # the watcher thread ends at once instead of after its sleep
        self._to_sender.put(None)
        if self._impatient is not None:
            self._impatient.close()

    def attach(self, store: Store, ref: str) -> None:
        """Show incident `ref` of `store` (called once the record is open)."""
        from storage import live

        self.store, self.ref = store, ref
        self.drafts = Drafts(store.url)
        self._impatient = store.impatient(QUICK_WAIT_MS)
        timeline = self.query_one(TimelineView)
        timeline.tz = store.policy.tz
        timeline.entry_loader = lambda ids: _entries_by_id(live.events_by_id(store, ref, ids))
        self.query_one(RoleRoster).tz = store.policy.tz
        self.query_one(TimelineView).empty_text = "No events yet"
        self._load_view()
        rows, self._mark = live.event_rows(store, ref, newest=FIRST_PAINT_EVENTS)
        self._show_rows(rows, replace=True)
        if len(rows) >= FIRST_PAINT_EVENTS:
            self._load_full_timeline()
        scribe = self.query_one(ScribeInput)
        pending = self._take_back_pending(store, ref)
        draft = self.drafts.load(ref)
        if draft and any(line.text == draft for line in pending):
            draft = None  # stopped between keeping the entered line and clearing the input
        if draft and not scribe.value:
            scribe.value = draft
            scribe.cursor_position = len(draft)
            self.notify("The line you were typing was kept: it is back in the input.", title="Draft restored", markup=False)
        elif scribe.value:
            self.drafts.save(ref, scribe.value)
        self._held = self.drafts.load_held(ref) + self._held
        self._show_held()
        self._tick()
        self.set_interval(1.0, self._tick)
        self._watch()
        self._sender(store, ref)
        self._send(self._outgoing)

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
            self.app.fail(f"{exc}{kept}")  # type: ignore[attr-defined]

    def _take_back_pending(self, store: Store, ref: str) -> list[PendingLine]:
        """Queue again the lines entered before the last stop that the record lacks
        (found by their entry ids: each is written once, however alike their texts)."""
        from storage import waiting

        assert self.drafts is not None
        pending = self.drafts.load_pending(ref)
        if not pending:
            return []
        try:
            unsaved = waiting.take_back(store, self.drafts, ref, pending)
        except WarroomError as exc:
            self.notify(f"Lines entered before warroom stopped are kept; they could not be checked now: {exc}",
                        title="Lines kept", severity="warning", timeout=10, markup=False)
            unsaved = [line if line.entry_id else line._replace(entry_id=new_entry_id()) for line in pending]
        self._outgoing = [*unsaved, *self._outgoing]
        if unsaved:
            self._waiting_since = time.monotonic()
            count = f"{len(unsaved)} line{'s' if len(unsaved) > 1 else ''}"
            self.notify(f"{count} entered earlier (before warroom stopped, or in another warroom still running) "
                        "are not in the record yet: writing them now, each once.",
                        title="Lines kept", timeout=10, markup=False)
        return pending

    @work(thread=True, exclusive=True, group="timeline-load")
    def _load_full_timeline(self) -> None:
        from storage import live

        assert self.store is not None and self.ref is not None
        rows, mark = live.event_index(self.store, self.ref)
        self.app.call_from_thread(self._apply_full_timeline, rows, mark)

    def _apply_full_timeline(self, rows: list[live.EventStub], mark: live.Watermark) -> None:
        """Show the whole timeline from stubs; events already read in full are kept (when
        their place is unchanged), the rest are read as they come on screen."""
        if self._is_torn_down():
            return
        timeline = self.query_one(TimelineView)
        cursor = timeline.cursor_entry
        known = {entry.id: entry for entry in timeline.entries if entry.text is not None}
        if known:
            rows = [
                old if (old := known.get(row.id)) is not None and old.at == row.at else row  # type: ignore[misc]
                for row in rows
            ]
        timeline.set_entries(_entries(rows))
        if cursor is not None:
            timeline.move_cursor(cursor.id)
        self._mark = mark

    # --- reading the record ---------------------------------------------------------

    def _load_view(self, view: live.IncidentView | None = None) -> None:
        """Show the header, roster and countdowns (read again unless `view` is given)."""
        from storage import live

        assert self.store is not None and self.ref is not None
        self.view = view = view if view is not None else live.incident_view(self.store, self.ref)
        self._seen_changes = view.change_count
        self._has_started = "started" in view.milestones
        policy = self.store.policy
        severity = policy.severities.get(view.severity)
        commander = next((h.person for h in view.roles if h.role == "ic"), None)
        self.query_one(IncidentHeader).show(
            ref=view.ref,
            title=view.title,
            severity=view.severity,
            severity_name=severity.name if severity else "",
            status=view.status,
            started_at=view.milestones.get("started", view.declared_at),
            commander=commander,
            now=self.store.now(),
            you=self.store.user,
        )
        roles = []
        for role in policy.roles.values():
            holders = tuple(
                RosterHolder(h.person, h.started_at, h.note) for h in view.roles if h.role == role.key
            )
            roles.append(RosterRole(role.key, role.name, role.many, holders))
        self.query_one(RoleRoster).set_roles(roles)
        self._update_countdowns()

    def _update_countdowns(self) -> None:
        from storage.countdowns import due_times

        view = self.view
        if view is None or self.store is None:
            return
        due = due_times(
            self.store.policy,
            severity=view.severity,
            status=view.status,
            declared_at=view.declared_at,
            milestones=view.milestones,
            updates=view.updates,
        )
        self.query_one(CountdownPanel).update_countdowns(due, self.store.now())

    def _show_rows(self, rows: list[live.EventRow], *, replace: bool = False) -> None:
        timeline = self.query_one(TimelineView)
        if replace:
            timeline.set_entries(_entries(rows))
        elif rows:
            timeline.upsert(_entries(rows))

    def _is_torn_down(self) -> bool:
        """True while the screen is being taken down: its panels are gone before Unmount."""
        return self._stop_watching.is_set() or not self.query_children(IncidentHeader)  # direct child: no walk

    def _tick(self) -> None:
        if self.store is None or self._is_torn_down():
            return
        now = self.store.now()
        self.query_one(IncidentHeader).now = now
        self.query_one(CountdownPanel).set_now(now)
        self._show_waiting()

    @work(thread=True, exclusive=True, group="poll")
    def _watch(self) -> None:
        """Every POLL_SECONDS, ask whether the incident changed (one indexed read) and, if
        so, read what changed; all off the UI thread, in one long-lived worker."""
        from storage import live

        worker = get_current_worker()
        while not self._stop_watching.wait(POLL_SECONDS) and not worker.is_cancelled:
            if self.store is None or self.ref is None or self._mark is None:
                continue
            try:
                count = live.change_count(self.store, self.ref)
                if count is None or count == self._seen_changes:
                    continue
                view = live.incident_view(self.store, self.ref)
                rows, mark = live.events_since(self.store, self.ref, self._mark)
            except WarroomError:
                continue  # a busy or briefly unreachable database: try again next time
            if worker.is_cancelled:
                return
            try:
                self.app.call_from_thread(self._apply_changes, view, rows, mark)
            except RuntimeError:  # the app is shutting down
                return

    def _apply_changes(self, view: live.IncidentView, rows: list[live.EventRow], mark: live.Watermark) -> None:
        if view.change_count < self._seen_changes or self._is_torn_down():
            return  # an older view, or a poll answered while the app closes
        self._show_changes(view, rows, mark)

    def _show_changes(
        self, view: live.IncidentView | None, rows: list[live.EventRow], mark: live.Watermark
    ) -> None:
        """Show a new view (read it when None) and the events that changed."""
        had_started = self._has_started
        self._load_view(view)
        if self._has_started != had_started:  # the start marker moves: mark every row again
            from storage import live

            assert self.store is not None and self.ref is not None
            self.query_one(TimelineView).set_entries([])  # every marker may change: read again
            rows, mark = live.event_index(self.store, self.ref)
            self._apply_full_timeline(rows, mark)
        else:
            self._show_rows(rows)
            self._mark = mark

    def refresh_now(self, *, timeline_only: bool = False) -> None:
        """Read the incident again after a change made from this screen.

        A logged line only adds events (`timeline_only`): header, roles and countdowns
        are left to the next poll, which keeps the Enter key's work small.
        """
        from storage import live

        assert self.store is not None and self.ref is not None and self._mark is not None
        rows, mark = live.events_since(self.store, self.ref, self._mark)
        if timeline_only:
            self._show_rows(rows)
            self._mark = mark
        else:
            self._show_changes(None, rows, mark)

    # --- the scribe line ------------------------------------------------------------

    def on_input_changed(self, event: ScribeInput.Changed) -> None:
        if event.input.id == "scribe":
            if self.drafts is not None and self.ref is not None:
                self.drafts.save(self.ref, event.value)
            if event.input.error is None:  # cleared by an edit, not by the refused line put back
                self._show_error(None)

    def on_input_submitted(self, event: ScribeInput.Submitted) -> None:
        if event.input.id == "scribe":
            self._enter_lines([event.value])

    def on_scribe_input_lines_pasted(self, event: ScribeInput.LinesPasted) -> None:
        """A paste of several lines: one confirmation showing them, then one event each."""
        from screens.paste import PasteDialog

        lines = list(event.lines)
        if self.store is None:
            self.notify("The incident record is still opening: nothing was logged, paste again in a moment.",
                        title="Paste not logged", severity="warning", markup=False)
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
        if concerns:
            return _sentence("; ".join(concerns)) + ": Ctrl+Y logs it at that time", True
        return None

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
        """Keep `lines` on disk, then hand them to the writer thread."""
        assert self.drafts is not None and self.ref is not None
        if not self._outgoing:
            self._waiting_since = time.monotonic()
        if not self.drafts.add_pending(self.ref, lines):
            self._warn_not_on_disk()
        self._outgoing.extend(lines)
        self._send(lines)
        self._show_waiting()

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
            printable(f"Lines waiting or set aside cannot be kept on disk ({self.drafts.directory} cannot be "
                      "written): they are kept while warroom runs, and lost if it is killed."),
            title="Not kept on disk", severity="error", timeout=20, markup=False,
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
            self.notify("Log or clear the line you are typing first (Ctrl+U clears it); the line set aside stays.",
                        title="Input in use", severity="warning", markup=False)
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

    # --- writing entered lines --------------------------------------------------------

    @property
    def unsaved_lines(self) -> tuple[str, ...]:
        """Lines entered and not yet in the record, oldest first."""
        return tuple(item.text for item in self._outgoing if isinstance(item, PendingLine))

    @property
    def unsaved_changes(self) -> tuple[str, ...]:
        """Changes made with a key and not yet in the record (the database was busy)."""
        return tuple(item.description for item in self._outgoing if isinstance(item, PendingChange))

    def _send(self, items: Sequence[Pending]) -> None:
        """Hand lines and changes to the writer thread, in order."""
        for item in items:
            self._to_sender.put(item)

    @work(thread=True, exclusive=True, group="send")
    def _sender(self, store: Store, ref: str) -> None:
        """Write entered lines, in order, as they come: one long-lived thread, so Enter
        costs no thread start. A busy or unreachable database is retried (the lines stay
        on screen and on disk); a refused line goes back to the input."""
        from storage import ops

        stop = self._stop_watching
        worker = get_current_worker()
        try:
            while not stop.is_set() and not worker.is_cancelled:
                try:
                    # Woken by a line or by None from on_unmount; and now and then to see whether
                    # the app, closing, cancelled its workers (on_unmount may not have run).
                    item = self._to_sender.get(timeout=SENDER_WAKE_SECONDS)
                except queue.Empty:
                    continue
                failures = 0
                while item is not None and not stop.is_set() and not worker.is_cancelled:
                    try:
                        if isinstance(item, PendingLine):
                            ops.log(store, ref, item.text, entered_at=item.entered_at, entry_id=item.entry_id,
                                    author=item.author or None, confirmed=item.confirmed)
                        else:
                            getattr(ops, item.operation)(store, ref, *item.args, **item.kwargs)
                    except DatabaseError as exc:  # busy, full, unreachable: keep it, try again
                        self.app.call_from_thread(self._write_failed, exc)
                        pause = 0.05 if isinstance(exc, Busy) else RETRY_SECONDS[min(failures, len(RETRY_SECONDS) - 1)]
                        failures += 1
                        stop.wait(pause)
                        continue
                    except WarroomError as exc:
                        confirmable = isinstance(exc, NeedsConfirmation)
                        self.app.call_from_thread(self._refused, item, str(exc), confirmable)
                    else:
                        self.app.call_from_thread(self._written, item)
                        if isinstance(item, PendingLine) and self.drafts is not None:
                            # Off the UI thread, after the line is shown: a stop before this
                            # leaves it kept, and its id keeps the next start from writing it twice.
                            self.drafts.remove_pending(ref, {item.entry_id})
                    item = None
        except RuntimeError:  # the app is shutting down: the lines not written stay on disk
            return

    def _forget_outgoing(self, item: Pending, *, on_disk: bool = True) -> None:
        """No longer waiting: `item` is written (the writer thread forgets it on disk,
        `on_disk` False) or set aside."""
        if item in self._outgoing:
            self._outgoing.remove(item)
        if on_disk and isinstance(item, PendingLine) and self.drafts is not None and self.ref is not None:
            self.drafts.remove_pending(self.ref, {item.entry_id})
        if not self._outgoing:
            self._waiting_since = None
            self._send_problem = None
        else:
            self._waiting_since = time.monotonic()
        self._show_waiting()

    def _written(self, item: Pending) -> None:
        """Show a written line or change."""
        self._send_problem = None
        self._forget_outgoing(item, on_disk=False)
        if self._is_torn_down():
            return
        if isinstance(item, PendingLine):
            self.refresh_now(timeline_only=True)
            self.query_one(TimelineView).scroll_end(animate=False)
        else:
            self.refresh_now()

    def _refused(self, item: Pending, message: str, confirmable: bool = False) -> None:
        if isinstance(item, PendingLine):
            self._line_refused(item, message, confirmable)
        else:
            self._forget_outgoing(item)
            self.notify(f"{item.description}: {message}", title="Not done", severity="error", markup=False)

    def _line_refused(self, line: PendingLine, message: str, confirmable: bool = False) -> None:
        """A line the record refused when written: set aside with the reason, to fix (or
        to confirm, when its time needs a confirmation)."""
        self._held.append(HeldLine(line.text, message, line.entered_at, line.entry_id, confirmable, line.author))
        self._keep_held()
        self._forget_outgoing(line)

    def _write_failed(self, exc: DatabaseError) -> None:
        if isinstance(exc, Busy):
            self._send_problem = "the database is busy: another writer holds it"
        else:
            self._send_problem = str(exc)
        self._show_waiting()

    def _show_waiting(self) -> None:
        """Show the lines waiting to be written, once they have waited a moment."""
        if self._is_torn_down():
            return
        waiting = self.query_one("#scribe-waiting", Static)
        slow = self._waiting_since is not None and time.monotonic() - self._waiting_since >= SLOW_SAVE_SECONDS
        if not self._outgoing or not (slow or self._send_problem):
            waiting.display = False
            return
        count = len(self._outgoing)
        lines = f"{count} line{'s' if count > 1 else ''}"
        if any(isinstance(item, PendingChange) for item in self._outgoing):
            lines = f"{count} change{'s' if count > 1 else ''}"
        reason = self._send_problem or "waiting for the database"
        oldest = self._outgoing[0]
        first = printable(oldest.text if isinstance(oldest, PendingLine) else oldest.description)
        if len(first) > 60:
            first = first[:59] + "…"
        order = ", in order, from" if count > 1 else ""
        waiting.update(literal(f"Not saved yet, retrying ({reason}). {lines} kept{order}: “{first}”"))
        waiting.display = True

    def _show_error(self, message: str | None) -> None:
        error = self.query_one("#scribe-error", Static)
        error.update(literal(message or ""))
        error.display = bool(message)

    # --- countdowns -----------------------------------------------------------------

    def on_countdown_expired(self, event: Countdown.Expired) -> None:
        label = event.countdown.label
        self.notify(f"{label} is due now.", title="Update overdue", severity="error", timeout=10, markup=False)
        self.app.bell()

    # --- actions --------------------------------------------------------------------

    def _run(self, description: str, operation: str, *args: object, **kwargs: object) -> bool:
        """Apply `storage.ops.<operation>` to this incident; a refusal becomes a notification.

        When lines or changes from this screen are still waiting, or the database stays
        busy for QUICK_WAIT_MS, the change goes to the writer thread after them, which
        retries it (shown as waiting, with `description`); it keeps the time it was made."""
        from storage import ops

        if self.store is None or self.ref is None:
            return False
        kwargs.setdefault("at", self.store.now())
        change = PendingChange(description, operation, args, kwargs)
        if self._outgoing:  # in order, after what is waiting already
            self._queue_change(change)
            return False
        try:
            getattr(ops, operation)(self._impatient or self.store, self.ref, *args, **kwargs)
        except Busy:
            self._queue_change(change)
            return False
        except WarroomError as exc:
            self.notify(str(exc), title="Not done", severity="error", markup=False)
            return False
        self.refresh_now()
        return True

    def _queue_change(self, change: PendingChange) -> None:
        if not self._outgoing:
            self._waiting_since = time.monotonic()
        self._outgoing.append(change)
        self._send([change])
        self._show_waiting()

    def action_focus_input(self) -> None:
        self.query_one(ScribeInput).focus()

    def action_toggle_utc(self) -> None:
        """Every clock time on the screen in UTC, or back in the policy's zone (the
        timeline's border names the zone; the countdowns show time left, in no zone)."""
        timeline = self.query_one(TimelineView)
        timeline.show_utc = not timeline.show_utc
        self.query_one(RoleRoster).show_utc = timeline.show_utc

    def action_severity(self) -> None:
        from screens.pickers import SeverityPicker

        if self.store is None or self.view is None:
            return

        def chosen(level: int | None) -> None:
            if level is not None:
                self._run(f"Severity SEV{level}", "change_severity", level)

        self.app.push_screen(SeverityPicker(self.store, self.view.severity), chosen)

    def action_milestone(self) -> None:
        from screens.pickers import MilestonePicker

        if self.store is None or self.view is None:
            return

        def chosen(result: tuple[str, datetime] | None) -> None:
            if result is None:
                return
            name, at = result
            if name == "resolved":
                self._resolve(at)
            else:
                self._run(f"Milestone {name}", "set_milestone", name, at=at)

        self.app.push_screen(MilestonePicker(self.store, self.view.milestones), chosen)

    def action_handover(self, role_key: str | None = None) -> None:
        from screens.pickers import HandoverDialog

        if self.store is None:
            return
        roster = self.query_one(RoleRoster)
        role = next((r for r in roster.roles if r.key == role_key), None) if role_key else roster.cursor_role
        if role is None:
            return
        people = {h.person for r in roster.roles for h in r.holders}

        def chosen(result: tuple[str, str, datetime] | None) -> None:
            if result is not None:
                person, note, at = result
                self._run(f"{person} as {role.name}", "assign_role", role.key, person, at=at, note=note)

        holders = [h.person for h in role.holders]
        self.app.push_screen(HandoverDialog(self.store, role.name, role.many, holders, sorted(people)), chosen)

    # --- without a dialog, for the command palette (tui.commands) -------------------

    def hand_over(self, role_key: str, person: str) -> None:
        """Give role `role_key` to `person` now, as the handover dialog does."""
        if self.store is not None:
            self._run(f"{person} as {self.store.policy.role(role_key).name}", "assign_role", role_key, person, note="")

    def set_severity(self, level: int) -> None:
        """Change the severity to `level` now, as the severity picker does."""
        self._run(f"Severity SEV{level}", "change_severity", level)

    def mark_milestone(self, name: str) -> None:
        """Mark milestone `name` reached now, as the milestone picker does (resolving checks
        the resolution criteria first)."""
        if self.store is None:
            return
        if name == "resolved":
            self._resolve(self.store.now())
        else:
            self._run(f"Milestone {name}", "set_milestone", name)

    def on_timeline_view_entry_selected(self, event: TimelineView.EntrySelected) -> None:
        from screens.event import EventDialog

        if self.store is None or self.ref is None:
            return

        def closed(changed: bool | None) -> None:
            if changed:
                self.refresh_now()

        self.app.push_screen(EventDialog(self.store, self.ref, event.entry.seq), closed)

    def on_role_roster_handover_requested(self, event: RoleRoster.HandoverRequested) -> None:
        self.action_handover(event.role_key)

    def on_role_roster_release_requested(self, event: RoleRoster.ReleaseRequested) -> None:
        self._run(f"Release {event.person} ({event.role_key})", "release_role", event.role_key, event.person)

    def action_update_sent(self) -> None:
        from screens.pickers import UpdatePicker

        if self.store is None:
            return

        def chosen(result: tuple[str, str] | None) -> None:
            if result is not None:
                channel, kind = result
                self._run(f"Update sent: {channel} {kind}", "record_status_update", channel=channel, kind=kind)

        self.app.push_screen(UpdatePicker(), chosen)

    def action_incidents(self) -> None:
        self.app.action_incidents()  # type: ignore[attr-defined]

    def _resolve(self, at: datetime) -> None:
        """Resolve through the resolution criteria; unmet ones need a confirmation."""
        from screens.checklist import ResolveAnyway
        from storage import checklists

        assert self.store is not None and self.ref is not None
        store, ref = self.store, self.ref
        unmet = [c for c in checklists.resolution_criteria(store, ref) if not c.met]

        def resolve(force: bool) -> None:
            try:
                checklists.resolve(store, ref, force=force, at=at)
            except WarroomError as exc:
                self.notify(str(exc), title="Not resolved", severity="error", markup=False)
                return
            self.refresh_now()

        if not unmet:
            resolve(False)
        else:
            self.app.push_screen(ResolveAnyway(unmet), lambda anyway: resolve(True) if anyway else None)

    def action_postmortem(self) -> None:
        from screens.postmortem import PostmortemScreen

        if self.store is not None and self.ref is not None:
            self.app.push_screen(PostmortemScreen(self.store, self.ref))

    def action_checklist(self) -> None:
        from screens.checklist import ChecklistScreen

        if self.store is None or self.ref is None:
            return

        def closed(changed: bool | None) -> None:
            if changed:
                self.refresh_now()

        self.app.push_screen(ChecklistScreen(self.store, self.ref), closed)

    def action_compose(self) -> None:
        from screens.composer import ComposerScreen

        if self.store is None or self.ref is None:
            return

        def closed(sent: bool | None) -> None:
            if sent:
                self.refresh_now()

        self.app.push_screen(ComposerScreen(self.store, self.ref), closed)
