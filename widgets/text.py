"""Text helpers shared by widgets: make untrusted text safe to put on a terminal.

The string functions live in `storage.text` (no Textual or Rich there); this module
adds the Rich `Text` and Textual `Strip` helpers built on them.
"""

from __future__ import annotations

from rich.segment import Segment
from rich.text import Text
from textual.content import Content
from textual.strip import Strip

from storage.text import (
    LINE_BREAK,
    REPLACEMENT,
    printable,
    printable_in_place,
    printable_lines,
)

__all__ = [
    "LINE_BREAK",
    "REPLACEMENT",
    "literal",
    "printable",
    "printable_content",
    "printable_in_place",
    "printable_lines",
    "printable_strip",
]


def literal(text: str, style: str = "") -> Text:
    """Untrusted text as a Rich `Text`: shown as it is (no markup), with no control character."""
    return Text(printable(text), style=style, end="")


def printable_strip(strip: Strip) -> Strip:
    """A drawn line with every control character as its picture (`printable_in_place`), no
    wider than it was: a control takes no cell and its picture one, so padding (or, on a
    full line, the last cells) makes room. For widgets that draw text they were given."""
    if strip.text.isprintable():
        return strip
    width = strip.cell_length
    shown = Strip([Segment(printable_in_place(text), style, control) for text, style, control in strip])
    return shown.crop(0, width) if shown.cell_length > width else shown


def printable_content(content: Content) -> Content:
    """`content` with every control character as its picture, one for one so its styles and
    links keep their places; a line break (a Markdown hard break) stays a line break."""
    plain = content.plain
    if plain.replace("\n", "").isprintable():
        return content
    shown = "\n".join(printable_in_place(line) for line in plain.split("\n"))
    return Content(shown, spans=list(content.spans))
