"""One timeline event in full, with its earlier versions; edit, strike or restore it (the
dialog returns the change; its caller writes it)."""

from __future__ import annotations

from datetime import tzinfo
from typing import ClassVar, NamedTuple

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Input, Label, Static

from screens.confirm import ConfirmDialog, quoted
from screens.dialog import Dialog
from storage import ops
from storage.db import Store
from storage.errors import EditConflict, WarroomError
from storage.models import TYPED_KINDS, EventRevision
from storage.ops.record import when_given
from widgets.literal_input import LiteralInput
from widgets.text import literal, printable


class EventChange(NamedTuple):
    """What to do to event `seq`, as seen at `revision`: `edit` (replace its text with
    `text`, a scribe line), `strike`, `restore`, or `key` (mark it a key event or unmark
    it, as `key` says); the earlier version is kept each time."""

    seq: int
    action: str
    revision: int
    text: str | None = None
    key: bool | None = None


class EventDialog(Dialog[EventChange]):
    """Shows the event; Ctrl+S asks for an edit, Ctrl+T for a strike (on a struck event,
    for a restore), each strike or restore after a confirmation; Ctrl+O for a key mark.

    Dismisses with the `EventChange` asked for; an edit that is not a scribe line is
    refused in the dialog."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save edit", id="event.save", tooltip="Replace the text (the old one is kept)"),
        Binding("ctrl+t", "strike", "Strike", id="event.strike", tooltip="Strike the event through (asks first)"),
        Binding("ctrl+t", "restore", "Restore", id="event.restore", tooltip="Take the strike back (asks first)"),
        Binding("ctrl+o", "key_mark", "Key event", id="event.key_mark",
                tooltip="Mark the event as a key event, or unmark it (the old version is kept)"),
    ]

    def __init__(self, store: Store, ref: str, seq: int, *, draft: str | None = None) -> None:
        """`draft`: a line to put in the edit input instead of the event's text (an edit
        refused because another terminal changed the event first, to apply again)."""
        super().__init__()
        self.store = store
        self.ref = ref
        self.seq = seq
        self.draft = draft
        self.editable = False
        self.milestone: str | None = None
        """The milestone this event marks, when it is a standing mark (it can be struck)."""
        self.struck = False
        self.refusal: str | None = None
        """Why the record refuses to strike (struck: restore) this milestone mark, if it does."""
        self.revision = 0
        self.text = ""
        self.key = False

    def compose(self) -> ComposeResult:
        event = ops.get_event(self.store, self.ref, self.seq)
        history = ops.event_history(self.store, self.ref, self.seq)
        tz = self.store.policy.tz
        editable = event.kind in TYPED_KINDS and not event.struck
        self.struck, self.revision, self.text, self.key = event.struck, event.revision, event.text, event.key
        if event.kind == "milestone" and not event.struck and event.detail:
            self.milestone = event.detail
        self.refusal = ops.strike_refusal(self.store, self.ref, self.seq)
        with Vertical(classes="dialog-box") as box:
            box.border_title = f"Event #{event.seq}"
            facts = Text.assemble(
                (f"{event.kind}{' · key' if event.key else ''}{' · ✗ struck' if event.struck else ''}\n", "bold"),
                f"happened {event.occurred_at.astimezone(tz):%Y-%m-%d %H:%M:%S %Z}, "
                f"logged {event.logged_at.astimezone(tz):%H:%M:%S} by {printable(event.author)}\n",
                f"link: {printable(event.link)}\n" if event.link else "",
                _struck_by(history, event.struck, tz),
            )
            yield Static(facts)
            yield Static(Text(printable(event.text), style="strike" if event.struck else ""), id="event-text")
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
                line = self.draft if self.draft is not None else ops.as_line(event.kind, event.text, key=event.key)
                yield LiteralInput(line, id="edit")
                yield Static(classes="dialog-error")
                yield Label("Ctrl+S saves the edit · Ctrl+T strikes · Ctrl+O key mark · Esc closes",
                            classes="dialog-hint")
            elif event.struck:
                if self.draft is not None:  # the edit refused: kept in sight to copy
                    yield Static(Text.assemble(("your edit, not saved: ", "bold"), printable(self.draft)))
                yield Static(classes="dialog-error")
                restores = "it stays struck" if self.refusal else "Ctrl+T restores it"
                yield Label(f"This event is struck: {restores} · Ctrl+O key mark · Esc closes",
                            classes="dialog-hint")
            else:
                yield Static(classes="dialog-error")
                strikes = " · Ctrl+T strikes the mark" if self.milestone and not self.refusal else ""
                yield Label(f"Written by the record: not editable{strikes} · Ctrl+O key mark · Esc closes",
                            classes="dialog-hint")
        self.editable = editable

    def on_mount(self) -> None:
        if self.refusal:  # said up front: Ctrl+T is not offered
            self.call_after_refresh(self.show_error, self.refusal)

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
        self.dismiss(EventChange(self.seq, "edit", self.revision, text))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "save":
            return self.editable
        if action == "strike":
            return self.editable or self.milestone is not None
        if action == "restore":
            return self.struck
        return True

    def action_strike(self) -> None:
        if not (self.editable or self.milestone):
            return
        if self.refusal:
            self.show_error(self.refusal)
            return
        lines = [f"#{self.seq} {quoted(self.text)}", "It stays in the record, marked struck; Ctrl+T on it restores it."]
        if self.milestone:
            label = self.milestone.replace("_", " ")
            lines.append(f"Milestone {label} is then not reached, and a status it set goes back to the one before.")
        lines.append(f"The strike is recorded as yours ({self.store.user}).")
        self._ask("strike", f"Strike event #{self.seq}?", lines, f"Strike #{self.seq}")

    def action_restore(self) -> None:
        if self.struck and self.refusal:
            self.show_error(self.refusal)
        elif self.struck:
            self._ask("restore", f"Restore event #{self.seq}?", [
                f"#{self.seq} {quoted(self.text)}",
                "It counts again; its history keeps the strike and this restore.",
                f"The restore is recorded as yours ({self.store.user}).",
            ], f"Restore #{self.seq}")

    def action_key_mark(self) -> None:
        self.dismiss(EventChange(self.seq, "key", self.revision, key=not self.key))

    def _ask(self, action: str, title: str, lines: list[str], confirm: str) -> None:
        """Confirm, then dismiss with the change; cancelled, the event stays open."""

        def answered(yes: bool | None) -> None:
            if yes:
                self.dismiss(EventChange(self.seq, action, self.revision))

        self.app.push_screen(ConfirmDialog(title, lines, confirm), answered)


def _struck_by(history: list[EventRevision], struck: bool, tz: tzinfo) -> str:
    """`struck 14:40:00 by Lee Chen` for a struck event: who made the strike in force (the
    person who replaced its last unstruck version)."""
    if not struck:
        return ""
    following = [revision.struck for revision in history[1:]] + [True]
    strikes = [revision for revision, after in zip(history, following, strict=True) if not revision.struck and after]
    if not strikes:
        return ""
    return f"struck {strikes[-1].replaced_at.astimezone(tz):%H:%M:%S} by {printable(strikes[-1].replaced_by)}\n"


class ConflictDialog(Dialog[bool]):
    """An edit refused because someone saved a later version of the event first: theirs
    and yours, side by side. True (Enter): open the event again with yours in its edit
    input, to apply again over theirs; Escape keeps theirs only."""

    DEFAULT_CSS = """
    ConflictDialog .conflict-label { text-style: bold; height: auto; margin-top: 1; }
    ConflictDialog .dialog-hint { margin-top: 1; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "again", "Edit again", id="conflict.again", tooltip="Open the event with your text"),
    ]

    def __init__(self, conflict: EditConflict) -> None:
        super().__init__()
        self.conflict = conflict

    def compose(self) -> ComposeResult:
        conflict = self.conflict
        with Vertical(classes="dialog-box") as box:
            box.border_title = f"Event #{conflict.seq} changed: your edit was not saved"
            yield Static(literal(
                f"{conflict.by} saved revision {conflict.revision} after you opened revision {conflict.expected}."
            ))
            yield Label(f"Theirs, in the record{' (struck)' if conflict.struck else ''}:", classes="conflict-label")
            yield Static(literal(conflict.theirs), id="conflict-theirs")
            yield Label("Yours, not saved:", classes="conflict-label")
            yield Static(literal(conflict.yours or ""), id="conflict-yours")
            yield Static(classes="dialog-error")
            yield Label("Enter: edit again, with your text · Esc: keep theirs", classes="dialog-hint")

    def action_again(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)
