"""The suite's one way to wait for something that happens on another thread or process.

Each helper polls a condition until it holds and fails loudly, naming what it waited for and
the last value seen, when the time runs out. Prefer `await app.workers.wait_for_complete()` or
`pilot.pause()` where the awaited work is a worker or a message; use these when it is a thread,
a process or a database another connection writes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from textual.pilot import Pilot

T = TypeVar("T")

STEP = 0.02
"""Seconds between two looks at the condition."""


def _timed_out(what: str, seconds: float, last: object) -> AssertionError:
    return AssertionError(f"waited {seconds:g} s for {what}; last seen: {last!r}")


async def until(
    pilot: Pilot[Any], condition: Callable[[], T], *, seconds: float = 10.0, what: str = "the condition"
) -> T:
    """Let the app run until `condition()` is truthy and return its value; fail after `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise _timed_out(what, seconds, value)
        await pilot.pause(STEP)


def until_sync(condition: Callable[[], T], *, seconds: float = 10.0, what: str = "the condition") -> T:
    """Block until `condition()` is truthy and return its value; fail after `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise _timed_out(what, seconds, value)
        time.sleep(STEP)
