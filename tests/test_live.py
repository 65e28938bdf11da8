"""What live views read: countdown due times, snapshots, incremental timeline, drafts."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from storage import live, ops
from storage.clock import FrozenClock
from storage.countdowns import due_times
from storage.db import Store
from storage.drafts import Drafts
from storage.errors import InvalidInput
from storage.policy import Policy
from tests.conftest import NOW


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


def test_countdowns_follow_the_severity_cadences(policy: Policy) -> None:
    due = due_times(policy, severity=1, status="investigating", declared_at=NOW, milestones={}, updates=[])
    assert due == {"initial": NOW + minutes(20), "checkin": NOW + minutes(20), "status_page": NOW + minutes(60)}
    sent = [("internal", NOW + minutes(12)), ("checkin", NOW + minutes(15)), ("internal", NOW + minutes(40))]
    due = due_times(policy, severity=1, status="identified", declared_at=NOW, milestones={}, updates=sent)
    assert due == {
        "checkin": NOW + minutes(35),
        "internal": NOW + minutes(70),
        "status_page": NOW + minutes(60),
    }


def test_changing_severity_changes_the_cadence(policy: Policy) -> None:
    sent = [("internal", NOW), ("checkin", NOW)]
    sev2 = due_times(policy, severity=2, status="investigating", declared_at=NOW, milestones={}, updates=sent)
    sev3 = due_times(policy, severity=3, status="investigating", declared_at=NOW, milestones={}, updates=sent)
    assert sev2 == {"checkin": NOW + minutes(50), "internal": NOW + minutes(60), "status_page": NOW + minutes(180)}
    assert sev3 == {"checkin": NOW + minutes(170), "internal": NOW + minutes(180), "status_page": None}


def test_initial_deadline_counts_from_detection_and_nothing_is_due_once_resolved(policy: Policy) -> None:
    detected = {"detected": NOW - minutes(15)}
    due = due_times(policy, severity=2, status="investigating", declared_at=NOW, milestones=detected, updates=[])
    assert due["initial"] == NOW + minutes(5)
    assert due_times(policy, severity=1, status="resolved", declared_at=NOW, milestones={}, updates=[]) == {}


def test_incident_view_is_one_snapshot(store: Store) -> None:
    ref = ops.declare(store, severity=1, functionality="api", state="down", audience="all", ic="Dana").ref
    ops.record_status_update(store, ref, channel="internal", kind="initial")
    view = live.incident_view(store, ref)
    assert (view.ref, view.severity, view.status, view.title) == (ref, 1, "investigating", "api is down for all")
    assert [(h.role, h.person) for h in view.roles] == [("ic", "Dana")]
    assert view.updates == [("internal", NOW)]


def test_every_change_moves_the_change_count(store: Store) -> None:
    ref = ops.declare(store, severity=1, functionality="api", state="down", audience="all").ref
    counts = [live.change_count(store, ref) or 0]
    for change in (
        lambda: ops.log(store, ref, "note"),
        lambda: ops.edit_event(store, ref, 2, "note, edited"),
        lambda: ops.strike_event(store, ref, 2),
        lambda: ops.change_severity(store, ref, 2),
        lambda: ops.assign_role(store, ref, "scribe", "Lee"),
        lambda: ops.set_milestone(store, ref, "detected"),
        lambda: ops.record_status_update(store, ref, channel="checkin", kind="checkin"),
        lambda: ops.set_impact(store, ref, customer_impact="slow"),
    ):
        change()
        counts.append(live.change_count(store, ref) or 0)
    assert counts == sorted(set(counts)), counts
    assert live.change_count(store, "inc-nope") is None


def test_events_since_returns_new_and_revised_events(store: Store, clock: FrozenClock) -> None:
    ref = ops.declare(store, severity=1, functionality="api", state="down", audience="all").ref
    ops.log(store, ref, "first")
    rows, mark = live.event_rows(store, ref)
    assert [r.text for r in rows] == ["Declared SEV1: api is down for all", "first"]
    assert live.events_since(store, ref, mark) == ([], mark)
    ops.log(store, ref, "backdated", at=NOW - minutes(30), confirmed=True)  # before the declaration
    ops.strike_event(store, ref, 2)
    changed, mark = live.events_since(store, ref, mark)
    assert [(r.text, r.struck) for r in changed] == [("backdated", False), ("first", True)]
    assert live.events_since(store, ref, mark)[0] == []
    newest, _ = live.event_rows(store, ref, newest=2)
    assert [r.text for r in newest] == ["Declared SEV1: api is down for all", "first"]


def test_a_started_milestone_takes_the_start_marker_off_the_declaration_in_a_live_view(store: Store) -> None:
    ref = ops.declare(store, severity=1, functionality="api", state="down", audience="all").ref
    rows, mark = live.event_rows(store, ref)
    assert [(r.kind, r.marker) for r in rows] == [("declared", "start")]
    ops.set_milestone(store, ref, "started", at=NOW - minutes(20))
    changed, mark = live.events_since(store, ref, mark)
    assert [(r.kind, r.marker) for r in changed] == [("milestone", "start"), ("declared", None)]
    assert [(r.kind, r.marker) for r in live.event_rows(store, ref)[0]] == [("milestone", "start"), ("declared", None)]


def test_log_many_is_all_or_nothing(store: Store) -> None:
    ref = ops.declare(store, severity=1, functionality="api", state="down", audience="all").ref
    assert ops.log_many(store, ref, [("one", None), ("!/action two", NOW - minutes(5))], author="Lee") == 2
    rows, _ = live.event_rows(store, ref)
    assert [(r.seq, r.text, r.kind, r.key) for r in rows] == [
        (3, "two", "action", True),
        (1, "Declared SEV1: api is down for all", "declared", True),
        (2, "one", "note", False),
    ]
    with pytest.raises(InvalidInput, match="line 2: unknown command"):
        ops.log_many(store, ref, [("fine", None), ("/bogus", None)])
    assert len(live.event_rows(store, ref)[0]) == 3


def test_drafts_survive_and_are_private(tmp_path: Path) -> None:
    drafts = Drafts("sqlite:///a.db", tmp_path / "drafts")
    assert drafts.load("inc-1") is None
    drafts.save("inc-1", "half a line")
    assert Drafts("sqlite:///a.db", tmp_path / "drafts").load("inc-1") == "half a line"
    assert Drafts("sqlite:///b.db", tmp_path / "drafts").load("inc-1") is None
    assert [oct(p.stat().st_mode & 0o777) for p in (tmp_path / "drafts").iterdir()] == ["0o600"]
    drafts.save("inc-1", "")
    assert drafts.load("inc-1") is None
