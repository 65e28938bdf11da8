"""Typed times on the wrong day are never accepted silently (issue 10, point 6).

A time the zone skips or shows twice is refused with the choices named, the same way
after `@` and in `--at`; a time in the future, before the incident started or further back
than `confirm_times_older_than` is written only once confirmed (`ops.log(confirmed=True)`,
`--yes`, or a yes at the terminal).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Protocol
from zoneinfo import ZoneInfo

import click
import pytest
from click.testing import CliRunner, Result
from hypothesis import given, settings
from hypothesis import strategies as st

from storage import live, ops
from storage.clock import FrozenClock
from storage.db import Store
from storage.errors import ConfigError, InvalidInput, NeedsConfirmation
from storage.grammar import ScribeLineError, parse_scribe_line
from storage.policy import Policy, load_policy
from storage.timeparse import parse_when, time_concerns
from tests.conftest import NOW
from tui.cli import common as cli_common

BERLIN = ZoneInfo("Europe/Berlin")
HOURS_3 = timedelta(hours=3)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def declare(store: Store, at: datetime | None = None) -> str:
    return ops.declare(store, severity=2, functionality="login", state="failing", audience="all", at=at).ref


def texts(store: Store, ref: str) -> list[str]:
    return [row.text for row in live.event_rows(store, ref)[0]]


# --- the rule, as a pure function ------------------------------------------------------


def concerns(at: datetime, *, now: datetime = NOW, start: datetime | None = None) -> list[str]:
    return time_concerns(at, now=now, tz=BERLIN, older_than=HOURS_3, incident_start=start)


def test_a_recent_past_time_after_the_start_raises_no_concern() -> None:
    assert concerns(NOW - timedelta(minutes=5), start=NOW - timedelta(hours=1)) == []
    assert concerns(NOW - HOURS_3, start=None) == []  # exactly the limit is fine
    assert concerns(NOW + timedelta(seconds=60)) == []  # clock skew is not the future


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (NOW + timedelta(minutes=35), "in the future: 35m from now"),
        (NOW + timedelta(hours=10), "in the future: tomorrow, 10h from now"),
        (utc(2026, 11, 22, 15, 0), "yesterday, 23h40m ago"),
        (NOW - timedelta(days=2), "Sat 21 Nov, 2d ago"),
        (NOW - timedelta(hours=3, minutes=1), "3h1m ago"),
        (utc(2025, 12, 31, 12, 0), "Wed 31 Dec 2025, 327d2h40m ago"),
    ],
)
def test_each_concern_is_worded_for_a_person(at: datetime, expected: str) -> None:
    assert concerns(at) == [expected]


def test_before_the_start_names_the_start_in_the_zone() -> None:
    start = utc(2026, 11, 23, 14, 30, 27)  # 15:30:27 CET
    assert concerns(NOW - timedelta(minutes=20), start=start) == ["before the incident started (15:30)"]
    assert concerns(utc(2026, 11, 23, 14, 30), start=start) == []  # the minute it started is not before it
    assert concerns(utc(2026, 11, 23, 14, 29), start=start) == ["before the incident started (15:30)"]
    yesterday = utc(2026, 11, 22, 20, 0)
    assert (
        concerns(yesterday - timedelta(minutes=1), start=yesterday)[0]
        == "before the incident started (yesterday 21:00)"
    )


def test_several_concerns_are_all_named() -> None:
    assert concerns(NOW - timedelta(days=2), start=NOW - timedelta(hours=1)) == [
        "before the incident started (14:40)",
        "Sat 21 Nov, 2d ago",
    ]


def test_no_limit_on_how_far_back_when_none() -> None:
    assert time_concerns(NOW - timedelta(days=30), now=NOW, tz=BERLIN, older_than=None) == []


# --- the policy setting ----------------------------------------------------------------


def test_the_limit_is_three_hours_by_default(policy: Policy) -> None:
    assert policy.confirm_times_older_than == HOURS_3


def test_the_limit_is_configurable(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('confirm_times_older_than = "45m"\n')
    assert load_policy(path).confirm_times_older_than == timedelta(minutes=45)
    path.write_text('confirm_times_older_than = "soon"\n')
    with pytest.raises(ConfigError, match=r"confirm_times_older_than: 'soon' is not a duration"):
        load_policy(path)
    path.write_text("confirm_times_older_than = 3\n")
    with pytest.raises(ConfigError, match=r"confirm_times_older_than: expected a duration in quotes"):
        load_policy(path)


# --- ops.log enforces it ---------------------------------------------------------------


def test_a_clock_time_later_than_now_is_yesterday_and_needs_a_confirmation(store: Store, clock: FrozenClock) -> None:
    # The case: `@16:00` typed at 15:24 was filed on the day before without a word.
    clock.set(utc(2026, 11, 23, 14, 24))  # 15:24 in Berlin
    ref = declare(store, at=NOW - timedelta(days=3))
    with pytest.raises(NeedsConfirmation) as err:
        ops.log(store, ref, "@16:00 deploy started")
    assert err.value.concerns == ["yesterday, 23h24m ago"]
    assert err.value.at == utc(2026, 11, 22, 15, 0)
    assert str(err.value) == ("2026-11-22 16:00 CET is yesterday, 23h24m ago: confirm it to write it at that time")
    assert "deploy started" not in texts(store, ref)
    event = ops.log(store, ref, "@16:00 deploy started", confirmed=True)
    assert event.occurred_at == utc(2026, 11, 22, 15, 0)


def test_two_days_back_needs_a_confirmation(store: Store) -> None:
    ref = declare(store, at=NOW - timedelta(days=3))
    with pytest.raises(NeedsConfirmation) as err:
        ops.log(store, ref, "@-2d backup failed")
    assert err.value.concerns == ["Sat 21 Nov, 2d ago"]
    assert ops.log(store, ref, "@-2d backup failed", confirmed=True).occurred_at == NOW - timedelta(days=2)


def test_a_separate_time_is_held_to_the_same_rule(store: Store) -> None:
    ref = declare(store, at=NOW - timedelta(days=3))
    with pytest.raises(NeedsConfirmation, match="Sat 21 Nov, 2d ago"):
        ops.log(store, ref, "backup failed", at=NOW - timedelta(days=2))
    assert ops.log(store, ref, "backup failed", at=NOW - timedelta(hours=2)).occurred_at == NOW - timedelta(hours=2)


def test_a_time_before_the_incident_started_needs_a_confirmation(store: Store) -> None:
    ref = declare(store, at=NOW - timedelta(minutes=10))  # 15:30 in Berlin
    with pytest.raises(NeedsConfirmation) as err:
        ops.log(store, ref, "@-20m pager fired")
    assert err.value.concerns == ["before the incident started (15:30)"]
    assert ops.log(store, ref, "@-20m pager fired", confirmed=True).occurred_at == NOW - timedelta(minutes=20)


@pytest.mark.parametrize("milestone", ["started", "detected"])
def test_the_start_is_the_earliest_of_declaration_started_and_detected(store: Store, milestone: str) -> None:
    ref = declare(store, at=NOW - timedelta(minutes=10))
    ops.set_milestone(store, ref, milestone, at=NOW - timedelta(hours=1))
    assert ops.log(store, ref, "@-20m pager fired").occurred_at == NOW - timedelta(minutes=20)
    with pytest.raises(NeedsConfirmation, match=r"before the incident started \(14:40\)"):
        ops.log(store, ref, "@-61m earlier still")


def test_a_future_time_needs_a_confirmation_and_is_logged_once_confirmed(store: Store) -> None:
    ref = declare(store, at=NOW - timedelta(minutes=30))
    with pytest.raises(NeedsConfirmation) as err:
        ops.log(store, ref, "@2026-11-23T16:15 maintenance window opens")
    assert err.value.concerns == ["in the future: 35m from now"]
    assert err.value.at == utc(2026, 11, 23, 15, 15)
    event = ops.log(store, ref, "@2026-11-23T16:15 maintenance window opens", confirmed=True)
    assert event.occurred_at == utc(2026, 11, 23, 15, 15)
    assert event.logged_at == NOW
    with pytest.raises(NeedsConfirmation, match="in the future"):
        ops.log(store, ref, "window closes", at=NOW + timedelta(hours=1))
    assert ops.log(store, ref, "window closes", at=NOW + timedelta(hours=1), confirmed=True).occurred_at == (
        NOW + timedelta(hours=1)
    )


def test_a_line_without_a_time_needs_no_confirmation(store: Store, clock: FrozenClock) -> None:
    ref = declare(store)
    assert ops.log(store, ref, "now is always fine").occurred_at == NOW
    # a line that waited in the queue happened when it was entered, asked about nothing
    clock.advance(hours=5)
    assert ops.log(store, ref, "entered earlier", entered_at=NOW).occurred_at == NOW


def test_a_line_that_waited_counts_from_when_it_was_entered(store: Store, clock: FrozenClock) -> None:
    ref = declare(store, at=NOW - timedelta(hours=1))
    clock.advance(hours=4)  # the database was held for hours
    event = ops.log(store, ref, "@-10m cache flushed", entered_at=NOW)
    assert event.occurred_at == NOW - timedelta(minutes=10)
    with pytest.raises(NeedsConfirmation, match="in the future: 50m from now"):
        ops.log(store, ref, "@2026-11-23T16:30 later", entered_at=NOW)


def test_the_configured_limit_is_used(db_url: str, tmp_path: Path, clock: FrozenClock) -> None:
    path = tmp_path / "config.toml"
    path.write_text('timezone = "Europe/Berlin"\nconfirm_times_older_than = "30m"\n')
    with Store(db_url, policy=load_policy(path), clock=clock) as store:
        ref = declare(store, at=NOW - timedelta(hours=2))
        assert ops.log(store, ref, "@-30m fine").occurred_at == NOW - timedelta(minutes=30)
        with pytest.raises(NeedsConfirmation, match="45m ago"):
            ops.log(store, ref, "@-45m asked")


@pytest.mark.parametrize(
    ("now", "line", "message"),
    [
        (
            utc(2026, 3, 29, 13, 24),
            "@02:30 pager fired",
            (
                "02:30 does not exist on Sun 29 Mar 2026 in Europe/Berlin (clocks jumped from 02:00 to 03:00): "
                "write 01:59 or 03:00, or give an offset: 2026-03-29T02:30+01:00"
            ),
        ),
        (
            utc(2026, 10, 25, 13, 24),
            "@02:30 pager fired",
            (
                "02:30 on Sun 25 Oct 2026 happened twice in Europe/Berlin: "
                "write 2026-10-25T02:30+02:00 (first, CEST) or 2026-10-25T02:30+01:00 (second, CET)"
            ),
        ),
    ],
)
def test_a_time_that_does_not_exist_or_is_ambiguous_is_refused(
    store: Store, clock: FrozenClock, now: datetime, line: str, message: str
) -> None:
    clock.set(now)
    ref = declare(store, at=now - timedelta(hours=20))
    with pytest.raises(ScribeLineError) as err:
        ops.log(store, ref, line, confirmed=True)  # no confirmation makes it one time
    assert message in str(err.value)
    assert not isinstance(err.value, NeedsConfirmation)
    assert "pager fired" not in texts(store, ref)


def test_the_same_rule_is_offered_before_writing(store: Store) -> None:
    ref = declare(store, at=NOW - timedelta(minutes=10))
    incident = ops.get_incident(store, ref)
    start = ops.incident_start(incident.declared_at, ops.milestones(store, ref))
    parsed, found = ops.line_concerns(store, "@-20m !pager fired", start=start)
    assert (parsed.text, parsed.key, parsed.occurred_at) == ("pager fired", True, NOW - timedelta(minutes=20))
    assert found == ["before the incident started (15:30)"]
    assert ops.line_concerns(store, "no time given", start=start)[1] == []
    assert ops.line_concerns(store, "@-5m fine", start=start)[1] == []
    with pytest.raises(ScribeLineError):
        ops.line_concerns(store, "/bogus x", start=start)
    assert ops.time_concerns_for(store, ref, NOW - timedelta(minutes=20)) == ["before the incident started (15:30)"]
    assert ops.time_concerns_for(store, ref, NOW - timedelta(minutes=20), milestone="started") == []


# --- `@` and `--at` read a typed time the same way ------------------------------------


@settings(max_examples=300, deadline=None)
@given(
    now=st.sampled_from(
        [
            utc(2026, 3, 29, 0, 50),
            utc(2026, 3, 29, 1, 20),
            utc(2026, 3, 30, 0, 20),
            utc(2026, 10, 25, 0, 50),
            utc(2026, 10, 25, 1, 10),
            utc(2026, 10, 25, 1, 45),
            utc(2026, 10, 26, 0, 30),
            NOW,
        ]
    )
    | st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 1, 1), timezones=st.just(UTC)),
    hour=st.integers(0, 23),
    minute=st.integers(0, 59),
    iso=st.booleans(),
)
def test_at_sign_and_dash_dash_at_agree_on_every_wall_time(now: datetime, hour: int, minute: int, iso: bool) -> None:
    day = now.astimezone(BERLIN).date() - timedelta(days=int(iso and minute % 2))
    typed = f"{day.isoformat()}T{hour:02}:{minute:02}" if iso else f"{hour:02}:{minute:02}"
    fake_store = SimpleNamespace(now=lambda: now, policy=SimpleNamespace(tz=BERLIN))
    try:
        from_option = cli_common.parse_at(fake_store, typed, allow_future=True)  # type: ignore[arg-type]
    except InvalidInput as err:
        with pytest.raises(ScribeLineError) as line_err:
            parse_scribe_line(f"@{typed} x", now=now, tz=BERLIN)
        assert str(err) in str(line_err.value)
        return
    assert from_option is not None
    assert parse_scribe_line(f"@{typed} x", now=now, tz=BERLIN).occurred_at == from_option
    assert from_option.astimezone(BERLIN).strftime("%H:%M") == f"{hour:02}:{minute:02}"


# --- the command line -------------------------------------------------------------------


class Run(Protocol):
    """The `run` fixture: one `warroom` command on the test database, checked for its exit code."""

    def __call__(self, *args: str, code: int = 0, stdin: str | None = None) -> Result: ...


@pytest.fixture
def run(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Run:
    """The CLI in-process, on the test database, with the clock frozen at NOW (stdin not a terminal)."""
    monkeypatch.setenv("WARROOM_FROZEN_TIME", "2026-11-23T14:40:00Z")
    runner = CliRunner()

    def invoke(*args: str, code: int = 0, stdin: str | None = None) -> Result:
        result = runner.invoke(
            main_command(), [args[0], "--db", db_url, *args[1:]], input=stdin, catch_exceptions=False
        )
        assert result.exit_code == code, result.output + result.stderr
        return result

    return invoke


def main_command() -> click.Group:
    from tui.cli import main

    return main


def cli_declare(run: Run, at: str = "-10m") -> str:
    result = run(
        "declare",
        "--sev",
        "1",
        "--functionality",
        "login",
        "--state",
        "failing",
        "--audience",
        "EU customers",
        "--ic",
        "Dana",
        "--at",
        at,
        "--yes",
    )
    return result.stdout.split()[0]


def test_cli_log_refuses_a_time_needing_confirmation_without_yes(run: Run) -> None:
    ref = cli_declare(run)
    result = run("log", ref, "@16:00 deploy started", code=1)
    assert result.stderr == (
        "warroom: 2026-11-22 16:00:00 CET is before the incident started (15:30); yesterday, 23h40m ago: "
        "add --yes to write it at that time\n"
    )
    assert "deploy started" not in run("timeline", ref).stdout
    assert run("log", ref, "@16:00 deploy started", "--yes").stdout == "#3 note at 2026-11-22 16:00:00 CET\n"
    assert run("log", ref, "-y", "@-20m", "pager").stdout == "#4 note at 2026-11-23 15:20:00 CET\n"


def test_cli_log_at_option_follows_the_same_rule(run: Run) -> None:
    ref = cli_declare(run, "-4h")
    assert run("log", ref, "fine", "--at", "-3h").stdout == "#3 note at 2026-11-23 12:40:00 CET\n"  # the limit
    result = run("log", ref, "backup failed", "--at", "-2d", code=1)
    assert "Sat 21 Nov, 2d ago" in result.stderr and "--yes" in result.stderr
    result = run("log", ref, "window opens", "--at", "2026-11-23T16:15", code=1)
    assert "in the future: 35m from now" in result.stderr
    assert run("log", ref, "window opens", "--at", "2026-11-23T16:15", "--yes").stdout == (
        "#4 note at 2026-11-23 16:15:00 CET\n"
    )


def test_cli_asks_at_a_terminal(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    ref = cli_declare(run)
    monkeypatch.setattr(cli_common, "_interactive", lambda: True)
    result = run("log", ref, "@-20m pager fired", stdin="n\n", code=1)
    assert (
        "2026-11-23 15:20:00 CET is before the incident started (15:30). Write it at that time? [y/N]" in result.stderr
    )
    assert "nothing written: the time was not confirmed" in result.stderr
    assert "pager fired" not in run("timeline", ref).stdout
    assert run("log", ref, "@-20m pager fired", stdin="y\n").stdout == "#3 note at 2026-11-23 15:20:00 CET\n"
    result = run("sev", ref, "2", "--at", "-20m", stdin="y\n")
    assert result.stdout.endswith("is now SEV2\n")


@pytest.mark.parametrize(
    ("args", "concern"),
    [
        (("sev", "{ref}", "2", "--at", "-20m"), "before the incident started (15:30)"),
        (("status", "{ref}", "identified", "--at", "-4h"), "4h ago"),
        (("role", "{ref}", "scribe", "Lee", "--at", "-20m"), "before the incident started (15:30)"),
        (("milestone", "{ref}", "mitigated", "--at", "-20m"), "before the incident started (15:30)"),
        (("milestone", "{ref}", "started", "--at", "-4h"), "4h ago"),
        (("update", "{ref}", "internal", "initial", "--at", "-20m"), "before the incident started (15:30)"),
        (("resolve", "{ref}", "--force", "--at", "-20m"), "before the incident started (15:30)"),
    ],
)
def test_every_at_option_follows_the_rule(run: Run, args: tuple[str, ...], concern: str) -> None:
    ref = cli_declare(run)
    before = run("export", ref, "--format", "json").stdout
    result = run(*(a.format(ref=ref) for a in args), code=1)
    assert concern in result.stderr and "add --yes" in result.stderr
    assert run("export", ref, "--format", "json").stdout == before
    run(*(a.format(ref=ref) for a in args), "--yes")
    assert run("export", ref, "--format", "json").stdout != before


def test_a_started_milestone_before_the_declaration_is_no_concern(run: Run) -> None:
    ref = cli_declare(run)
    assert run("milestone", ref, "started", "--at", "-1h").stdout == "started at 2026-11-23 14:40:00 CET\n"
    assert run("log", ref, "@-50m pager fired").stdout == "#4 note at 2026-11-23 14:50:00 CET\n"


def test_declare_at_follows_the_rule(run: Run) -> None:
    result = run(
        "declare", "--sev", "2", "--functionality", "x", "--state", "down", "--audience", "all", "--at", "-5h", code=1
    )
    assert "5h ago: add --yes" in result.stderr
    assert "No incidents" in run("list").stdout
    run("declare", "--sev", "2", "--functionality", "x", "--state", "down", "--audience", "all", "--at", "-5h", "-y")


def test_cli_refuses_an_ambiguous_time_the_same_way_in_at_and_in_the_line(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WARROOM_FROZEN_TIME", "2026-10-25T13:24:00Z")
    ref = cli_declare(run, "-1h")
    expected = (
        "02:30 on Sun 25 Oct 2026 happened twice in Europe/Berlin: "
        "write 2026-10-25T02:30+02:00 (first, CEST) or 2026-10-25T02:30+01:00 (second, CET)"
    )
    from_option = run("log", ref, "pager fired", "--at", "02:30", "--yes", code=1).stderr
    from_line = run("log", ref, "@02:30 pager fired", "--yes", code=1).stderr
    assert from_option == f"warroom: {expected}\n"
    assert expected in from_line
    assert expected in run("milestone", ref, "started", "--at", "02:30", "--yes", code=1).stderr
    assert run("log", ref, "pager fired", "--at", "2026-10-25T02:30+01:00", "--yes").stdout == (
        "#3 note at 2026-10-25 02:30:00 CET\n"
    )


def test_cli_refuses_a_skipped_time(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WARROOM_FROZEN_TIME", "2026-03-29T13:24:00Z")
    ref = cli_declare(run, "-1h")
    result = run("sev", ref, "2", "--at", "02:30", "--yes", code=1)
    assert result.stderr == (
        "warroom: 02:30 does not exist on Sun 29 Mar 2026 in Europe/Berlin (clocks jumped from 02:00 to 03:00): "
        "write 01:59 or 03:00, or give an offset: 2026-03-29T02:30+01:00\n"
    )


@pytest.mark.parametrize("text", ["9999-12-31T23:59Z", "2028-01-01T00:00", "0001-01-01T00:00", "1969-12-31T23:59Z"])
def test_a_time_beyond_any_incident_is_refused_even_to_confirm(text: str) -> None:
    with pytest.raises(InvalidInput, match=r"1970|a year ahead"):
        parse_when(text, now=NOW, tz=ZoneInfo("America/New_York"), allow_future=True)


def test_a_far_future_line_is_refused_not_stored(store: Store) -> None:
    ref = declare(store)
    with pytest.raises(InvalidInput, match="a year ahead"):
        ops.log(store, ref, "@9999-12-31T23:59Z far", confirmed=True)
    assert "far" not in texts(store, ref)
