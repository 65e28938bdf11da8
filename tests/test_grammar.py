"""Tests for storage.grammar: the one-line scribe grammar."""

from __future__ import annotations

import dataclasses
import itertools
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storage.errors import InvalidInput, WarroomError
from storage.grammar import (
    EVENT_KINDS_TYPED,
    KIND_COMMANDS,
    ScribeLine,
    ScribeLineError,
    find_link,
    parse_scribe_line,
)

NOW = datetime(2026, 11, 23, 14, 40, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")  # UTC+1 in November
PREFIX_CHARS = "@!/\\"


def parse(line: str, *, now: datetime = NOW, tz: tzinfo = BERLIN) -> ScribeLine:
    return parse_scribe_line(line, now=now, tz=tz)


def parse_error(line: str) -> ScribeLineError:
    with pytest.raises(ScribeLineError) as err:
        parse(line)
    assert err.value.line == line
    message = str(err.value)
    assert message and "\n" not in message and len(message) < 300
    return err.value


# --- the basics -----------------------------------------------------------------------


def test_event_kinds() -> None:
    assert EVENT_KINDS_TYPED == ("note", "action", "decision", "todo", "query", "comms")
    assert KIND_COMMANDS == ("/note", "/action", "/decision", "/todo", "/query", "/comms")


def test_plain_text_is_a_note() -> None:
    assert parse("checked the dashboards") == ScribeLine(text="checked the dashboards")


def test_scribe_line_defaults_and_immutability() -> None:
    line = ScribeLine(text="x")
    assert (line.kind, line.key, line.occurred_at, line.link) == ("note", False, None, None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        line.text = "y"  # type: ignore[misc]


def test_the_specification_example() -> None:
    assert parse("@-5m !/decision roll back the deploy") == ScribeLine(
        text="roll back the deploy",
        kind="decision",
        key=True,
        occurred_at=NOW - timedelta(minutes=5),
    )


@pytest.mark.parametrize("kind", EVENT_KINDS_TYPED)
def test_each_kind_command(kind: str) -> None:
    assert parse(f"/{kind} something happened") == ScribeLine(text="something happened", kind=kind)


@pytest.mark.parametrize("command", ["/DECISION", "/Decision", "/dEcIsIoN"])
def test_commands_are_case_insensitive(command: str) -> None:
    assert parse(f"{command} ship it").kind == "decision"


@pytest.mark.parametrize(
    "line",
    ["!Database failover started", "! Database failover started", "!   Database failover started"],
)
def test_key_marker(line: str) -> None:
    assert parse(line) == ScribeLine(text="Database failover started", key=True)


@pytest.mark.parametrize("line", ["!/decision x", "! /decision x", "/decision !x", "/decision ! x"])
def test_key_marker_with_a_kind(line: str) -> None:
    assert parse(line) == ScribeLine(text="x", kind="decision", key=True)


@pytest.mark.parametrize("order", list(itertools.permutations(["@-5m", "!", "/todo"])))
def test_prefixes_in_any_order(order: tuple[str, ...]) -> None:
    expected = ScribeLine(
        text="page the DBA", kind="todo", key=True, occurred_at=NOW - timedelta(minutes=5)
    )
    assert parse(" ".join(order) + " page the DBA") == expected


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("@14:32", datetime(2026, 11, 23, 13, 32, tzinfo=UTC)),  # Berlin wall clock
        ("@14:32:05", datetime(2026, 11, 23, 13, 32, 5, tzinfo=UTC)),
        ("@16:00", datetime(2026, 11, 22, 15, 0, tzinfo=UTC)),  # later than now: yesterday
        ("@-5m", NOW - timedelta(minutes=5)),
        ("@-1h30m", NOW - timedelta(hours=1, minutes=30)),
        ("@-90s", NOW - timedelta(seconds=90)),
        ("@now", NOW),
        ("@2026-11-23T14:32:00Z", datetime(2026, 11, 23, 14, 32, tzinfo=UTC)),
        ("@2026-11-23T14:32", datetime(2026, 11, 23, 13, 32, tzinfo=UTC)),
        ("@2026-11-23T14:32:00+01:00", datetime(2026, 11, 23, 13, 32, tzinfo=UTC)),
    ],
)
def test_time_prefix(token: str, expected: datetime) -> None:
    result = parse(f"{token} database failover")
    assert result == ScribeLine(text="database failover", occurred_at=expected)
    assert result.occurred_at is not None and result.occurred_at.tzinfo is UTC


