"""Reminders on the command screen: the dialog that sets one (the same as a typed
`/remind` line), and the reminders an overdue update keeps giving until it is sent."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta, tzinfo
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Input, Label, Static

from screens.dialog import Dialog
from storage.errors import WarroomError
from storage.grammar import parse_scribe_line
from storage.reminders import REMIND_COMMAND, next_nag
from widgets.countdown import Countdown
from widgets.literal_input import LiteralInput

__all__ = ["ReminderDialog", "UpdateNags", "reminder_line"]


def reminder_line(when: str, text: str) -> str:
    """The scribe line the dialog's answers make: `/remind 10m text` (a bare number is minutes)."""
    when = when.strip()
    if when.isascii() and when.isdigit():
        when += "m"
    return f"{REMIND_COMMAND} {when} {text.strip()}"


class ReminderDialog(Dialog[str]):
    """Ask when and what to be reminded of; answers the `/remind` line to log (checked
    here first, so a refusal keeps the dialog open with what was typed)."""

    AUTO_FOCUS = "#what"
    """Focused as the dialog opens, before any key typed after the one that opened it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "submit", "Remind", id="reminder.submit", tooltip="Set the reminder"),
    ]

    def __init__(self, now: Callable[[], datetime], tz: tzinfo) -> None:
        """`now` is the record's clock: the answer is checked as of when it is given."""
        super().__init__()
        self.now = now
        self.tz = tz

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box") as box:
            box.border_title = "Remind me"
            yield Label("In how long (minutes, or 1h30m, or a time such as 14:32)")
            yield LiteralInput(value="10", placeholder="minutes", id="when")
            yield Label("Of what")
            yield LiteralInput(placeholder="e.g. check the canary", id="what")
            yield Static(classes="dialog-error")
            yield Label("Enter in the last field or Ctrl+S sets it · Esc cancels", classes="dialog-hint")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "what":
            self.action_submit()
        else:
            self.focus_next()

    def action_cancel(self) -> None:
        """Close; when something was typed, only once the user says to discard it."""
        from screens.facts import close_unless_edited

        edited = self.query_one("#when", Input).value.strip() != "10" or bool(self.query_one("#what", Input).value)
        close_unless_edited(self, edited)

    def action_submit(self) -> None:
        line = reminder_line(self.query_one("#when", Input).value, self.query_one("#what", Input).value)
        try:
            parse_scribe_line(line, now=self.now(), tz=self.tz)
        except WarroomError as exc:
            self.show_error(str(exc))
            return
        self.dismiss(line)


class UpdateNags:
    """When each overdue update countdown reminds again: every `every` after its deadline
    until it is sent (a new deadline) or snoozed (`quiet_until`), counting from when the
    screen first saw it overdue (a screen opened late does not repeat what it missed)."""

    def __init__(self) -> None:
        self._last: dict[tuple[str, datetime], datetime] = {}
        """(countdown, deadline) -> when it last reminded (or was first seen overdue)."""

    def due_now(
        self,
        countdowns: Iterable[Countdown],
        now: datetime,
        every: timedelta | None,
        quiet_until: Mapping[str, datetime],
    ) -> tuple[list[Countdown], float | None]:
        """The countdowns to remind of now, and the seconds until the next reminder."""
        if every is None:
            return [], None
        remind: list[Countdown] = []
        waits: list[float] = []
        seen: set[tuple[str, datetime]] = set()
        for countdown in countdowns:
            due = countdown.due_at
            if due is None or not countdown.display or now < due:
                continue
            key = (str(countdown.name), due)
            seen.add(key)
            last = self._last.setdefault(key, now if now - due >= every else due)
            nag = next_nag(due, every, after=last, quiet_until=quiet_until.get(str(countdown.name)))
            if nag is not None and nag <= now:
                remind.append(countdown)
                self._last[key] = now
                nag = next_nag(due, every, after=now, quiet_until=quiet_until.get(str(countdown.name)))
            if nag is not None:
                waits.append((nag - now).total_seconds() + 0.001)
        for key in [key for key in self._last if key not in seen]:
            del self._last[key]  # sent (a new deadline) or gone
        return remind, min(waits, default=None)
