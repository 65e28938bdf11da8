"""Resolved SEV1/SEV2 incidents still owing a post-mortem, with their meeting deadlines."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Static

from storage import postmortem
from storage.db import Store
from widgets.footer import KeysFooter
from widgets.text import literal


def _left(seconds: float) -> str:
    """Time to a deadline in days and hours ('2d 4h', 'overdue 5h')."""
    prefix = "overdue " if seconds < 0 else ""
    seconds = abs(seconds)
    days, rest = divmod(int(seconds), 86400)
    hours, rest = divmod(rest, 3600)
    return f"{prefix}{days}d {hours}h" if days else f"{prefix}{hours}h {rest // 60:02d}m"


class PostmortemsDueScreen(Screen[None]):
    """Enter opens the highlighted incident's post-mortem."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Back", id="due.close", tooltip="Back"),
        Binding("r", "reload", "Refresh", id="due.refresh", tooltip="Read again"),
    ]

    def __init__(self, store: Store) -> None:
        super().__init__()
        self.store = store

    def compose(self) -> ComposeResult:
        yield Static(Text("Post-mortems due", style="bold"), id="due-title")
        yield DataTable(id="due", cursor_type="row")
        yield Static("Every resolved SEV1 and SEV2 has a closed post-mortem.", id="due-empty")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns(
            "Reference", "Sev", "Post-mortem", "Owner", "Meeting due", "Left", "Title"
        )
        self.action_reload()

    def on_screen_resume(self) -> None:
        self.action_reload()

    def action_reload(self) -> None:
        table = self.query_one(DataTable)
        table.clear()
        tz = self.store.policy.tz
        now = self.store.now()
        rows = postmortem.needing_postmortem(self.store)
        for due in rows:
            style = "bold red" if due.overdue else ""
            table.add_row(
                literal(due.ref),
                literal(f"SEV{due.severity}"),
                literal(due.status.replace("_", " ")),
                literal(due.owner or "no owner", "" if due.owner else "yellow"),
                literal(due.deadline.astimezone(tz).strftime("%a %d %b %H:%M")),
                literal(_left((due.deadline - now).total_seconds()), style),
                literal(due.title),
                key=due.ref,
            )
        self.query_one("#due-empty").display = not rows

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        from screens.postmortem import PostmortemScreen

        if event.row_key.value is not None:
            self.app.push_screen(PostmortemScreen(self.store, event.row_key.value))

    def action_close(self) -> None:
        self.dismiss(None)
