"""Asking before a change that is hard to take back (a strike, a release): what changes,
in words, and two buttons with the safe one focused."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Button, Label, Static

from screens.dialog import Dialog
from widgets.text import literal, printable

QUOTE_LENGTH = 160
"""A quoted text longer than this is cut, with `…`."""


def quoted(text: str) -> str:
    """`text` in quotes, on one line and cut to `QUOTE_LENGTH` characters."""
    one_line = " ".join(printable(text).split())
    if len(one_line) > QUOTE_LENGTH:
        one_line = one_line[: QUOTE_LENGTH - 1].rstrip() + "…"
    return f"“{one_line}”"


class ConfirmDialog(Dialog[bool]):
    """What a change will do, and whether to make it: True to make it, False not to.

    `y` confirms and `n` or Escape cancel from anywhere; Cancel has the focus, so Enter on
    its own changes nothing (Tab or → moves to the confirm button, then Enter confirms)."""

    AUTO_FOCUS = "#confirm-cancel"
    """Focused as the dialog opens, before any key typed after the one that opened it."""

    DEFAULT_CSS = """
    ConfirmDialog .confirm-warning {
        color: $warning;
        text-style: bold;
        height: auto;
    }
    ConfirmDialog .confirm-buttons {
        height: auto;
        margin-top: 1;
        align-horizontal: right;
    }
    ConfirmDialog .confirm-buttons Button {
        margin-left: 2;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "confirm", "Yes", id="confirm.yes", tooltip="Make the change"),
        Binding("n", "cancel", "No", id="confirm.no", tooltip="Change nothing"),
        Binding("left", "app.focus_previous", "Previous", id="confirm.previous", show=False),
        Binding("right", "app.focus_next", "Next", id="confirm.next", show=False),
    ]

    def __init__(self, title: str, lines: Sequence[str], confirm: str, *, warning: str | None = None) -> None:
        """`lines` say what changes (shown literally); `confirm` labels the confirm button
        (`Strike #12`); `warning`, when given, stands out below them."""
        super().__init__()
        self.title_text = title
        self.lines = tuple(lines)
        self.confirm_label = confirm
        self.warning = warning

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box") as box:
            box.border_title = printable(self.title_text)
            for line in self.lines:
                yield Static(literal(line))
            if self.warning:
                yield Static(literal(self.warning), classes="confirm-warning")
            with Horizontal(classes="confirm-buttons"):
                yield Button(Content("Cancel"), id="confirm-cancel")
                yield Button(Content(printable(self.confirm_label)), id="confirm-yes", variant="error")
            yield Static(classes="dialog-error")
            yield Label("y confirms · n or Esc cancels · Enter presses the highlighted button", classes="dialog-hint")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "confirm-yes")

    def action_confirm(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)
