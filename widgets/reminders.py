"""The reminders the IC asked for, each a countdown to its time, in a box under the
update countdowns; a cursor picks one to dismiss or snooze when the box has the focus.

Like the countdowns, the panel never reads the clock: the parent pushes the reminders and
the time (`show_reminders`, `set_now`) and asks when what it shows next changes
(`next_change`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from textual import events, on
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from widgets.countdown import Countdown


@dataclass(frozen=True)
class ReminderItem:
    """One reminder as shown: the event number that set it, what it says, when it is due."""

    seq: int
    text: str
    due_at: datetime


class ReminderRow(Countdown):
    """A reminder's countdown, which knows the event number that set the reminder."""

    def __init__(self, item: ReminderItem) -> None:
        super().__init__(item.text, name=f"reminder-{item.seq}")
        self.seq = item.seq


def _seq_of(row: Widget) -> int | None:
    """The event number of a reminder's row; None for another widget."""
    return row.seq if isinstance(row, ReminderRow) else None


class ReminderPanel(Vertical, can_focus=True):
    """A box titled "Reminders" with one `Countdown` per reminder, soonest first; hidden
    while there are none. Posts `Due` once when a reminder's time comes (as it is shown),
    `DoneRequested` and `SnoozeRequested` for the reminder under the cursor."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor_up", "Previous reminder", show=False, id="reminders.cursor_up",
                tooltip="Move to the previous reminder"),
        Binding("down", "cursor_down", "Next reminder", show=False, id="reminders.cursor_down",
                tooltip="Move to the next reminder"),
        Binding("d", "done", "Done", id="reminders.done",
                tooltip="In the reminders box: dismiss the selected reminder"),
        Binding("s", "snooze", "Snooze 5m", id="reminders.snooze",
                tooltip="In the reminders box: remind of the selected one again in 5 minutes"),
    ]

    DEFAULT_CSS = """
    ReminderPanel {
        height: auto;
        border: round $panel-lighten-2;
        border-title-color: $text-muted;
        display: none;
        &.-shown {
            display: block;
        }
        &:focus {
            border: round $accent;
            border-title-color: $accent;
        }
        &:focus > Countdown.-cursor {
            text-style: reverse;
        }
    }
    """

    cursor: reactive[int] = reactive(0, init=False)
    """The index of the reminder under the cursor."""

    class Due(Message):
        """Reminder `item`'s time came."""

        def __init__(self, item: ReminderItem) -> None:
            super().__init__()
            self.item = item

    class DoneRequested(Message):
        """The user dismissed reminder `seq`."""

        def __init__(self, seq: int) -> None:
            super().__init__()
            self.seq = seq

    class SnoozeRequested(Message):
        """The user snoozed reminder `seq`."""

        def __init__(self, seq: int) -> None:
            super().__init__()
            self.seq = seq

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.border_title = "Reminders"
        self._items: dict[int, ReminderItem] = {}
        self._rows: dict[int, ReminderRow] = {}

    @property
    def items(self) -> tuple[ReminderItem, ...]:
        """The reminders shown, soonest first."""
        return tuple(self._items.values())

    @property
    def cursor_item(self) -> ReminderItem | None:
        """The reminder under the cursor, None when there are none."""
        items = self.items
        return items[self.cursor] if items else None

    def show_reminders(self, items: Sequence[ReminderItem], now: datetime) -> None:
        """Show `items` (soonest first) as of `now`; a reminder kept keeps its row (and
        whether it has said it is due)."""
        chosen = self.cursor_item
        self._items = {item.seq: item for item in items}
        for seq in [seq for seq in self._rows if seq not in self._items]:
            self._rows.pop(seq).remove()
        for item in items:
            row = self._rows.get(item.seq)
            if row is None:
                row = self._rows[item.seq] = ReminderRow(item)
                row.now = now
                self.mount(row)
            elif row.label != item.text:
                row.label = item.text
                row.refresh()
            row.due_at = item.due_at
            row.now = now
        seqs = list(self._items)
        self.sort_children(key=lambda row: seqs.index(seq) if (seq := _seq_of(row)) in self._items else len(seqs))
        self.cursor = seqs.index(chosen.seq) if chosen is not None and chosen.seq in seqs else self.cursor
        self.set_class(bool(items), "-shown")
        self._show_cursor()

    def set_now(self, now: datetime) -> None:
        """Tick: push the time to every reminder."""
        for row in self._rows.values():
            row.now = now

    def next_change(self, now: datetime) -> float | None:
        """Seconds from `now` until a reminder shown changes (None: none will)."""
        steps = [step for row in self._rows.values() if (step := row.next_change(now)) is not None]
        return min(steps, default=None)

    def validate_cursor(self, cursor: int) -> int:
        return max(0, min(cursor, len(self._items) - 1))

    def watch_cursor(self) -> None:
        self._show_cursor()

    def _show_cursor(self) -> None:
        chosen = self.cursor_item
        for seq, row in self._rows.items():
            row.set_class(chosen is not None and seq == chosen.seq, "-cursor")

    @on(Countdown.Expired)
    def _due(self, event: Countdown.Expired) -> None:
        event.stop()
        seq = _seq_of(event.countdown)
        if seq in self._items:
            self.post_message(self.Due(self._items[seq]))

    @on(events.Click)
    def _click(self, event: events.Click) -> None:
        if event.widget is not None and (seq := _seq_of(event.widget)) in self._items:
            self.cursor = list(self._items).index(seq)

    def action_cursor_up(self) -> None:
        self.cursor -= 1

    def action_cursor_down(self) -> None:
        self.cursor += 1

    def action_done(self) -> None:
        if (item := self.cursor_item) is not None:
            self.post_message(self.DoneRequested(item.seq))

    def action_snooze(self) -> None:
        if (item := self.cursor_item) is not None:
            self.post_message(self.SnoozeRequested(item.seq))