def test_time_prefix_is_dst_safe() -> None:
    now = datetime(2026, 3, 29, 1, 20, tzinfo=UTC)  # 03:20 CEST, just after the skipped hour
    assert parse("@03:10 x", now=now).occurred_at == datetime(2026, 3, 29, 1, 10, tzinfo=UTC)
    now = datetime(2026, 10, 25, 1, 45, tzinfo=UTC)  # 02:45 CET, the second 02:xx of the night
    assert parse("@2026-10-25T02:30+01:00 x", now=now).occurred_at == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)


def test_a_time_the_clocks_skipped_is_refused_with_the_choices() -> None:
    # Was: 02:30 on the spring-forward day silently became 03:30.
    now = datetime(2026, 3, 29, 13, 24, tzinfo=UTC)  # 15:24 CEST
    with pytest.raises(ScribeLineError) as err:
        parse("@02:30 pager fired", now=now)
    assert str(err.value) == (
        "after @: 02:30 does not exist on Sun 29 Mar 2026 in Europe/Berlin (clocks jumped from 02:00 to 03:00): "
        "write 01:59 or 03:00, or give an offset: 2026-03-29T02:30+01:00 (to log the line as typed, start it with \\)"
    )


@pytest.mark.parametrize("now", [datetime(2026, 10, 25, 1, 45, tzinfo=UTC), datetime(2026, 10, 25, 14, 0, tzinfo=UTC)])
def test_a_time_the_clocks_showed_twice_is_refused_with_both_readings(now: datetime) -> None:
    # Was: the latest reading after @, the first one in --at.
    with pytest.raises(ScribeLineError) as err:
        parse("@02:30 pager fired", now=now)
    assert (
        "02:30 on Sun 25 Oct 2026 happened twice in Europe/Berlin: write 2026-10-25T02:30+02:00 (first, CEST) "
        "or 2026-10-25T02:30+01:00 (second, CET)"
    ) in str(err.value)


def test_whole_line_is_stripped_and_inner_text_kept() -> None:
    expected = ScribeLine(text="restart  the   pods", kind="action")
    assert parse("  \t/action   restart  the   pods \n") == expected


# --- the backslash escape -------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "text"),
    [
        ("\\/etc/hosts was full", "/etc/hosts was full"),
        ("\\!important", "!important"),
        ("\\@alice is looking", "@alice is looking"),
        ("\\ /decision is not a command here", "/decision is not a command here"),
        ("\\\\server\\share", "\\server\\share"),
        ("\\plain", "plain"),
    ],
)
def test_backslash_logs_the_rest_literally(line: str, text: str) -> None:
    assert parse(line) == ScribeLine(text=text)


def test_backslash_after_prefixes() -> None:
    assert parse("@-5m ! /query \\/etc/hosts?") == ScribeLine(
        text="/etc/hosts?", kind="query", key=True, occurred_at=NOW - timedelta(minutes=5)
    )
    assert parse("!\\!!!") == ScribeLine(text="!!!", key=True)


# --- what is not a prefix -------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "restarted /var/log rotation",
        "Wow! /decision later",
        "alice@example.com reported it",
        "see C:\\logs",
        "-5m of data lost",
        "14:32 is when it began",
    ],
)
def test_prefix_characters_later_in_the_line_are_text(line: str) -> None:
    assert parse(line) == ScribeLine(text=line)


@pytest.mark.parametrize(
    "text",
    [
        "[bold]not markup[/bold]",
        "\x1b[31mred\x1b[0m",
        "Ünïcödé ✓ 事故 🔥",
        "first line\nsecond line",
        "windows\r\nline",
        "tab\tinside",
        "trailing bang!",
    ],
)
def test_text_is_stored_verbatim(text: str) -> None:  # every character but NUL, which no backend stores
    assert parse(text).text == text
    assert parse("/note " + text).text == text


# --- errors ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line", ["/etc/hosts was full", "/foo bar", "/decisions x", "/ x", "!/fix it", "/decision: x"]
)
def test_unknown_command(line: str) -> None:
    err = parse_error(line)
    message = str(err)
    assert message.startswith("unknown command '/")
    for command in KIND_COMMANDS:
        assert command in message
    assert "\\" in message and "as typed" in message


