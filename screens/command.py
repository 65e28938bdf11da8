"""The command screen: the incident an IC keeps open and a scribe types into.

Header, timeline, role roster, countdowns to the next updates and the scribe's input
line. Every change goes through `storage.ops`; changes made by other processes (a second
`warroom`, `warroom log` from a script) are picked up by polling a change counter.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Static

from storage import live, ops
from storage.countdowns import COUNTDOWN_LABELS, due_times
from storage.db import Store
from storage.drafts import Drafts
from storage.errors import WarroomError
from widgets.countdown import Countdown, CountdownPanel
from widgets.incident_header import IncidentHeader
from widgets.roster import RoleRoster, RosterHolder, RosterRole
from widgets.scribe_input import ScribeInput
from widgets.timeline import TimelineEntry, TimelineView

POLL_SECONDS = 0.5
"""How often the screen asks whether another process changed the incident."""

FIRST_PAINT_EVENTS = 400
"""Events loaded before the first frame; the rest of a long timeline follows in a worker."""


def entry_for(row: live.EventRow, start_marker_kind: str) -> TimelineEntry:
    """The timeline entry of one event row.

    The incident's start is the `started` milestone when one is set (`start_marker_kind`
    is then "milestone"), else the declaration; the `resolved` milestone is its end.
    """
    marker = None
    if row.kind == "milestone" and row.detail == "resolved":
        marker = "resolved"
    elif row.kind == start_marker_kind and (row.kind == "declared" or row.detail == "started"):
        marker = "start"
    return TimelineEntry(
        row.id, row.seq, row.at, row.kind, row.author, row.text, row.key, row.struck, row.link, marker
    )


class CommandScreen(Screen[None]):
    """Run one incident: watch the timeline and roles, log events, keep updates on time."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f2", "severity", "Severity", id="command.severity", tooltip="Change the incident's severity"),
        Binding("f3", "milestone", "Milestone", id="command.milestone", tooltip="Mark a milestone reached"),
        Binding("f4", "handover", "Roles", id="command.handover", tooltip="Hand over or add a role"),
        Binding("f5", "update_sent", "Update sent", id="command.update", tooltip="Record an update as sent"),
        Binding("f6", "incidents", "Incidents", id="command.incidents", tooltip="Open the incident list"),
        Binding("f7", "toggle_utc", "UTC", id="command.utc", tooltip="Show times in UTC or local time"),
        Binding("escape", "focus_input", "Type", id="command.type", tooltip="Back to the scribe line", show=False),
    ]

    def __init__(self, store: Store, ref: str) -> None:
        super().__init__()
        self.store = store
        self.ref = ref
        self.drafts = Drafts(store.url)
        self.view: live.IncidentView | None = None
        self._mark = live.Watermark()
        self._seen_changes = -1
        self._start_marker_kind = "declared"
        self._poll_timer: Timer | None = None

    # --- layout ---------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        tz = self.store.policy.tz
        yield IncidentHeader(id="incident-header")
        with Horizontal(id="command-body"):
            yield TimelineView(tz=tz, id="timeline")
            with Vertical(id="sidebar"):
                yield RoleRoster(tz=tz, id="roster")
                yield CountdownPanel(list(COUNTDOWN_LABELS.items()), id="countdowns")
        yield Static(id="scribe-error")
        yield ScribeInput(id="scribe")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(TimelineView).border_title = "Timeline"
        self._load_view()
        rows, self._mark = live.event_rows(self.store, self.ref, newest=FIRST_PAINT_EVENTS)
        self._show_rows(rows, replace=True)
        if len(rows) >= FIRST_PAINT_EVENTS:
            self._load_full_timeline()
        draft = self.drafts.load(self.ref)
        scribe = self.query_one(ScribeInput)
        if draft:
            scribe.value = draft
            scribe.cursor_position = len(draft)
            self.notify("The line you were typing was kept: it is back in the input.", title="Draft restored")
        scribe.focus()
        self._tick()
        self.set_interval(1.0, self._tick)
        self._poll_timer = self.set_interval(POLL_SECONDS, self._poll)

    @work(thread=True, exclusive=True, group="timeline-load")
    def _load_full_timeline(self) -> None:
        rows, mark = live.event_rows(self.store, self.ref)
        entries = [entry_for(row, self._start_marker_kind) for row in rows]
        self.app.call_from_thread(self._apply_full_timeline, entries, mark)

    def _apply_full_timeline(self, entries: list[TimelineEntry], mark: live.Watermark) -> None:
        timeline = self.query_one(TimelineView)
        cursor = timeline.cursor_entry
        timeline.set_entries(entries)
        if cursor is not None:
            timeline.move_cursor(cursor.id)
        self._mark = mark

    # --- reading the record ---------------------------------------------------------

    def _load_view(self, view: live.IncidentView | None = None) -> None:
        """Show the header, roster and countdowns (read again unless `view` is given)."""
        self.view = view = view if view is not None else live.incident_view(self.store, self.ref)
        self._seen_changes = view.change_count
        self._start_marker_kind = "milestone" if "started" in view.milestones else "declared"
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
        view = self.view
        if view is None:
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
        entries = [entry_for(row, self._start_marker_kind) for row in rows]
        timeline = self.query_one(TimelineView)
        if replace:
            timeline.set_entries(entries)
        elif entries:
            timeline.upsert(entries)

    def _tick(self) -> None:
        now = self.store.now()
        self.query_one(IncidentHeader).now = now
        self.query_one(CountdownPanel).set_now(now)

    @work(thread=True, exclusive=True, group="poll")
    def _poll(self) -> None:
        """Ask whether the incident changed; if so read what changed (off the UI thread)."""
        try:
            count = live.change_count(self.store, self.ref)
            if count is None or count == self._seen_changes:
                return
            view = live.incident_view(self.store, self.ref)
            rows, mark = live.events_since(self.store, self.ref, self._mark)
        except WarroomError:
            return  # a busy or briefly unreachable database: try again on the next tick
        self.app.call_from_thread(self._apply_changes, view, rows, mark)

    def _apply_changes(self, view: live.IncidentView, rows: list[live.EventRow], mark: live.Watermark) -> None:
        if view.change_count < self._seen_changes:
            return
        marker_kind = "milestone" if "started" in view.milestones else "declared"
        self._load_view(view)
        if marker_kind != self._start_marker_kind:
            self._start_marker_kind = marker_kind
            all_rows, mark = live.event_rows(self.store, self.ref)
            self._show_rows(all_rows, replace=True)
        else:
            self._show_rows(rows)
        self._mark = mark

    def refresh_now(self) -> None:
        """Read the incident again after a change made from this screen."""
        self._load_view()
        rows, self._mark = live.events_since(self.store, self.ref, self._mark)
        self._show_rows(rows)

    # --- the scribe line ------------------------------------------------------------

    def on_input_changed(self, event: ScribeInput.Changed) -> None:
        if event.input.id == "scribe":
            self.drafts.save(self.ref, event.value)
            self._show_error(None)

    def on_input_submitted(self, event: ScribeInput.Submitted) -> None:
        if event.input.id != "scribe":
            return
        scribe = self.query_one(ScribeInput)
        line = event.value
        if not line.strip():
            return
        try:
            ops.log(self.store, self.ref, line)
        except WarroomError as exc:
            scribe.show_error(str(exc))
            self._show_error(str(exc))
            return
        scribe.remember(line)
        scribe.value = ""
        self.drafts.clear(self.ref)
        self.refresh_now()
        self.query_one(TimelineView).scroll_end(animate=False)

    def _show_error(self, message: str | None) -> None:
        error = self.query_one("#scribe-error", Static)
        error.update(Text(message or ""))
        error.display = bool(message)

    # --- countdowns -----------------------------------------------------------------

    def on_countdown_expired(self, event: Countdown.Expired) -> None:
        label = event.countdown.label
        self.notify(f"{label} is due now.", title="Update overdue", severity="error", timeout=10)
        self.app.bell()

    # --- actions --------------------------------------------------------------------

    def _run(self, change: object) -> bool:
        """Run a storage change; show its refusal as a notification."""
        try:
            change()  # type: ignore[operator]
        except WarroomError as exc:
            self.notify(str(exc), title="Not done", severity="error")
            return False
        self.refresh_now()
        return True

    def action_focus_input(self) -> None:
        self.query_one(ScribeInput).focus()

    def action_toggle_utc(self) -> None:
        timeline = self.query_one(TimelineView)
        timeline.show_utc = not timeline.show_utc

    def action_severity(self) -> None:
        from screens.pickers import SeverityPicker

        assert self.view is not None

        def chosen(level: int | None) -> None:
            if level is not None:
                self._run(lambda: ops.change_severity(self.store, self.ref, level))

        self.app.push_screen(SeverityPicker(self.store, self.view.severity), chosen)

    def action_milestone(self) -> None:
        from screens.pickers import MilestonePicker

        assert self.view is not None

        def chosen(result: tuple[str, datetime] | None) -> None:
            if result is not None:
                name, at = result
                self._run(lambda: ops.set_milestone(self.store, self.ref, name, at=at))

        self.app.push_screen(MilestonePicker(self.store, self.view.milestones), chosen)

    def action_handover(self, role_key: str | None = None) -> None:
        from screens.pickers import HandoverDialog

        roster = self.query_one(RoleRoster)
        role = next((r for r in roster.roles if r.key == role_key), None) if role_key else roster.cursor_role
        if role is None:
            return
        people = {h.person for r in roster.roles for h in r.holders}

        def chosen(result: tuple[str, str, datetime] | None) -> None:
            if result is not None:
                person, note, at = result
                self._run(lambda: ops.assign_role(self.store, self.ref, role.key, person, at=at, note=note))

        holders = [h.person for h in role.holders]
        self.app.push_screen(HandoverDialog(self.store, role.name, role.many, holders, sorted(people)), chosen)

    def on_role_roster_handover_requested(self, event: RoleRoster.HandoverRequested) -> None:
        self.action_handover(event.role_key)

    def on_role_roster_release_requested(self, event: RoleRoster.ReleaseRequested) -> None:
        self._run(lambda: ops.release_role(self.store, self.ref, event.role_key, event.person))

    def action_update_sent(self) -> None:
        from screens.pickers import UpdatePicker

        def chosen(result: tuple[str, str] | None) -> None:
            if result is not None:
                channel, kind = result
                self._run(lambda: ops.record_status_update(self.store, self.ref, channel=channel, kind=kind))

        self.app.push_screen(UpdatePicker(), chosen)

    def action_incidents(self) -> None:
        self.app.action_incidents()  # type: ignore[attr-defined]
