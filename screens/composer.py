"""Compose a status update from the templates, check it, copy it, record it as sent."""

from __future__ import annotations

from functools import partial
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Input, OptionList, Static, TextArea
from textual.widgets.option_list import Option

from screens.messages import ChangeWritten, WriteRefused
from screens.writer import RecordWriter
from storage import comms, live, sending
from storage.db import Store
from storage.drafts import write_outbox
from storage.errors import WarroomError
from widgets.footer import KeysFooter
from widgets.literal_input import LiteralInput
from widgets.literal_text_area import LiteralTextArea
from widgets.text import literal, printable


class ComposerScreen(Screen[bool]):
    """The six message kinds, each pre-filled from the record and editable; lint warnings
    are shown as you type. Dismisses with True when a message was recorded as sent."""

    DEFAULT_CSS = """
    ComposerScreen #composer-kinds { width: 34; border: round $primary 50%; }
    ComposerScreen #composer-editor { width: 1fr; }
    ComposerScreen #composer-subject { margin: 0; }
    ComposerScreen #composer-body { height: 1fr; border: round $primary 50%; }
    ComposerScreen #composer-body:focus { border: round $primary; }
    ComposerScreen #composer-lint { height: auto; color: $warning; padding: 0 1; }
    ComposerScreen #composer-lint.-clean { color: $success; }
    ComposerScreen #composer-title { height: 1; padding: 0 1; background: $panel; text-style: bold; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "send", "Record as sent", id="composer.send",
                tooltip="Send it through the channel's command if the config names one, and record it as sent"),
        Binding("ctrl+o", "copy", "Copy", id="composer.copy", tooltip="Copy to the clipboard (and save to a file)"),
        Binding("ctrl+r", "refill", "Refill", id="composer.refill", tooltip="Fill again from the record"),
        Binding("escape", "close", "Close", id="composer.close", tooltip="Close; edits are kept until you leave"),
    ]

    def __init__(self, store: Store, ref: str, *, kind: str | None = None) -> None:
        super().__init__()
        self.store = store
        self.ref = ref
        self.kind = kind or self._suggested_kind()
        self.edited: dict[str, comms.Draft] = {}
        """Drafts by kind, as edited in this screen."""
        self._confirm_send = False
        self._sending = False
        self.writer = RecordWriter(self, store, ref, retry=False)
        self.lint_context = comms.lint_context(store, ref)

    def _suggested_kind(self) -> str:
        view = live.incident_view(self.store, self.ref)
        internal = [channel for channel, _ in view.updates if channel == "internal"]
        if view.status == "resolved":
            return "internal_resolved"
        return "internal_update" if internal else "internal_initial"

    def compose(self) -> ComposeResult:
        yield Static(literal(f"Compose an update · {self.ref}"), id="composer-title")
        with Horizontal():
            kinds = OptionList(
                *(Option(kind.label, id=name) for name, kind in comms.MESSAGE_KINDS.items()), id="composer-kinds"
            )
            kinds.border_title = "Message"
            yield kinds
            with Vertical(id="composer-editor"):
                yield LiteralInput(placeholder="subject", id="composer-subject")
                body = LiteralTextArea(id="composer-body", soft_wrap=True, show_line_numbers=False)
                body.border_title = "Body"
                yield body
                yield Static(id="composer-lint")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.writer.start(outliving_target=True)
        kinds = self.query_one(OptionList)
        kinds.highlighted = list(comms.MESSAGE_KINDS).index(self.kind)
        self._show_draft(self.kind)
        self.query_one("#composer-body", TextArea).focus()

    def _draft(self, kind: str) -> comms.Draft:
        return self.edited.get(kind) or comms.draft_message(self.store, self.ref, kind)

    def _show_draft(self, kind: str) -> None:
        """Fill the subject and body with the draft of message kind `kind`."""
        self.kind = kind
        draft = self._draft(kind)
        self.query_one("#composer-subject", Input).value = draft.subject
        self.query_one("#composer-body", TextArea).text = draft.body
        self.query_one("#composer-body", TextArea).border_title = f"Body · {comms.MESSAGE_KINDS[kind].label}"
        self._lint()

    def current(self) -> comms.Draft:
        """The message as it stands in the editor."""
        base = self._draft(self.kind)
        return comms.Draft(
            kind=base.kind,
            channel=base.channel,
            update_kind=base.update_kind,
            subject=self.query_one("#composer-subject", Input).value,
            body=self.query_one("#composer-body", TextArea).text,
        )

    def _lint(self) -> list[str]:
        warnings = comms.lint(self.current(), self.lint_context)
        lint = self.query_one("#composer-lint", Static)
        lint.set_class(not warnings, "-clean")
        lint.update(Text("\n".join(f"⚠ {printable(w)}" for w in warnings) if warnings else "✓ no problems found"))
        return warnings

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id and event.option.id != self.kind:
            self.edited[self.kind] = self.current()
            self._show_draft(event.option.id)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.query_one("#composer-body", TextArea).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        self._confirm_send = False
        self._lint()

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        self._confirm_send = False
        self._lint()

    def action_refill(self) -> None:
        self.edited.pop(self.kind, None)
        self._show_draft(self.kind)

    def action_copy(self) -> None:
        draft = self.current()
        text = f"{draft.subject}\n\n{draft.body}\n" if draft.subject else f"{draft.body}\n"
        self.app.copy_to_clipboard(text)
        try:
            path = write_outbox(f"{self.ref}-{self.kind}", text, self.store.url)
        except (OSError, WarroomError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else str(exc)
            self.notify(f"Copied to the clipboard; saving a copy failed: {reason}", severity="warning", markup=False)
            return
        self.notify(
            f"Copied to the clipboard (if your terminal allows it). Also saved to {path}",
            title="Copied",
            timeout=8,
            markup=False,
        )

    def action_send(self) -> None:
        warnings = self._lint()
        if warnings and not self._confirm_send:
            self._confirm_send = True
            self.notify(
                f"{len(warnings)} problem(s) above. Press Ctrl+S again to record it as sent anyway.",
                title="Check before sending",
                severity="warning",
                markup=False,
            )
            return
        if self._sending:
            return
        self._sending = True
        draft = self.current()
        sender = self.store.policy.senders.get(draft.channel)
        if sender is not None:  # (it may take its time: say so, and stay open until it is done)
            self.notify(
                f"Running {printable(sender.command[0])} (at most {sender.timeout.total_seconds():g} s)…",
                title="Sending", markup=False,
            )
        self.writer.outbox.send("Update sent", partial(sending.send, self.store, self.ref, draft))

    def on_change_written(self, message: ChangeWritten) -> None:
        said = getattr(message.result, "said", None)  # (`sending.Sent`: what the send command printed)
        if said:
            self.app.notify(said, title="Sent", markup=False)
        if self.is_current:  # not closed meanwhile
            self.dismiss(True)

    def on_write_refused(self, message: WriteRefused) -> None:
        self._sending = False
        title = "Not sent" if isinstance(message.error, sending.SendFailed) else "Not recorded"
        self.notify(str(message.error), title=title, severity="error", timeout=15, markup=False)

    def on_unmount(self) -> None:
        self.writer.finish()

    def action_close(self) -> None:
        if self._sending:  # (closed, the composer could not say what the command came to)
            self.notify("The send command is still running: wait for its outcome.", title="Sending",
                        severity="warning", markup=False)
            return
        self.dismiss(False)
