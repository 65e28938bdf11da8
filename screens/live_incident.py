"""A screen showing one incident as it changes: header, timeline, role roster and countdowns.

Changes made by other processes (a second `warroom`, `warroom log` from a script) arrive
from the `IncidentWatcher` as `IncidentChanged` messages. The command screen builds on it.
"""

from __future__ import annotations

import contextlib
import gc
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Protocol, TypeAlias

from textual.screen import Screen
from textual.timer import Timer

from screens.messages import IncidentChanged, TimelineLoaded, TimelineUnread
from screens.reminders import UpdateNags
from screens.watcher import IncidentWatcher, load_index
from storage.rows import FIRST_PAINT_EVENTS
from widgets.countdown import Countdown, CountdownPanel
from widgets.incident_header import IncidentHeader
from widgets.reminders import ReminderItem, ReminderPanel
from widgets.roster import HandoverTimes, RoleRoster, RosterHolder, RosterRole
from widgets.text import printable
from widgets.timeline import RECORD_KINDS, TimelineEntry, TimelineView

if TYPE_CHECKING:
    from storage import live
    from storage.db import Store
    from storage.lite.index import RowReader, TimelineIndex
    from storage.lite.view import FirstScreen
    from storage.policy import Policy

# The storage modules (SQLAlchemy, SQLModel) are imported where they are first used, so
# that the screen can paint while the record is still being opened in a worker.

COUNTDOWNS: tuple[tuple[str, str], ...] = (
    ("initial", "Initial communication"),
    ("checkin", "Responder check-in"),
    ("internal", "Internal update"),
    ("status_page", "Status page"),
)
"""The countdowns shown (storage.countdowns.COUNTDOWN_LABELS, without importing it)."""

MAX_TICK_SECONDS = 60.0
"""The longest wait between two ticks (the wall clock may have jumped meanwhile)."""


class Basis(Protocol):
    """What the screen shows times and names with: the policy, the clock and who is at the
    keyboard (a `Store`, or before it is open the `LiteStore` the first screen was read with)."""

    @property
    def policy(self) -> Policy: ...

    @property
    def user(self) -> str: ...

    def now(self) -> datetime: ...


FirstLook: TypeAlias = "tuple[Basis, FirstScreen]"
"""An incident read before the record is open (`storage.lite.view`), and what to show it by."""


def _entries(rows: Sequence[live.EventRow]) -> list[TimelineEntry]:
    """Rows as timeline entries: an event row has the entry's fields, in its order, and a
    stub the fields the timeline needs to place it (it reads the rest when shown)."""
    return rows  # type: ignore[return-value]


def _entries_by_id(rows: dict[int, live.EventRow]) -> dict[int, TimelineEntry]:
    return rows  # type: ignore[return-value]


def _entries_reader(reader: RowReader) -> Callable[[Sequence[int]], dict[int, TimelineEntry]]:
    """A reader of event rows as a loader of timeline entries (the same tuples)."""
    return reader  # type: ignore[return-value]


