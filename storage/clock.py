"""The one source of "now" for warroom: injectable so tests can freeze time."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Anything that can tell the current time as an aware UTC datetime."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real wall clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FrozenClock:
    """A clock that stands still until moved: for tests and reproducible demos."""

    def __init__(self, at: datetime) -> None:
        self._at = to_utc(at)

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        self._at = to_utc(at)

    def advance(self, delta: timedelta | None = None, **units: float) -> datetime:
        """Move forward by `delta` or by keyword units (`minutes=5`)."""
        self._at += delta if delta is not None else timedelta(**units)
        return self._at


def to_utc(at: datetime) -> datetime:
    """Return `at` as an aware UTC datetime; naive values are refused."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"naive datetime {at!r}: a timezone is required")
    return at.astimezone(UTC)


FROZEN_TIME_ENV = "WARROOM_FROZEN_TIME"


def clock_from_env() -> Clock:
    """The system clock, or a frozen one when WARROOM_FROZEN_TIME holds an ISO time."""
    frozen = os.environ.get(FROZEN_TIME_ENV)
    if not frozen:
        return SystemClock()
    at = datetime.fromisoformat(frozen)
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return FrozenClock(at)