def test_unknown_command_quotes_the_token() -> None:
    assert "'/etc/hosts'" in str(parse_error("/etc/hosts was full"))


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("@alice is looking", "'alice' is not a time: use 14:32, -5m or 2026-11-23T14:32"),
        ("@25:99 x", "'25:99' is not a time"),
        ("@5m x", "write -5m"),
        ("@-5x x", "'-5x' is not a relative time"),
        ("@2026-11-23 14:32 x", "'2026-11-23' is a date without a time"),
        ("@ 14:32 x", "a time is needed"),
    ],
)
def test_bad_time_quotes_the_reason(line: str, reason: str) -> None:
    err = parse_error(line)
    assert reason in str(err)
    assert str(err).startswith("after @: ")


def test_a_future_time_parses_and_is_asked_about_when_logged() -> None:
    # Was refused here; now storage.ops.log asks for a confirmation (time_concerns).
    assert parse("@2026-11-24T10:00 x").occurred_at == datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    assert parse("@2026-11-23T15:00:00Z x").occurred_at == datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


def test_slightly_ahead_clock_is_accepted() -> None:
    assert parse("@2026-11-23T14:41:00Z x").occurred_at == datetime(2026, 11, 23, 14, 41, tzinfo=UTC)


@pytest.mark.parametrize("line", ["@-5m @-4m x", "@14:00 ! @14:01 x", "@now @now x"])
def test_time_given_twice(line: str) -> None:
    assert str(parse_error(line)).startswith("time given twice")


@pytest.mark.parametrize("line", ["/action /decision x", "/note /note x", "/todo ! /TODO x"])
def test_kind_given_twice(line: str) -> None:
    assert str(parse_error(line)).startswith("kind given twice")


@pytest.mark.parametrize("line", ["!!x", "! ! x", "!/todo !x"])
def test_key_marker_given_twice(line: str) -> None:
    assert "'!' given twice" in str(parse_error(line))


@pytest.mark.parametrize(
    "line", ["", "   ", "\n\t", "!", "@-5m", "/todo", "@-5m ! /decision   ", "\\", "\\   ", "!\\"]
)
def test_nothing_to_log(line: str) -> None:
    assert str(parse_error(line)).startswith("nothing to log")


def test_error_line_is_the_input_untouched() -> None:
    line = "  /oops \x1b[31m\n"
    assert parse_error(line).line == line


def test_errors_are_invalid_input() -> None:
    err = parse_error("/oops")
    assert isinstance(err, InvalidInput)
    assert isinstance(err, WarroomError)
    assert err.message == str(err)


def test_error_messages_with_huge_tokens_stay_short() -> None:
    for line in ["/" + "x" * 50_000, "@" + "9" * 50_000 + "m x", "@-" + "9" * 50_000 + "m x"]:
        parse_error(line)


# --- links ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "link"),
    [
        ("see https://x.y/z", "https://x.y/z"),
        ("(see https://x.y/z)", "https://x.y/z"),
        ("graph at https://x.y/z.", "https://x.y/z"),
        ("at https://x.y/z, then https://other.example", "https://x.y/z"),
        ("is it https://x.y/z?", "https://x.y/z"),
        ("'https://x.y/z'", "https://x.y/z"),
        ('"https://x.y/z";', "https://x.y/z"),
        ("[dash](https://x.y/z)", "https://x.y/z"),
        ("{https://x.y/z}", "https://x.y/z"),
        ("<https://x.y/z>", "https://x.y/z"),
        ("plain http://x.y/z works", "http://x.y/z"),
        ("HTTPS://X.Y/Z shouting", "HTTPS://X.Y/Z"),
        (
            "https://grafana.example/d/abc?from=now-1h&to=now#panel-3 fine",
            "https://grafana.example/d/abc?from=now-1h&to=now#panel-3",
        ),
        ("https://en.wikipedia.org/wiki/Foo_(bar)", "https://en.wikipedia.org/wiki/Foo_(bar)"),
        ("(https://en.wikipedia.org/wiki/Foo_(bar))", "https://en.wikipedia.org/wiki/Foo_(bar)"),
        ("https://x.y/a:b/c", "https://x.y/a:b/c"),
        ("https://x.y/z!!!", "https://x.y/z"),
        ("broken https:// then https://x.y", "https://x.y"),
        ("https://... https://x.y", "https://x.y"),
        ("https://x.y/z\nnext line", "https://x.y/z"),
        ("https://事故.example/ü", "https://事故.example/ü"),
    ],
)
def test_link_extraction(text: str, link: str) -> None:
    assert find_link(text) == link
    result = parse(f"/action {text}")
    assert result.link == link
    assert result.text == text.strip()


