"""The incident's timeline as the command screen shows it: a `TimelineView` that can show a
filtered view (entries leave it when they stop matching), highlights a search's matches,
steps between them, and asks for a key mark or an author filter from the cursor.

Which entries match is the screen's business (it reads them from the record); the widget
only shows the entries it is given and draws the pattern it is given.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import ClassVar

from rich.style import Style
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.strip import Strip

from widgets.timeline import TimelineView
from widgets.timeline_entry import TimelineEntry
from widgets.timeline_index import EntryIndex
from widgets.timeline_render import CURSOR, CURSOR_BLURRED, PLAIN, highlight_matches, resolved_style, text_column


class IncidentTimeline(TimelineView):
    """A `TimelineView` with a search highlight (`highlight`), `remove_entries`, n/N between the
    matches, `k` to ask for a key mark and `a` for an author filter."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "next_match", "Next match", show=False, id="timeline.next_match",
                tooltip="Next search match (newer; from the last, the first)"),
        Binding("N", "previous_match", "Previous match", show=False, id="timeline.previous_match",
                tooltip="Previous search match (older; from the first, the last)"),
        Binding("k", "key_mark", "Key event", show=False, id="timeline.key_mark",
                tooltip="Mark the event under the cursor as a key event, or unmark it"),
        Binding("a", "author", "Author", show=False, id="timeline.author",
                tooltip="Show only one author's events (the cursor's first)"),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = TimelineView.COMPONENT_CLASSES | {"timeline--match"}

    DEFAULT_CSS = """
    IncidentTimeline > .timeline--match { background: $warning 50%; text-style: bold underline; }
    """

    class KeyMarkRequested(Message):
        """`k` on an entry: mark it as a key event, or unmark it (`entry.key` says which it is)."""

        def __init__(self, timeline: IncidentTimeline, entry: TimelineEntry) -> None:
            self.timeline = timeline
            self.entry = entry
            super().__init__()

    class AuthorFilterRequested(Message):
        """`a`: choose an author to show only their events (`entry`: the cursor's, if any)."""

        def __init__(self, timeline: IncidentTimeline, entry: TimelineEntry | None) -> None:
            self.timeline = timeline
            self.entry = entry
            super().__init__()

    _highlight: re.Pattern[str] | None = None
    _match_style: Style | None = None

    @property
    def highlight(self) -> re.Pattern[str] | None:
        """What to highlight in each entry's author and text (None: nothing)."""
        return self._highlight

    @highlight.setter
    def highlight(self, pattern: re.Pattern[str] | None) -> None:
        self._highlight = pattern
        self.refresh()
        self.refresh_bindings()

    def remove_entries(self, ids: Iterable[int]) -> None:
        """Take the entries with these ids out (those not shown are left alone); the cursor
        stays on its entry, or goes to the next one when its own goes."""
        model = self._model
        previous = self.cursor_entry
        was_at_bottom = self.is_vertical_scroll_end
        top, heading = self._top_entry()
        cursor, changed_from, removed_any = self._cursor, len(model), False
        for entry_id in ids:
            if isinstance(model, EntryIndex):
                removed = model.take_out(entry_id)
            else:
                removed = model.position_of(entry_id)
                if removed is not None:
                    del model.by_id[entry_id], model.items[removed]
            if removed is None:
                continue
            for state in (PLAIN, CURSOR, CURSOR_BLURRED):
                self._cache.discard((entry_id, state))
            removed_any = True
            changed_from = min(changed_from, removed)
            top -= removed < top
            cursor -= removed < cursor
        if not removed_any:
            return
        self._cursor = max(0, min(cursor, len(model) - 1))
        self._find_days(changed_from)
        self._set_line_count()
        if was_at_bottom:
            self._scroll_to_end()
        else:
            self._set_scroll_y(self._day_lines.top_row(max(0, min(top, len(model) - 1)), heading))
        self.refresh()
        self._cursor_changed(previous)

    # -- keys ------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("next_match", "previous_match"):
            return self._highlight is not None
        if action == "key_mark":
            return self.entry_count > 0
        return True

    def action_next_match(self) -> None:
        if self.entry_count:
            self._move_cursor_to((self._cursor + 1) % self.entry_count)

    def action_previous_match(self) -> None:
        if self.entry_count:
            self._move_cursor_to((self._cursor - 1) % self.entry_count)

    def action_key_mark(self) -> None:
        entry = self.cursor_entry
        if entry is not None and entry.text is not None:
            self.post_message(self.KeyMarkRequested(self, entry))

    def action_author(self) -> None:
        self.post_message(self.AuthorFilterRequested(self, self.cursor_entry))

    # -- drawing ---------------------------------------------------------------------------

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._match_style = None

    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        pattern = self._highlight
        if pattern is None or not len(self._model):
            return strip
        row = self.scroll_offset.y + y
        if not 0 <= row < self._line_count or self._day_lines.at_row(row)[1] is not None:
            return strip  # past the end, or a day's separator
        if self._match_style is None:
            self._match_style = resolved_style(self, "timeline--match")
        start = text_column(len(str(self._model.max_seq)), self.show_utc)
        return highlight_matches(strip, pattern, start, self._match_style)
