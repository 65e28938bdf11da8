"""The warroom Textual application."""

from __future__ import annotations

from typing import ClassVar

from textual.app import App
from textual.binding import Binding, BindingType

from storage.db import Store
from tui.theme import WARROOM_THEME


class WarroomApp(App[None]):
    """Opens on an incident (the one asked for, else the most recently active open one)
    or, with none, on the incident list."""

    TITLE = "warroom"
    CSS_PATH = "app.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", "Quit", id="app.quit", tooltip="Leave warroom"),
        Binding("f1", "help", "Keys", id="app.help", tooltip="Show every key", show=False),
    ]

    def __init__(self, store: Store, *, ref: str | None = None) -> None:
        super().__init__()
        self.store = store
        self.initial_ref = ref

    def on_mount(self) -> None:
        from storage import ops

        self.register_theme(WARROOM_THEME)
        self.theme = WARROOM_THEME.name
        from screens.incident_list import IncidentListScreen

        self.push_screen(IncidentListScreen(self.store))
        ref = self.initial_ref or ops.most_recent_open(self.store)
        if ref is not None:
            self.open_incident(ref)

    def open_incident(self, ref: str) -> None:
        """Show one incident."""
        from screens.incident import IncidentScreen

        self.push_screen(IncidentScreen(self.store, ref))

    def action_help(self) -> None:
        self.action_show_help_panel()