@pytest.mark.parametrize(
    "text",
    ["no link here", "ftp://x.y/z", "https://", "https:// x", "www.example.com", "httpx://x.y", "https:/x.y"],
)
def test_no_link(text: str) -> None:
    assert find_link(text) is None
    assert parse(text).link is None


def test_link_is_found_after_prefixes_and_kept_in_the_text() -> None:
    result = parse("@-1m !/comms status page updated (https://status.example/incidents/42)")
    assert result.link == "https://status.example/incidents/42"
    assert result.text == "status page updated (https://status.example/incidents/42)"


def test_trailing_brackets_do_not_cost_quadratic_time() -> None:
    started = time.perf_counter()
    assert find_link("https://x.y/z" + ")" * 50_000) == "https://x.y/z"
    assert time.perf_counter() - started < 1.0


# --- purity and speed -----------------------------------------------------------------


def test_storage_does_not_import_textual_or_rich() -> None:
    code = (
        "import sys, storage.grammar, storage.timeparse; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')]; "
        "sys.exit(bool(bad))"
    )
    root = Path(__file__).resolve().parents[1]
    assert subprocess.run([sys.executable, "-c", code], cwd=root).returncode == 0


def test_parsing_is_fast_enough_for_the_enter_key() -> None:
    lines = ["@-5m !/decision roll back https://deploy.example/123", "checked the dashboards", "\\/etc/hosts"]
    started = time.perf_counter()
    for _ in range(1000):
        for line in lines:
            parse(line)
    assert time.perf_counter() - started < 2.0  # ~3000 lines; typically a few hundredths


# --- properties -----------------------------------------------------------------------

_GRAMMAR_CHARS = st.sampled_from(
    [*list("@!/\\ \t\n:-0123456789hmsdTZ+.()[]nowtodactiquerymcs"), "https://", "/todo", "@-5m"]
)
_LINES = st.one_of(
    st.text(),
    st.text(alphabet=st.characters(codec="utf-8")),
    st.lists(_GRAMMAR_CHARS, max_size=30).map("".join),
    st.lists(st.one_of(_GRAMMAR_CHARS, st.characters()), max_size=30).map("".join),
)


def _check_any_line(line: str) -> None:
    try:
        result = parse(line)
    except ScribeLineError as err:
        assert err.line == line
        assert "\n" not in str(err) and len(str(err)) < 300
    else:
        assert result.text and result.text == result.text.strip()
        assert result.kind in EVENT_KINDS_TYPED
        assert result.occurred_at is None or result.occurred_at.tzinfo is UTC
        assert result.link is None or result.link in result.text


@settings(max_examples=300)
@given(_LINES)
def test_any_line_parses_or_raises_a_scribe_line_error(line: str) -> None:
    _check_any_line(line)


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    st.text(min_size=1, max_size=20),
    st.integers(min_value=1, max_value=100_000),
    st.sampled_from(["", "@", "!", "/", "\\", "https://"]),
)
def test_huge_lines_parse_or_raise_a_scribe_line_error(chunk: str, size: int, lead: str) -> None:
    line = lead + (chunk * (size // len(chunk) + 1))[:size]
    _check_any_line(line)


_STORABLE_TEXT = st.text(min_size=1).filter(lambda t: "\x00" not in t)


@given(_STORABLE_TEXT.filter(lambda t: t.strip() != "" and t.strip()[0] not in PREFIX_CHARS))
def test_unprefixed_text_is_a_note_of_the_stripped_input(line: str) -> None:
    result = parse(line)
    assert (result.text, result.kind, result.key, result.occurred_at) == (line.strip(), "note", False, None)


@given(_STORABLE_TEXT.filter(lambda t: t.strip() != ""))
def test_backslash_round_trips_any_text(text: str) -> None:
    assert parse("\\" + text) == ScribeLine(text=text.strip(), link=find_link(text.strip()))
    assert parse("!/todo \\" + text).text == text.strip()


def test_nul_is_refused_with_a_reason_and_the_line_kept() -> None:
    line = "null\x00byte"
    with pytest.raises(ScribeLineError, match="NUL character") as caught:
        parse(line)
    assert caught.value.line == line
