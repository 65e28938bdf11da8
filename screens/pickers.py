"""Dialogs of the command screen: severity, status, milestone, role handover, update sent."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.suggester import SuggestFromList
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from screens.dialog import Dialog
from storage.db import Store
from storage.errors import WarroomError
from storage.models import MILESTONES
from storage.timeparse import parse_when
from widgets.literal_input import LiteralInput
from widgets.text import literal, printable


def _parsed_time(store: Store, text: str) -> datetime:
    """A typed time ("now" when blank) in the store's zone and clock."""
    return parse_when(text.strip() or "now", now=store.now(), tz=store.policy.tz)


def _typed_when(dialog: Dialog[Any], store: Store) -> datetime | None:
    """The dialog's `#when` field as a time; None (with the reason shown) if it is not one."""
    field = dialog.query_one("#when", Input)
    try:
        return _parsed_time(store, field.value)
    except WarroomError as exc:
        dialog.show_error(str(exc))
        field.focus()
        return None


class SeverityPicker(Dialog[int]):
    """Choose the incident's new severity; each level shows its definition."""

    def __init__(self, store: Store, current: int) -> None:
        super().__init__()
        self.store = store
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box") as box:
            box.border_title = "Change severity"
            options = []
            for level, severity in self.store.policy.severities.items():
                mark = "  (current)" if level == self.current else ""
                prompt = Text.assemble(
                    (printable(f"SEV{level} {severity.name}{mark}") + "\n", "bold"),
                    (printable(severity.definition), "dim"),
                )
                options.append(Option(prompt, id=str(level), disabled=level == self.current))
            yield OptionList(*options, id="severities")
            yield Static(classes="dialog-error")
            yield Label("Enter chooses · Esc cancels", classes="dialog-hint")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        first = next((i for i, o in enumerate(options.options) if not o.disabled), 0)
        options.highlighted = first

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is not None:
            self.dismiss(int(event.option.id))


STATUS_HINTS: dict[str, str] = {
    "investigating": "the cause is not known yet",
    "identified": "the cause is known; a fix or mitigation is under way",
    "mitigated": "customers are no longer affected; the fix may not be durable yet",
    "resolved": "the incident is over (the resolution criteria are checked first)",
}
"""What each status tells the people reading the updates."""


class StatusPicker(Dialog[str]):
    """Choose the incident's status; the current one is shown and cannot be chosen."""

    def __init__(self, current: str) -> None:
        super().__init__()
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box") as box:
            box.border_title = "Change status"
            options = [
                Option(
                    Text.assemble(
                        (status + ("  (current)" if status == self.current else ""), "bold"), "\n", (hint, "dim")
                    ),
                    id=status,
                    disabled=status == self.current,
                )
                for status, hint in STATUS_HINTS.items()
            ]
            yield OptionList(*options, id="statuses")
            yield Static(classes="dialog-error")
            yield Label("Enter chooses · Esc cancels", classes="dialog-hint")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        order = list(STATUS_HINTS)
        after = order.index(self.current) + 1 if self.current in order else 0
        options.highlighted = min(after, len(order) - 1) if after < len(order) else 0
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is not None:
            self.dismiss(event.option.id)


class MilestonePicker(Dialog[tuple[str, datetime]]):
    """Mark a milestone reached, now or at a typed time."""

    def __init__(self, store: Store, reached: dict[str, datetime]) -> None:
        super().__init__()
        self.store = store
        self.reached = reached

    def compose(self) -> ComposeResult:
        tz = self.store.policy.tz
        with Vertical(classes="dialog-box") as box:
            box.border_title = "Mark a milestone"
            options = []
            for name in MILESTONES:
                at = self.reached.get(name)
                when = f"  reached {at.astimezone(tz):%H:%M:%S}" if at else ""
                options.append(Option(Text.assemble(name.replace("_", " "), (when, "dim")), id=name))
            yield OptionList(*options, id="milestones")
            yield LiteralInput(placeholder="when: now, 14:32, -5m or 2026-11-23T14:32", id="when")
            yield Static(classes="dialog-error")
            yield Label("Enter on a milestone marks it at the time above · Esc cancels", classes="dialog-hint")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        first = next((i for i, name in enumerate(MILESTONES) if name not in self.reached), 0)
        options.highlighted = first
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self._choose(event.option.id)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is not None:
            self._choose(options.get_option_at_index(options.highlighted).id)

    def _choose(self, name: str | None) -> None:
        at = _typed_when(self, self.store) if name is not None else None
        if name is not None and at is not None:
            self.dismiss((name, at))


