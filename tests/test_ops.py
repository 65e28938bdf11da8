"""Operations on the record, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from storage import ops
from storage.clock import FrozenClock
from storage.db import Store
from storage.errors import InvalidInput, NotFound
from tests.conftest import NOW


def declare(store: Store, **overrides: object) -> str:
    fields: dict[str, object] = {
        "severity": 2,
        "functionality": "login",
        "state": "failing",
        "audience": "EU customers",
    }
    fields.update(overrides)
    return ops.declare(store, **fields).ref  # type: ignore[arg-type]


def test_declare_names_the_incident_by_policy_and_logs_it(store: Store) -> None:
    incident = ops.declare(
        store, severity="SEV1", functionality="login", state="failing", audience="EU customers", ic="Dana"
    )
    assert incident.ref == "inc-26-11-23-SEV-1"
    assert ops.title_of(store, incident) == "login is failing for EU customers"
    assert incident.status == "investigating"
    assert incident.declared_at == NOW
    events = ops.timeline(store, incident.ref)
    assert [(e.seq, e.kind, e.key) for e in events] == [(1, "declared", True), (2, "role", False)]
    assert events[0].text == "Declared SEV1: login is failing for EU customers"
    assert [(h.role, h.person, h.ended_at) for h in ops.role_history(store, incident.ref)] == [("ic", "Dana", None)]
    assert [(c.severity, c.at) for c in ops.severity_history(store, incident.ref)] == [(1, NOW)]


def test_same_day_references_stay_unique(store: Store) -> None:
    refs = [declare(store) for _ in range(3)]
    assert refs == ["inc-26-11-23-SEV-2", "inc-26-11-23-SEV-2-2", "inc-26-11-23-SEV-2-3"]


def test_reference_uses_the_local_date(store: Store, clock: FrozenClock) -> None:
    clock.set(NOW.replace(hour=23, minute=30))  # 00:30 on the 24th in Berlin
    assert declare(store) == "inc-26-11-24-SEV-2"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"severity": 7}, "unknown severity"),
        ({"functionality": "  "}, "functionality is required"),
        ({"quantity_impacted": "Lots"}, "unknown quantity impacted"),
        ({"at": NOW + timedelta(hours=1)}, "in the future"),
    ],
)
def test_declare_rejects_bad_input_and_writes_nothing(store: Store, overrides: dict, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        declare(store, **overrides)
    assert ops.list_incidents(store) == []


def test_log_parses_the_scribe_line(store: Store) -> None:
    ref = declare(store, at=NOW - timedelta(minutes=30))
    event = ops.log(store, ref, "@-5m !/decision roll back https://deploy.example.com/42.", author="Lee")
    assert (event.kind, event.key, event.author) == ("decision", True, "Lee")
    assert event.text == "roll back https://deploy.example.com/42."
    assert event.link == "https://deploy.example.com/42"
    assert event.occurred_at == NOW - timedelta(minutes=5)
    assert event.logged_at == NOW


def test_log_backdates_with_at_and_orders_the_timeline_by_occurrence(store: Store) -> None:
    ref = declare(store, at=NOW - timedelta(minutes=30))
    ops.log(store, ref, "second")
    ops.log(store, ref, "first", at=NOW - timedelta(minutes=10))
    assert [e.text for e in ops.timeline(store, ref)][1:] == ["first", "second"]
    with pytest.raises(InvalidInput, match="keep one"):
        ops.log(store, ref, "@-1m both", at=NOW - timedelta(minutes=2))


def test_log_rejects_bad_lines_without_writing(store: Store) -> None:
    ref = declare(store)
    before = len(ops.timeline(store, ref))
    with pytest.raises(InvalidInput, match="unknown command"):
        ops.log(store, ref, "/bogus text")
    with pytest.raises(NotFound, match="no incident"):
        ops.log(store, "inc-nope", "text")
    assert len(ops.timeline(store, ref)) == before


def test_edit_and_strike_keep_every_earlier_version(store: Store, clock: FrozenClock) -> None:
    ref = declare(store)
    event = ops.log(store, ref, "db primary failed over")
    clock.advance(minutes=1)
    ops.edit_event(store, ref, event.seq, "!db primary failed over to replica-2", author="Lee")
    clock.advance(minutes=1)
    struck = ops.strike_event(store, ref, event.seq, author="Dana")
    assert struck.struck and struck.revision == 3 and struck.key
    history = ops.event_history(store, ref, event.seq)
    assert [(r.revision, r.text, r.key, r.struck, r.replaced_by) for r in history] == [
        (1, "db primary failed over", False, False, "Lee"),
        (2, "db primary failed over to replica-2", True, False, "Dana"),
    ]
    with pytest.raises(InvalidInput, match="already struck"):
        ops.strike_event(store, ref, event.seq)
    with pytest.raises(InvalidInput, match="cannot be edited"):
        ops.edit_event(store, ref, 1, "rewrite the declaration")
    with pytest.raises(NotFound, match="no event #99"):
        ops.strike_event(store, ref, 99)


def test_severity_changes_are_history_and_events(store: Store, clock: FrozenClock) -> None:
    ref = declare(store)
    clock.advance(minutes=10)
    ops.change_severity(store, ref, 1)
    clock.advance(minutes=20)
    ops.change_severity(store, ref, "SEV3", at=NOW + timedelta(minutes=25))
    assert [(c.severity, c.at) for c in ops.severity_history(store, ref)] == [
        (2, NOW),
        (1, NOW + timedelta(minutes=10)),
        (3, NOW + timedelta(minutes=25)),
    ]
    texts = [e.text for e in ops.timeline(store, ref) if e.kind == "severity"]
    assert texts == ["Raised severity from SEV2 to SEV1", "Lowered severity from SEV1 to SEV3"]
    with pytest.raises(InvalidInput, match="already SEV3"):
        ops.change_severity(store, ref, 3)


def test_role_handover_keeps_history(store: Store, clock: FrozenClock) -> None:
    ref = declare(store, ic="Dana")
    clock.advance(hours=2)
    ops.assign_role(store, ref, "IC", "Priya")
    ops.assign_role(store, ref, "sme", "Marta", note="payments")
    ops.assign_role(store, ref, "sme", "Sam", note="gateway")
    ops.assign_role(store, ref, "customer-liaison", "Ana")
    history = [(h.role, h.person, h.started_at, h.ended_at) for h in ops.role_history(store, ref)]
    later = NOW + timedelta(hours=2)
    assert history == [
        ("ic", "Dana", NOW, later),
        ("ic", "Priya", later, None),
        ("sme", "Marta", later, None),
        ("sme", "Sam", later, None),
        ("customer_liaison", "Ana", later, None),
    ]
    assert "Priya took over Incident Commander from Dana" in [e.text for e in ops.timeline(store, ref)]
    with pytest.raises(InvalidInput, match="already holds"):
        ops.assign_role(store, ref, "sme", "Sam")
    with pytest.raises(InvalidInput, match="unknown role"):
        ops.assign_role(store, ref, "janitor", "Sam")
    ops.release_role(store, ref, "sme", "Sam")
    assert [h.person for h in ops.role_history(store, ref) if h.role == "sme" and h.ended_at is None] == ["Marta"]
    with pytest.raises(InvalidInput) as refused:  # said in the policy's zone, not as an ISO time
        ops.assign_role(store, ref, "ic", "Lee", at=later - timedelta(hours=1))
    took = later.astimezone(store.policy.tz).strftime("%Y-%m-%d %H:%M:%S %Z")
    assert str(refused.value) == f"Priya took Incident Commander at {took}: a handover cannot be earlier"


def test_milestones_set_status_and_can_be_corrected(store: Store, clock: FrozenClock) -> None:
    ref = declare(store)
    ops.set_milestone(store, ref, "started", at=NOW - timedelta(minutes=20))
    ops.set_milestone(store, ref, "mitigated")
    assert ops.get_incident(store, ref).status == "mitigated"
    ops.set_milestone(store, ref, "started", at=NOW - timedelta(minutes=25))
    assert ops.milestones(store, ref) == {"started": NOW - timedelta(minutes=25), "mitigated": NOW}
    corrected = [e.text for e in ops.timeline(store, ref) if "corrected" in e.text]
    assert corrected == ["Milestone: started (corrected from 2026-11-23 15:20 CET)"]  # local, not ISO
    ops.set_milestone(store, ref, "Retrospective-Done")
    assert "retrospective_done" in ops.milestones(store, ref)
    with pytest.raises(InvalidInput, match="unknown milestone"):
        ops.set_milestone(store, ref, "lunch")
    ops.set_milestone(store, ref, "resolved")
    assert ops.get_incident(store, ref).status == "resolved"
    assert ops.most_recent_open(store) is None


def test_status_updates_and_action_items(store: Store) -> None:
    ref = declare(store, severity=2)
    ops.change_severity(store, ref, 1)
    update = ops.record_status_update(store, ref, channel="internal", kind="initial", subject="SEV1 Incident")
    assert update.sent_at == NOW
    assert ops.timeline(store, ref)[-1].text == "Internal update sent (initial): SEV1 Incident"
    with pytest.raises(InvalidInput, match="unknown update channel"):
        ops.record_status_update(store, ref, channel="pigeon", kind="initial")
    item = ops.add_action_item(store, ref, "Alert on TLS failures", owner="Sam", priority="p0", tags=["alerting"])
    assert item.priority == "P0"
    assert item.tags == "sev1_20261123,sev1,alerting"
    with pytest.raises(InvalidInput, match="unknown priority"):
        ops.add_action_item(store, ref, "x", priority="urgent")


def test_linking_groups_related_incidents(store: Store) -> None:
    primary = declare(store, severity=1)
    other = declare(store, severity=2, functionality="search")
    third = declare(store, severity=2, functionality="search")
    ops.link_incidents(store, primary, other)
    assert ops.related_incidents(store, primary) == [other]
    with pytest.raises(InvalidInput, match="itself grouped"):
        ops.link_incidents(store, other, third)
    with pytest.raises(InvalidInput, match="under itself"):
        ops.link_incidents(store, primary, primary)


def test_list_and_most_recent_open(store: Store, clock: FrozenClock) -> None:
    first = declare(store, ic="Dana")
    clock.advance(minutes=5)
    second = declare(store, severity=1)
    clock.advance(minutes=5)
    ops.log(store, first, "still going")
    rows = ops.list_incidents(store)
    assert [r.ref for r in rows] == [first, second]
    assert rows[0].commander == "Dana" and rows[1].commander is None
    assert ops.most_recent_open(store) == first
    assert [r.ref for r in ops.list_incidents(store, severity=1)] == [second]


def test_any_text_but_nul_is_stored_verbatim(store: Store) -> None:
    ref = declare(store)
    text = "[bold]x[/bold] [@click=app.quit]q[/] \x1b[31mred\x1b[0m 事故 🔥\ttab\nnext \x07"
    ops.log(store, ref, "\\" + text)
    assert ops.timeline(store, ref)[-1].text == text
    with pytest.raises(InvalidInput, match="NUL"):
        declare(store, functionality="lo\x00gin")
