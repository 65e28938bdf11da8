"""A `TextArea` that never lets a control character in its text reach the terminal."""

from __future__ import annotations

from textual.strip import Strip
from textual.widgets import TextArea

from widgets.text import printable_strip


class LiteralTextArea(TextArea):
    """A `TextArea` that draws control characters as visible pictures (ESC as `␛`), one for
    one; the text itself, what is saved, is untouched. Use it wherever stored or pasted text
    is edited: a post-mortem section filled from the timeline can hold what a scribe pasted."""

    def render_line(self, y: int) -> Strip:
        return printable_strip(super().render_line(y))
