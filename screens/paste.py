"""Confirm a paste of several lines: each becomes one event, in order."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Label, Static

from screens.dialog import Dialog
from widgets.text import printable


class PasteDialog(Dialog[bool]):
    """Show the pasted lines, numbered, with those that will be set aside marked; Enter
    logs them all (each as one event, in order), Escape logs none."""

    DEFAULT_CSS = """
    PasteDialog #paste-lines { height: auto; max-height: 16; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "confirm", "Log them", id="paste.confirm", tooltip="Log each pasted line as one event"),
    ]

    def __init__(self, lines: Sequence[str], problems: Mapping[int, str]) -> None:
        """`problems`: the reason, by position, for lines that will be set aside."""
        super().__init__()
        self.lines = tuple(lines)
        self.problems = dict(problems)

    def compose(self) -> ComposeResult:
        count = len(self.lines)
        with Vertical(classes="dialog-box") as box:
            box.border_title = f"Log {count} pasted lines as {count} events?"
            with VerticalScroll(id="paste-lines"):
                yield Static(self._listing())
            set_aside = len(self.problems)
            if set_aside:
                yield Label(
                    f"{set_aside} of them cannot be logged as they are: they are set aside to fix.",
                    classes="dialog-hint",
                )
            yield Static(classes="dialog-error")
            yield Label(f"Enter logs the {count} lines · Esc logs none", classes="dialog-hint")

    def _listing(self) -> Text:
        width = len(str(len(self.lines)))
        text = Text(end="")
        for position, line in enumerate(self.lines):
            if position:
                text.append("\n")
            text.append(f"{position + 1:>{width}}  ", style="dim")
            text.append(printable(line))
            if position in self.problems:
                text.append(f"  ✗ {printable(self.problems[position])}", style="bold red")
        return text

    def action_confirm(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)
