"""Drawing the timeline's lines: the resolved styles, and one `Strip` per entry or day.

Pure functions of an entry, a width and the styles, so the widget can cache their strips
by entry id and redraw only what changed.
"""

from __future__ import annotations

import re
from datetime import UTC, date, tzinfo
from typing import NamedTuple

from rich.cells import cell_len, set_cell_size
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.strip import Strip
from textual.widget import Widget

from widgets.text import printable
from widgets.timeline_entry import RECORD_KINDS, TimelineEntry

BADGE_WIDTH = 9
"""Cells for the kind inside its badge (`milestone` fits); the badge adds a space each side."""

SHORT_BADGE_WIDTH = 4
"""Cells for the kind on a timeline narrower than `WIDE`, with no space around it."""

SHORT_KINDS = {
    "decision": "dec", "action": "act", "query": "qry", "comms": "comm", "milestone": "mile",
    "severity": "sev", "update": "upd", "status": "stat", "declared": "decl", "checklist": "chk",
    "facts": "fact", "reminder": "rmnd",
}
"""The kinds in four cells (`note`, `todo`, `role` are already short)."""

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

STRUCK_MARK = "✗ struck "
"""Before a struck entry's text, unstruck: the strike in words."""

PLAIN, CURSOR, CURSOR_BLURRED, DAY = 0, 1, 2, 3
"""How a line is drawn: as itself, under the focused cursor, under the unfocused cursor;
`DAY` keys a day separator's strip (by the day's ordinal) in the same cache."""


COMPONENT_CLASSES: set[str] = {
    "timeline--meta",
    "timeline--badge",
    "timeline--record",
    "timeline--key",
    "timeline--struck",
    "timeline--struck-mark",
    "timeline--start",
    "timeline--start-badge",
    "timeline--resolved",
    "timeline--resolved-badge",
    "timeline--cursor",
    "timeline--cursor-blurred",
    "timeline--hint",
    "timeline--day",
}
"""The parts of a line `TimelineView` styles (`--cursor` when focused, `--cursor-blurred` when not)."""

TIMELINE_CSS = """
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
    & > .timeline--struck-mark { color: $error; text-style: bold; }
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
"""`TimelineView`'s default styles: one per part of a line."""


class Palette(NamedTuple):
    """The resolved rich styles of every component class (changes only with CSS or theme)."""

    base: Style
    meta: Style
    badge: Style
    record: Style
    key: Style
    struck: Style
    struck_mark: Style
    start: Style
    start_badge: Style
    resolved: Style
    resolved_badge: Style
    cursor: Style
    cursor_blurred: Style
    hint: Style
    day: Style


def resolved_style(widget: Widget, name: str) -> Style:
    """Only what component class `name` of `widget` sets, but with colours resolved (alpha
    blended over the widget's background, `auto` made to contrast) as the full style has them."""
    full = widget.get_component_rich_style(name)
    partial = widget.get_component_rich_style(name, partial=True)
    return partial.without_color + Style(
        color=full.color if partial.color is not None else None,
        bgcolor=full.bgcolor if partial.bgcolor is not None else None,
    )


def resolve_palette(widget: Widget) -> Palette:
    """The styles of `widget`'s `timeline--*` component classes."""
    # Each field past `base` is the component class of the same name: `start_badge` is
    # `timeline--start-badge`.
    names = ("timeline--" + name.replace("_", "-") for name in Palette._fields[1:])
    return Palette(widget.rich_style, *(resolved_style(widget, name) for name in names))


def render_hint(hint: str, width: int, palette: Palette, console: Console) -> Strip:
    """The line shown when there are no entries."""
    text = Text(style=palette.base, no_wrap=True, end="")
    text.append(printable(hint), palette.hint)
    return fit_line(text, width, console)


def render_day(day: date, width: int, palette: Palette, console: Console) -> Strip:
    """A separator line: `── Tue 24 Nov 2026 ─────`."""
    label = f"── {DAY_NAMES[day.weekday()]} {day.day} {MONTH_NAMES[day.month - 1]} {day.year} "
    text = Text(style=palette.base, no_wrap=True, end="")
    text.append(label + "─" * max(0, width - cell_len(label)), palette.day)
    return fit_line(text, width, console)


