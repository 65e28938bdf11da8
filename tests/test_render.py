"""storage.render: the durations and times every report writes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from storage import render


@pytest.mark.parametrize(
    ("delta", "written"),
    [
        (None, "—"),
        (0, "0m"),
        (45, "0m 45s"),
        (timedelta(minutes=39), "39m"),
        (timedelta(minutes=4, seconds=30), "4m 30s"),
        (timedelta(hours=1, minutes=2), "1h 02m"),
        (timedelta(days=2, hours=3, minutes=5), "2d 3h 05m"),
        (timedelta(hours=26), "1d 2h 00m"),
        (-3600, "-1h 00m"),
    ],
)
def test_a_duration_is_written_one_way(delta: timedelta | int | None, written: str) -> None:
    assert render.format_duration(delta) == written


def test_times_in_utc_and_in_the_policy_zone() -> None:
    at = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    assert render.utc_time(at) == "2026-11-25 09:00"
    assert render.utc_time(at + timedelta(seconds=5)) == "2026-11-25 09:00:05"
    assert render.utc_stamp(at) == "2026-11-25 09:00:00"
    assert render.utc_span(at, at + timedelta(minutes=40)) == "2026-11-25 09:00–09:40 UTC"
    assert render.utc_span(at, None) == "from 2026-11-25 09:00 UTC"
    assert render.local_with_utc(at, ZoneInfo("Europe/Paris")) == "Wed 25 Nov 2026 10:00 CET (09:00 UTC)"
    assert render.local_with_utc(at, UTC) == "Wed 25 Nov 2026 09:00 UTC"
