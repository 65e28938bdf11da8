"""Declare a new incident: severity (with its definition), title parts, impact, customers,
full outage, IC (the dialog returns the declaration; its caller writes it)."""

from __future__ import annotations

import contextlib
from typing import Any, ClassVar, NamedTuple

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Input, Label, Select, Static

from screens.dialog import Dialog
from screens.facts import (
    Facts,
    close_unless_edited,
    fact_rows,
    refused_fact,
    show_preview,
    typed_facts,
)
from storage.db import Store
from storage.errors import WarroomError
from widgets.literal_input import LiteralInput
from widgets.text import literal


class Declaration(NamedTuple):
    """An incident to declare: `ops.declare`'s keyword arguments."""

    severity: int
    functionality: str
    state: str
    audience: str
    customer_impact: str
    quantity_impacted: str
    ic: str | None
    known_impacted_customers: str = ""
    full_outage: bool = False

    def fields(self) -> dict[str, Any]:
        """The keyword arguments of `ops.declare`."""
        return self._asdict()


class DeclareDialog(Dialog[Declaration]):
    """Fill in the incident; Ctrl+S returns the `Declaration` (a missing title part, or one
    the record cannot hold, is refused here). Given `declaration` and `error`, it opens
    filled in, showing why the record refused it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "declare", "Declare", id="declare.submit", tooltip="Declare the incident"),
    ]

    def __init__(self, store: Store, declaration: Declaration | None = None, error: str | None = None) -> None:
        super().__init__()
        self.store = store
        self.declaration = declaration
        self.refusal = error

    def compose(self) -> ComposeResult:
        severities = self.store.policy.severities
        given = self.declaration
        facts = Facts(*(getattr(given, name) for name in Facts._fields)) if given is not None else Facts()
        with VerticalScroll(classes="dialog-box") as box:
            box.border_title = "Declare an incident"
            box.can_focus = False  # Tab goes from field to field; a focused field scrolls into view
            yield Horizontal(
                Label("Severity", classes="fact-label"),
                Select(
                    [(f"SEV{level} {sev.name}", level) for level, sev in severities.items()],
                    value=given.severity if given is not None else next(iter(severities)),
                    allow_blank=False,
                    id="severity",
                    compact=True,
                ),
                classes="fact-row",
            )
            yield Static(id="definition", classes="dialog-hint fact-note")
            yield from fact_rows(facts)
            yield Static(id="owner", classes="dialog-hint fact-note")
            yield Horizontal(
                Label("Commander", classes="fact-label"),
                LiteralInput((given.ic or "") if given is not None else "", placeholder="incident commander (optional)",
                             id="ic", compact=True),
                classes="fact-row",
            )
            yield Static(classes="dialog-error")
            yield Label("Tab moves · Ctrl+S declares · Esc cancels", classes="dialog-hint")

    def on_mount(self) -> None:
        self.show_error(self.refusal)
        self._describe()
        show_preview(self, self.store)
        self.query_one("#owner", Static).display = False
        self._look_up_owner(self.query_one("#functionality", Input).value)
        self.query_one("#functionality", Input).focus()

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "severity":
            self._describe()

    def on_input_changed(self, event: Input.Changed) -> None:
        show_preview(self, self.store)
        if event.input.id == "functionality":
            self._look_up_owner(event.value)

    def _look_up_owner(self, functionality: str) -> None:
        """Say who owns the typed functionality (the service-ownership table), read off the
        UI thread; nothing is said when nobody does."""
        store = self.store

        def read() -> None:
            from storage import services

            try:
                rows = services.ownership(store, functionality) if functionality.strip() else []
            except WarroomError:
                rows = []
            owner = rows[0] if rows else None
            text = ""
            if owner is not None:
                text = f"Owned by {owner.team or owner.service or 'a team'}"
                if owner.service and owner.team:
                    text += f" ({owner.service})"
                if owner.paging_url:
                    text += f" · page {owner.paging_url}"
            with contextlib.suppress(RuntimeError):  # the app closed meanwhile
                self.app.call_from_thread(self._show_owner, functionality, text)

        self.run_worker(read, thread=True, group="owner", exclusive=True, exit_on_error=False, name="owner")

    def _show_owner(self, functionality: str, text: str) -> None:
        """Show `text`, the owner of `functionality`, if that is still what the field holds
        (a look-up for an earlier keystroke can end after a later one's)."""
        if self.is_attached and self.query_one("#functionality", Input).value == functionality:
            owner = self.query_one("#owner", Static)
            owner.update(literal(text))
            owner.display = bool(text)

    def on_checkbox_changed(self) -> None:
        show_preview(self, self.store)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "ic":
            self.action_declare()
        else:
            self.focus_next()

    def _describe(self) -> None:
        level = self.query_one("#severity", Select).value
        if isinstance(level, int):
            self.query_one("#definition", Static).update(literal(self.store.policy.severity(level).definition))

    def action_cancel(self) -> None:
        """Close; when something was typed, only once the user says to discard it."""
        typed = typed_facts(self)._replace(quantity_impacted="Unknown", full_outage=False)
        close_unless_edited(self, typed != Facts() or bool(self.query_one("#ic", Input).value.strip()))

    def action_declare(self) -> None:
        facts = typed_facts(self)
        if refused_fact(self, facts._asdict()):
            return
        self.dismiss(
            Declaration(
                severity=self.query_one("#severity", Select).value,  # type: ignore[arg-type]
                ic=self.query_one("#ic", Input).value.strip() or None,
                **facts._asdict(),
            )
        )
