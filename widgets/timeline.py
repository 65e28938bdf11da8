"""The incident timeline: one terminal line per event, rendered with the Line API.

`TimelineView` never creates a widget per event. It holds either every entry, sorted
(`set_entries`: `widgets.timeline_list`), or, for a long timeline, its order only: event ids
in an array, the day starts, and a bounded cache of whole entries read by `entry_loader` for
the lines shown (`set_index`: `widgets.timeline_index`). It tells Textual how tall the
content is (`virtual_size`) and renders only the lines on screen (`render_line`), caching
rendered strips by entry id, so a million events cost no more to show than a hundred. When
the events span more than one day (in the zone shown), a separator line with the date heads
each day (`widgets.timeline_days`).

The entry model lives in `widgets.timeline_entry` and the drawing of a line in
`widgets.timeline_render`; their public names are re-exported here.
"""

from __future__ import annotations

from array import array
from collections import deque
from collections.abc import Iterable, Sequence
from datetime import UTC, date, tzinfo
from typing import ClassVar

from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from widgets.timeline_days import DayLines
from widgets.timeline_entry import RECORD_KINDS, TimelineEntry
from widgets.timeline_index import EntryIndex
from widgets.timeline_list import EntryList, Loader
from widgets.timeline_render import (
    COMPONENT_CLASSES,
    CURSOR,
    CURSOR_BLURRED,
    DAY,
    PLAIN,
    TIMELINE_CSS,
    Palette,
    render_day,
    render_entry,
    render_hint,
    resolve_palette,
    zone_name,
)

__all__ = ["RECORD_KINDS", "TimelineEntry", "TimelineView"]

PLACED_KEPT = 64  # entries placed between others looked at again when an event moves