class LiveIncidentScreen(Screen[None]):
    """Show incident `ref` of `store` and keep it current (a subclass composes the widgets)."""

    def __init__(self, store: Store | None, ref: str | None, first: FirstLook | None = None) -> None:
        """Without a store the screen paints at once (showing `first` when given: see
        `show_first`) and waits for `attach`."""
        super().__init__()
        self.store: Store | None = store
        self.ref: str | None = ref
        self.basis: Basis | None = store
        self.first_look = first
        self.view: live.IncidentView | None = None
        self._first: FirstScreen | None = None
        """The first screen shown before the record opened, until `show_incident` takes it."""
        self._ticking = False
        self._tick_timer: Timer | None = None
        self._tick_due = 0.0
        """When the next tick comes (`time.monotonic`)."""
        self._index = "none"
        """The whole timeline's index: "none" asked for, "reading", "shown" or "unread"."""
        self._mark: live.Watermark | None = None
        self._seen_changes = -1
        self._has_started = False
        self._closing = False
        self._watcher: IncidentWatcher | None = None
        self._clocks: tuple[IncidentHeader, CountdownPanel, RoleRoster, ReminderPanel | None] | None = None
        self._nags = UpdateNags()
        self._owner_read_at = -1
        """The change count at which the header's owning team was last read."""

    def on_unmount(self) -> None:
        self._closing = True
        if self._watcher is not None:
            self._watcher.stop()  # the watcher ends at once instead of after its sleep

    def show_first(self, basis: Basis, first: FirstScreen) -> None:
        """Show the incident as `first` has it (read before the record is open: see
        `storage.lite.view`); `show_incident` then watches it from there."""
        self.basis, self._first = basis, first
        self._set_zone(basis)
        self._load_view(first.view)
        self._show_rows(first.rows, first.mark, replace=True)
        self._start_ticking()
        where = getattr(basis, "where", None)  # the SQLite file the first screen was read from
        if len(first.rows) >= FIRST_PAINT_EVENTS and isinstance(where, str):
            # Read beside SQLAlchemy's import (almost all of it inside SQLite), not after it.
            self._index = "reading"
            load_index(self, first.view.ref, basis.policy.tz, sqlite_file=where)

    def show_incident(self, store: Store, ref: str) -> None:
        """Show incident `ref` of `store`, then watch it for changes: read now, unless the
        first screen is shown (`show_first`), whose change count the watcher starts from."""
        from storage import live

        first, self._first = self._first, None
        self.store, self.ref, self.basis = store, ref, store
        self._watcher = IncidentWatcher(self, store, ref)
        timeline = self.query_one(TimelineView)
        timeline.entry_loader = lambda ids: _entries_by_id(live.events_by_id(store, ref, ids))
        self._set_zone(store)
        if first is None:
            self._load_view()
            rows, mark = live.event_rows(store, ref, newest=FIRST_PAINT_EVENTS)
            self._show_rows(rows, mark, replace=True)
        else:  # shown as read; anything written since is newer than its change count
            self._load_view(first.view)  # who you are may have been asked meanwhile
            rows, mark = first.rows, first.mark
            if self._mark is None or self._mark.change_count < mark.change_count:
                self._set_mark(mark)
            else:  # the index came first, read later than the first screen
                self._set_mark(self._mark)
        if len(rows) >= FIRST_PAINT_EVENTS and self._index in ("none", "unread"):
            self._index = "reading"
            self._watcher.load_timeline()
        self._start_ticking()
        self._watcher.start()
        self._settle_heap()

    def _settle_heap(self) -> None:
        """Leave what start-up made (modules, the record's classes, the panels) out of the
        garbage collector's later full passes, when the app asks for it (`settles_heap`,
        set by the `warroom` command, not by tests, which run many apps in one process):
        one such pass, 110-180 ms, used to fall while the scribe typed, a second or two
        after start. Frozen without a collection first, which would take as long at once
        (what start-up left as garbage stays: a few MB at most)."""
        if getattr(self.app, "settles_heap", False):
            self.call_after_refresh(gc.freeze)

    def _set_zone(self, basis: Basis) -> None:
        """Times in the policy's zone (the panels were made before it was known)."""
        timeline = self.query_one(TimelineView)
        timeline.tz = basis.policy.tz
        self.query_one(RoleRoster).tz = basis.policy.tz
        timeline.empty_text = "No events yet"

    def _start_ticking(self) -> None:
        if not self._ticking:
            self._ticking = True
            self._tick()

    def poll_now(self) -> None:
        """Look for changes at once (after a change made from here), not at the next poll."""
        if self._watcher is not None:
            self._watcher.poll_now()

    def on_timeline_unread(self, message: TimelineUnread) -> None:
        self._index = "unread"
        if self._watcher is not None and not self._is_torn_down():  # else `show_incident` asks
            self._index = "reading"
            self._watcher.load_timeline()

    def on_timeline_loaded(self, message: TimelineLoaded) -> None:
        self._index = "shown"
        self._settle_heap()
        if message.reader is not None and not self._is_torn_down():
            self.query_one(TimelineView).entry_loader = _entries_reader(message.reader)
        self._show_full_timeline(message.index, message.mark)

    def _show_full_timeline(self, index: TimelineIndex, mark: live.Watermark) -> None:
        """Show the whole timeline from its index; entries are read as they come on screen.
        Those already read are kept when nothing changed since they were read."""
        if self._is_torn_down():
            return
        timeline = self.query_one(TimelineView)
        cursor = timeline.cursor_entry
        shown = timeline.whole_entries()
        same = self._mark is not None and self._mark.change_count == mark.change_count
        timeline.set_index(index.ids, local_days=index.local_days, utc_days=index.utc_days, max_seq=index.max_seq,
                           max_id=index.max_id, known=shown if same else ())
        # Events written after the index was read stay in view until the watcher reads them again.
        timeline.upsert([entry for entry in shown if entry.id > index.max_id and self._keeps(entry)])
        if cursor is not None:
            timeline.move_cursor(cursor.id)
        if self._mark is not None and mark.change_count < self._mark.change_count and self._watcher is not None:
            # Read before lines written from here since: the watcher reads them again.
            self._watcher.read_again_from(mark.change_count)
        self._set_mark(mark)

    def _keeps(self, entry: TimelineEntry) -> bool:
        """Whether the timeline shows `entry` (a filtered view shows fewer)."""
        return True

    # --- reading the record ---------------------------------------------------------

    def _set_mark(self, mark: live.Watermark) -> None:
        self._mark = mark
        if self._watcher is not None:
            self._watcher.saw(mark=mark)

    def _load_view(self, view: live.IncidentView | None = None) -> None:
        """Show the header, roster and countdowns (read again unless `view` is given)."""
        if view is None:
            from storage import live

            assert self.store is not None and self.ref is not None
            view = live.incident_view(self.store, self.ref)
        assert self.basis is not None
        self.view = view
        self._seen_changes = view.change_count
        if self._watcher is not None:
            self._watcher.saw(change_count=view.change_count)
        self._has_started = "started" in view.milestones
        policy = self.basis.policy
        severity = policy.severities.get(view.severity)
        commander = next((h.person for h in view.roles if h.role == "ic"), None)
        self.query_one(IncidentHeader).show(
            ref=view.ref,
            title=view.title,
            severity=view.severity,
            severity_name=severity.name if severity else "",
            status=view.status,
            started_at=view.milestones.get("started", view.declared_at),
            ended_at=view.milestones.get("resolved") if view.status == "resolved" else None,
            commander=commander,
            now=self.basis.now(),
            you=self.basis.user,
        )
        self._look_up_owner(view)
        roles = []
        for role in policy.roles.values():
            holders = tuple(
                RosterHolder(h.person, h.started_at, h.note) for h in view.roles if h.role == role.key
            )
            roles.append(RosterRole(role.key, role.name, role.many, holders))
        roster = self.query_one(RoleRoster)
        roster.handover_times = (  # no handover to offer once the incident is resolved
            None if view.status == "resolved"
            else HandoverTimes(policy.process.offer_handover_after, policy.process.hand_over_by)
        )
        roster.set_roles(roles)
        for panel in self.query(ReminderPanel):
            items = [ReminderItem(r.seq, r.text, r.due_at) for r in view.reminders.open]
            panel.show_reminders(items, self.basis.now())
        self._update_countdowns()

    def _look_up_owner(self, view: live.IncidentView) -> None:
        """Show the team that owns the incident's functionality (the service-ownership
        table), read in a worker each time the incident is read again: its functionality
        may have changed, or the table (`warroom services import`, which changes no incident)."""
        if self.store is None or view.change_count == self._owner_read_at:
            return
        self._owner_read_at = view.change_count
        store, ref = self.store, view.ref

        def read() -> None:
            from storage import services
            from storage.errors import WarroomError

            try:
                owner = services.owner_of(store, ref)
            except WarroomError:
                return
            team = (owner.team or owner.service) if owner is not None else ""
            link = owner.paging_url if owner is not None else ""
            with contextlib.suppress(RuntimeError):  # the app has closed meanwhile
                self.app.call_from_thread(self._show_owner, team, link)

        self.run_worker(read, thread=True, group="owner", exclusive=True, exit_on_error=False, name="owner")

    def _show_owner(self, team: str, link: str) -> None:
        if not self._is_torn_down():
            self.query_one(IncidentHeader).show(owner=team, owner_link=link)

    def _update_countdowns(self) -> None:
        from storage.countdowns import due_times

        view = self.view
        if view is None or self.basis is None:
            return
        due = due_times(
            self.basis.policy,
            severity=view.severity,
            status=view.status,
            declared_at=view.declared_at,
            milestones=view.milestones,
            updates=view.updates,
        )
        self.query_one(CountdownPanel).update_countdowns(due, self.basis.now())
        self._tick_soon()  # the deadlines moved: so may the next change

    def _show_rows(self, rows: Sequence[live.EventRow], mark: live.Watermark | None = None, *,
                   replace: bool = False) -> None:
        """Show `rows` (all of them when `replace`); `mark` is how far they go, when known."""
        timeline = self.query_one(TimelineView)
        if replace:
            timeline.set_entries(_entries(rows))
        elif rows:
            timeline.upsert(_entries(rows))
        if mark is not None:
            self._set_mark(mark)

    def _is_torn_down(self) -> bool:
        """True while the screen is being taken down: its panels are gone before Unmount."""
        return self._closing or not self.query_children(IncidentHeader)  # direct child: no walk

    def _tick(self) -> None:
        """Push the time to the clocks (widgets found once: a tick queries nothing), and
        come back when what they show next changes: once a minute, every second only near
        a deadline (`_next_tick`)."""
        if self.basis is None or self._closing:
            return
        if self._clocks is None:
            if self._is_torn_down():
                return
            panels = self.query(ReminderPanel)
            self._clocks = (self.query_one(IncidentHeader), self.query_one(CountdownPanel), self.query_one(RoleRoster),
                            panels.first() if panels else None)
        header, countdowns, roster, reminders = self._clocks
        if header.parent is None:  # the screen is being taken down
            return
        now = self.basis.now()
        header.now = now
        countdowns.set_now(now)
        roster.set_now(now)
        if reminders is not None:
            reminders.set_now(now)
        waits = (header.next_change(now), countdowns.next_change(now), roster.next_change(now),
                 reminders.next_change(now) if reminders is not None else None, self._nag(countdowns, now),
                 self._tick_within(), MAX_TICK_SECONDS)
        self._tick_in(min(wait for wait in waits if wait is not None))

    def _nag(self, countdowns: CountdownPanel, now: datetime) -> float | None:
        """Remind again of each update still overdue (`UpdateNags`, at the policy's
        `remind_overdue_every`); the seconds until the next such reminder."""
        if self.basis is None:
            return None
        quiet = self.view.reminders.quiet_until if self.view is not None else {}
        every = self.basis.policy.process.remind_overdue_every
        due, wait = self._nags.due_now(countdowns.countdowns.values(), now, every, quiet)
        for countdown in due:
            late = countdown.time_text()
            self.notify(f"{countdown.label} is still due ({late}).", title="Update overdue",
                        severity="warning", timeout=10, markup=False)
            self.app.bell()
        return wait

    def _tick_within(self) -> float | None:
        """How soon the next tick must come whatever the clocks show (None: no sooner)."""
        return None

    def _tick_in(self, seconds: float) -> None:
        """Tick `seconds` from now (instead of when the next tick was due)."""
        if self._tick_timer is not None:
            self._tick_timer.stop()
        self._tick_timer = self.set_timer(max(0.01, seconds), self._tick, name="clock tick")
        self._tick_due = time.monotonic() + seconds

    def _tick_soon(self, seconds: float = 0.0) -> None:
        """Tick within `seconds` (what the clocks show, or how soon they change, changed)."""
        if self._ticking and self._tick_due - time.monotonic() > seconds:
            self._tick_in(seconds)

    def on_incident_changed(self, message: IncidentChanged) -> None:
        if message.view.change_count < self._seen_changes or self._is_torn_down():
            return  # an older view, or a poll answered while the app closes
        if (
            message.view.change_count == self._seen_changes
            and self._mark is not None
            and message.mark.change_count <= self._mark.change_count
        ):
            return  # nothing this screen lacks: a poll that raced a line written from here
        self._show_changes(message.view, message.rows, message.mark)

    def show_written(self, rows: Sequence[live.EventRow], change_count: int | None) -> None:
        """Show the rows a write from this screen made, as written (nothing is read back).

        When the write's `change_count` is the one after what the screen has seen, the
        screen has now seen it too, and tells the watcher, which then reads nothing for it:
        a line changes nothing but the timeline. Otherwise (another writer came between)
        the watcher reads what changed as usual, these rows again among it."""
        self._show_rows(rows)
        if self._watcher is not None and any(row.kind == "reminder" for row in rows):
            self._watcher.read_again_from(self._seen_changes)  # the reminders box reads the view
            self._watcher.poll_now()
        if change_count is None or self._mark is None:
            return
        seen = self._seen_changes
        if (
            change_count == seen + 1
            and self._mark.change_count == seen
            and all(row.kind not in RECORD_KINDS and row.marker is None for row in rows)
        ):
            from storage.rows import Watermark

            self._seen_changes = change_count
            self._set_mark(Watermark(change_count))
            if self._watcher is not None:
                self._watcher.saw(change_count=change_count)

    def _show_changes(self, view: live.IncidentView, rows: list[live.EventRow], mark: live.Watermark) -> None:
        """Show a new view and the events that changed."""
        had_started = self._has_started
        self._load_view(view)
        self._show_rows(rows, mark)  # a new `started` milestone comes with the declaration again
        if self._has_started != had_started:  # the start marker moved: entries read anew as shown
            self.query_one(TimelineView).forget_entries()

    # --- countdowns and clock -------------------------------------------------------

    def on_countdown_expired(self, event: Countdown.Expired) -> None:
        label = event.countdown.label
        self.notify(f"{label} is due now.", title="Update overdue", severity="error", timeout=10, markup=False)
        self.app.bell()

    def on_reminder_panel_due(self, event: ReminderPanel.Due) -> None:
        self.notify(printable(f"#{event.item.seq} {event.item.text}"), title="Reminder", severity="warning", timeout=15,
                    markup=False)
        self.app.bell()

    def action_toggle_utc(self) -> None:
        """Every clock time on the screen in UTC, or back in the policy's zone (the
        timeline's border names the zone; the countdowns show time left, in no zone)."""
        timeline = self.query_one(TimelineView)
        timeline.show_utc = not timeline.show_utc
        self.query_one(RoleRoster).show_utc = timeline.show_utc
