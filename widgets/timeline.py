"""The incident timeline: one terminal line per event, rendered with the Line API.

`TimelineView` never creates a widget per event. It keeps a sorted list of immutable
`TimelineEntry` values, tells Textual how tall the content is (`virtual_size`) and renders
only the lines on screen (`render_line`), caching rendered strips by entry id, so 100,000
events cost no more to show than a hundred. When the events span more than one day (in the
zone shown), a separator line with the date heads each day; a line number `row` is then an
entry index plus the separators above it (found by bisection, never by a walk).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta, tzinfo
from operator import attrgetter
from typing import ClassVar, NamedTuple, overload

from rich.cells import cell_len, set_cell_size
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from widgets.text import printable

RECORD_KINDS: frozenset[str] = frozenset(
    {"declared", "severity", "status", "role", "milestone", "update", "link", "checklist"}
)
"""Kinds written by the system when incident state changes, as opposed to typed notes."""

BADGE_WIDTH = 9
"""Cells for the kind inside its badge (`milestone` fits); the badge adds a space each side."""

AUTHOR_WIDTH = 16
"""Longest author name shown in full."""

NARROW_AUTHOR_WIDTH = 8
"""Author cells when the timeline is narrower than `WIDE`."""

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
"""English names, whatever the locale: the rest of the screen is English too."""

WIDE = 72
NARROWEST = 56
"""Below this width the author is left out: the text matters more."""


class TimelineEntry(NamedTuple):
    """One event of the incident timeline, as the widget shows it.

    A named tuple rather than a dataclass: a 100,000-event timeline builds this many,
    and tuples are several times quicker to make.
    """

    id: int
    """Stable identity: `upsert` replaces the entry with the same id."""
    seq: int
    """Event number, shown as `#seq`."""
    at: datetime
    """When it happened (aware, UTC)."""
    kind: str
    """note, action, decision, todo, query, comms, declared, severity, status, role, milestone, update, link."""
    author: str
    text: str | None
    """None for a stub not read yet (see `TimelineView.entry_loader`)."""
    key: bool = False
    struck: bool = False
    link: str | None = None
    marker: str | None = None
    """`"start"` for the incident start, `"resolved"` for its resolution, else None."""


_sort_key = attrgetter("at", "seq", "id")
_at_of = attrgetter("at")
_seq_of = attrgetter("seq")
_id_of = attrgetter("id")

_PLAIN, _CURSOR, _CURSOR_BLURRED, _DAY = 0, 1, 2, 3
"""How a line is drawn: as itself, under the focused cursor, under the unfocused cursor;
`_DAY` keys a day separator's strip (by the day's ordinal) in the same cache."""


class _EntriesView(Sequence[TimelineEntry]):
    """A read-only view of the widget's sorted entries (no copy)."""

    __slots__ = ("_items",)

    def __init__(self, items: list[TimelineEntry]) -> None:
        self._items = items

    @overload
    def __getitem__(self, index: int) -> TimelineEntry: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[TimelineEntry]: ...

    def __getitem__(self, index: int | slice) -> TimelineEntry | Sequence[TimelineEntry]:
        return self._items[index]

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[TimelineEntry]:
        return iter(self._items)

    def __repr__(self) -> str:
        return f"<TimelineView entries: {len(self._items)}>"


class _Palette(NamedTuple):
    """The resolved rich styles of every component class (changes only with CSS or theme)."""

    base: Style
    meta: Style
    badge: Style
    record: Style
    key: Style
    struck: Style
    start: Style
    start_badge: Style
    resolved: Style
    resolved_badge: Style
    cursor: Style
    cursor_blurred: Style
    hint: Style
    day: Style