class TimelineView(ScrollView, can_focus=True):
    """A scrollable, cursor-driven view of timeline entries, one line each, oldest first.

    Data goes in with `set_entries` (every entry) or `set_index` (a long timeline's order,
    read by `entry_loader` as shown) and `upsert`; `CursorMoved` and `EntrySelected` come out.
    Entries spanning several days get a date line before each day's first entry (the cursor
    skips it); the border subtitle names the zone the times are in (`zone_name`).
    """

    ALLOW_SELECT = False

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor_up", "Up", show=False, id="timeline.up", tooltip="Previous event"),
        Binding("down", "cursor_down", "Down", show=False, id="timeline.down", tooltip="Next event"),
        Binding("pageup", "page_up", "Page up", show=False, id="timeline.page_up", tooltip="A page of older events"),
        Binding(
            "pagedown", "page_down", "Page down", show=False, id="timeline.page_down", tooltip="A page of newer events"
        ),
        Binding("home", "first", "First", show=False, id="timeline.first", tooltip="The first event"),
        Binding("end", "last", "Last", show=False, id="timeline.last", tooltip="The newest event"),
        Binding("enter", "select", "Open", show=False, id="timeline.select", tooltip="Open the event under the cursor"),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = COMPONENT_CLASSES
    """Styles of the parts of a line; `--cursor` when focused, `--cursor-blurred` when not."""

    DEFAULT_CSS = TIMELINE_CSS

    show_utc: reactive[bool] = reactive(False)
    """Show times as `HH:MM:SSZ` in UTC instead of local `HH:MM:SS` (days follow too)."""
    empty_text: reactive[str] = reactive("No events yet")
    """The hint shown when there are no entries."""

    class CursorMoved(Message):
        """The cursor is on another entry (or the same entry, replaced by a new version)."""

        def __init__(self, timeline: TimelineView, entry: TimelineEntry) -> None:
            self.timeline = timeline
            self.entry = entry
            super().__init__()

        @property
        def control(self) -> TimelineView:
            return self.timeline

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, TimelineView.CursorMoved) and message.timeline is self.timeline

    class EntrySelected(Message):
        """Enter (or a double click) on an entry."""

        def __init__(self, timeline: TimelineView, entry: TimelineEntry) -> None:
            self.timeline = timeline
            self.entry = entry
            super().__init__()

        @property
        def control(self) -> TimelineView:
            return self.timeline

    def __init__(
        self,
        *,
        tz: tzinfo,
        show_utc: bool = False,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self._tz = tz
        self.set_reactive(TimelineView.show_utc, show_utc)
        self._model: EntryList | EntryIndex = EntryList(loader=self._loader)
        self._cursor = -1
        self._day_lines = DayLines()
        """The day separators, when the entries span several days."""
        self._following = True
        self._placed_between: deque[int] = deque(maxlen=PLACED_KEPT)  # see `_place_one`
        self._cache: LRUCache[tuple[int, int], Strip] = LRUCache(1024)
        self._cache_signature: tuple[object, ...] = ()
        self._palette_cache: Palette | None = None
        self.border_subtitle = f"times in {self.zone_name}"

    # -- data in ---------------------------------------------------------------------------

    @property
    def tz(self) -> tzinfo:
        """The local time zone times are shown in (unless `show_utc`)."""
        return self._tz

    @tz.setter
    def tz(self, tz: tzinfo) -> None:
        self._tz = tz
        self._zone_changed()

    @property
    def zone_name(self) -> str:
        """The zone times are shown in: `UTC`, or the local zone's name (`Europe/Berlin`)."""
        return "UTC" if self.show_utc else zone_name(self._tz)

    @property
    def day_count(self) -> int:
        """How many days have a separator line (0 while every entry is on one day)."""
        return len(self._day_lines.days)

    @property
    def entries(self) -> Sequence[TimelineEntry]:
        """All entries, sorted by `(at, seq)` (a read-only view, not a copy; indexed, each
        is read as it is asked for)."""
        return self._model.entries

    @property
    def entry_count(self) -> int:
        return len(self._model)

    @property
    def whole_count(self) -> int:
        """How many entries are held whole (a long timeline holds those last shown)."""
        return len(self._model.whole_entries())

    @property
    def cursor_index(self) -> int | None:
        """Position of the cursor in `entries`, None when empty."""
        return self._cursor if len(self._model) else None

    @property
    def cursor_entry(self) -> TimelineEntry | None:
        return self._entry(self._cursor) if len(self._model) else None

    def whole_entries(self) -> list[TimelineEntry]:
        """The entries held whole (not stubs): to hand on to `set_index` as `known`."""
        return self._model.whole_entries()

    def _entry(self, index: int) -> TimelineEntry | None:
        """The entry at `index`, read with those around it when not held whole."""
        return self._model.entry_at(index, max(1, self.scrollable_content_region.height))

    def _loader(self) -> Loader | None:
        return self.entry_loader

    def set_entries(self, entries: Sequence[TimelineEntry]) -> None:
        """Replace every entry; scroll to the newest and put the cursor on it."""
        previous = self.cursor_entry
        self._show_model(EntryList(entries, self._loader), previous)

    def set_index(
        self,
        ids: array[int],
        *,
        local_days: Sequence[tuple[int, date]],
        utc_days: Sequence[tuple[int, date]],
        max_seq: int,
        max_id: int | None = None,
        known: Iterable[TimelineEntry] = (),
    ) -> None:
        """Show a long timeline from its order: event ids sorted by `(at, seq, id)`, and where
        each day with entries starts (position, date) in `tz` and in UTC. Entries are read by
        `entry_loader` as they are shown, and kept (a bounded number); `known` are entries
        already whole; `max_id`, the highest id, when known. Scroll to the newest and put the
        cursor on it. (Set `tz` first: the local days are those of the zone shown.)"""
        previous = self.cursor_entry
        index = EntryIndex(ids, {False: local_days, True: utc_days}, self._tz, max_seq, self._loader, max_id)
        index.remember(known)
        self._show_model(index, previous)

    def _show_model(self, model: EntryList | EntryIndex, previous: TimelineEntry | None) -> None:
        self._model = model
        self._placed_between.clear()
        self._cache.clear()
        self._cursor = len(model) - 1
        self._find_days()
        self.virtual_size = Size(0, self._line_count)
        self._scroll_to_end()
        self.refresh()
        self._cursor_changed(previous)

    def upsert(self, entries: Sequence[TimelineEntry]) -> None:
        """Add new entries and replace existing ones (same `id`), keeping the order.

        At the bottom the view follows new events; scrolled up, it keeps showing the same
        entries (inserts above the viewport shift the scroll position by as many lines).
        """
        if not entries:
            return
        was_at_bottom = self.is_vertical_scroll_end
        top, heading = self._top_entry()
        previous = self.cursor_entry
        cursor_follows = previous is None or (was_at_bottom and self._cursor == len(self._model) - 1)
        model = self._model
        cursor = self._cursor
        changed_from = len(model)  # the lowest index where an entry came or went
        taken: dict[int, bool] = {}  # entries taken out first (id: whether the cursor was on it)
        if isinstance(model, EntryIndex) and len(entries) > 1:
            for entry in entries:
                removed = model.take_out(entry.id)
                if removed is not None:
                    taken[entry.id] = removed == cursor
                    changed_from = min(changed_from, removed)
                    top -= removed < top
                    cursor -= removed < cursor
        moved = False  # an event shown already moved
        for entry in entries:
            moved |= entry.id in taken
            cursor, top, changed_from, removed = self._place_one(model, entry, taken, cursor, top, changed_from)
            moved |= removed
        if moved and isinstance(model, EntryIndex):
            batch = {entry.id for entry in entries}
            again = [model.cache[i] for i in self._placed_between if i not in batch and i in model.cache]
            for entry in again:
                cursor, top, changed_from, _ = self._place_one(model, entry, taken, cursor, top, changed_from)
        self._cursor = len(model) - 1 if cursor_follows else cursor
        self._find_days(changed_from)
        self._set_line_count()
        if was_at_bottom:
            self._scroll_to_end()
        else:
            self._set_scroll_y(self._day_lines.top_row(top, heading))
        self.refresh()
        self._cursor_changed(previous)

    def _place_one(
        self, model: EntryList | EntryIndex, entry: TimelineEntry, taken: dict[int, bool], cursor: int, top: int,
        changed_from: int) -> tuple[int, int, int, bool]:
        """Place `entry`: the cursor, top entry and lowest index changed, and whether it left
        another place. One bisected in among others is kept in `_placed_between`: an event
        moved in the record, not yet here, read its new time at its old place."""
        for state in (PLAIN, CURSOR, CURSOR_BLURRED):
            self._cache.discard((entry.id, state))
        removed, inserted = model.upsert(entry)
        moved = taken.pop(entry.id, False) or (removed is not None and removed == cursor)
        if removed is not None:
            changed_from = min(changed_from, removed)
            top -= removed < top
            cursor -= removed < cursor
        if inserted is not None:
            changed_from = min(changed_from, inserted)
            top += inserted <= top
            cursor = inserted if moved else cursor + (inserted <= cursor)
            if isinstance(model, EntryIndex) and inserted < len(model) - 1:
                self._placed_between.append(entry.id)
        return cursor, top, changed_from, removed is not None

    def forget_entries(self) -> None:
        """Read every entry again as it comes on screen (through `entry_loader`): what the
        record derives for each, such as the start marker, changed for many at once."""
        self._model.forget()
        self._cache.clear()
        self.refresh()

    def show_newest(self) -> None:
        """Scroll to the newest entry (the view follows new entries from then on)."""
        if not self.is_vertical_scroll_end or not self._following:
            self._scroll_to_end()

    def _set_line_count(self) -> None:
        """Make the content as tall as the lines there are, without a layout when the
        view's own size stays the same: only when its scrollbar comes or goes (once) does
        the screen lay out again. (Setting `virtual_size` lays out the whole screen.)"""
        size = Size(0, self._line_count)
        if size == self.virtual_size:
            return
        if not self.is_mounted or not self.container_size:
            self.virtual_size = size  # not laid out yet: the first layout sizes it
            return
        had_scrollbar = self.show_vertical_scrollbar
        self.set_reactive(TimelineView.virtual_size, size)
        self._scroll_update(size)  # the scrollbar's length and position; scroll kept in range
        if self.show_vertical_scrollbar != had_scrollbar:
            self.refresh(layout=True)

    def move_cursor(self, entry_id: int) -> bool:
        """Put the cursor on the entry with this id and scroll to it; False if there is none."""
        position = self._model.position_of(entry_id)
        if position is None:
            return False
        self._move_cursor_to(position)
        return True

    # -- days ------------------------------------------------------------------------------

    @property
    def _shown_zone(self) -> tzinfo:
        return UTC if self.show_utc else self._tz

    @property
    def _line_count(self) -> int:
        """Lines of content: every entry and every day separator."""
        return len(self._model) + len(self._day_lines.rows)

    def _find_days(self, changed_from: int = 0) -> None:
        """Place the day separators again, from the day entry `changed_from` falls in."""
        self._model.find_days(self._day_lines, self._shown_zone, self.show_utc, changed_from)

    def _top_entry(self) -> tuple[int, bool]:
        """The first entry at the top of the viewport, and whether its separator is shown."""
        index, day = self._day_lines.at_row(self.scroll_offset.y)
        return index, day is not None

    def _zone_changed(self) -> None:
        """Show the times and days of another zone, keeping the same entries in view."""
        self.border_subtitle = f"times in {self.zone_name}"
        top, heading = self._top_entry()
        self._find_days()
        self.virtual_size = Size(0, self._line_count)
        if self._following:
            self._scroll_to_end()
        else:
            self._set_scroll_y(self._day_lines.top_row(top, heading))
        self.refresh()

    # -- cursor and scrolling --------------------------------------------------------------

    def _cursor_changed(self, previous: TimelineEntry | None) -> None:
        current = self.cursor_entry
        if current is not None and current is not previous:
            self.post_message(self.CursorMoved(self, current))

    def _move_cursor_to(self, index: int) -> None:
        if not len(self._model):
            return
        previous = self.cursor_entry
        old = self._cursor
        self._cursor = max(0, min(index, len(self._model) - 1))
        if old != self._cursor:
            self.refresh_line(self._day_lines.row_of(old))
            self.refresh_line(self._day_lines.row_of(self._cursor))
        self._scroll_cursor_visible()
        self._cursor_changed(previous)

    def _scroll_cursor_visible(self) -> None:
        height = max(1, self.scrollable_content_region.height)
        top = self.scroll_offset.y
        row = self._day_lines.row_of(self._cursor)
        first = self._day_lines.top_row(self._cursor, heading=True)  # its day's separator too, if any
        if first < top:
            self._set_scroll_y(first)
        elif row >= top + height:
            self._set_scroll_y(row - height + 1)

    def _set_scroll_y(self, y: int) -> None:
        if self.is_mounted:
            self.scroll_to(y=y, animate=False, immediate=True, force=True)
        else:
            self.set_reactive(TimelineView.scroll_y, float(max(0, y)))

    def _scroll_to_end(self) -> None:
        self._following = True
        self._set_scroll_y(self.max_scroll_y)
        if self.is_mounted:  # the first layout may not have happened yet
            self.call_after_refresh(self._scroll_end_if_following)

    def _scroll_end_if_following(self) -> None:
        if self._following and not self.is_vertical_scroll_end:
            self._set_scroll_y(self.max_scroll_y)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._following = round(new_value) >= self.max_scroll_y

    def on_resize(self, event: events.Resize) -> None:
        if self._following:
            self._set_scroll_y(self.max_scroll_y)

    def on_focus(self, event: events.Focus) -> None:
        self.refresh_line(self._day_lines.row_of(self._cursor))

    def on_blur(self, event: events.Blur) -> None:
        self.refresh_line(self._day_lines.row_of(self._cursor))

    def watch_show_utc(self) -> None:
        self._zone_changed()

    def action_cursor_up(self) -> None:
        self._move_cursor_to(self._cursor - 1)

    def action_cursor_down(self) -> None:
        self._move_cursor_to(self._cursor + 1)

    def action_page_up(self) -> None:
        page = max(1, self.scrollable_content_region.height - 1)
        self._set_scroll_y(self.scroll_offset.y - page)
        self._move_cursor_to(self._cursor - page)

    def action_page_down(self) -> None:
        page = max(1, self.scrollable_content_region.height - 1)
        self._set_scroll_y(self.scroll_offset.y + page)
        self._move_cursor_to(self._cursor + page)

    def action_first(self) -> None:
        self._move_cursor_to(0)

    def action_last(self) -> None:
        self._move_cursor_to(len(self._model) - 1)

    def action_select(self) -> None:
        entry = self.cursor_entry
        if entry is not None:
            self.post_message(self.EntrySelected(self, entry))

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        row = self.scroll_offset.y + offset.y
        index, day = self._day_lines.at_row(row)
        if day is None and 0 <= index < len(self._model):  # a separator is not an event
            self._move_cursor_to(index)
            if event.chain == 2:
                self.action_select()

    # -- rendering -------------------------------------------------------------------------

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._palette_cache = None

    def _palette(self) -> Palette:
        if self._palette_cache is None:
            self._palette_cache = resolve_palette(self)
        return self._palette_cache

    entry_loader: Loader | None = None
    """Reads whole entries by id: for entries given as stubs (`text` None) or by `set_index`,
    a long timeline is read only for the lines shown."""

    def render_line(self, y: int) -> Strip:
        """The strip for line `y` of the viewport."""
        width = self.scrollable_content_region.width
        palette = self._palette()
        if not len(self._model):
            if y == 0 and width > 0:
                return render_hint(self.empty_text, width, palette, self.app.console)
            return Strip.blank(width, palette.base)
        row = self.scroll_offset.y + y
        if not 0 <= row < self._line_count or width <= 0:
            return Strip.blank(width, palette.base)
        seq_width = len(str(self._model.max_seq))
        signature = (width, self.show_utc, self._tz, seq_width, palette)
        if signature != self._cache_signature:
            self._cache.clear()
            self._cache_signature = signature
        index, day = self._day_lines.at_row(row)
        if day is not None:
            return self._render_day(self._day_lines.days[day], width, palette)
        entry = self._entry(index)
        if entry is None:  # no longer in the record
            return Strip.blank(width, palette.base)
        state = PLAIN if index != self._cursor else CURSOR if self.has_focus else CURSOR_BLURRED
        cache_key = (entry.id, state)
        strip = self._cache.get(cache_key)
        if strip is None:
            strip = render_entry(
                entry, width, state, palette, self.app.console, tz=self._tz, show_utc=self.show_utc, seq_width=seq_width
            )
            self._cache.set(cache_key, strip)
        return strip

    def _render_day(self, day: date, width: int, palette: Palette) -> Strip:
        """A day's separator line, from the cache when drawn before."""
        cache_key = (day.toordinal(), DAY)
        strip = self._cache.get(cache_key)
        if strip is None:
            strip = render_day(day, width, palette, self.app.console)
            self._cache.set(cache_key, strip)
        return strip
