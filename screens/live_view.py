"""The read-only live view: the incident as the command screen shows it (header, timeline,
roles, countdowns, reminders), kept current by the watcher, with the timeline's search and
filters, and no scribe line or key that changes anything. `warroom view` shows it in a
terminal and `warroom serve` in a browser; its record is opened read-only
(`Store(read_only=True)`), so nothing reached from here can write either.
"""

from __future__ import annotations

from datetime import UTC
from typing import ClassVar

from textual.actions import parse
from textual.app import ComposeResult
from textual.binding import ActiveBinding, Binding, BindingType
from textual.widgets import Static

from screens.timeline_filters import FilteredIncidentScreen, incident_panels
from widgets.footer import KeysFooter
from widgets.incident_header import IncidentHeader
from widgets.timeline import TimelineView

VIEW_ACTIONS = frozenset({
    "quit", "toggle_utc", "search", "cycle_filter", "next_match", "previous_match",
    "cursor_up", "cursor_down", "page_up", "page_down", "first", "last",
    "scroll_up", "scroll_down", "scroll_left", "scroll_right", "scroll_home", "scroll_end",
    "page_left", "page_right", "focus_next", "focus_previous",
    # The search line's own editing keys (it filters the view; it writes nothing).
    "cursor_left", "cursor_right", "home", "end", "delete_left", "delete_right", "delete_left_word",
    "delete_right_word", "delete_left_all", "delete_right_all", "cursor_left_word", "cursor_right_word",
    "select_all", "copy", "cut", "paste", "clear", "submit",
})
"""What the read-only view runs: moving, searching, filtering, the time zone, leaving."""

READ_ONLY_NOTICE = "Read-only · live: follows the record as it is written; nothing here changes it"


class LiveViewScreen(FilteredIncidentScreen):
    """Follow one incident without changing it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+f", "search", "Search", id="view.search", tooltip="Search the timeline's text and authors"),
        Binding("ctrl+g", "cycle_filter", "Filter", id="view.filter",
                tooltip="Show all events, key events, decisions or TODOs/actions, in turn"),
        Binding("f7", "toggle_utc", "UTC", id="view.utc", tooltip="Show times in UTC or local time"),
    ]

    def compose(self) -> ComposeResult:
        tz = self.store.policy.tz if self.store is not None else UTC
        yield IncidentHeader(id="incident-header")
        yield Static(READ_ONLY_NOTICE, id="read-only-notice", markup=False)
        yield incident_panels(tz)
        yield KeysFooter()

    @property
    def active_bindings(self) -> dict[str, ActiveBinding]:
        """Only the keys the view runs: a focused panel's own (the roster's Hand over, the
        reminders' Done) would be refused, so the footer does not offer them."""
        return {key: bound for key, bound in super().active_bindings.items()
                if parse(bound.binding.action)[1] in VIEW_ACTIONS}

    def on_mount(self) -> None:
        timeline = self.query_one(TimelineView)
        timeline.border_title = "Timeline"
        timeline.focus()
        if self._watcher is not None:
            pass  # the record opened (and `show_incident` ran) between compose and Mount
        elif self.store is not None and self.ref is not None:
            self.show_incident(self.store, self.ref)
        else:
            timeline.empty_text = "Opening the incident record…"
            self.query_one(IncidentHeader).show(title="Opening the incident record…")
