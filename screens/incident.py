"""A read-only view of one incident: its summary and timeline."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Footer, Header, RichLog, Static

from storage import ops
from storage.db import Store

SEVERITY_STYLE = {1: "bold red", 2: "bold yellow"}


class IncidentScreen(Screen[None]):
    """Summary, roles and timeline of one incident."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Incidents", id="incident.back", tooltip="Back to the incident list"),
        Binding("r", "refresh", "Refresh", id="incident.refresh", tooltip="Read the incident again"),
    ]

    def __init__(self, store: Store, ref: str) -> None:
        super().__init__()
        self.store = store
        self.ref = ref

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="incident-summary")
        yield RichLog(id="incident-timeline", wrap=True, markup=False, highlight=False)
        yield Footer()

    def on_mount(self) -> None:
        self.action_refresh()

    def action_refresh(self) -> None:
        incident = ops.get_incident(self.store, self.ref)
        tz = self.store.policy.tz
        holders = [h for h in ops.role_history(self.store, self.ref) if h.ended_at is None]
        roles = ", ".join(f"{self.store.policy.role(h.role).name}: {h.person}" for h in holders) or "no roles held"
        summary = Text.assemble(
            (f"SEV{incident.severity} ", SEVERITY_STYLE.get(incident.severity, "bold")),
            (incident.ref, "bold"),
            " ",
            ops.title_of(self.store, incident),
            f"  [{incident.status}]\n",
            roles,
        )
        self.query_one("#incident-summary", Static).update(summary)
        log = self.query_one(RichLog)
        log.clear()
        for event in ops.timeline(self.store, self.ref):
            line = Text.assemble(
                (f"#{event.seq:<4} ", "dim"),
                event.occurred_at.astimezone(tz).strftime("%H:%M:%S "),
                (f"{event.kind:<9} ", "bold" if event.key else ""),
                (f"{event.author}: ", "dim"),
                Text(event.text, style="bold" if event.key else ""),
            )
            if event.struck:
                line.stylize("strike")
            log.write(line)

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 2:
            self.app.pop_screen()
        else:
            from screens.incident_list import IncidentListScreen

            self.app.switch_screen(IncidentListScreen(self.store))