def render_entry(
    entry: TimelineEntry,
    width: int,
    state: int,
    palette: Palette,
    console: Console,
    *,
    tz: tzinfo,
    show_utc: bool,
    seq_width: int,
) -> Strip:
    """One entry's line: `#seq time  kind  author: text` (`author: ✗ struck text` when
    struck), in the style of its `state`.

    Times are shown in `tz`, or as `HH:MM:SSZ` in UTC when `show_utc`; `seq_width` is the
    digits of the largest event number, so the numbers line up.
    """
    row = palette.base
    badge = palette.record if entry.kind in RECORD_KINDS else palette.badge
    if entry.marker == "start":
        row += palette.start
        badge = palette.start_badge
    elif entry.marker == "resolved":
        row += palette.resolved
        badge = palette.resolved_badge
    if state == CURSOR:
        row += palette.cursor
    elif state == CURSOR_BLURRED:
        row += palette.cursor_blurred
    body = palette.record if entry.kind in RECORD_KINDS else Style()
    if entry.key:
        body += palette.key
        badge += Style(bold=True)
    if entry.struck:
        body += palette.struck
        badge += palette.struck

    narrow = width < WIDE  # minutes and a short kind: the text gets the room
    if show_utc:
        at = entry.at.astimezone(UTC).strftime("%H:%MZ" if narrow else "%H:%M:%SZ")
    else:
        at = entry.at.astimezone(tz).strftime("%H:%M" if narrow else "%H:%M:%S")
    text = Text(style=row, no_wrap=True, end="")
    text.append(f"#{entry.seq}".rjust(seq_width + 1), palette.meta)
    text.append(f" {at} ")
    if narrow:
        kind = SHORT_KINDS.get(entry.kind) or clip_cells(printable(entry.kind), SHORT_BADGE_WIDTH)
        text.append(f"{fit_cells(kind, SHORT_BADGE_WIDTH)}", badge)
    else:
        text.append(f" {fit_cells(printable(entry.kind), BADGE_WIDTH)} ", badge)
    text.append(" ")
    author_width = AUTHOR_WIDTH if width >= WIDE else NARROW_AUTHOR_WIDTH
    if width >= NARROWEST and entry.author:
        text.append(f"{clip_cells(printable(entry.author), author_width)}: ", palette.meta)
    if entry.struck:  # in words too: some terminals draw no strike-through
        text.append(STRUCK_MARK, palette.struck_mark)
    text.append(printable((entry.text if entry.text is not None else "…").rstrip("\r\n")), body)
    if entry.link and entry.text is not None and entry.link not in entry.text:
        text.append(" ↗ ", palette.meta)
        text.append(printable(entry.link), palette.meta + Style(underline=True))
    return fit_line(text, width, console)


def text_column(seq_width: int, show_utc: bool) -> int:
    """The cell where an entry's author (or text) starts: after `#seq time  kind  `."""
    return seq_width + 1 + len(" HH:MM:SSZ " if show_utc else " HH:MM:SS ") + BADGE_WIDTH + 3


def highlight_matches(strip: Strip, pattern: re.Pattern[str], start: int, style: Style) -> Strip:
    """`strip` with what `pattern` finds from cell `start` on in `style` (over its own)."""
    text = strip.text
    spans: list[tuple[int, int]] = []
    offset = len(set_cell_size(text, start))  # characters in the first `start` cells
    for found in pattern.finditer(text, offset):
        if found.end() > found.start():
            left = cell_len(text[: found.start()])
            spans.append((left, left + cell_len(found.group())))
    if not spans:
        return strip
    cuts = sorted({cut for span in spans for cut in span} | {strip.cell_length})
    pieces = strip.divide(cuts)
    lefts = [0, *cuts[:-1]]
    marked = {left for left, _ in spans}
    return Strip.join(
        Strip(list(Segment.apply_style(piece, post_style=style)), piece.cell_length) if left in marked else piece
        for piece, left in zip(pieces, lefts, strict=True)
    )


def fit_line(text: Text, width: int, console: Console) -> Strip:
    """Render one line of text to exactly `width` cells, with `…` when cut (the text's
    own style reaches only text with spans: rich renders a text without any unstyled)."""
    text.truncate(width, overflow="ellipsis", pad=True)
    strip = Strip(list(text.render(console)))
    return strip.adjust_cell_length(width, text.style if isinstance(text.style, Style) else None)


def zone_name(zone: tzinfo) -> str:
    """A zone's name as people know it: `Europe/Berlin`, `UTC`."""
    return getattr(zone, "key", None) or zone.tzname(None) or str(zone)


def fit_cells(text: str, width: int) -> str:
    """`text` padded or cut (with `…`) to exactly `width` cells."""
    return set_cell_size(clip_cells(text, width), width)


def clip_cells(text: str, width: int) -> str:
    """`text` cut to at most `width` cells, ending in `…` when cut."""
    if cell_len(text) <= width:
        return text
    return set_cell_size(text, width - 1).rstrip() + "…"