class TimelineView(ScrollView, can_focus=True):
    """A scrollable, cursor-driven view of timeline entries, one line each, oldest first.

    Data goes in with `set_entries` and `upsert`; `CursorMoved` and `EntrySelected` come out.
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

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "timeline--meta",
        "timeline--badge",
        "timeline--record",
        "timeline--key",
        "timeline--struck",
        "timeline--start",
        "timeline--start-badge",
        "timeline--resolved",
        "timeline--resolved-badge",
        "timeline--cursor",
        "timeline--cursor-blurred",
        "timeline--hint",
        "timeline--day",
    }
    """Styles of the parts of a line; `--cursor` when focused, `--cursor-blurred` when not."""

    DEFAULT_CSS = """
    TimelineView {
        width: 1fr;
        height: 1fr;
        overflow-x: hidden;
        overflow-y: auto;
        & > .timeline--meta { color: $text-muted; }
        & > .timeline--badge { color: $primary; text-style: bold; }
        & > .timeline--record { color: $text-muted; text-style: italic; }
        & > .timeline--key { color: $accent; text-style: bold; }
        & > .timeline--struck { color: $text-muted; text-style: strike; }
        & > .timeline--start { background: $error 20%; }
        & > .timeline--start-badge { background: $error; color: $text; text-style: bold; }
        & > .timeline--resolved { background: $success 20%; }
        & > .timeline--resolved-badge { background: $success; color: $text; text-style: bold; }
        & > .timeline--cursor { background: $accent 35%; }
        & > .timeline--cursor-blurred { background: $accent 12%; }
        & > .timeline--hint { color: $text-muted; text-style: italic; }
        & > .timeline--day { color: $text-muted; text-style: bold; }
    }
    """

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
        id: str | None = None,  # noqa: A002 - Textual's name
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self._tz = tz
        self.set_reactive(TimelineView.show_utc, show_utc)
        self._items: list[TimelineEntry] = []
        self._by_id: dict[int, TimelineEntry] = {}
        self._max_seq = 0
        self._cursor = -1
        self._day_starts: list[int] = []
        """Index of the first entry of each day, when the entries span several days."""
        self._day_rows: list[int] = []
        """The line of each day's separator (`_day_starts[k] + k`)."""
        self._days: list[date] = []
        """The date each separator shows."""
        self._following = True
        self._cache: LRUCache[tuple[int, int], Strip] = LRUCache(1024)
        self._cache_signature: tuple[object, ...] = ()
        self._palette_cache: _Palette | None = None
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
        return "UTC" if self.show_utc else _zone_name(self._tz)

    @property
    def day_count(self) -> int:
        """How many days have a separator line (0 while every entry is on one day)."""
        return len(self._days)

    @property
    def entries(self) -> Sequence[TimelineEntry]:
        """All entries, sorted by `(at, seq)` (a read-only view, not a copy)."""
        return _EntriesView(self._items)

    @property
    def entry_count(self) -> int:
        return len(self._items)

    @property
    def cursor_index(self) -> int | None:
        """Position of the cursor in `entries`, None when empty."""
        return self._cursor if self._items else None

    @property
    def cursor_entry(self) -> TimelineEntry | None:
        return self._items[self._cursor] if self._items else None

    def set_entries(self, entries: Sequence[TimelineEntry]) -> None:
        """Replace every entry; scroll to the newest and put the cursor on it."""
        previous = self.cursor_entry
        by_id = dict(zip(map(_id_of, entries), entries))
        items = list(by_id.values() if len(by_id) != len(entries) else entries)
        # Three stable sorts on single attributes order by (at, seq, id) in a third of the
        # time one sort on a tuple key takes, and each is linear when the input is in order.
        items.sort(key=_id_of)
        items.sort(key=_seq_of)
        items.sort(key=_at_of)
        self._items = items
        self._by_id = by_id
        self._max_seq = max(map(_seq_of, self._items), default=0)
        self._cache.clear()
        self._cursor = len(self._items) - 1
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
        cursor_follows = previous is None or (was_at_bottom and self._cursor == len(self._items) - 1)
        items = self._items
        changed_from = len(items)  # the lowest index where an entry came or went
        for entry in entries:
            old = self._by_id.get(entry.id)
            self._by_id[entry.id] = entry
            if old is not None:
                for state in (_PLAIN, _CURSOR, _CURSOR_BLURRED):
                    self._cache.discard((entry.id, state))
                index = self._index_of(old)
                if _sort_key(old) == _sort_key(entry):
                    items[index] = entry
                    continue
                del items[index]
                changed_from = min(changed_from, index)
                if index < top:
                    top -= 1
            index = bisect_right(items, _sort_key(entry), key=_sort_key)
            items.insert(index, entry)
            changed_from = min(changed_from, index)
            if index <= top:
                top += 1
            if entry.seq > self._max_seq:
                self._max_seq = entry.seq
        if cursor_follows:
            self._cursor = len(items) - 1
        else:
            assert previous is not None
            self._cursor = self._index_of(self._by_id[previous.id])
        self._find_days(changed_from)
        self.virtual_size = Size(0, self._line_count)
        if was_at_bottom:
            self._scroll_to_end()
        else:
            self._set_scroll_y(self._top_row(top, heading))
        self.refresh()
        self._cursor_changed(previous)

    def move_cursor(self, entry_id: int) -> bool:
        """Put the cursor on the entry with this id and scroll to it; False if there is none."""
        entry = self._by_id.get(entry_id)
        if entry is None:
            return False
        self._move_cursor_to(self._index_of(entry))
        return True

    def _index_of(self, entry: TimelineEntry) -> int:
        """Where an entry that is in the list sits (a binary search)."""
        key = _sort_key(entry)
        index = bisect_left(self._items, key, key=_sort_key)
        if index < len(self._items) and self._items[index].id == entry.id:
            return index
        return next(i for i, item in enumerate(self._items) if item.id == entry.id)  # pragma: no cover

    # -- days ------------------------------------------------------------------------------

    @property
    def _shown_zone(self) -> tzinfo:
        return UTC if self.show_utc else self._tz

    @property
    def _line_count(self) -> int:
        """Lines of content: every entry and every day separator."""
        return len(self._items) + len(self._day_rows)

    def _find_days(self, changed_from: int = 0) -> None:
        """Find where each day starts, with one bisection per day that has entries; when
        only entries from `changed_from` on changed, from the day that index falls in."""
        items = self._items
        zone = self._shown_zone
        if not items or items[0].at.astimezone(zone).date() == items[-1].at.astimezone(zone).date():
            self._day_starts, self._day_rows, self._days = [], [], []
            return
        keep = max(0, bisect_left(self._day_starts, changed_from) - 1)
        index = self._day_starts[keep] if self._day_starts else 0
        starts, days = self._day_starts[:keep], self._days[:keep]
        count = len(items)
        while index < count:
            day = items[index].at.astimezone(zone).date()
            starts.append(index)
            days.append(day)
            next_midnight = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=zone)
            index = max(index + 1, bisect_left(items, next_midnight, lo=index, key=_at_of))
        self._day_rows = self._day_rows[:keep] + [start + k for k, start in enumerate(starts[keep:], keep)]
        self._day_starts = starts
        self._days = days

    def _row_of(self, index: int) -> int:
        """The line entry `index` is drawn on (below the separators of its day and before)."""
        return index + bisect_right(self._day_starts, index)

    def _at_row(self, row: int) -> tuple[int, int | None]:
        """What line `row` shows: (entry index, None), or (the index of the entry it heads,
        the day's number) for a separator."""
        days_above = bisect_right(self._day_rows, row)
        if days_above and self._day_rows[days_above - 1] == row:
            return self._day_starts[days_above - 1], days_above - 1
        return row - days_above, None

    def _starts_a_day(self, index: int) -> bool:
        position = bisect_left(self._day_starts, index)
        return position < len(self._day_starts) and self._day_starts[position] == index

    def _top_entry(self) -> tuple[int, bool]:
        """The first entry at the top of the viewport, and whether its separator is shown."""
        index, day = self._at_row(self.scroll_offset.y)
        return index, day is not None

    def _top_row(self, index: int, heading: bool) -> int:
        """The scroll position putting entry `index` at the top (its separator, `heading`)."""
        row = self._row_of(index)
        return row - 1 if heading and self._starts_a_day(index) else row

    def _zone_changed(self) -> None:
        """Show the times and days of another zone, keeping the same entries in view."""
        self.border_subtitle = f"times in {self.zone_name}"
        top, heading = self._top_entry()
        self._find_days()
        self.virtual_size = Size(0, self._line_count)
        if self._following:
            self._scroll_to_end()
        else:
            self._set_scroll_y(self._top_row(top, heading))
        self.refresh()

    # -- cursor and scrolling --------------------------------------------------------------

    def _cursor_changed(self, previous: TimelineEntry | None) -> None:
        current = self.cursor_entry
        if current is not None and current is not previous:
            self.post_message(self.CursorMoved(self, current))

    def _move_cursor_to(self, index: int) -> None:
        if not self._items:
            return
        previous = self.cursor_entry
        old = self._cursor
        self._cursor = max(0, min(index, len(self._items) - 1))
        if old != self._cursor:
            self.refresh_line(self._row_of(old))
            self.refresh_line(self._row_of(self._cursor))
        self._scroll_cursor_visible()
        self._cursor_changed(previous)

    def _scroll_cursor_visible(self) -> None:
        height = max(1, self.scrollable_content_region.height)
        top = self.scroll_offset.y
        row = self._row_of(self._cursor)
        first = self._top_row(self._cursor, heading=True)  # its day's separator too, if any
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
        self.refresh_line(self._row_of(self._cursor))

    def on_blur(self, event: events.Blur) -> None:
        self.refresh_line(self._row_of(self._cursor))

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
        self._move_cursor_to(len(self._items) - 1)

    def action_select(self) -> None:
        entry = self.cursor_entry
        if entry is not None:
            self.post_message(self.EntrySelected(self, entry))

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        row = self.scroll_offset.y + offset.y
        index, day = self._at_row(row)
        if day is None and 0 <= index < len(self._items):  # a separator is not an event
            self._move_cursor_to(index)
            if event.chain == 2:
                self.action_select()

    # -- rendering -------------------------------------------------------------------------

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._palette_cache = None

    def _palette(self) -> _Palette:
        if self._palette_cache is None:
            self._palette_cache = self._resolve_palette()
        return self._palette_cache

    def _resolve_palette(self) -> _Palette:
        def style(name: str) -> Style:
            # Only what the component sets, but with colours resolved (alpha blended over the
            # widget's background, `auto` made to contrast) as the full style has them.
            full = self.get_component_rich_style(name)
            partial = self.get_component_rich_style(name, partial=True)
            return partial.without_color + Style(
                color=full.color if partial.color is not None else None,
                bgcolor=full.bgcolor if partial.bgcolor is not None else None,
            )

        return _Palette(
            base=self.rich_style,
            meta=style("timeline--meta"),
            badge=style("timeline--badge"),
            record=style("timeline--record"),
            key=style("timeline--key"),
            struck=style("timeline--struck"),
            start=style("timeline--start"),
            start_badge=style("timeline--start-badge"),
            resolved=style("timeline--resolved"),
            resolved_badge=style("timeline--resolved-badge"),
            cursor=style("timeline--cursor"),
            cursor_blurred=style("timeline--cursor-blurred"),
            hint=style("timeline--hint"),
            day=style("timeline--day"),
        )

    entry_loader: Callable[[Sequence[int]], Mapping[int, TimelineEntry]] | None = None
    """Reads whole entries by id, for entries given as stubs (`text` None): a long
    timeline can be handed over as stubs and read only for the lines shown."""

    def _load_entries_around(self, index: int) -> None:
        """Read the stubs on and near the screen in full (one call to the loader)."""
        loader = self.entry_loader
        if loader is None:
            return
        height = max(1, self.scrollable_content_region.height)
        start = max(0, index - height)
        stop = min(len(self._items), index + 2 * height)
        missing = [entry.id for entry in self._items[start:stop] if entry.text is None]
        if not missing:
            return
        loaded = loader(missing)
        for position in range(start, stop):
            entry = self._items[position]
            whole = loaded.get(entry.id) if entry.text is None else None
            if whole is not None:
                # Keep the stub's place: a changed time arrives through `upsert`.
                whole = whole._replace(at=entry.at, seq=entry.seq)
                self._items[position] = whole
                self._by_id[entry.id] = whole

    def render_line(self, y: int) -> Strip:
        """The strip for line `y` of the viewport."""
        width = self.scrollable_content_region.width
        palette = self._palette()
        if not self._items:
            if y == 0 and width > 0:
                hint = Text(style=palette.base, no_wrap=True, end="")
                hint.append(printable(self.empty_text), palette.hint)
                return self._fit(hint, width)
            return Strip.blank(width, palette.base)
        row = self.scroll_offset.y + y
        if not 0 <= row < self._line_count or width <= 0:
            return Strip.blank(width, palette.base)
        signature = (width, self.show_utc, self._tz, len(str(self._max_seq)), palette)
        if signature != self._cache_signature:
            self._cache.clear()
            self._cache_signature = signature
        index, day = self._at_row(row)
        if day is not None:
            return self._render_day(self._days[day], width, palette)
        entry = self._items[index]
        if entry.text is None and self.entry_loader is not None:
            self._load_entries_around(index)
            entry = self._items[index]
        state = _PLAIN if index != self._cursor else _CURSOR if self.has_focus else _CURSOR_BLURRED
        cache_key = (entry.id, state)
        strip = self._cache.get(cache_key)
        if strip is None:
            strip = self._render_entry(entry, width, state, palette)
            self._cache.set(cache_key, strip)
        return strip

    def _render_day(self, day: date, width: int, palette: _Palette) -> Strip:
        """A separator line: `── Tue 24 Nov 2026 ─────`."""
        cache_key = (day.toordinal(), _DAY)
        strip = self._cache.get(cache_key)
        if strip is None:
            label = f"── {DAY_NAMES[day.weekday()]} {day.day} {MONTH_NAMES[day.month - 1]} {day.year} "
            text = Text(style=palette.base, no_wrap=True, end="")
            text.append(label + "─" * max(0, width - cell_len(label)), palette.day)
            strip = self._fit(text, width)
            self._cache.set(cache_key, strip)
        return strip

    def _render_entry(self, entry: TimelineEntry, width: int, state: int, palette: _Palette) -> Strip:
        row = palette.base
        badge = palette.record if entry.kind in RECORD_KINDS else palette.badge
        if entry.marker == "start":
            row += palette.start
            badge = palette.start_badge
        elif entry.marker == "resolved":
            row += palette.resolved
            badge = palette.resolved_badge
        if state == _CURSOR:
            row += palette.cursor
        elif state == _CURSOR_BLURRED:
            row += palette.cursor_blurred
        body = palette.record if entry.kind in RECORD_KINDS else Style()
        if entry.key:
            body += palette.key
            badge += Style(bold=True)
        if entry.struck:
            body += palette.struck
            badge += palette.struck

        if self.show_utc:
            at = entry.at.astimezone(UTC).strftime("%H:%M:%SZ")
        else:
            at = entry.at.astimezone(self._tz).strftime("%H:%M:%S")
        text = Text(style=row, no_wrap=True, end="")
        text.append(f"#{entry.seq}".rjust(len(str(self._max_seq)) + 1), palette.meta)
        text.append(f" {at} ")
        text.append(f" {_fit_cells(printable(entry.kind), BADGE_WIDTH)} ", badge)
        text.append(" ")
        author_width = AUTHOR_WIDTH if width >= WIDE else NARROW_AUTHOR_WIDTH
        if width >= NARROWEST and entry.author:
            text.append(f"{_clip_cells(printable(entry.author), author_width)}: ", palette.meta)
        text.append(printable((entry.text if entry.text is not None else "…").rstrip("\r\n")), body)
        if entry.link and entry.text is not None and entry.link not in entry.text:
            text.append(" ↗ ", palette.meta)
            text.append(printable(entry.link), palette.meta + Style(underline=True))
        return self._fit(text, width)

    def _fit(self, text: Text, width: int) -> Strip:
        """Render one line of text to exactly `width` cells, with `…` when cut (the text's
        own style reaches only text with spans: rich renders a text without any unstyled)."""
        text.truncate(width, overflow="ellipsis", pad=True)
        strip = Strip(list(text.render(self.app.console)))
        return strip.adjust_cell_length(width, text.style if isinstance(text.style, Style) else None)


def _zone_name(zone: tzinfo) -> str:
    """A zone's name as people know it: `Europe/Berlin`, `UTC`."""
    return getattr(zone, "key", None) or zone.tzname(None) or str(zone)


def _fit_cells(text: str, width: int) -> str:
    """`text` padded or cut (with `…`) to exactly `width` cells."""
    return set_cell_size(_clip_cells(text, width), width)


def _clip_cells(text: str, width: int) -> str:
    """`text` cut to at most `width` cells, ending in `…` when cut."""
    if cell_len(text) <= width:
        return text
    return set_cell_size(text, width - 1).rstrip() + "…"

