"""Declare a new incident: severity (with its definition), name parts, impact, IC (the
dialog returns the declaration; its caller writes it)."""

from __future__ import annotations

from typing import Any, ClassVar, NamedTuple

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Input, Label, Select, Static

from screens.dialog import Dialog
from storage.db import Store
from storage.models import QUANTITIES
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

    def fields(self) -> dict[str, Any]:
        """The keyword arguments of `ops.declare`."""
        return self._asdict()


REQUIRED = ("functionality", "state", "audience")
"""The name parts a declaration cannot go without."""


class DeclareDialog(Dialog[Declaration]):
    """Fill in the incident; Ctrl+S returns the `Declaration` (a missing name part is
    refused here). Given `declaration` and `error`, it opens filled in, showing why the
    record refused it."""

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
        with Vertical(classes="dialog-box") as box:
            box.border_title = "Declare an incident"
            yield Select(
                [(f"SEV{level} {sev.name}", level) for level, sev in severities.items()],
                value=next(iter(severities)),
                allow_blank=False,
                id="severity",
            )
            yield Static(id="definition", classes="dialog-hint")
            yield LiteralInput(placeholder="functionality, e.g. login", id="functionality")
            yield LiteralInput(placeholder="state, e.g. failing", id="state")
            yield LiteralInput(placeholder="audience, e.g. EU customers", id="audience")
            yield Static(id="preview", classes="dialog-hint")
            yield LiteralInput(placeholder="customer impact (optional)", id="impact")
            yield Select([(q, q) for q in QUANTITIES], value="Unknown", allow_blank=False, id="quantity")
            yield LiteralInput(placeholder="incident commander (optional)", id="ic")
            yield Static(classes="dialog-error")
            yield Label("Tab moves · Ctrl+S declares · Esc cancels", classes="dialog-hint")

    def on_mount(self) -> None:
        given = self.declaration
        if given is not None:
            self.query_one("#severity", Select).value = given.severity
            for name, value in (
                ("functionality", given.functionality),
                ("state", given.state),
                ("audience", given.audience),
                ("impact", given.customer_impact),
                ("ic", given.ic or ""),
            ):
                self.query_one(f"#{name}", Input).value = value
            self.query_one("#quantity", Select).value = given.quantity_impacted
        self.show_error(self.refusal)
        self._describe()
        self.query_one("#functionality", Input).focus()

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "severity":
            self._describe()

    def on_input_changed(self, event: Input.Changed) -> None:
        parts = [self.query_one(f"#{name}", Input).value.strip() for name in ("functionality", "state", "audience")]
        preview = self.store.policy.title(*parts) if all(parts) else ""
        self.query_one("#preview", Static).update(literal(preview))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "ic":
            self.action_declare()
        else:
            self.focus_next()

    def _describe(self) -> None:
        level = self.query_one("#severity", Select).value
        if isinstance(level, int):
            self.query_one("#definition", Static).update(literal(self.store.policy.severity(level).definition))

    def _field_value(self, name: str) -> str:
        """The text typed in the field with id `name`."""
        return self.query_one(f"#{name}", Input).value

    def action_declare(self) -> None:
        missing = next((name for name in REQUIRED if not self._field_value(name).strip()), None)
        if missing is not None:
            self.show_error(f"{missing} is required")
            return
        self.dismiss(
            Declaration(
                severity=self.query_one("#severity", Select).value,  # type: ignore[arg-type]
                functionality=self._field_value("functionality"),
                state=self._field_value("state"),
                audience=self._field_value("audience"),
                customer_impact=self._field_value("impact"),
                quantity_impacted=str(self.query_one("#quantity", Select).value),
                ic=self._field_value("ic").strip() or None,
            )
        )
