"""One timeline event in full, with its earlier versions; edit or strike it (the dialog
returns the change; its caller writes it)."""

from __future__ import annotations

from typing import ClassVar, NamedTuple

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Input, Label, Static

from screens.dialog import Dialog
from storage import ops
from storage.db import Store
from storage.errors import WarroomError
from storage.models import TYPED_KINDS
from storage.ops.record import when_given
from widgets.literal_input import LiteralInput
from widgets.text import printable


class EventChange(NamedTuple):
    """What to do to event `seq`: mark it as a key event or unmark it (`key` given), replace
    its text with `text` (a scribe line), or strike it when both are None (the earlier
    version is kept each way)."""

    seq: int
    text: str | None = None
    key: bool | None = None


class EventDialog(Dialog[EventChange]):
    """Shows the event; Ctrl+S asks for an edit, Ctrl+T for a strike, Ctrl+O for a key mark.

    Dismisses with the `EventChange` asked for; an edit that is not a scribe line is
    refused in the dialog."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save edit", id="event.save", tooltip="Replace the text (the old one is kept)"),
        Binding("ctrl+t", "strike", "Strike", id="event.strike", tooltip="Strike the event through"),
        Binding("ctrl+o", "key_mark", "Key event", id="event.key_mark",
                tooltip="Mark the event as a key event, or unmark it (the old version is kept)"),
    ]

    def __init__(self, store: Store, ref: str, seq: int) -> None:
        super().__init__()
        self.store = store
        self.ref = ref
        self.seq = seq

    def compose(self) -> ComposeResult:
        event = next(e for e in ops.timeline(self.store, self.ref) if e.seq == self.seq)
        self.key = event.key
        history = ops.event_history(self.store, self.ref, self.seq)
        tz = self.store.policy.tz
        editable = event.kind in TYPED_KINDS and not event.struck
        with Vertical(classes="dialog-box") as box:
            box.border_title = f"Event #{event.seq}"
            facts = Text.assemble(
                (f"{event.kind}{' · key' if event.key else ''}{' · struck' if event.struck else ''}\n", "bold"),
                f"happened {event.occurred_at.astimezone(tz):%Y-%m-%d %H:%M:%S %Z}, "
                f"logged {event.logged_at.astimezone(tz):%H:%M:%S} by {printable(event.author)}\n",
                f"link: {printable(event.link)}\n" if event.link else "",
            )
            yield Static(facts)
            yield Static(Text(printable(event.text)), id="event-text")
            for revision in history:
                yield Static(
                    Text.assemble(
                        (f"r{revision.revision} ", "dim"),
                        (printable(revision.text), "strike dim" if revision.struck else "dim"),
                        (
                            (
                                f"  replaced {revision.replaced_at.astimezone(tz):%H:%M:%S}"
                                f" by {printable(revision.replaced_by)}"
                            ),
                            "dim",
                        ),
                    )
                )
            if editable:
                prefix = ("!" if event.key else "") + (f"/{event.kind} " if event.kind != "note" else "")
                yield LiteralInput(prefix + event.text, id="edit")
                yield Static(classes="dialog-error")
                yield Label("Ctrl+S saves the edit · Ctrl+T strikes · Ctrl+O key mark · Esc closes",
                            classes="dialog-hint")
            else:
                yield Static(classes="dialog-error")
                reason = "struck" if event.struck else "written by the record"
                yield Label(f"This event is {reason}: it cannot be edited · Ctrl+O key mark · Esc closes",
                            classes="dialog-hint")
        self.editable = editable

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.action_save()

    def action_save(self) -> None:
        if not self.editable:
            return
        text = self.query_one("#edit", Input).value
        try:
            parsed = ops.parse_line(self.store, text)  # read only: the caller writes the edit
            if parsed.occurred_at is not None:
                when_given(self.store, parsed.occurred_at)  # a time to come is refused here, text kept
        except WarroomError as exc:
            self.show_error(str(exc))
            return
        self.dismiss(EventChange(self.seq, text))

    def action_key_mark(self) -> None:
        self.dismiss(EventChange(self.seq, key=not self.key))

    def action_strike(self) -> None:
        if self.editable:
            self.dismiss(EventChange(self.seq))
