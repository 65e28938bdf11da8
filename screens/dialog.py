"""A small modal dialog: a titled box, an error line, Escape to cancel."""

from __future__ import annotations

from typing import ClassVar, TypeVar

from textual.binding import Binding, BindingType
from textual.screen import ModalScreen
from textual.widgets import Static

from widgets.text import literal

ResultT = TypeVar("ResultT")


class Dialog(ModalScreen[ResultT]):
    """Base of warroom's dialogs: `show_error` keeps the dialog open with the reason."""

    DEFAULT_CSS = """
    Dialog {
        align: center middle;
    }
    Dialog > .dialog-box {
        width: 76;
        max-width: 100%;
        height: auto;
        max-height: 100%;
        border: thick $primary;
        background: $surface;
        padding: 0 1;
    }
    Dialog .dialog-error {
        color: $error;
        height: auto;
        display: none;
    }
    Dialog .dialog-error.-shown {
        display: block;
    }
    Dialog .dialog-hint {
        color: $text-muted;
        width: 100%;
        height: auto;
    }
    Dialog Input, Dialog Select {
        margin: 0 0 0 0;
    }
    Dialog .fact-row {
        height: auto;
    }
    Dialog .fact-label {
        width: 17;
        color: $text-muted;
    }
    Dialog .fact-row > Input, Dialog .fact-row > Select {
        width: 1fr;
        background: $boost;
    }
    Dialog .fact-note {
        margin: 0 0 0 17;
    }
    Dialog #controls {
        color: $warning;
        display: none;
    }
    Dialog .fact-buttons {
        height: auto;
        margin: 1 0 0 0;
    }
    Dialog .fact-buttons Button {
        margin: 0 2 0 0;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="dialog.cancel", tooltip="Close without changing anything"),
    ]

    def action_cancel(self) -> None:
        self.dismiss(None)

    def show_error(self, message: str | None) -> None:
        """Show why the input was refused (None hides it); nothing typed is cleared."""
        error = self.query_one(".dialog-error", Static)
        error.update(literal(message or ""))
        error.set_class(bool(message), "-shown")
