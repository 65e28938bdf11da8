"""The list of incidents, most recently active first, filtered by status and severity."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import DataTable, Header, Select, Static

from screens.messages import OpenIncident
from storage import ops
from storage.db import Store
from storage.models import STATUSES
from widgets.footer import KeysFooter
from widgets.text import literal, printable

SEVERITY_CLASSES = {1: "bold red", 2: "bold yellow"}


class IncidentListScreen(Screen[None]):
    """Every incident in the record; Enter opens the highlighted one."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="incidents.back", tooltip="Back to the open incident"),
        Binding("n", "app.declare", "Declare", id="incidents.declare", tooltip="Declare a new incident"),
        Binding(
            "p",
            "postmortem",
            "Post-mortem",
            id="incidents.postmortem",
            tooltip="Write the highlighted incident's post-mortem",
        ),
        Binding(
            "d", "due", "Post-mortems due", id="incidents.due", tooltip="Resolved incidents still owing a post-mortem"
        ),
        Binding("i", "app.insights", "Insights", id="incidents.insights", tooltip="Figures across incidents, plotted"),
        Binding("r", "refresh", "Refresh", id="incidents.refresh", tooltip="Read the list again"),
        Binding("s", "focus_filter('status')", "Status filter", id="incidents.status", tooltip="Filter by status"),
        Binding(
            "v", "focus_filter('severity')", "Severity filter", id="incidents.severity", tooltip="Filter by severity"
        ),
    ]

    def __init__(self, store: Store) -> None:
        super().__init__()
        self.store = store

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="incident-filters"):
            yield Select(
                [("open (not resolved)", "open"), *((status, status) for status in STATUSES)],
                prompt="any status",
                id="status",
            )
            yield Select(
                [(f"SEV{level}", level) for level in self.store.policy.severities],
                prompt="any severity",
                id="severity",
            )
        yield DataTable(id="incidents", cursor_type="row", zebra_stripes=True)
        yield Static("No incidents match. Press n to declare one.", id="empty-list")
        yield KeysFooter()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Reference", "Sev", "Status", "IC", "Title")
        self.action_refresh()
        table.focus()

    def on_screen_resume(self) -> None:
        self.action_refresh()

    def on_select_changed(self, event: Select.Changed) -> None:
        self.action_refresh()

    def action_focus_filter(self, which: str) -> None:
        self.query_one(f"#{which}", Select).focus()

    def action_refresh(self) -> None:
        self.sub_title = f"you: {printable(self.store.user)}"
        status = self.query_one("#status", Select).value
        severity = self.query_one("#severity", Select).value
        rows = ops.list_incidents(
            self.store,
            status=status if isinstance(status, str) and status != "open" else None,
            open_only=status == "open",
            severity=severity if isinstance(severity, int) else None,
        )
        table = self.query_one(DataTable)
        table.clear()
        for row in rows:
            table.add_row(
                literal(row.ref),
                literal(f"SEV{row.severity}", SEVERITY_CLASSES.get(row.severity, "")),
                literal(row.status),
                literal(row.commander or "—"),
                literal(row.title),
                key=row.ref,
            )
        self.query_one("#empty-list").display = not rows
        table.display = bool(rows)

    def action_postmortem(self) -> None:
        from screens.postmortem import PostmortemScreen

        table = self.query_one(DataTable)
        if table.row_count:
            ref = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
            if ref is not None:
                self.app.push_screen(PostmortemScreen(self.store, ref))

    def action_due(self) -> None:
        from screens.postmortems_due import PostmortemsDueScreen

        self.app.push_screen(PostmortemsDueScreen(self.store))

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 2:
            self.app.pop_screen()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is not None:
            self.post_message(OpenIncident(event.row_key.value))
