"""The list of incidents, most recently active first."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from storage import ops
from storage.db import Store

SEVERITY_STYLE = {1: "bold red", 2: "bold yellow"}


class IncidentListScreen(Screen[None]):
    """Every incident in the record; Enter opens the highlighted one."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", "Open", id="incidents.open", tooltip="Open the highlighted incident"),
        Binding("r", "refresh", "Refresh", id="incidents.refresh", tooltip="Read the list again"),
    ]

    def __init__(self, store: Store) -> None:
        super().__init__()
        self.store = store

    def compose(self) -> ComposeResult:
        yield Header()
        yield DataTable(id="incidents", cursor_type="row", zebra_stripes=True)
        yield Static("No incidents yet. Declare one with: warroom declare --help", id="empty-list")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Reference", "Sev", "Status", "IC", "Title")
        self.action_refresh()

    def action_refresh(self) -> None:
        table = self.query_one(DataTable)
        table.clear()
        rows = ops.list_incidents(self.store)
        for row in rows:
            table.add_row(
                Text(row.ref),
                Text(f"SEV{row.severity}", style=SEVERITY_STYLE.get(row.severity, "")),
                Text(row.status),
                Text(row.commander or "—"),
                Text(row.title),
                key=row.ref,
            )
        self.query_one("#empty-list").display = not rows
        table.display = bool(rows)

    def action_open(self) -> None:
        table = self.query_one(DataTable)
        if table.row_count:
            ref = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
            if ref is not None:
                self.app.open_incident(ref)  # type: ignore[attr-defined]

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is not None:
            self.app.open_incident(event.row_key.value)  # type: ignore[attr-defined]
