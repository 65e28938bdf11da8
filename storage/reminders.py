"""Reminders the IC asks for (`/remind 10m check the canary`) and the snoozes of overdue
updates' reminders, as the record keeps them: events of kind `reminder` whose `detail`
says what each one does (pure: no database library, so `storage.lite` reads them too).

    due 2026-11-23T14:50:00+00:00       a reminder set (the text says what, and when)
    snooze #12 2026-11-23T14:55:00+00:00  reminder #12 moved to a later time
    done #12                           reminder #12 dismissed
    quiet internal 2026-11-23T15:10:00+00:00  no reminders of the overdue internal update until then

A struck event does nothing. `reminder_state` reads the events into what is open now.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo

REMIND_COMMAND = "/remind"
"""The scribe-line command that sets a reminder."""
REMINDER_KIND = "reminder"
"""The event kind of every reminder event."""
REMINDER_SNOOZE = timedelta(minutes=5)
"""How far a snooze moves a reminder."""
UPDATE_SNOOZE = timedelta(minutes=15)
"""How long a snooze quiets the reminders of an overdue update."""
_PREFIX = "Remind at "


@dataclass(frozen=True)
class Reminder:
    """One open reminder: event `seq` set it, due at `due_at` (moved when snoozed)."""

    seq: int
    text: str
    due_at: datetime
    author: str
    snoozed: bool = False


@dataclass(frozen=True)
class ReminderState:
    """The open reminders, soonest first, and until when each overdue update is quiet."""

    open: tuple[Reminder, ...] = ()
    quiet_until: Mapping[str, datetime] = field(default_factory=dict)

    def reminder(self, seq: int) -> Reminder | None:
        """The open reminder event `seq` set, None when there is none."""
        return next((reminder for reminder in self.open if reminder.seq == seq), None)


NO_REMINDERS = ReminderState()


def _utc(at: datetime) -> str:
    return at.astimezone(UTC).isoformat()


def due_detail(due: datetime) -> str:
    """The detail of a reminder set for `due`."""
    return f"due {_utc(due)}"


def snooze_detail(seq: int, until: datetime) -> str:
    """The detail of reminder #`seq` snoozed until `until`."""
    return f"snooze #{seq} {_utc(until)}"


def done_detail(seq: int) -> str:
    """The detail of reminder #`seq` dismissed."""
    return f"done #{seq}"


def quiet_detail(countdown: str, until: datetime) -> str:
    """The detail of the overdue `countdown`'s reminders snoozed until `until`."""
    return f"quiet {countdown} {_utc(until)}"


def clock_text(at: datetime, *, tz: tzinfo, now: datetime) -> str:
    """`15:50` in `tz`, with the day (`Tue 24 Nov 15:50`) when it is not today's."""
    local = at.astimezone(tz)
    if local.date() == now.astimezone(tz).date():
        return f"{local:%H:%M}"
    return f"{local:%a %d %b %H:%M}"


def reminder_text(due: datetime, text: str, *, tz: tzinfo, now: datetime) -> str:
    """The timeline text of a reminder: `Remind at 15:50: check the canary`."""
    return f"{_PREFIX}{clock_text(due, tz=tz, now=now)}: {text}"


def what_of(text: str) -> str:
    """What a reminder's timeline text reminds of (`check the canary`)."""
    if text.startswith(_PREFIX) and ": " in text:
        return text.partition(": ")[2]
    return text


def _time(value: str) -> datetime | None:
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        return None
    return at if at.tzinfo is not None else None


def _seq(value: str) -> int | None:
    return int(value[1:]) if value.startswith("#") and value[1:].isdigit() else None


def reminder_state(events: Iterable[tuple[int, str, str, str | None, bool]]) -> ReminderState:
    """What the reminder events (`seq, author, text, detail, struck`, in number order) leave
    open; an event whose detail this version does not know is skipped."""
    found: dict[int, Reminder] = {}
    quiet: dict[str, datetime] = {}
    for seq, author, text, detail, struck in events:
        if struck or not detail:
            continue
        verb, _, rest = detail.partition(" ")
        if verb == "due" and (due := _time(rest)) is not None:
            found[seq] = Reminder(seq, what_of(text), due, author)
            continue
        target, _, when = rest.partition(" ")
        if verb == "done" and (number := _seq(target)) is not None:
            found.pop(number, None)
        elif verb == "snooze" and (number := _seq(target)) in found and (until := _time(when)) is not None:
            found[number] = Reminder(number, found[number].text, until, found[number].author, snoozed=True)
        elif verb == "quiet" and target and (until := _time(when)) is not None:
            quiet[target] = until
    return ReminderState(tuple(sorted(found.values(), key=lambda r: (r.due_at, r.seq))), quiet)


def next_nag(due: datetime, every: timedelta, *, after: datetime, quiet_until: datetime | None) -> datetime | None:
    """When an update overdue since `due` is next reminded of: the first of `due + every`,
    `due + 2 every`, ... later than `after` (the last reminder) and not before `quiet_until`
    (a snooze); None when `every` is zero (no reminders)."""
    if every <= timedelta(0):
        return None
    start = max(after, quiet_until - timedelta(microseconds=1)) if quiet_until is not None else after
    steps = max(1, (start - due) // every + 1)
    return due + steps * every
