"""Tests for storage.timeparse: durations and typed points in time."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storage.errors import InvalidInput, WarroomError
from storage.timeparse import (
    FUTURE_TOLERANCE,
    compact_duration,
    parse_duration,
    parse_when,
    quote_input,
)

NOW = datetime(2026, 11, 23, 14, 40, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")  # UTC+1 in November
NEW_YORK = ZoneInfo("America/New_York")
TOKYO = ZoneInfo("Asia/Tokyo")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def when(text: str, *, now: datetime = NOW, tz: tzinfo = BERLIN, allow_future: bool = False) -> datetime:
    return parse_when(text, now=now, tz=tz, allow_future=allow_future)


# --- parse_duration -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("20m", timedelta(minutes=20)),
        ("2h50m", timedelta(hours=2, minutes=50)),
        ("90s", timedelta(seconds=90)),
        ("1h", timedelta(hours=1)),
        ("3d", timedelta(days=3)),
        ("1h 30m", timedelta(hours=1, minutes=30)),
        ("1d2h3m4s", timedelta(days=1, hours=2, minutes=3, seconds=4)),
        ("1d 2h 3m 4s", timedelta(days=1, hours=2, minutes=3, seconds=4)),
        ("0m", timedelta(0)),
        ("0s", timedelta(0)),
        ("2H50M", timedelta(hours=2, minutes=50)),
        ("90S", timedelta(seconds=90)),
        ("  20m \t", timedelta(minutes=20)),
        ("120m", timedelta(hours=2)),
        ("007m", timedelta(minutes=7)),
    ],
)
def test_parse_duration_accepts(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


def test_parse_duration_error_message_names_the_text_and_the_forms() -> None:
    with pytest.raises(InvalidInput) as err:
        parse_duration("20x")
    assert str(err.value) == "'20x' is not a duration: use forms like 20m, 2h50m, 90s"


def test_parse_duration_requires_a_unit() -> None:
    with pytest.raises(InvalidInput, match="'45' needs a unit: write 45m"):
        parse_duration("45")


@pytest.mark.parametrize(
    "text",
    ["", "   ", "m", "1.5h", "30m1h", "1h1h", "-5m", "+5m", "5 minutes", "1h30", "h1", "٣m", "1w", "1h,30m"],
)
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(InvalidInput, match=r"is not a duration|needs a unit"):
        parse_duration(text)


@pytest.mark.parametrize("text", ["9" * 100 + "d", "999999999d 24h", "9" * 5000 + "s"])
def test_parse_duration_rejects_absurd_sizes_cleanly(text: str) -> None:
    with pytest.raises(InvalidInput, match="too long a duration"):
        parse_duration(text)


def test_parse_duration_errors_are_warroom_errors() -> None:
    with pytest.raises(WarroomError):
        parse_duration("soon")


# --- compact_duration -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("delta", "expected"),
    [
        (timedelta(hours=2, minutes=50), "2h50m"),
        (timedelta(minutes=20), "20m"),
        (timedelta(seconds=45), "45s"),
        (timedelta(days=1, hours=3), "1d3h"),
        (timedelta(hours=1, seconds=5), "1h5s"),
        (timedelta(0), "0s"),
        (timedelta(minutes=-20), "-20m"),
        (timedelta(days=-1, hours=-3), "-1d3h"),
        (timedelta(seconds=59, microseconds=999_999), "59s"),
        (timedelta(microseconds=-5), "0s"),
        (timedelta(days=40), "40d"),
    ],
)
def test_compact_duration(delta: timedelta, expected: str) -> None:
    assert compact_duration(delta) == expected


def test_compact_duration_handles_the_largest_timedelta() -> None:
    assert compact_duration(timedelta.max) == "999999999d23h59m59s"
    assert compact_duration(timedelta.min) == "-999999999d"


@given(st.integers(min_value=0, max_value=30 * 86400))
def test_format_then_parse_round_trips(seconds: int) -> None:
    delta = timedelta(seconds=seconds)
    assert parse_duration(compact_duration(delta)) == delta


@given(st.integers(min_value=1, max_value=30 * 86400))
def test_negative_format_is_the_positive_with_a_minus(seconds: int) -> None:
    text = compact_duration(timedelta(seconds=-seconds))
    assert text.startswith("-")
    assert parse_duration(text[1:]) == timedelta(seconds=seconds)


# --- parse_when: "now" and relative ---------------------------------------------------


@pytest.mark.parametrize("text", ["now", "NOW", "  Now\t"])
def test_now(text: str) -> None:
    assert when(text) == NOW


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("-5m", NOW - timedelta(minutes=5)),
        ("-1h30m", NOW - timedelta(hours=1, minutes=30)),
        ("-90s", NOW - timedelta(seconds=90)),
        ("-0m", NOW),
        ("-3d", NOW - timedelta(days=3)),
        (" -5M ", NOW - timedelta(minutes=5)),
    ],
)
def test_relative_past(text: str, expected: datetime) -> None:
    assert when(text) == expected


def test_relative_with_a_bad_duration_says_so() -> None:
    with pytest.raises(InvalidInput, match=r"'-5x' is not a relative time: use forms like -5m"):
        when("-5x")


def test_a_bare_duration_suggests_the_minus() -> None:
    with pytest.raises(InvalidInput, match=r"'5m' is a duration, not a time: write -5m"):
        when("5m")


def test_relative_too_far_back_is_a_clean_error() -> None:
    with pytest.raises(InvalidInput, match="too far in the past"):
        when("-999999999d")


def test_relative_is_exact_elapsed_time_across_dst() -> None:
    # 03:30 CEST on the spring-forward day: an hour ago was 01:30 CET (the clock skipped 02:xx).
    now = utc(2026, 3, 29, 1, 30)
    assert when("-1h", now=now) == utc(2026, 3, 29, 0, 30)


# --- parse_when: wall-clock times -----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("14:32", utc(2026, 11, 23, 13, 32)),  # Berlin is UTC+1, local now is 15:40
        ("14:32:05", utc(2026, 11, 23, 13, 32, 5)),
        ("9:05", utc(2026, 11, 23, 8, 5)),
        ("09:05", utc(2026, 11, 23, 8, 5)),
        ("00:00", utc(2026, 11, 22, 23, 0)),
        ("15:40", utc(2026, 11, 23, 14, 40)),  # exactly now
        ("15:41", utc(2026, 11, 23, 14, 41)),  # within the clock-skew tolerance
        ("15:42", utc(2026, 11, 22, 14, 42)),  # later than now: yesterday
        ("23:59", utc(2026, 11, 22, 22, 59)),
        ("23:59:59", utc(2026, 11, 22, 22, 59, 59)),
    ],
)
def test_wall_clock_in_berlin(text: str, expected: datetime) -> None:
    assert when(text) == expected


def test_wall_clock_later_than_now_means_yesterday() -> None:
    assert when("16:00", tz=UTC) == utc(2026, 11, 22, 16, 0)
    assert when("14:39", tz=UTC) == utc(2026, 11, 23, 14, 39)


def test_wall_clock_uses_the_local_date_not_the_utc_date() -> None:
    # New York: now is 09:40 EST on the 23rd.
    assert when("23:00", tz=NEW_YORK) == utc(2026, 11, 23, 4, 0)  # 22nd 23:00 EST
    assert when("09:00", tz=NEW_YORK) == utc(2026, 11, 23, 14, 0)
    # Tokyo: now is 23:40 JST on the 23rd.
    assert when("23:50", tz=TOKYO) == utc(2026, 11, 22, 14, 50)
    assert when("00:10", tz=TOKYO) == utc(2026, 11, 22, 15, 10)


def test_now_may_be_in_any_zone() -> None:
    local_now = NOW.astimezone(TOKYO)
    assert when("14:32", now=local_now) == utc(2026, 11, 23, 13, 32)
    assert when("-5m", now=local_now) == NOW - timedelta(minutes=5)
    assert when("now", now=local_now).tzinfo is UTC


def test_naive_now_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        when("now", now=datetime(2026, 11, 23, 14, 40))


def test_pendulum_timezones_work_too() -> None:
    pendulum = pytest.importorskip("pendulum")
    assert when("14:32", tz=pendulum.timezone("Europe/Berlin")) == utc(2026, 11, 23, 13, 32)


# Europe/Berlin 2026: clocks go 02:00 CET -> 03:00 CEST on 29 March (01:00 UTC),
# and 03:00 CEST -> 02:00 CET on 25 October (01:00 UTC).


@pytest.mark.parametrize(
    ("now", "text", "expected"),
    [
        # spring forward: 02:xx does not exist on the 29th (refused once the clocks jumped)
        (utc(2026, 3, 29, 0, 50), "02:30", utc(2026, 3, 28, 1, 30)),  # not reached yet: yesterday
        (utc(2026, 3, 29, 1, 20), "01:30", utc(2026, 3, 29, 0, 30)),
        (utc(2026, 3, 29, 1, 20), "03:10", utc(2026, 3, 29, 1, 10)),
        (utc(2026, 3, 29, 1, 20), "03:30", utc(2026, 3, 28, 2, 30)),  # later than now: yesterday, CET
        (utc(2026, 3, 29, 12, 0), "01:00", utc(2026, 3, 29, 0, 0)),
        (utc(2026, 3, 29, 12, 0), "13:00", utc(2026, 3, 29, 11, 0)),
        # fall back: 02:xx happens twice on the 25th (refused once the first has happened)
        (utc(2026, 10, 25, 0, 50), "02:55", utc(2026, 10, 24, 0, 55)),  # neither has happened yet
        (utc(2026, 10, 25, 12, 0), "03:30", utc(2026, 10, 25, 2, 30)),
        (utc(2026, 10, 25, 12, 0), "01:30", utc(2026, 10, 24, 23, 30)),
        (utc(2026, 10, 25, 12, 0), "01:59", utc(2026, 10, 24, 23, 59)),  # just before the repeat
    ],
)
def test_wall_clock_is_dst_safe(now: datetime, text: str, expected: datetime) -> None:
    assert when(text, now=now) == expected


SPRING_GAP = (
    "02:30 does not exist on Sun 29 Mar 2026 in Europe/Berlin (clocks jumped from 02:00 to 03:00): "
    "write 01:59 or 03:00, or give an offset: 2026-03-29T02:30+01:00"
)
SPRING_GAP_ISO = SPRING_GAP.replace("01:59 or 03:00", "2026-03-29T01:59 or 2026-03-29T03:00")
AUTUMN_FOLD = (
    "02:30 on Sun 25 Oct 2026 happened twice in Europe/Berlin: "
    "write 2026-10-25T02:30+02:00 (first, CEST) or 2026-10-25T02:30+01:00 (second, CET)"
)


@pytest.mark.parametrize(
    ("now", "text", "message"),
    [
        (utc(2026, 3, 29, 14, 24), "02:30", SPRING_GAP),
        (utc(2026, 3, 29, 1, 0), "02:30", SPRING_GAP),  # the very moment the clocks jump
        (utc(2026, 3, 29, 1, 20), "02:30", SPRING_GAP),
        (utc(2026, 3, 30, 0, 20), "02:30", SPRING_GAP_ISO),  # yesterday's 02:30: the date is needed
        (NOW, "2026-03-29T02:30", SPRING_GAP_ISO),
        (utc(2026, 10, 25, 12, 0), "02:30", AUTUMN_FOLD),
        (utc(2026, 10, 25, 1, 45), "02:30", AUTUMN_FOLD),
        (utc(2026, 10, 25, 1, 10), "02:30", AUTUMN_FOLD.replace("happened", "happens")),  # one still to come
        (NOW, "2026-10-25T02:30", AUTUMN_FOLD),
        (NOW, "2026-10-25 02:30", AUTUMN_FOLD),
    ],
)
def test_a_skipped_or_repeated_wall_time_is_refused_naming_the_choices(
    now: datetime, text: str, message: str
) -> None:
    with pytest.raises(InvalidInput) as err:
        when(text, now=now)
    assert str(err.value) == message


def test_the_choices_named_for_a_skipped_time_are_accepted() -> None:
    now = utc(2026, 3, 29, 14, 24)
    assert when("01:59", now=now) == utc(2026, 3, 29, 0, 59)
    assert when("03:00", now=now) == utc(2026, 3, 29, 1, 0)
    assert when("2026-03-29T02:30+01:00", now=now) == utc(2026, 3, 29, 1, 30)  # = 03:30 CEST
    assert when("02:30+01:00", now=now) == utc(2026, 3, 29, 1, 30)


def test_the_choices_named_for_a_repeated_time_are_accepted() -> None:
    now = utc(2026, 10, 25, 12, 0)
    assert when("2026-10-25T02:30+02:00", now=now) == utc(2026, 10, 25, 0, 30)
    assert when("2026-10-25T02:30+01:00", now=now) == utc(2026, 10, 25, 1, 30)
    assert when("02:30+02:00", now=now) == utc(2026, 10, 25, 0, 30)
    assert when("02:30+01:00", now=now) == utc(2026, 10, 25, 1, 30)


def test_a_wall_time_in_another_zones_gap_says_so_in_its_terms() -> None:
    # Lord Howe Island moves by half an hour: 02:00 -> 02:30 on 4 October 2026.
    with pytest.raises(InvalidInput) as err:
        when("02:10", now=utc(2026, 10, 4, 12, 0), tz=ZoneInfo("Australia/Lord_Howe"))
    assert str(err.value) == (
        "02:10 does not exist on Sun 4 Oct 2026 in Australia/Lord_Howe (clocks jumped from 02:00 to 02:30): "
        "write 01:59 or 02:30, or give an offset: 2026-10-04T02:10+10:30"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("14:32+01:00", utc(2026, 11, 23, 13, 32)),
        ("14:32Z", utc(2026, 11, 23, 14, 32)),
        ("14:32z", utc(2026, 11, 23, 14, 32)),
        ("14:41Z", utc(2026, 11, 23, 14, 41)),  # within the clock-skew tolerance
        ("14:42Z", utc(2026, 11, 22, 14, 42)),  # later than now: yesterday
        ("09:32-05:00", utc(2026, 11, 23, 14, 32)),
        ("09:32-0500", utc(2026, 11, 23, 14, 32)),
        ("15:32+01", utc(2026, 11, 23, 14, 32)),
    ],
)
def test_wall_clock_with_an_offset(text: str, expected: datetime) -> None:
    assert when(text) == expected


def test_wall_clock_with_an_impossible_offset() -> None:
    with pytest.raises(InvalidInput, match=r"'14:32\+25:00' has an impossible offset \+25:00"):
        when("14:32+25:00")


@settings(max_examples=100, deadline=None)
@given(
    now=st.datetimes(
        min_value=datetime(2026, 1, 1), max_value=datetime(2027, 1, 1), timezones=st.just(UTC)
    ),
    hour=st.integers(0, 23),
    minute=st.integers(0, 59),
    zone=st.sampled_from([BERLIN, NEW_YORK, TOKYO, ZoneInfo("Australia/Lord_Howe"), UTC]),
)
def test_wall_clock_is_the_latest_past_reading_or_refused_when_not_one_instant(
    now: datetime, hour: int, minute: int, zone: ZoneInfo
) -> None:
    wall = time(hour, minute)
    try:
        result = parse_when(f"{hour:02}:{minute:02}", now=now, tz=zone)
    except InvalidInput as err:
        # refused only when the chosen day shows that wall time never or twice
        day = datetime.strptime(str(err).split(" on ")[1][:15].strip(), "%a %d %b %Y").date()
        naive = datetime.combine(day, wall)
        readings = {naive.replace(tzinfo=zone, fold=fold).astimezone(UTC) for fold in (0, 1)}
        shown = {r.astimezone(zone).replace(tzinfo=None) == naive for r in readings}
        assert len(readings) == 2 and ("does not exist" in str(err)) == (shown == {False})
        assert now.astimezone(zone).date() - day <= timedelta(days=1)
        return
    assert result.tzinfo is UTC
    assert result <= now + FUTURE_TOLERANCE
    assert now - result < timedelta(hours=26)
    assert result.astimezone(zone).time() == wall  # exactly the time typed, never a neighbour
    # no later whole minute up to now (plus tolerance) shows the same wall clock
    step = result + timedelta(minutes=1)
    while step <= now + FUTURE_TOLERANCE:
        assert step.astimezone(zone).time() != wall
        step += timedelta(minutes=1)


@pytest.mark.parametrize("text", ["25:99", "24:00", "12:60", "12:30:61", "1:2", "123:00", "12:3", "١٤:٣٢"])
def test_bad_wall_clock(text: str) -> None:
    with pytest.raises(InvalidInput) as err:
        when(text)
    assert str(err.value) == f"'{text}' is not a time: use 14:32, -5m or 2026-11-23T14:32"


# --- parse_when: ISO 8601 -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-23T14:32", utc(2026, 11, 23, 13, 32)),  # naive: Berlin
        ("2026-11-23 14:32:05", utc(2026, 11, 23, 13, 32, 5)),
        ("2026-11-23T14:32:00Z", utc(2026, 11, 23, 14, 32)),
        ("2026-11-23T14:32:00+01:00", utc(2026, 11, 23, 13, 32)),
        ("2026-11-23T09:32:00-05:00", utc(2026, 11, 23, 14, 32)),
        ("2026-11-23T14:32:00+0100", utc(2026, 11, 23, 13, 32)),
        ("2026-11-23t14:32:00z", utc(2026, 11, 23, 14, 32)),
        ("2026-11-23T14:32:00.250Z", utc(2026, 11, 23, 14, 32) + timedelta(milliseconds=250)),
        ("2026-11-23T14:32Z", utc(2026, 11, 23, 14, 32)),
        ("  2026-11-23T14:32Z  ", utc(2026, 11, 23, 14, 32)),
        ("2025-06-01T12:00", utc(2025, 6, 1, 10, 0)),  # summer time in Berlin
        ("2026-03-29T01:59", utc(2026, 3, 29, 0, 59)),  # just before the spring-forward gap
        ("2026-10-25T03:00", utc(2026, 10, 25, 2, 0)),  # just after the autumn repeat
    ],
)
def test_iso(text: str, expected: datetime) -> None:
    result = when(text)
    assert result == expected
    assert result.tzinfo is UTC


def test_a_date_alone_needs_a_time() -> None:
    expected = r"'2026-11-23' is a date without a time: add one, e\.g\. 2026-11-23T14:32"
    with pytest.raises(InvalidInput, match=expected):
        when("2026-11-23")


@pytest.mark.parametrize("text", ["2026-02-30T10:00", "2026-11-23T14:32+25:00", "2026-13-01T00:00"])
def test_invalid_iso(text: str) -> None:
    with pytest.raises(InvalidInput, match="is not a valid date and time"):
        when(text)


@pytest.mark.parametrize(
    "text",
    ["", "   ", "yesterday", "23/11/2026 14:32", "2026-W47-1T10:00", "+5m", "14h32", "14:32 CET", "2026-11-23T14"],
)
def test_anything_else_names_the_accepted_forms(text: str) -> None:
    with pytest.raises(InvalidInput, match=r"14:32, -5m or 2026-11-23T14:32"):
        when(text)


def test_error_messages_stay_on_one_short_line() -> None:
    for text in ["a\nb", "x" * 10_000, "\x1b[31mred", "-" + "9" * 10_000 + "m"]:
        with pytest.raises(InvalidInput) as err:
            when(text)
        message = str(err.value)
        assert "\n" not in message and "\x1b" not in message
        assert len(message) < 200


def test_quote_input_escapes_and_cuts() -> None:
    assert quote_input("a\nb") == "'a\\nb'"
    assert quote_input("y" * 100) == "'" + "y" * 40 + "…'"
    assert len(quote_input("\x00" * 100)) < 50


# --- parse_when: the future -----------------------------------------------------------


def test_future_is_rejected() -> None:
    with pytest.raises(InvalidInput, match=r"'2026-11-23T15:00:00Z' is in the future \(20m from now\)"):
        when("2026-11-23T15:00:00Z")


def test_future_allowed_on_request() -> None:
    assert when("2026-11-23T15:00:00Z", allow_future=True) == utc(2026, 11, 23, 15, 0)


def test_up_to_a_minute_ahead_is_clock_skew_not_future() -> None:
    assert when("2026-11-23T14:41:00Z") == utc(2026, 11, 23, 14, 41)
    with pytest.raises(InvalidInput, match="in the future"):
        when("2026-11-23T14:41:01Z")


def test_wall_clock_never_lands_in_the_future_even_when_allowed() -> None:
    assert when("16:00", tz=UTC, allow_future=True) == utc(2026, 11, 22, 16, 0)


@settings(max_examples=200)
@given(st.text(max_size=40))
def test_parse_when_raises_only_invalid_input(text: str) -> None:
    try:
        result = when(text)
    except InvalidInput as err:
        assert "\n" not in str(err)
    else:
        assert result.tzinfo is UTC
        assert result <= NOW + FUTURE_TOLERANCE