class HandoverDialog(Dialog[tuple[str, str, datetime]]):
    """Give a role to a person (a handover when the role has one holder)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "submit", "Assign", id="handover.submit", tooltip="Assign the role"),
    ]

    def __init__(self, store: Store, role_name: str, many: bool, holders: Sequence[str], people: Sequence[str]) -> None:
        super().__init__()
        self.store = store
        self.role_name = role_name
        self.many = many
        self.holders = list(holders)
        self.people = sorted(set(people))

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box") as box:
            box.border_title = Content(printable(f"{'Add' if self.many else 'Hand over'}: {self.role_name}"))
            held = ", ".join(self.holders) if self.holders else "nobody"
            yield Label(literal(f"Held by {held}."))
            yield LiteralInput(
                placeholder="person", id="person", suggester=SuggestFromList(self.people, case_sensitive=False)
            )
            yield LiteralInput(placeholder="note, e.g. the component an SME covers (optional)", id="note")
            yield LiteralInput(placeholder="when: now, 14:32, -5m", id="when")
            yield Static(classes="dialog-error")
            yield Label("Enter in the last field or Ctrl+S assigns · Esc cancels", classes="dialog-hint")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "when":
            self.action_submit()
        else:
            self.focus_next()

    def action_submit(self) -> None:
        person = self.query_one("#person", Input).value.strip()
        if not person:
            self.show_error("type the person's name")
            self.query_one("#person", Input).focus()
            return
        at = _typed_when(self, self.store)
        if at is not None:
            self.dismiss((person, self.query_one("#note", Input).value.strip(), at))


UPDATE_CHOICES: tuple[tuple[str, str, str], ...] = (
    ("checkin", "checkin", "Responder check-in done"),
    ("internal", "initial", "Internal: initial message sent"),
    ("internal", "update", "Internal: update sent"),
    ("internal", "resolved", "Internal: resolved message sent"),
    ("status_page", "investigating", "Status page: investigating posted"),
    ("status_page", "update", "Status page: update posted"),
    ("status_page", "resolved", "Status page: resolved posted"),
)
"""(channel, kind, label) of every update that can be recorded as sent."""


class UpdatePicker(Dialog[tuple[str, str]]):
    """Record that an update went out; its countdown starts again."""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box") as box:
            box.border_title = "Record an update as sent"
            yield OptionList(
                *(Option(label, id=f"{channel}:{kind}") for channel, kind, label in UPDATE_CHOICES), id="updates"
            )
            yield Static(classes="dialog-error")
            yield Label("Enter records it now · Esc cancels", classes="dialog-hint")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            channel, kind = event.option.id.split(":", 1)
            self.dismiss((channel, kind))


class Confirm(Dialog[bool]):
    """A yes/no question: Enter confirms, Esc cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "yes", "Yes", id="confirm.yes", tooltip="Go ahead"),
    ]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box") as box:
            box.border_title = "Confirm"
            yield Static(literal(self.question))
            yield Static(classes="dialog-error")
            yield Label("Enter confirms · Esc cancels", classes="dialog-hint")

    def action_yes(self) -> None:
        self.dismiss(True)


class AuthorPicker(Dialog[str]):
    """Show only one author's events: dismisses with the name chosen, or "" for everyone."""

    def __init__(self, authors: Sequence[str], current: str | None, first: str | None) -> None:
        super().__init__()
        self.authors = list(authors)
        self.current = current
        self.first = first

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box") as box:
            box.border_title = "Show the events of"
            options = [Option("everyone", id="")]
            for author in self.authors:
                mark = "  (shown)" if author == self.current else ""
                options.append(Option(Text.assemble(printable(author or "(no name)"), (mark, "dim")), id=author))
            yield OptionList(*options, id="authors")
            yield Label("Enter chooses · Esc cancels", classes="dialog-hint")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        wanted = self.first if self.first is not None and self.first != self.current else self.current
        options.highlighted = self.authors.index(wanted) + 1 if wanted in self.authors else 0
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id or "")
