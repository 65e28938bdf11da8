"""A `TextArea` that never lets a control character in its text reach the terminal."""

from __future__ import annotations

from rich.segment import Segment
from textual.strip import Strip
from textual.widgets import TextArea

from widgets.text import printable_in_place


class LiteralTextArea(TextArea):
    """A `TextArea` that draws control characters as visible pictures (ESC as `␛`), one for
    one; the text itself, what is saved, is untouched. Use it wherever stored or pasted text
    is edited: a post-mortem section filled from the timeline can hold what a scribe pasted."""

    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        if strip.text.isprintable():
            return strip
        width = strip.cell_length
        # A control character takes no cell and its picture one: the line keeps its width,
        # losing padding (or, on a full line, its last cells).
        shown = Strip(
            [Segment(printable_in_place(text), style, control) for text, style, control in strip],
        )
        return shown.crop(0, width) if shown.cell_length > width else shown
