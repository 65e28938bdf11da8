"""The post-mortem editor's action items: the table, the warnings, adding and editing one
(the dialog returns the edit; the screen's record writer writes it)."""

from __future__ import annotations

from functools import partial

from rich.text import Text
from textual.widgets import DataTable, Input, Select, Static

from screens.postmortem_writes import WritingScreen
from storage import ops, postmortem
from storage.models import ActionItem
from widgets.text import literal, printable


class ActionItemsScreen(WritingScreen):
    """A writing screen with the post-mortem's action-item table (`#action-table`, `#action-title`,
    `#action-owner`, `#action-priority`, `#action-warnings`)."""

    def _load_actions(self) -> None:
        self._show_actions(ops.action_items(self.store, self.ref))

    def _show_actions(self, items: list[ActionItem]) -> None:
        table = self.query_one("#action-table", DataTable)
        table.clear()
        for item in items:
            table.add_row(
                literal(item.priority),
                literal(item.title),
                literal(item.owner or "—"),
                literal(item.due_date.isoformat() if item.due_date else "—"),
                literal(item.state),
                literal(item.tags.replace(",", ", ")),
                key=str(item.id),
            )
        warnings = postmortem.action_item_warnings(items)
        self.query_one("#action-warnings", Static).update(Text("\n".join(f"⚠ {printable(w)}" for w in warnings)))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        from screens.action_item import ActionItemDialog, ActionItemEdit

        item_id = int(event.row_key.value or 0)
        item = next((i for i in ops.action_items(self.store, self.ref) if i.id == item_id), None)
        if item is None:
            return

        def edited(edit: ActionItemEdit | None) -> None:
            if edit is None:
                self._load_actions()
                return
            self.write(
                "Action item",
                partial(ops.update_action_item, self.store, self.ref, edit.item_id, **edit.fields()),
                lambda _: self._load_actions(),
                partial(self.refused, "Not saved"),
            )

        self.app.push_screen(ActionItemDialog(item), edited)

    def _add_action(self) -> None:
        title = self.query_one("#action-title", Input)
        owner = self.query_one("#action-owner", Input)
        priority = self.query_one("#action-priority", Select).value
        typed = (title.value, owner.value)

        def added(_: object) -> None:
            if (title.value, owner.value) == typed:  # not typed over meanwhile
                title.value = ""
                owner.value = ""
                title.focus()
            self._load_actions()

        self.write(
            "Action item",
            partial(ops.add_action_item, self.store, self.ref, title.value, owner=owner.value, priority=str(priority)),
            added,
            partial(self.refused, "Not added"),
        )
