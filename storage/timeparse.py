"""Parse and format the durations and times people type ("20m", "14:32", "-5m").

Pure functions: the current time always comes from the caller, never the system clock.
A wall-clock time that the configured zone skips (spring forward) or shows twice (autumn)
is refused with the typeable choices named, and `time_concerns` is the one rule for which
typed times need a confirmation (the scribe line's `@` and every `--at` use both).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo

from storage.clock import to_utc
from storage.errors import InvalidInput

__all__ = [
    "BEFORE_EARLIEST",
    "EARLIEST",
    "FUTURE_TOLERANCE",
    "LATEST_AHEAD",
    "TOO_FAR_AHEAD",
    "compact_duration",
    "out_of_range",
    "parse_duration",
    "parse_when",
    "quote_input",
    "time_concerns",
]

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
"""No time before this is accepted (nor shown: far years do not convert to every zone)."""
LATEST_AHEAD = timedelta(days=366)
"""No time further ahead of now than this is accepted, even confirmed."""


def out_of_range(at: datetime, *, now: datetime) -> str | None:
    """Why `at` is outside the one range of times warroom accepts anywhere (typed, given to
    an operation, imported): from `EARLIEST` to `LATEST_AHEAD` after `now`; None inside it.

    Far years do not convert to every zone, so a time outside would crash what shows it.
    """
    if at < EARLIEST:
        return BEFORE_EARLIEST
    if at - now > LATEST_AHEAD:
        return TOO_FAR_AHEAD
    return None


def due_date_problem(due: date, *, now: datetime) -> str | None:
    """Why a due date is outside the range `out_of_range` keeps for times; None inside it."""
    if due < EARLIEST.date():
        return f"the due date {due.isoformat()} is out of range: before 1970"
    if due > (now + LATEST_AHEAD).date():
        return f"the due date {due.isoformat()} is out of range: more than a year ahead, check the date"
    return None


BEFORE_EARLIEST = "out of range: before 1970, no incident is that old"
TOO_FAR_AHEAD = "out of range: more than a year ahead, check the date"
"""What `out_of_range` says, for a time too far out to be converted at all."""

FUTURE_TOLERANCE = timedelta(seconds=60)
"""How far after `now` a time may be before it counts as "in the future" (clock skew)."""

_DURATION_RE = re.compile(
    r"(?:([0-9]+)\s*d)?\s*(?:([0-9]+)\s*h)?\s*(?:([0-9]+)\s*m)?\s*(?:([0-9]+)\s*s)?",
    re.IGNORECASE | re.ASCII,
)
_CLOCK_RE = re.compile(
    r"([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?(Z|[+-][0-9]{2}(?::?[0-9]{2})?)?", re.IGNORECASE | re.ASCII
)
_ISO_RE = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}"
    r"(?::[0-9]{2}(?:[.,][0-9]{1,6})?)?"
    r"(?:Z|[+-][0-9]{2}(?::?[0-9]{2})?)?",
    re.IGNORECASE | re.ASCII,
)
_DATE_ONLY_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
_MAX_DIGITS = 9  # per number: longer ones cannot fit a timedelta (max 999999999 days)

_DURATION_HINT = "use forms like 20m, 2h50m, 90s"
_WHEN_HINT = "use 14:32, -5m or 2026-11-23T14:32"
_QUOTE_LIMIT = 40


def quote_input(text: str, limit: int = _QUOTE_LIMIT) -> str:
    """`text` quoted for a one-line message: unprintable characters escaped, long text cut."""
    pieces: list[str] = []
    size = 0
    for ch in text:
        piece = ch if ch.isprintable() else repr(ch)[1:-1]
        if size + len(piece) > limit:
            pieces.append("…")
            break
        pieces.append(piece)
        size += len(piece)
    return "'" + "".join(pieces) + "'"


def parse_duration(text: str) -> timedelta:
    """Parse a compact duration such as "20m", "2h50m", "1h 30m", "90s" or "3d".

    Units (d, h, m, s; any case) are required and must come in that order, each at most
    once; surrounding whitespace is ignored. Negative durations are not accepted.
    """
    stripped = text.strip()
    if stripped.isascii() and stripped.isdigit() and len(stripped) <= _MAX_DIGITS:
        raise InvalidInput(
            f"'{stripped}' needs a unit: write {stripped}m, {stripped}s, {stripped}h or {stripped}d"
        )
    match = _DURATION_RE.fullmatch(stripped) if stripped else None
    if match is None or not any(match.groups()):
        raise InvalidInput(f"{quote_input(stripped)} is not a duration: {_DURATION_HINT}")
    if any(g is not None and len(g.lstrip("0")) > _MAX_DIGITS for g in match.groups()):
        raise InvalidInput(f"{quote_input(stripped)} is too long a duration")
    days, hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
    try:
        return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
    except OverflowError:
        raise InvalidInput(f"{quote_input(stripped)} is too long a duration") from None


def compact_duration(delta: timedelta) -> str:
    """Compact form of `delta`: "2h50m", "20m", "45s", "1d3h"; "0s" for zero.

    Microseconds are dropped (truncated towards zero); negative values get a leading "-".
    The inverse of `parse_duration` for whole-second, non-negative values.
    """
    magnitude = abs(delta)
    total = magnitude.days * 86400 + magnitude.seconds
    sign = "-" if delta < timedelta(0) and total else ""
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    units = ((days, "d"), (hours, "h"), (minutes, "m"), (seconds, "s"))
    parts = [f"{n}{unit}" for n, unit in units if n]
    return sign + ("".join(parts) or "0s")


def parse_when(text: str, *, now: datetime, tz: tzinfo, allow_future: bool = False) -> datetime:
    """Parse a typed point in time and return it as an aware UTC datetime.

    Accepted: "now"; "HH:MM" or "HH:MM:SS" in `tz` (the latest such time not after `now`,
    allowing `FUTURE_TOLERANCE` of clock skew: today or yesterday), optionally with an
    offset ("02:30+01:00", "14:32Z"); "-5m", "-1h30m" (relative past); ISO 8601 date and
    time ("2026-11-23T14:32", "2026-11-23 14:32:05", "...Z", "...+01:00"), naive ones read
    in `tz`. A wall-clock time without an offset that `tz` skips (spring forward) or shows
    twice (autumn) is refused, naming what to write instead: it never silently becomes
    another time. Raises InvalidInput for anything else and, unless `allow_future`, for a
    time more than `FUTURE_TOLERANCE` after `now`. `now` must be aware.
    """
    now_utc = to_utc(now)
    stripped = text.strip()
    result = _parse_when(stripped, now_utc, tz)
    problem = out_of_range(result, now=now_utc)
    if problem is not None:
        raise InvalidInput(f"{quote_input(stripped)} is {problem}")
    if not allow_future and result - now_utc > FUTURE_TOLERANCE:
        ahead = compact_duration(result - now_utc)
        raise InvalidInput(
            f"{quote_input(stripped)} is in the future ({ahead} from now): "
            "only past times can be logged"
        )
    return result


def _parse_when(text: str, now: datetime, tz: tzinfo) -> datetime:
    if not text:
        raise InvalidInput(f"a time is needed: {_WHEN_HINT}")
    if text.lower() == "now":
        return now
    if text.startswith("-"):
        try:
            ago = parse_duration(text[1:])
        except InvalidInput:
            raise InvalidInput(
                f"{quote_input(text)} is not a relative time: use forms like -5m, -1h30m, -90s"
            ) from None
        try:
            return now - ago
        except OverflowError:
            raise InvalidInput(f"{quote_input(text)} is too far in the past") from None
    if (match := _CLOCK_RE.fullmatch(text)) is not None:
        return _latest_wall_clock(text, match, now, tz)
    if _ISO_RE.fullmatch(text) is not None:
        return _parse_iso(text, now, tz)
    if _DATE_ONLY_RE.fullmatch(text) is not None:
        raise InvalidInput(
            f"{quote_input(text)} is a date without a time: add one, e.g. {text}T14:32"
        )
    if _looks_like_duration(text):
        raise InvalidInput(
            f"{quote_input(text)} is a duration, not a time: write -{text} for that long ago"
        )
    raise InvalidInput(f"{quote_input(text)} is not a time: {_WHEN_HINT}")


def _looks_like_duration(text: str) -> bool:
    try:
        parse_duration(text)
    except InvalidInput:
        return False
    return True


def _latest_wall_clock(text: str, match: re.Match[str], now: datetime, tz: tzinfo) -> datetime:
    """The latest instant showing this wall-clock time that is not after `now` (+ tolerance).

    The day is today or yesterday in `tz` (or in the offset typed with it). On that day the
    time must exist once: one the zone skipped, or one it showed twice, is refused with
    the choices named, even when only one of the two readings has happened yet.
    """
    hour, minute = int(match[1]), int(match[2])
    second = int(match[3]) if match[3] else 0
    if hour > 23 or minute > 59 or second > 59:
        raise InvalidInput(f"{quote_input(text)} is not a time: {_WHEN_HINT}")
    wall = time(hour, minute, second)
    limit = now + FUTURE_TOLERANCE
    if match[4]:
        zone: tzinfo = _fixed_offset(match[4], text)
    else:
        zone = tz
    limit_wall = _naive_in(limit, zone)
    today = limit_wall.date() if limit_wall is not None else now.astimezone(zone).date()
    for day in (today, today - timedelta(days=1)) if today > date.min else (today,):
        naive = datetime.combine(day, wall)
        readings = _readings(naive, zone)
        if not readings:  # the zone skipped this time that day
            if limit_wall is None or naive <= limit_wall:  # the clocks have jumped over it
                raise InvalidInput(_gap_message(naive, zone, clock_form=day == now.astimezone(zone).date()))
            continue
        if readings[0] > limit:
            continue
        if len(readings) > 1:
            raise InvalidInput(_fold_message(naive, readings, zone, happened=readings[-1] <= limit))
        return readings[0]
    raise InvalidInput(f"{quote_input(text)} is out of range")  # only at the very start of the calendar


def _fixed_offset(text: str, typed: str) -> tzinfo:
    """The fixed zone of an offset such as "Z", "+01:00", "+0100" or "-05"."""
    if text.upper() == "Z":
        return UTC
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:] or 0)
    if hours > 23 or minutes > 59:
        raise InvalidInput(f"{quote_input(typed)} has an impossible offset {text}: use one like +01:00")
    delta = timedelta(hours=hours, minutes=minutes)
    return timezone(-delta if text[0] == "-" else delta)


def _naive_in(at: datetime, zone: tzinfo) -> datetime | None:
    """The wall clock `at` shows in `zone`, or None at the end of the calendar."""
    try:
        return at.astimezone(zone).replace(tzinfo=None)
    except OverflowError:
        return None


def _readings(naive: datetime, tz: tzinfo) -> list[datetime]:
    """The UTC instants at which the wall clock in `tz` shows `naive`, earliest first:
    none in a gap (spring forward), two in a fold (autumn), else one."""
    readings: set[datetime] = set()
    for fold in (0, 1):
        try:
            instant = naive.replace(tzinfo=tz, fold=fold).astimezone(UTC)
            if instant.astimezone(tz).replace(tzinfo=None) == naive:
                readings.add(instant)
        except OverflowError:  # year 1 or 9999 at the edge of the calendar
            continue
    return sorted(readings)


def _resolve_local(naive: datetime, tz: tzinfo, *, clock_form: bool) -> datetime:
    """The one UTC instant showing `naive` in `tz`; InvalidInput in a gap or a fold."""
    readings = _readings(naive, tz)
    if not readings:
        raise InvalidInput(_gap_message(naive, tz, clock_form=clock_form))
    if len(readings) > 1:
        raise InvalidInput(_fold_message(naive, readings, tz, happened=True))
    return readings[0]


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _day_label(day: date, *, year: bool = True) -> str:
    """"Sun 29 Mar 2026" (English whatever the locale), without the year if asked."""
    label = f"{_DAYS[day.weekday()]} {day.day} {_MONTHS[day.month - 1]}"
    return f"{label} {day.year}" if year else label


def _clock(wall: time) -> str:
    """"14:32", or "14:32:05" when there are seconds."""
    return wall.strftime("%H:%M:%S" if wall.second or wall.microsecond else "%H:%M")


def _offset(delta: timedelta | None) -> str:
    """"+01:00" for one hour east of UTC."""
    total = int((delta or timedelta(0)).total_seconds())
    sign = "-" if total < 0 else "+"
    hours, rest = divmod(abs(total), 3600)
    text = f"{sign}{hours:02}:{rest // 60:02}"
    return text + (f":{rest % 60:02}" if rest % 60 else "")


def _zone_name(tz: tzinfo) -> str:
    return str(getattr(tz, "key", None) or getattr(tz, "name", None) or tz)


def _gap_message(naive: datetime, tz: tzinfo, *, clock_form: bool) -> str:
    """Why a skipped wall time is refused, with the times on either side to write instead."""
    early = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)
    late = naive.replace(tzinfo=tz, fold=0).astimezone(UTC)
    low, high = min(early, late), max(early, late)
    before = low.astimezone(tz).utcoffset()
    while high - low > timedelta(seconds=1):  # find the instant the clocks jumped
        middle = low + (high - low) / 2
        if middle.astimezone(tz).utcoffset() == before:
            low = middle
        else:
            high = middle
    jump = high.replace(microsecond=0)
    if jump.astimezone(tz).utcoffset() == before:
        jump += timedelta(seconds=1)
    start = (jump - timedelta(seconds=1)).astimezone(tz) + timedelta(seconds=1)
    start_wall = start.replace(tzinfo=None)  # the wall time the clocks jumped from
    end_wall = jump.astimezone(tz).replace(tzinfo=None)  # ... and to
    last_before = start_wall - timedelta(minutes=1)

    def shown(wall: datetime, *, typeable: bool) -> str:  # the date only when it is needed
        same_day = wall.date() == naive.date()
        return _clock(wall.time()) if same_day and (clock_form or not typeable) else _iso_local(wall)

    return (
        f"{_clock(naive.time())} does not exist on {_day_label(naive.date())} in {_zone_name(tz)} "
        f"(clocks jumped from {shown(start_wall, typeable=False)} to {shown(end_wall, typeable=False)}): "
        f"write {shown(last_before, typeable=True)} or {shown(end_wall, typeable=True)}, "
        f"or give an offset: {_iso_local(naive)}{_offset(before)}"
    )


def _fold_message(naive: datetime, readings: list[datetime], tz: tzinfo, *, happened: bool) -> str:
    """Why a wall time shown twice is refused, with both readings as typeable times."""
    first, second = (reading.astimezone(tz) for reading in (readings[0], readings[-1]))
    verb = "happened" if happened else "happens"
    return (
        f"{_clock(naive.time())} on {_day_label(naive.date())} {verb} twice in {_zone_name(tz)}: "
        f"write {_iso_local(naive)}{_offset(first.utcoffset())} (first, {first.tzname()}) "
        f"or {_iso_local(naive)}{_offset(second.utcoffset())} (second, {second.tzname()})"
    )


def _iso_local(naive: datetime) -> str:
    """"2026-03-29T02:30", with seconds only when there are some."""
    return f"{naive.date().isoformat()}T{_clock(naive.time())}"


def _parse_iso(text: str, now: datetime, tz: tzinfo) -> datetime:
    try:
        parsed = datetime.fromisoformat(text.upper().replace(",", "."))
    except ValueError:
        raise InvalidInput(f"{quote_input(text)} is not a valid date and time") from None
    try:
        if parsed.tzinfo is None:
            return _resolve_local(parsed, tz, clock_form=False)
        return parsed.astimezone(UTC)
    except OverflowError:  # year 1 or 9999 shifted past the edge of the calendar
        problem = BEFORE_EARLIEST if parsed.year < EARLIEST.year else TOO_FAR_AHEAD
        raise InvalidInput(f"{quote_input(text)} is {problem}") from None


# --- which typed times need a confirmation -------------------------------------------


def time_concerns(
    at: datetime,
    *,
    now: datetime,
    tz: tzinfo,
    older_than: timedelta | None,
    incident_start: datetime | None = None,
) -> list[str]:
    """Why a typed time `at` needs confirming before it is written; empty when it is fine.

    The one rule for `@` in the scribe line and every `--at`: a time more than
    `FUTURE_TOLERANCE` after `now` ("in the future: 35m from now"), one before the minute
    the incident started ("before the incident started (14:40)"), and one more than
    `older_than` before `now` ("yesterday, 23h24m ago"; `None`: no limit). A date is named
    when it is not `now`'s date in `tz`. All datetimes must be aware.
    """
    at, now = to_utc(at), to_utc(now)
    concerns: list[str] = []
    if at - now > FUTURE_TOLERANCE:
        concerns.append(f"in the future: {_day_prefix(at, now, tz)}{_rough(at - now)} from now")
    if incident_start is not None:
        started = to_utc(incident_start).replace(second=0, microsecond=0)
        if at < started:
            concerns.append(f"before the incident started ({_moment(to_utc(incident_start), now, tz)})")
    if older_than is not None and now - at > older_than:
        concerns.append(f"{_day_prefix(at, now, tz)}{_rough(now - at)} ago")
    return concerns


def _rough(delta: timedelta) -> str:
    """A duration for a message: whole minutes once it is an hour or more."""
    if delta >= timedelta(hours=1):
        delta = timedelta(minutes=delta // timedelta(minutes=1))
    return compact_duration(delta)


def _day_prefix(at: datetime, now: datetime, tz: tzinfo) -> str:
    """"" on `now`'s date, "yesterday, ", "tomorrow, " or "Sat 21 Nov, "."""
    day = _local_date(at, tz)
    today = _local_date(now, tz)
    if day is None or today is None or day == today:
        return ""
    if day == today - timedelta(days=1):
        return "yesterday, "
    if day == today + timedelta(days=1):
        return "tomorrow, "
    return f"{_day_label(day, year=day.year != today.year)}, "


def _moment(at: datetime, now: datetime, tz: tzinfo) -> str:
    """"14:40", "yesterday 14:40" or "Sat 21 Nov 14:40": a time named from `now`'s day."""
    local = at.astimezone(tz)
    prefix = _day_prefix(at, now, tz).replace(",", "")
    return f"{prefix}{_clock(local.time().replace(second=0, microsecond=0))}"


def _local_date(at: datetime, tz: tzinfo) -> date | None:
    try:
        return at.astimezone(tz).date()
    except OverflowError:
        return None
