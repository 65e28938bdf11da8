"""Correct the incident's facts after declaring: title parts, impact, customers, full outage.

`fact_rows` lays the facts out as labelled one-line fields (the declare dialog shows the
same rows); `FactsDialog` opens them filled in and returns what was edited; its caller
writes it (`ops.set_facts`). Nothing typed is lost: a refused value keeps the dialog open,
and Esc asks before discarding an edit.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar, NamedTuple

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from screens.dialog import Dialog
from storage import ops
from storage.db import Store
from storage.errors import InvalidInput
from storage.models import QUANTITIES, Incident
from widgets.literal_input import LiteralInput
from widgets.text import literal

FIELD_IDS: dict[str, str] = {
    "functionality": "functionality",
    "state": "state",
    "audience": "audience",
    "customer_impact": "impact",
    "quantity_impacted": "quantity",
    "known_impacted_customers": "customers",
    "full_outage": "full-outage",
}
"""The id of each fact's field, by the fact's name (`ops.set_facts`' keyword)."""

LABELS: dict[str, str] = {
    "functionality": "Functionality",
    "state": "State",
    "audience": "Audience",
    "customer_impact": "Customer impact",
    "quantity_impacted": "Customers hit",
    "known_impacted_customers": "Known customers",
    "full_outage": "Full outage",
}

PLACEHOLDERS: dict[str, str] = {
    "functionality": "what is affected, e.g. login",
    "state": "how, e.g. failing",
    "audience": "for whom, e.g. EU customers",
    "customer_impact": "what customers see (optional)",
    "known_impacted_customers": "names, e.g. Acme, Globex (optional)",
}


OUTAGE_LABELS = {False: "no", True: "yes: public messages may say so"}
"""The full-outage checkbox's label, by its value."""

PARAGRAPHS = ("customer_impact", "known_impacted_customers")
"""Facts whose text may hold line breaks and tabs (a list of customers, pasted)."""

LAYOUT = str.maketrans({"\n": " ", "\t": " ", "\r": " "})
"""Line breaks and tabs, as spaces: a paragraph may hold them."""


class Facts(NamedTuple):
    """An incident's facts, as stored or as typed."""

    functionality: str = ""
    state: str = ""
    audience: str = ""
    customer_impact: str = ""
    quantity_impacted: str = "Unknown"
    known_impacted_customers: str = ""
    full_outage: bool = False

    @classmethod
    def of(cls, incident: Incident) -> Facts:
        return cls(*(getattr(incident, name) for name in cls._fields))


class FactsEdit(NamedTuple):
    """What the dialog returns: every fact as typed, and those that differ from the record."""

    typed: Facts
    changes: dict[str, str | bool]


def _row(name: str, field: Widget) -> Horizontal:
    return Horizontal(Label(LABELS[name], classes="fact-label"), field, classes="fact-row")


def fact_rows(facts: Facts) -> Iterator[Widget]:
    """The facts as labelled one-line fields (ids in `FIELD_IDS`), with the title they make
    (`#preview`, filled by `show_preview`) under the title parts."""
    for name in ("functionality", "state", "audience"):
        yield _row(name, LiteralInput(getattr(facts, name), placeholder=PLACEHOLDERS[name], id=FIELD_IDS[name],
                                      compact=True))
    yield Static(id="preview", classes="dialog-hint fact-note")
    yield _row("customer_impact", LiteralInput(facts.customer_impact, placeholder=PLACEHOLDERS["customer_impact"],
                                               id="impact", compact=True))
    yield _row("quantity_impacted", Select([(q, q) for q in QUANTITIES], value=facts.quantity_impacted,
                                           allow_blank=False, id="quantity", compact=True))
    yield _row("known_impacted_customers", LiteralInput(facts.known_impacted_customers, id="customers",
                                                        placeholder=PLACEHOLDERS["known_impacted_customers"],
                                                        compact=True))
    yield _row("full_outage", Checkbox(OUTAGE_LABELS[facts.full_outage], facts.full_outage, id="full-outage",
                                       compact=True))
    yield Static(id="controls", classes="dialog-hint fact-note")


def typed_facts(dialog: Dialog[Any]) -> Facts:
    """The facts as typed in `dialog`'s `fact_rows`."""
    text = {name: dialog.query_one(f"#{FIELD_IDS[name]}", Input).value for name in PLACEHOLDERS}
    return Facts(
        **text,
        quantity_impacted=str(dialog.query_one("#quantity", Select).value),
        full_outage=dialog.query_one("#full-outage", Checkbox).value,
    )


def show_preview(dialog: Dialog[Any], store: Store) -> None:
    """The title the typed parts make, and which fields hold control characters (shown as
    pictures, kept as typed): call on every edit."""
    typed = typed_facts(dialog)
    parts = [getattr(typed, name).strip() for name in ops.TITLE_PARTS]
    preview = f"Title: {store.policy.title(*parts)}" if all(parts) else "Title: (every part is needed)"
    dialog.query_one("#preview", Static).update(literal(preview))
    odd = [
        LABELS[name].lower()
        for name, value in typed._asdict().items()
        if isinstance(value, str)
        and not (value.translate(LAYOUT) if name in PARAGRAPHS else value).isprintable()
    ]
    outage = dialog.query_one("#full-outage", Checkbox)
    outage.label = OUTAGE_LABELS[outage.value]
    controls = dialog.query_one("#controls", Static)
    controls.update(literal(f"Control characters in {', '.join(odd)}, shown as ␛ ⏎ …: they are kept as typed."))
    controls.display = bool(odd)


def refused_fact(dialog: Dialog[Any], changes: dict[str, str | bool]) -> bool:
    """Whether a changed fact is one the record refuses (empty title part, NUL, too long):
    the reason shown and its field focused; nothing typed is cleared."""
    for name, value in changes.items():
        if isinstance(value, str):
            try:
                ops.checked_fact(name, value)
            except InvalidInput as exc:
                dialog.show_error(str(exc))
                dialog.query_one(f"#{FIELD_IDS[name]}").focus()
                return True
    return False


class FactsDialog(Dialog[FactsEdit]):
    """Every fact filled in with its current value (or with `typed`, reopened after the
    record refused it with `error`); Ctrl+S or Save returns the `FactsEdit`."""

    AUTO_FOCUS = "#functionality"
    """Focused as the dialog opens, before any key typed after the one that opened it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", id="facts.save", tooltip="Save the changed facts"),
    ]

    def __init__(self, store: Store, current: Facts, typed: Facts | None = None, error: str | None = None) -> None:
        super().__init__()
        self.store = store
        self.current = current
        self.opened_with = typed or current
        self.refusal = error

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog-box facts-box") as box:
            box.border_title = "Incident facts"
            box.can_focus = False  # Tab goes from field to field; a focused field scrolls into view
            yield from fact_rows(self.opened_with)
            yield Static(classes="dialog-error")
            with Horizontal(classes="fact-buttons"):
                yield Button("Save", id="save", variant="primary", compact=True)
                yield Button("Cancel", id="cancel", compact=True)
            yield Label("Tab moves · Ctrl+S saves what changed · Esc cancels", classes="dialog-hint")

    def on_mount(self) -> None:
        self.show_error(self.refusal)
        show_preview(self, self.store)

    def on_input_changed(self) -> None:
        show_preview(self, self.store)

    def on_checkbox_changed(self) -> None:
        show_preview(self, self.store)

    def on_input_submitted(self) -> None:
        self.focus_next()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            self.action_save()
        else:
            self.action_cancel()

    def changes(self) -> dict[str, str | bool]:
        """The facts typed differently from the record (a title part's spaces around it do
        not count: they are not kept)."""
        typed = typed_facts(self)
        changed: dict[str, str | bool] = {}
        for name, value in typed._asdict().items():
            before = getattr(self.current, name)
            if (value.strip() if isinstance(value, str) else value) != before:
                changed[name] = value
        return changed

    def action_save(self) -> None:
        changes = self.changes()
        if not refused_fact(self, changes):
            self.dismiss(FactsEdit(typed_facts(self), changes))

    def action_cancel(self) -> None:
        """Close; when something was edited, only once the IC says to discard it."""
        close_unless_edited(self, typed_facts(self) != self.opened_with or self.refusal is not None)


def close_unless_edited(dialog: Dialog[Any], edited: bool) -> None:
    """Close `dialog` (its result None); when something was typed in it, only once the user
    says to discard it (Esc on the question keeps the dialog open, as it was)."""
    from screens.pickers import Confirm

    if not edited:
        dialog.dismiss(None)
        return

    def answered(discard: bool | None) -> None:
        if discard:
            dialog.dismiss(None)

    dialog.app.push_screen(Confirm("Discard what you typed? Nothing of it is saved."), answered)
