"""Ask who is at the keyboard, at the first start of the app when no name is set."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Static

from screens.dialog import Dialog
from storage.identity import name_problem
from widgets.literal_input import LiteralInput
from widgets.text import literal


class NameDialog(Dialog[str]):
    """Your name, offered with `suggestion` (the login name) filled in.

    Enter returns the name typed; Esc returns None, for the caller to go on with the
    suggestion for this run only. A name that cannot be used stays, with the reason.
    """

    AUTO_FOCUS = "#name"

    def __init__(self, suggestion: str, saved_in: str) -> None:
        super().__init__()
        self.suggestion = suggestion
        self.saved_in = saved_in
        """Where the name will be kept (the config file), to say so."""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box") as box:
            box.border_title = "Who are you?"
            yield Static(
                literal("Your name goes on everything you log, update, edit and sign off here."),
                classes="dialog-hint",
            )
            yield LiteralInput(value=self.suggestion, placeholder="your name, e.g. Dana Okafor", id="name")
            yield Static(classes="dialog-error")
            yield Static(
                literal(
                    f"Enter saves it as user in {self.saved_in} · "
                    f"Esc: {self.suggestion} for this run only"
                ),
                classes="dialog-hint",
            )

    def on_input_changed(self, event: Input.Changed) -> None:
        self.show_error(None)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        problem = name_problem(event.value)
        if problem is not None:
            self.show_error(f"Not saved: {problem}")
            return
        self.dismiss(event.value.strip())
