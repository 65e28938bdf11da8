"""Figures across incidents, on each backend: incidents per week by the worst severity
reached, response times (median, p90) overall and week by week, time at each severity,
open action items by owner, late post-mortems; and `warroom insights` printing them."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from click.testing import CliRunner

from storage import checklists, ops
from storage.clock import FrozenClock
from storage.db import Store
from storage.insights import Spread, insights, spread
from tests.conftest import NOW
from tui.cli import main

THIS_MONDAY = date(2026, 11, 23)  # NOW is Monday 2026-11-23 15:40 in Berlin


def incident(store: Store, *, severity: int, declared_ago: timedelta, detect: int, acknowledge: int) -> str:
    """An incident declared `declared_ago` before now that started there, was detected
    `detect` minutes later and acknowledged `acknowledge` minutes after that."""
    start = NOW - declared_ago
    ref = ops.declare(store, severity=severity, functionality="api", state="slow", audience="all", at=start).ref
    ops.set_milestone(store, ref, "started", at=start)
    ops.set_milestone(store, ref, "detected", at=start + timedelta(minutes=detect))
    ops.set_milestone(store, ref, "acknowledged", at=start + timedelta(minutes=detect + acknowledge))
    return ref


def test_spread_is_the_median_and_the_nearest_rank_90th_percentile() -> None:
    assert spread([5, 1, 3]) == Spread(3, 3.0, 5.0)
    assert spread(list(range(1, 11))) == Spread(10, 5.5, 9.0)


def test_the_figures_of_three_incidents(store: Store, clock: FrozenClock) -> None:
    old = incident(store, severity=2, declared_ago=timedelta(days=6), detect=10, acknowledge=2)
    ops.change_severity(store, old, 1, at=NOW - timedelta(days=6) + timedelta(hours=1))  # worst: SEV1
    new = incident(store, severity=2, declared_ago=timedelta(hours=3), detect=20, acknowledge=4)
    ops.set_milestone(store, new, "mitigated", at=NOW - timedelta(hours=1))
    third = incident(store, severity=3, declared_ago=timedelta(hours=2), detect=30, acknowledge=6)
    ops.add_action_item(store, old, "Pin certificates", owner="Sam", due_date=date(2026, 11, 20))  # overdue
    ops.add_action_item(store, new, "Alert on TLS", owner="Sam", due_date=date(2026, 12, 1))
    ops.add_action_item(store, third, "Write a runbook")
    found = insights(store)
    assert found.incidents == 3
    assert found.per_week == {THIS_MONDAY - timedelta(days=7): {1: 1}, THIS_MONDAY: {2: 1, 3: 1}}
    assert found.response["time_to_detect_s"] == Spread(3, 1200.0, 1800.0)
    assert found.response["time_to_acknowledge_s"] == Spread(3, 240.0, 360.0)
    assert found.response["time_to_mitigate_s"] == Spread(1, 7200.0, 7200.0)
    assert found.response_by_week[THIS_MONDAY]["time_to_detect_s"] == Spread(2, 1500.0, 1800.0)
    assert found.actions_by_owner == {"": (1, 0), "Sam": (2, 1)}
    assert found.severity_seconds[3] == 2 * 3600
    recent = insights(store, since=NOW - timedelta(days=1))
    assert recent.incidents == 2 and THIS_MONDAY - timedelta(days=7) not in recent.per_week


def test_a_resolved_incident_whose_meeting_is_overdue_is_late(store: Store, clock: FrozenClock) -> None:
    ref = incident(store, severity=1, declared_ago=timedelta(days=12), detect=5, acknowledge=1)
    checklists.resolve(store, ref, force=True, at=NOW - timedelta(days=11))
    assert insights(store).postmortems_late == [ref]


def test_the_command_prints_the_figures_and_json(store: Store, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WARROOM_FROZEN_TIME", NOW.isoformat())
    incident(store, severity=2, declared_ago=timedelta(hours=3), detect=20, acknowledge=4)
    ops.add_action_item(store, ops.list_incidents(store)[0].ref, "Fix \x1b[31m it", owner="Lee \x1b]0;x\x07")
    runner = CliRunner()
    text = runner.invoke(main, ["insights", "--db", db_url], catch_exceptions=False).output
    assert text.startswith("1 incident\nPer week (declared, by the worst severity reached):\n  2026-11-23  SEV2 1\n")
    assert "  time to detect             20m / 20m       (1 incident)" in text
    assert "Lee ␛]0;x␇" in text and "\x1b" not in text
    data = json.loads(runner.invoke(main, ["insights", "--json", "--since", "2026-11-23", "--db", db_url]).output)
    assert data["incidents"] == 1 and data["per_week"] == {"2026-11-23": {"SEV2": 1}}
    assert data["response"]["time_to_acknowledge_s"] == {"count": 1, "median": 240.0, "p90": 240.0}
    assert data["since"] == "2026-11-23T00:00:00+01:00"
    none = runner.invoke(main, ["insights", "--since", "2026-11-24", "--db", db_url]).output
    assert none == "0 incidents declared since 2026-11-24\nPost-mortems late: none\n"
