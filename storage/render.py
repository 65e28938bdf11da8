"""How a report writes what it shows: record text as Markdown text, durations and times.

The one rendering module of the post-mortem and the export report. Record text is
escaped by `storage.markdown` (re-exported here: `inline`, `cell`, `link`, `quoted`);
durations and times are written here. Pure functions: no record, no screen, so any
layer may use them (tests/test_layering.py).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo

from storage.markdown import cell, inline, link, quoted

__all__ = [
    "UNKNOWN",
    "cell",
    "format_duration",
    "inline",
    "link",
    "local_date",
    "local_minute",
    "local_with_utc",
    "quoted",
    "utc_clock",
    "utc_span",
    "utc_stamp",
    "utc_time",
]

UNKNOWN = "—"
"""What a report shows for a value not known (yet)."""


def format_duration(delta: timedelta | int | None) -> str:
    """A duration (a timedelta or whole seconds) in a report: `58m`, `1h 02m`,
    `2d 3h 05m`, `4m 30s`, `0m 45s`; negative ones with a leading `-`; `—` when unknown."""
    if delta is None:
        return UNKNOWN
    seconds = int(delta.total_seconds()) if isinstance(delta, timedelta) else int(delta)
    sign = "-" if seconds < 0 else ""
    days, rest = divmod(abs(seconds), 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = []
    if days:
        parts.append(f"{days}d")
    if days or hours:
        parts.append(f"{hours}h")
        parts.append(f"{minutes:02d}m")
    else:
        parts.append(f"{minutes}m")
    if secs:
        parts.append(f"{secs:02d}s")
    return sign + " ".join(parts)


def utc_iso(value: datetime) -> str:
    """ISO 8601 in UTC with a Z, seconds always, microseconds only when present (the
    export document's times, and `warroom list --json`'s)."""
    value = value.astimezone(UTC)
    spec = "microseconds" if value.microsecond else "seconds"
    return value.replace(tzinfo=None).isoformat(timespec=spec) + "Z"


def utc_time(at: datetime) -> str:
    """`2026-11-23 13:42` in UTC (seconds only when there are some)."""
    value = at.astimezone(UTC)
    return value.strftime("%Y-%m-%d %H:%M:%S" if value.second else "%Y-%m-%d %H:%M")


def utc_clock(at: datetime) -> str:
    """`13:42` in UTC (seconds only when there are some)."""
    value = at.astimezone(UTC)
    return value.strftime("%H:%M:%S" if value.second else "%H:%M")


def utc_stamp(at: datetime) -> str:
    """`2026-11-23 13:42:00` in UTC, seconds always."""
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def utc_span(start: datetime, end: datetime | None) -> str:
    """A UTC time span: `2026-11-23 13:54–14:40 UTC`, or `from 2026-11-23 13:54 UTC`."""
    if end is None:
        return f"from {utc_time(start)} UTC"
    if start.astimezone(UTC).date() == end.astimezone(UTC).date():
        return f"{utc_time(start)}–{utc_clock(end)} UTC"
    return f"{utc_time(start)} UTC – {utc_time(end)} UTC"


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def local_date(at: datetime, tz: tzinfo) -> str:
    """`Wed 25 Nov 2026`: the date in `tz` (the policy's zone)."""
    local = at.astimezone(tz)
    return f"{_DAYS[local.weekday()]} {local.day} {_MONTHS[local.month - 1]} {local.year}"


def local_minute(at: datetime | None, tz: tzinfo) -> str:
    """`2026-11-25 10:00 CET`: the time in `tz` (the policy's zone) to the minute; `?` for None."""
    if at is None:
        return "?"
    return at.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z")


def local_with_utc(at: datetime, tz: tzinfo) -> str:
    """`Wed 25 Nov 2026 10:00 CET (09:00 UTC)`: the date and time in `tz` (the policy's
    zone), with the UTC time alongside unless `tz` is UTC then."""
    local = at.astimezone(tz)
    written = f"{local_date(local, tz)} {local:%H:%M} {local.tzname()}"
    if local.utcoffset() == timedelta(0):
        return written
    return f"{written} ({utc_clock(at)} UTC)"
