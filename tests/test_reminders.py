"""Reminders in the record: `/remind` in the scribe grammar (the ORM path and the SQLite
fast path mean the same: see also tests/test_lite.py), dismissing and snoozing them, the
overdue updates' snoozes, the policy's handover and reminder intervals."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from storage import live, ops
from storage.clock import FrozenClock
from storage.db import Store
from storage.errors import ConfigError, InvalidInput, NotFound
from storage.grammar import ScribeLineError, parse_scribe_line
from storage.lengths import EVENT_TEXT
from storage.lite import open_lite
from storage.lite.record import log_line
from storage.lite.view import first_screen
from storage.policy import Policy, load_policy
from storage.reminders import next_nag, reminder_state
from tests.conftest import NOW
from widgets.roster import HandoverTimes, held_mark

BERLIN = ZoneInfo("Europe/Berlin")


def declared(store: Store) -> str:
    return ops.declare(store, severity=2, functionality="login", state="failing", audience="all", ic="Dana").ref


@pytest.mark.parametrize(
    ("line", "text", "due_minutes", "key"),
    [
        ("/remind 10m check the canary", "Remind at 15:50: check the canary", 10, False),
        ("/REMIND 1h30m x", "Remind at 17:10: x", 90, False),
        ("/remind 10 x", None, None, None),
        ("!/remind 16:30 roll back", "Remind at 16:30: roll back", 50, True),
        ("/remind @16:30 roll back", "Remind at 16:30: roll back", 50, False),
        ("/remind @+5m look", "Remind at 15:45: look", 5, False),
        ("/remind 2026-11-24T09:00 call", "Remind at Tue 24 Nov 09:00: call", 17 * 60 + 20, False),
        ("/remind 14:52Z in UTC", "Remind at 15:52: in UTC", 12, False),
    ],
)
def test_remind_sets_a_reminder_due_at_a_time_to_come(
    line: str, text: str | None, due_minutes: int | None, key: bool | None
) -> None:
    if text is None:
        with pytest.raises(ScribeLineError, match="needs a unit"):
            parse_scribe_line(line, now=NOW, tz=BERLIN)
        return
    parsed = parse_scribe_line(line, now=NOW, tz=BERLIN)
    assert (parsed.kind, parsed.text, parsed.key, parsed.occurred_at) == ("reminder", text, key, None)
    assert parsed.detail is not None and parsed.detail.startswith("due ")
    if due_minutes is not None:
        assert parsed.detail == f"due {(NOW + timedelta(minutes=due_minutes)).isoformat()}"


@pytest.mark.parametrize(
    ("line", "said"),
    [
        ("/remind", "/remind needs a time and what to remind of: write /remind 10m check the canary"),
        ("/remind soon", "/remind: 'soon' is not a time; write /remind 10m"),
        ("/remind 10m", "/remind 10m: say what to remind of after the time"),
        ("/remind 15:20 too late", "/remind: '15:20' has passed (15:40 now): give a time to come"),
        ("/remind -5m x", "'-5m' is not a time"),
        ("/remind 25:99 x", "/remind:"),
        ("@-5m /remind 10m x", "a reminder is set now: give its time after /remind"),
        ("/todo /remind 10m x", "kind given twice"),
        ("/remind 10m " + "x" * EVENT_TEXT, "the reminder is"),
        ("/remind 99999h x", "/remind: '99999h' from now is out of range: more than a year ahead"),
        ("/remind 999999999999999h x", "/remind: '999999999999999h' is too long a duration"),
    ],
    ids=lambda value: value[:30] if isinstance(value, str) else None,
)
def test_a_bad_remind_line_is_refused_saying_why(line: str, said: str) -> None:
    with pytest.raises(ScribeLineError) as refused:
        parse_scribe_line(line, now=NOW, tz=BERLIN)
    assert said in str(refused.value)
    assert refused.value.line == line


def test_a_reminder_is_kept_in_the_record_and_read_back_open(store: Store) -> None:
    ref = declared(store)
    event = ops.log(store, ref, "/remind 10m check the canary https://grafana.example.com/d/x")
    assert (event.kind, event.text, event.detail) == (
        "reminder",
        "Remind at 15:50: check the canary https://grafana.example.com/d/x",
        f"due {(NOW + timedelta(minutes=10)).isoformat()}",
    )
    assert event.link == "https://grafana.example.com/d/x"
    (reminder,) = ops.reminders(store, ref).open
    assert (reminder.seq, reminder.text, reminder.due_at, reminder.author, reminder.snoozed) == (
        event.seq, "check the canary https://grafana.example.com/d/x", NOW + timedelta(minutes=10), "tester", False
    )
    assert live.incident_view(store, ref).reminders == ops.reminders(store, ref)


def test_a_line_that_waited_counts_its_reminder_from_when_it_was_entered(store: Store) -> None:
    ref = declared(store)
    event = ops.log(store, ref, "/remind 10m x", entered_at=NOW - timedelta(minutes=4))
    assert event.detail == f"due {(NOW + timedelta(minutes=6)).isoformat()}"


def test_snoozing_and_dismissing_a_reminder_are_recorded(store: Store, clock: FrozenClock) -> None:
    ref = declared(store)
    first = ops.log(store, ref, "/remind 10m check the canary")
    second = ops.log(store, ref, "/remind 20m page the DBA")
    clock.advance(minutes=12)
    snoozed = ops.snooze_reminder(store, ref, first.seq)
    assert (snoozed.kind, snoozed.text) == ("reminder", f"Reminder #{first.seq} snoozed to 15:57: check the canary")
    state = ops.reminders(store, ref)
    assert [(r.seq, r.due_at, r.snoozed) for r in state.open] == [
        (first.seq, NOW + timedelta(minutes=17), True), (second.seq, NOW + timedelta(minutes=20), False)
    ]
    done = ops.reminder_done(store, ref, first.seq)
    assert done.text == f"Reminder #{first.seq} done: check the canary" and done.detail == f"done #{first.seq}"
    assert [r.seq for r in ops.reminders(store, ref).open] == [second.seq]
    with pytest.raises(NotFound, match=f"no open reminder #{first.seq}"):
        ops.reminder_done(store, ref, first.seq)
    with pytest.raises(NotFound, match="no open reminder #1"):
        ops.snooze_reminder(store, ref, 1)  # the declaration, not a reminder
    with pytest.raises(NotFound):
        ops.snooze_reminder(store, ref, 2**80)
    with pytest.raises(InvalidInput, match="positive"):
        ops.snooze_reminder(store, ref, second.seq, snooze=timedelta(0))
    ops.strike_event(store, ref, second.seq)
    assert ops.reminders(store, ref).open == ()
    kinds = [e.kind for e in ops.timeline(store, ref)]
    assert kinds.count("reminder") == 4  # two set, one snoozed, one done: all kept


def test_an_overdue_update_s_reminders_are_snoozed_in_the_record(store: Store) -> None:
    ref = declared(store)
    event = ops.snooze_update_reminders(store, ref, "internal")
    assert event.text == "Internal update reminders snoozed to 15:55"
    assert ops.reminders(store, ref).quiet_until == {"internal": NOW + timedelta(minutes=15)}
    with pytest.raises(InvalidInput, match="unknown countdown 'nope'"):
        ops.snooze_update_reminders(store, ref, "nope")


def test_an_edit_cannot_turn_an_event_into_a_reminder(store: Store) -> None:
    ref = declared(store)
    note = ops.log(store, ref, "check the canary")
    with pytest.raises(InvalidInput, match="log that as a new line"):
        ops.edit_event(store, ref, note.seq, "/remind 10m check the canary")
    reminder = ops.log(store, ref, "/remind 10m x")
    with pytest.raises(InvalidInput, match="cannot be edited"):
        ops.edit_event(store, ref, reminder.seq, "x")


def test_lines_logged_together_keep_a_reminder_s_time(store: Store) -> None:
    ref = declared(store)
    assert ops.log_many(store, ref, [("/remind 5m a", None), ("b", None)]) == 2
    (reminder,) = ops.reminders(store, ref).open
    assert (reminder.text, reminder.due_at) == ("a", NOW + timedelta(minutes=5))


def test_the_fast_path_writes_and_reads_the_same_reminders(tmp_path: Path, policy: Policy, clock: FrozenClock) -> None:
    path = tmp_path / "lite.db"
    with Store(path, policy=policy, clock=clock) as store:
        ref = declared(store)
        ops.log(store, ref, "/remind 30m from the ORM")
        identity = store.identity
    lite = open_lite(str(path), policy=policy, clock=clock, identity=identity, notices=[])
    assert lite is not None
    try:
        logged = log_line(lite, ref, "!/remind 10m from sqlite3")
        assert (logged.kind, logged.key, logged.detail) == (
            "reminder", True, f"due {(NOW + timedelta(minutes=10)).isoformat()}"
        )
        first = first_screen(lite, ref, newest=10)
    finally:
        lite.close()
    assert first is not None
    with Store(path, policy=policy, clock=clock) as store:
        assert first.view.reminders == ops.reminders(store, ref)
        assert [r.text for r in first.view.reminders.open] == ["from sqlite3", "from the ORM"]


def test_the_reminder_kind_is_the_one_the_partial_index_names() -> None:
    from storage.ops.reminders import _KIND
    from storage.reminders import REMINDER_KIND

    assert f"'{REMINDER_KIND}'" == _KIND


def test_reminder_events_this_version_does_not_know_are_skipped() -> None:
    state = reminder_state([
        (1, "a", "Remind at 15:50: x", "due 2026-11-23T14:50:00+00:00", False),
        (2, "a", "?", "due not-a-time", False),
        (3, "a", "?", "snooze #9 2026-11-23T15:00:00+00:00", False),
        (4, "a", "?", "louder #1", False),
        (5, "a", "?", None, False),
    ])
    assert [(r.seq, r.text) for r in state.open] == [(1, "x")]


def test_an_overdue_update_is_reminded_of_at_each_interval_and_after_a_snooze() -> None:
    due, every = NOW, timedelta(minutes=5)
    assert next_nag(due, every, after=due, quiet_until=None) == due + every
    assert next_nag(due, every, after=due + timedelta(minutes=7), quiet_until=None) == due + 2 * every
    assert next_nag(due, every, after=due + every, quiet_until=due + timedelta(minutes=20)) == due + 4 * every
    assert next_nag(due, every, after=due + every, quiet_until=due + timedelta(minutes=18)) == due + 4 * every
    assert next_nag(due, timedelta(0), after=due, quiet_until=None) is None


def test_the_ic_row_offers_a_handover_after_an_hour_and_warns_after_three() -> None:
    times = HandoverTimes(timedelta(hours=1), timedelta(hours=3))
    assert held_mark(NOW, NOW + timedelta(minutes=59), times) is None
    assert held_mark(NOW, NOW + timedelta(hours=1), times) == ("held 1h 00m · offer a handover", False)
    assert held_mark(NOW, NOW + timedelta(hours=3, minutes=5), times) == ("held 3h 05m · hand over now", True)


def write_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text('timezone = "Europe/Berlin"\n' + text)
    return path


def test_the_policy_holds_the_handover_and_reminder_intervals(tmp_path: Path) -> None:
    process = load_policy().process
    assert (process.offer_handover_after, process.hand_over_by, process.remind_overdue_every) == (
        timedelta(hours=1), timedelta(hours=3), timedelta(minutes=5)
    )
    config = '[process]\noffer_handover_after = "45m"\nremind_overdue_every = "never"\n'
    changed = load_policy(write_config(tmp_path, config))
    assert changed.process.offer_handover_after == timedelta(minutes=45)
    assert changed.process.remind_overdue_every is None
    assert changed.process.declare_within == process.declare_within


@pytest.mark.parametrize(
    ("table", "said"),
    [
        ('hand_over_by = "1h"', "process.hand_over_by: 1h must be longer than offer_handover_after (1h)"),
        ('offer_handover_after = "0m"', "process.offer_handover_after: '0m' must be longer than zero"),
        ('remind_overdue_every = "often"', "process.remind_overdue_every:"),
        ('remind_overdu_every = "5m"', "remind_overdu_every"),
    ],
)
def test_bad_handover_or_reminder_intervals_are_refused(tmp_path: Path, table: str, said: str) -> None:
    with pytest.raises(ConfigError) as refused:
        load_policy(write_config(tmp_path, f"[process]\n{table}\n"))
    assert said in str(refused.value)
