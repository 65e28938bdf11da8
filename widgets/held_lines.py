"""Lines the scribe entered that were moved aside: refused, or waiting for a confirmation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text
from textual.widgets import Static

from widgets.text import printable

SHOWN = 3
"""How many held lines are listed; the rest are counted."""
_TEXT_WIDTH = 50


@dataclass(frozen=True)
class HeldEntry:
    """One line moved aside, as shown: its text and why it was not logged."""

    text: str
    reason: str
    needs_confirmation: bool = False


class HeldLines(Static):
    """The lines moved aside, newest last, each with its reason and what to press.

    Hidden while there are none. The keys are the parent's (it shows `recall_key` and
    `confirm_key` as given); this widget only draws. Stored text is drawn literally."""

    DEFAULT_CSS = """
    HeldLines {
        height: auto;
        padding: 0 1;
        display: none;
        color: $text-error;
        &.-confirm { color: $text-warning; }
    }
    """

    def __init__(self, *, recall_key: str = "ctrl+r", confirm_key: str = "ctrl+y",
                 id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.recall_key = recall_key
        self.confirm_key = confirm_key
        self._entries: tuple[HeldEntry, ...] = ()

    @property
    def entries(self) -> tuple[HeldEntry, ...]:
        """The held lines shown, oldest first."""
        return self._entries

    def show_entries(self, entries: Sequence[HeldEntry]) -> None:
        """Show `entries` (oldest first); none hides the widget."""
        self._entries = tuple(entries)
        self.display = bool(self._entries)
        self.set_class(bool(self._entries) and self._entries[0].needs_confirmation, "-confirm")
        self.update(self._render_entries())

    def _render_entries(self) -> Text:
        text = Text(no_wrap=False, end="")
        if not self._entries:
            return text
        hidden = len(self._entries) - SHOWN
        if hidden > 0:
            text.append(f"{hidden} more held line{'s' if hidden > 1 else ''} before these\n", style="dim")
        for position, entry in enumerate(self._entries[-SHOWN:]):
            line = printable(entry.text)
            if len(line) > _TEXT_WIDTH:
                line = line[: _TEXT_WIDTH - 1] + "…"
            mark = "? Confirm" if entry.needs_confirmation else "✗ Not logged"
            text.append(f"{mark}: “{line}”: ", style="bold")
            text.append(printable(entry.reason))
            if position < min(SHOWN, len(self._entries)) - 1:
                text.append("\n")
        oldest = self._entries[0]
        keys = f"{_key(self.recall_key)} takes the oldest back to fix it"
        if oldest.needs_confirmation:
            keys = f"{_key(self.confirm_key)} logs the oldest at that time; " + keys
        text.append(f"\n({keys})", style="dim")
        return text


def _key(key: str) -> str:
    return "+".join(part.capitalize() for part in key.split("+"))
