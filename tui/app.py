"""The warroom Textual application."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen

from storage.db import Store
from tui.theme import WARROOM_THEME


class WarroomApp(App[None]):
    """Opens on an incident (the one asked for, else the most recently active open one)
    or, with none, on the incident list."""

    TITLE = "warroom"
    CSS_PATH = "app.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", "Quit", id="app.quit", tooltip="Leave warroom", priority=True),
        Binding("f1", "help", "Help", id="app.help", tooltip="Every key and the scribe grammar"),
    ]

    def __init__(self, store: Store, *, ref: str | None = None) -> None:
        super().__init__()
        self.store = store
        self.initial_ref = ref

    def on_mount(self) -> None:
        from screens.incident_list import IncidentListScreen
        from storage import ops

        self.register_theme(WARROOM_THEME)
        self.theme = WARROOM_THEME.name
        self.push_screen(IncidentListScreen(self.store))
        ref = self.initial_ref or ops.most_recent_open(self.store)
        if ref is not None:
            self.open_incident(ref)

    def open_incident(self, ref: str) -> None:
        """Show the command screen of one incident (above the incident list)."""
        from screens.command import CommandScreen
        from screens.incident_list import IncidentListScreen

        while len(self.screen_stack) > 2 and not isinstance(self.screen, IncidentListScreen):
            self.pop_screen()
        self.push_screen(CommandScreen(self.store, ref))

    def action_incidents(self) -> None:
        """Back to the incident list."""
        from screens.incident_list import IncidentListScreen

        while len(self.screen_stack) > 2 and not isinstance(self.screen, IncidentListScreen):
            self.pop_screen()
        if isinstance(self.screen, IncidentListScreen):
            self.screen.action_refresh()

    def action_declare(self) -> None:
        """Declare a new incident and open it."""
        from screens.declare import DeclareDialog

        def declared(ref: str | None) -> None:
            if ref is not None:
                self.open_incident(ref)

        self.push_screen(DeclareDialog(self.store), declared)

    def action_help(self) -> None:
        from screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """Every action of the current screen in the command palette, plus the app's own."""
        yield from super().get_system_commands(screen)
        yield SystemCommand("Declare an incident", "Open the declare dialog", self.action_declare)
        yield SystemCommand("Incident list", "All incidents, with filters", self.action_incidents)
        yield SystemCommand("Help: keys and scribe grammar", "Every key of this screen", self.action_help)
        for binding in screen.BINDINGS:
            if isinstance(binding, Binding) and binding.tooltip and binding.show:
                action = getattr(screen, f"action_{binding.action}", None)
                if action is not None:
                    yield SystemCommand(binding.tooltip, f"{binding.description} ({binding.key})", action)
