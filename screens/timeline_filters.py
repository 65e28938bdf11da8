"""Filtered views of the live timeline: key events, decisions, TODOs/actions, one author, a search.

A filter is a read of the record (`storage.timeline_filter`): the matching events' ids in
order, read in a worker as the whole timeline's index is (`screens.watcher.load_index`), and
shown through the same indexed timeline, whose rows are read as they come on screen. Events
that change while a filter is shown join the view when they match and leave it when they no
longer do. The timeline's border title says what is shown: `Timeline · key events · 37 of
100,000`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import tzinfo
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.timer import Timer

from screens.live_incident import COUNTDOWNS, FirstLook, LiveIncidentScreen
from screens.messages import TimelineLoaded, TimelineUnread
from screens.watcher import load_index, sqlite_file_of
from storage.timeline_filter import SEARCH_MAX, TimelineFilter, search_pattern
from widgets.countdown import CountdownPanel
from widgets.reminders import ReminderPanel
from widgets.roster import RoleRoster
from widgets.scribe_input import ScribeInput
from widgets.text import printable
from widgets.timeline import TimelineEntry
from widgets.timeline_filtered import IncidentTimeline
from widgets.timeline_search import TimelineSearch

if TYPE_CHECKING:
    from storage import live
    from storage.db import Store

SEARCH_DELAY = 0.2
"""Seconds of no typing in the search before it is run (each run reads the record)."""

NO_MATCH = "No event matches the filter or search"
"""What an empty filtered view says (not "No events yet": there are events, none matches)."""


def timeline_column(tz: tzinfo) -> Vertical:
    """The search line (hidden until Ctrl+F) above the timeline."""
    search = TimelineSearch(placeholder="Search text and authors · Enter: to the matches · Esc: clear",
                            max_length=SEARCH_MAX, id="timeline-search")
    return Vertical(search, IncidentTimeline(tz=tz, id="timeline"), id="timeline-column")


def incident_panels(tz: tzinfo) -> Horizontal:
    """The timeline column beside the sidebar: roles, countdowns, reminders."""
    sidebar = Vertical(RoleRoster(tz=tz, id="roster"), CountdownPanel(COUNTDOWNS, id="countdowns"),
                       ReminderPanel(id="reminders"), id="sidebar")
    return Horizontal(timeline_column(tz), sidebar, id="command-body")


class FilteredIncidentScreen(LiveIncidentScreen):
    """The live incident screen whose timeline can show only some events (`show_filtered`)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+f", "search", "Search", show=False, id="command.search",
                tooltip="Search the timeline's text and authors"),
        Binding("ctrl+g", "cycle_filter", "Filter", show=False, id="command.filter",
                tooltip="Show all events, key events, decisions or TODOs/actions, in turn"),
    ]

    def __init__(self, store: Store | None, ref: str | None, first: FirstLook | None = None) -> None:
        super().__init__(store, ref, first)
        self.shown = TimelineFilter()
        """What the timeline is to show."""
        self._shown_read = TimelineFilter()
        """What the timeline shows now (`shown` once its read arrives)."""
        self._events_total = 0
        """How many events the incident has (its last event number)."""
        self._search_timer: Timer | None = None

    # --- asking ----------------------------------------------------------------------

    def action_search(self) -> None:
        self.query_one(TimelineSearch).open()

    def action_cycle_filter(self) -> None:
        self.show_filtered(self.shown.next_show())

    def show_author(self, author: str | None) -> None:
        """Show only `author`'s events (None: everyone's), with the rest of the filter."""
        self.show_filtered(replace(self.shown, author=author))

    def show_filtered(self, shown: TimelineFilter) -> None:
        """Show the events `shown` keeps (read in a worker; the title says so meanwhile)."""
        if shown == self.shown:
            return
        if self.store is None or self.ref is None:
            self.notify("The incident record is still opening: filter again in a moment.", title="Not filtered",
                        severity="warning", markup=False)
            return
        self.shown = shown
        self.query_one(IncidentTimeline).highlight = search_pattern(shown.search) if shown.search else None
        self._index = "reading"
        load_index(self, self.ref, self.store.policy.tz, sqlite_file=sqlite_file_of(self.store), store=self.store,
                   shown=shown)
        self._show_title()

    @on(TimelineSearch.Changed, "#timeline-search")
    def _search_typed(self, event: TimelineSearch.Changed) -> None:
        event.stop()
        if self._search_timer is not None:
            self._search_timer.stop()
        self._search_timer = self.set_timer(SEARCH_DELAY, self._run_search, name="search")

    def _run_search(self) -> None:
        self._search_timer = None
        typed = self.query_one(TimelineSearch).value
        self.show_filtered(replace(self.shown, search=typed if typed.strip() else ""))

    @on(TimelineSearch.Submitted, "#timeline-search")
    def _search_entered(self, event: TimelineSearch.Submitted) -> None:
        """Enter: search now (if not yet), and go to the matches."""
        event.stop()
        if self._search_timer is not None:
            self._search_timer.stop()
        self._run_search()
        self.query_one(IncidentTimeline).focus()

    def on_timeline_search_cleared(self, event: TimelineSearch.Cleared) -> None:
        if self._search_timer is not None:
            self._search_timer.stop()
            self._search_timer = None
        self.show_filtered(replace(self.shown, search=""))
        typing = self.query(ScribeInput)  # (the read-only view has no scribe line)
        (typing.first() if typing else self.query_one(IncidentTimeline)).focus()

    def on_incident_timeline_author_filter_requested(self, event: IncidentTimeline.AuthorFilterRequested) -> None:
        """`a` on the timeline: choose whose events to show (the cursor's author first)."""
        if self.store is None or self.ref is None:
            return
        first = event.entry.author if event.entry is not None else None
        self.run_worker(self._choose_author(first), exclusive=True, group="authors")

    async def _choose_author(self, first: str | None) -> None:
        import asyncio

        from screens.pickers import AuthorPicker
        from storage import live
        from storage.errors import WarroomError

        assert self.store is not None and self.ref is not None
        try:
            authors = await asyncio.to_thread(live.authors, self.store, self.ref)
        except WarroomError as exc:
            self.notify(str(exc), title="Authors not read", severity="error", markup=False)
            return

        def chosen(author: str | None) -> None:
            if author is not None:
                self.show_author(author or None)

        self.app.push_screen(AuthorPicker(authors, self.shown.author, first), chosen)

    # --- showing ---------------------------------------------------------------------

    def on_timeline_loaded(self, message: TimelineLoaded) -> None:
        message.prevent_default()  # the base class's handler is called here, or not at all
        shown = message.shown or TimelineFilter()
        if shown != self.shown:
            return  # read for a filter no longer asked for
        self._shown_read = shown
        self._events_total = max(self._events_total, message.index.max_seq)
        super().on_timeline_loaded(message)
        self._show_title()

    def on_timeline_unread(self, message: TimelineUnread) -> None:
        if message.reason is None:
            return  # the index of every event, read again through the store (the base class)
        message.prevent_default()
        if message.shown == self.shown:  # the filter asked for could not be read: back to the one shown
            self.notify(f"{message.reason}. The timeline shows what it showed.", title="Not filtered",
                        severity="error", markup=False)
            self.shown = self._shown_read
            self._index = "shown"
            search = self.shown.search
            self.query_one(IncidentTimeline).highlight = search_pattern(search) if search else None
            self._show_title()

    def _keeps(self, entry: TimelineEntry) -> bool:
        return self.shown.matches(kind=entry.kind, author=entry.author, text=entry.text, key=entry.key)

    def _show_rows(self, rows: Sequence[live.EventRow], mark: live.Watermark | None = None, *,
                   replace: bool = False) -> None:
        if rows:
            self._events_total = max(self._events_total, max(row.seq for row in rows))
        if replace or not self.shown.active:
            super()._show_rows(rows, mark, replace=replace)
        else:
            kept = [row for row in rows if self._keeps(row)]  # type: ignore[arg-type]
            if len(kept) < len(rows):
                kept_ids = {row.id for row in kept}
                self.query_one(IncidentTimeline).remove_entries(row.id for row in rows if row.id not in kept_ids)
            super()._show_rows(kept, mark)
        if self.shown.active:
            self._show_title()

    def _show_title(self) -> None:
        """`Timeline`, and what a filter keeps: `Timeline · key events · 37 of 100,000`."""
        if self._is_torn_down():
            return
        timeline = self.query_one(IncidentTimeline)
        parts = self.shown.describe()
        if not parts:
            if timeline.empty_text == NO_MATCH:
                timeline.empty_text = "No events yet"
            timeline.border_title = "Timeline"
            return
        timeline.empty_text = NO_MATCH
        if self._shown_read == self.shown:
            parts.append(f"{timeline.entry_count:,} of {max(self._events_total, timeline.entry_count):,}")
        else:
            parts.append("reading…")
        timeline.border_title = Content(printable(" · ".join(["Timeline", *parts])))
