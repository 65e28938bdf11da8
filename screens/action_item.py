"""Edit one action item: title, owner, priority, due date, ticket link, state (the dialog
returns the edit; its caller writes it)."""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar, NamedTuple

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Input, Label, Select, Static

from screens.dialog import Dialog
from storage.models import ACTION_ITEM_STATES, PRIORITIES, ActionItem
from widgets.literal_input import LiteralInput
from widgets.text import literal


class ActionItemEdit(NamedTuple):
    """The fields of action item `item_id` as edited (`ops.update_action_item`'s)."""

    item_id: int
    title: str
    owner: str
    priority: str
    due_date: date | None
    ticket_url: str
    state: str

    def fields(self) -> dict[str, Any]:
        """The keyword arguments of `ops.update_action_item`."""
        return {key: value for key, value in self._asdict().items() if key != "item_id"}


class ActionItemDialog(Dialog[ActionItemEdit]):
    """Ctrl+S dismisses with the item as edited (a due date that is not a date is refused here)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", id="action_item.save", tooltip="Save the action item"),
    ]

    def __init__(self, item: ActionItem) -> None:
        super().__init__()
        self.item = item

    def compose(self) -> ComposeResult:
        item = self.item
        with Vertical(classes="dialog-box") as box:
            box.border_title = "Action item"
            yield LiteralInput(item.title, id="title", placeholder="title")
            yield LiteralInput(item.owner, id="owner", placeholder="owner")
            yield Select([(p, p) for p in PRIORITIES], value=item.priority, allow_blank=False, id="priority")
            yield LiteralInput(
                item.due_date.isoformat() if item.due_date else "", id="due", placeholder="due date, YYYY-MM-DD"
            )
            yield LiteralInput(item.ticket_url, id="ticket", placeholder="ticket link")
            yield Select(
                [(s.replace("_", " "), s) for s in ACTION_ITEM_STATES], value=item.state, allow_blank=False, id="state"
            )
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
        assert self.item.id is not None
        self.dismiss(
            ActionItemEdit(
                self.item.id,
                title=self.query_one("#title", Input).value,
                owner=self.query_one("#owner", Input).value,
                priority=str(self.query_one("#priority", Select).value),
                due_date=due,
                ticket_url=self.query_one("#ticket", Input).value,
                state=str(self.query_one("#state", Select).value),
            )
        )
