"""Parse and format the durations and times people type ("20m", "14:32", "-5m").

Pure functions: the current time always comes from the caller, never the system clock.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone, tzinfo

from storage.clock import to_utc
from storage.errors import InvalidInput

__all__ = [
    "FUTURE_TOLERANCE",
    "format_duration",
    "parse_duration",
    "parse_when",
    "quote_input",
]

FUTURE_TOLERANCE = timedelta(seconds=60)
"""How far after `now` a time may be before it counts as "in the future" (clock skew)."""

_DURATION_RE = re.compile(
    r"(?:([0-9]+)\s*d)?\s*(?:([0-9]+)\s*h)?\s*(?:([0-9]+)\s*m)?\s*(?:([0-9]+)\s*s)?",
    re.IGNORECASE | re.ASCII,
)
_CLOCK_RE = re.compile(r"([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?", re.ASCII)
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


def format_duration(delta: timedelta) -> str:
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
    allowing `FUTURE_TOLERANCE` of clock skew); "-5m", "-1h30m" (relative past); ISO 8601
    date and time ("2026-11-23T14:32", "2026-11-23 14:32:05", "...Z", "...+01:00"), naive
    ones read in `tz`. Raises InvalidInput for anything else and, unless `allow_future`,
    for a time more than `FUTURE_TOLERANCE` after `now`. `now` must be aware.
    """
    now_utc = to_utc(now)
    stripped = text.strip()
    result = _parse_when(stripped, now_utc, tz)
    if not allow_future and result - now_utc > FUTURE_TOLERANCE:
        ahead = format_duration(result - now_utc)
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
        return _parse_iso(text, tz)
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
    """The latest instant showing this wall-clock time in `tz` that is not after `now`.

    Every reading of the local time counts: both folds of an ambiguous (repeated) hour and
    both offsets of a skipped one, so the answer is the most recent plausible instant.
    """
    hour, minute = int(match[1]), int(match[2])
    second = int(match[3]) if match[3] else 0
    if hour > 23 or minute > 59 or second > 59:
        raise InvalidInput(f"{quote_input(text)} is not a time: {_WHEN_HINT}")
    wall = time(hour, minute, second)
    today = now.astimezone(tz).date()
    limit = now + FUTURE_TOLERANCE
    days = (today,) if today == date.min else (today, today - timedelta(days=1))
    candidates = [
        instant
        for day in days
        for instant in _readings(day, wall, tz)
        if instant <= limit
    ]
    if not candidates:  # only at the very start of the calendar
        raise InvalidInput(f"{quote_input(text)} is out of range")
    return max(candidates)


def _readings(day: date, wall: time, tz: tzinfo) -> set[datetime]:
    """The UTC instants that local `day` + `wall` in `tz` can mean (one, or two at a DST edge)."""
    readings: set[datetime] = set()
    for fold in (0, 1):
        try:
            local = datetime.combine(day, wall, tzinfo=tz).replace(fold=fold)
            readings.add(local.astimezone(timezone.utc))
        except OverflowError:  # year 1 or 9999 at the edge of the calendar
            continue
    return readings


def _parse_iso(text: str, tz: tzinfo) -> datetime:
    try:
        parsed = datetime.fromisoformat(text.upper().replace(",", "."))
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=tz, fold=0)
        return parsed.astimezone(timezone.utc)
    except (ValueError, OverflowError):
        raise InvalidInput(f"{quote_input(text)} is not a valid date and time") from None
