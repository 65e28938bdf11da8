"""The search line above the timeline: what to look for in the events' text and authors."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.message import Message

from widgets.literal_input import LiteralInput


class TimelineSearch(LiteralInput):
    """A one-line input, hidden until `open`ed; its `Changed` and `Submitted` messages are
    the search, Esc posts `Cleared` (the screen shows every event again)."""

    DEFAULT_CSS = """
    TimelineSearch {
        display: none;
        height: 1;
        border: none;
        padding: 0 1;
        background: $boost;
        &.-open { display: block; }
        &:focus { border: none; background: $primary 20%; }
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "clear", "Clear search", show=False, id="timeline_search.clear",
                tooltip="Clear the search and show the events again"),
    ]

    class Cleared(Message):
        """Esc in the search: no more searching."""

    @property
    def is_open(self) -> bool:
        return self.has_class("-open")

    def open(self) -> None:
        """Show the search line and put the cursor in it."""
        self.add_class("-open")
        self.focus()

    def action_clear(self) -> None:
        self.value = ""
        self.remove_class("-open")
        self.post_message(self.Cleared())
