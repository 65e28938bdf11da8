"""Edit one action item: title, owner, priority, due date, ticket link, state."""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Input, Label, Select, Static

from screens.dialog import Dialog
from storage import ops
from storage.db import Store
from storage.errors import WarroomError
from storage.models import ACTION_ITEM_STATES, PRIORITIES, ActionItem
from widgets.literal_input import LiteralInput
from widgets.text import literal


class ActionItemDialog(Dialog[bool]):
    """Ctrl+S saves; dismisses with True when the item changed."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", id="action_item.save", tooltip="Save the action item"),
    ]

    def __init__(self, store: Store, ref: str, item: ActionItem) -> None:
        super().__init__()
        self.store = store
        self.ref = ref
        self.item = item

    def compose(self) -> ComposeResult:
        item = self.item
        with Vertical(classes="dialog-box") as box:
            box.border_title = "Action item"
            yield LiteralInput(item.title, id="title", placeholder="title")
            yield LiteralInput(item.owner, id="owner", placeholder="owner")
            yield Select([(p, p) for p in PRIORITIES], value=item.priority, allow_blank=False, id="priority")
            yield LiteralInput(item.due_date.isoformat() if item.due_date else "", id="due", placeholder="due date, YYYY-MM-DD")
            yield LiteralInput(item.ticket_url, id="ticket", placeholder="ticket link")
            yield Select([(s.replace("_", " "), s) for s in ACTION_ITEM_STATES], value=item.state, allow_blank=False, id="state")
            yield Label(literal(f"Tags: {item.tags.replace(',', ', ')}"), classes="dialog-hint")
            yield Static(classes="dialog-error")
            yield Label("Ctrl+S saves · Esc cancels", classes="dialog-hint")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.action_save()

    def action_save(self) -> None:
        due_text = self.query_one("#due", Input).value.strip()
        try:
            due = date.fromisoformat(due_text) if due_text else None
        except ValueError:
            self.show_error(f"{due_text!r} is not a date: use YYYY-MM-DD")
            return
        try:
            ops.update_action_item(
                self.store,
                self.ref,
                self.item.id,  # type: ignore[arg-type]
                title=self.query_one("#title", Input).value,
                owner=self.query_one("#owner", Input).value,
                priority=str(self.query_one("#priority", Select).value),
                due_date=due,
                ticket_url=self.query_one("#ticket", Input).value,
                state=str(self.query_one("#state", Select).value),
            )
        except WarroomError as exc:
            self.show_error(str(exc))
            return
        self.dismiss(True)
