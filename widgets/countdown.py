"""Countdowns to the next required update, and a titled panel holding several of them.

The parent pushes both the deadlines and "now" (every second, say; a countdown is drawn
again only when its text changes, once a minute away from its deadline): these widgets never
read the clock, so tests and replays control time completely.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from widgets.text import printable

NOT_APPLICABLE = "—"
"""What a countdown without a deadline shows."""

_ZERO = timedelta(0)


def countdown_clock(seconds: int) -> str:
    """`mm:ss` under an hour, `h:mm:ss` otherwise (`seconds` must not be negative)."""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes:02d}:{secs:02d}"


def countdown_minutes(minutes: int) -> str:
    """`23m` under an hour, `1h 05m` otherwise (`minutes` must not be negative)."""
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m"


class Countdown(Widget):
    """One labelled countdown to `due_at`, as seen at `now`.

    Shows the time left, never a clock time. Within `warn_within` of the deadline, on either
    side, to the second: `in 04:59`, `overdue 00:12`; further away to the minute, so that it
    is drawn again once a minute rather than every second: `in 23m` (rounded up, so `in 6m`
    until five minutes are left), `in 1h 05m`, `overdue 12m`, `overdue 2h 00m`. A muted `—`
    when there is no deadline (`due_at` None) or no `now` yet. Carries the class `-warning` within `warn_within` of
    the deadline and `-overdue` from the deadline on. Posts `Countdown.Expired` once when a
    running countdown reaches its deadline; changing `due_at` (a reset) re-arms it.
    """

    DEFAULT_CSS = """
    Countdown {
        height: 1;
        width: 1fr;
        padding: 0 1;
        &.-none {
            color: $text-muted;
        }
        &.-warning {
            color: $warning;
            text-style: bold;
        }
        &.-overdue {
            background: $error;
            color: $text;
            text-style: bold;
        }
    }
    """

    due_at: reactive[datetime | None] = reactive(None)
    """The deadline (aware), or None when this countdown does not apply."""
    now: reactive[datetime | None] = reactive(None, repaint=False)
    """The current time (aware), pushed in by the parent; a countdown repaints only when
    the text it shows changes (its width is fixed: no layout)."""
    warn_within: reactive[timedelta] = reactive(timedelta(minutes=5))
    """How close to the deadline the countdown turns to a warning."""

    class Expired(Message):
        """A running countdown reached its deadline."""

        def __init__(self, countdown: Countdown) -> None:
            super().__init__()
            self.countdown = countdown

        @property
        def control(self) -> Countdown:
            """The countdown that expired."""
            return self.countdown

    def __init__(
        self,
        label: str,
        *,
        name: str,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.label = label
        self._armed: bool | None = None
        """Whether reaching the deadline posts Expired; None: decide at the next `now`."""
        self._state: tuple[bool, bool, bool] | None = None
        """The classes set: no deadline, overdue, warning."""
        self._shown = ""
        """The time text last drawn."""
        self._update_classes()

    @property
    def overdue(self) -> bool:
        """Whether the deadline has been reached."""
        return self.due_at is not None and self.now is not None and self.now >= self.due_at

    @property
    def remaining(self) -> timedelta | None:
        """Time left until the deadline (negative once overdue), None when unknown."""
        if self.due_at is None or self.now is None:
            return None
        return self.due_at - self.now

    def time_text(self) -> str:
        """The time part as shown: `in 04:59`, `in 23m`, `overdue 00:12`, `overdue 2h 00m` or `—`."""
        remaining = self.remaining
        if remaining is None:
            return NOT_APPLICABLE
        seconds = remaining.total_seconds()
        to_the_second = abs(seconds) < self.warn_within.total_seconds()
        if seconds <= 0:
            late = math.floor(-seconds)
            return f"overdue {countdown_clock(late) if to_the_second else countdown_minutes(late // 60)}"
        left = math.ceil(seconds)
        return f"in {countdown_clock(left) if to_the_second or left <= 60 else countdown_minutes(math.ceil(left / 60))}"

    def next_change(self, now: datetime) -> float | None:
        """Seconds from `now` until what this countdown shows changes (its text or its
        warning/overdue class), None without a deadline: to the next second near the
        deadline, else to the next minute or to the start of the warning window."""
        if self.due_at is None or not self.display:
            return None
        remaining = (self.due_at - now).total_seconds()
        window = self.warn_within.total_seconds()
        if remaining > 0:
            seconds_from = max(window, 60.0)  # `time_text` counts seconds from here down
            if remaining <= seconds_from:
                step = remaining % 1 or 1.0
            else:
                step = min(remaining % 60 or 60.0, remaining - seconds_from)
        else:
            late = -remaining
            step = 1.0 - late % 1 if late < window else 60.0 - late % 60
        return step + 0.001  # just past the change

    def watch_due_at(self, due_at: datetime | None) -> None:
        # A new deadline re-arms the countdown unless it is already past.
        self._armed = None if self.now is None else (due_at is not None and self.now < due_at)
        self._update_classes()

    def watch_now(self, now: datetime | None) -> None:
        if now is not None and self.due_at is not None:
            if self._armed is None:
                self._armed = now < self.due_at
            elif self._armed and now >= self.due_at:
                self._armed = False
                self.post_message(self.Expired(self))
        self._update_classes()
        if self.display and (shown := self.time_text()) != self._shown:
            self._shown = shown
            self.refresh()  # a hidden one is drawn as it is shown again (its layout)

    def watch_warn_within(self) -> None:
        self._update_classes()
        self.refresh()

    def _update_classes(self) -> None:
        remaining = self.remaining
        overdue = remaining is not None and remaining <= _ZERO
        state = (remaining is None, overdue, not overdue and remaining is not None and remaining <= self.warn_within)
        if state == self._state:
            return
        self._state = state
        none, overdue, warning = state
        self.set_class(none, "-none")
        self.set_class(overdue, "-overdue")
        self.set_class(warning, "-warning")

    def render(self) -> Content:
        time = self._shown = self.time_text()
        width = self.content_size.width
        label_width = max(0, width - len(time) - 1)
        label = Content(printable(self.label)).truncate(label_width, ellipsis=True, pad=True)
        return Content.assemble(label, " ", time)


class CountdownPanel(Vertical):
    """A box titled "Next updates" holding one `Countdown` per (name, label) spec.

    `update_countdowns(due, now)` pushes deadlines and the time; a countdown whose name is
    missing from `due` is hidden (a `None` deadline is shown as not applicable).
    `set_now(now)` ticks every countdown.
    """

    DEFAULT_CSS = """
    CountdownPanel {
        height: auto;
        border: round $panel-lighten-2;
        border-title-color: $text-muted;
        padding: 0;
    }
    """

    def __init__(
        self,
        specs: Sequence[tuple[str, str]],
        *,
        warn_within: timedelta = timedelta(minutes=5),
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.border_title = "Next updates"
        self._countdowns: dict[str, Countdown] = {}
        for countdown_name, label in specs:
            countdown = Countdown(label, name=countdown_name)
            countdown.warn_within = warn_within
            self._countdowns[countdown_name] = countdown

    def compose(self) -> ComposeResult:
        yield from self._countdowns.values()

    def countdown(self, name: str) -> Countdown:
        """The countdown called `name` (KeyError if there is none)."""
        return self._countdowns[name]

    @property
    def countdowns(self) -> Mapping[str, Countdown]:
        """Every countdown by name, in display order."""
        return dict(self._countdowns)

    def update_countdowns(self, due: Mapping[str, datetime | None], now: datetime) -> None:
        """Set every countdown's deadline from `due` (hiding those missing) and the time."""
        for name, countdown in self._countdowns.items():
            countdown.display = name in due
            # The deadline first: a reset sent together with the tick must not expire.
            countdown.due_at = due.get(name)
            countdown.now = now

    def set_now(self, now: datetime) -> None:
        """Tick: push the current time to every countdown."""
        for countdown in self._countdowns.values():
            countdown.now = now

    def next_change(self, now: datetime) -> float | None:
        """Seconds from `now` until any countdown shown changes (None: none will)."""
        steps = [step for countdown in self._countdowns.values() if (step := countdown.next_change(now)) is not None]
        return min(steps, default=None)
