"""storage.snapshot: an incident's parts read in one place, in the record's order; and
ops.writing, the context every change runs in."""

from __future__ import annotations

from datetime import timedelta

import pytest

from storage import ops, postmortem
from storage.clock import FrozenClock
from storage.db import Store
from storage.errors import InvalidInput, NotFound
from storage.snapshot import Snapshot
from tests.conftest import NOW


def test_a_snapshot_reads_each_part_in_the_records_order(store: Store, clock: FrozenClock) -> None:
    ref = ops.declare(store, severity=2, functionality="login", state="failing", audience="EU", ic="Dana").ref
    clock.advance(minutes=30)
    ops.record_status_update(store, ref, channel="internal", kind="update", at=NOW + timedelta(minutes=20))
    ops.record_status_update(store, ref, channel="checkin", kind="checkin", at=NOW + timedelta(minutes=5))
    ops.set_milestone(store, ref, "mitigated", at=NOW + timedelta(minutes=25))
    ops.set_milestone(store, ref, "detected", at=NOW - timedelta(minutes=3))
    ops.assign_role(store, ref, "ic", "Lee", at=NOW + timedelta(minutes=10))
    ops.add_action_item(store, ref, "Add an alert")
    postmortem.update_postmortem(store, ref, sections={"went_well": "W", "overview": "O"})
    with store.read() as session:
        record = Snapshot(session, ops.find_incident(session, ref))
        assert record.update_times == [
            ("checkin", NOW + timedelta(minutes=5)),
            ("internal", NOW + timedelta(minutes=20)),
        ]
        assert list(record.milestones) == ["detected", "mitigated"]  # in the order of models.MILESTONES
        assert [(h.person, h.ended_at is None) for h in record.roles] == [("Dana", False), ("Lee", True)]
        assert [h.person for h in record.current_roles] == ["Lee"]
        assert [e.seq for e in record.events] == [e.seq for e in ops.timeline(store, ref)]
        assert [i.title for i in record.action_items] == ["Add an alert"]
        assert list(record.postmortem_sections) == ["overview", "went_well"]
        assert record.declared_by == store.user
        assert record.updates is record.updates  # read once, then kept


def test_writing_locks_one_incident_and_writes_all_or_nothing(store: Store, clock: FrozenClock) -> None:
    ref = ops.declare(store, severity=2, functionality="login", state="failing", audience="EU").ref
    clock.advance(minutes=5)
    with ops.writing(store, ref, author="Kim") as w:
        assert (w.when, w.author) == (NOW + timedelta(minutes=5), "Kim")
        w.event("note", "written", detail=None)
    with pytest.raises(InvalidInput), ops.writing(store, ref) as w:
        w.event("note", "rolled back")
        raise InvalidInput("refused")
    assert [e.text for e in ops.timeline(store, ref)][-1] == "written"
    assert ops.timeline(store, ref)[-1].author == "Kim"
    with pytest.raises(NotFound), ops.writing(store, "no-such-incident"):
        pass
    with pytest.raises(InvalidInput, match="in the future"), ops.writing(store, ref, at=NOW + timedelta(hours=1)):
        pass
