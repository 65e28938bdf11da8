"""An incident's phase: one resolution rule for `status resolved`, `milestone resolved` and
`resolve`; milestones in order (asked about when not); a milestone marked again replaces
the earlier mark in every view; a severity without a post-mortem needs no retrospective."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from storage import checklists, live, ops
from storage.clock import FrozenClock
from storage.db import Store
from storage.errors import InvalidInput
from storage.lite.view import FirstScreen
from storage.policy import Policy
from tests.conftest import NOW
from tui.cli import main


def _declare(store: Store, severity: int = 2) -> str:
    return ops.declare(store, severity=severity, functionality="login", state="failing", audience="all", ic="Dana").ref


# --- one resolution rule ------------------------------------------------------------------


def test_the_status_alone_cannot_resolve(store: Store) -> None:
    ref = _declare(store)
    with pytest.raises(InvalidInput, match="resolved through its resolution criteria"):
        ops.set_status(store, ref, "resolved")
    assert ops.get_incident(store, ref).status != "resolved"


@pytest.fixture
def cli(db_url: str, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    monkeypatch.setenv("WARROOM_FROZEN_TIME", NOW.isoformat())
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(main, [args[0], "--db", db_url, *args[1:]], catch_exceptions=False)

    return invoke


def test_status_resolved_milestone_resolved_and_resolve_refuse_alike_and_force_alike(cli, store: Store) -> None:  # noqa: ANN001
    refusals = []
    for command in (("status", "{ref}", "resolved"), ("milestone", "{ref}", "resolved"), ("resolve", "{ref}")):
        ref = _declare(store)
        refused = cli(*(part.format(ref=ref) for part in command))
        assert refused.exit_code == 1
        assert "cannot be resolved yet, 4 of 4 criteria unmet" in refused.stderr
        refusals.append(refused.stderr.replace(ref, "REF"))
        assert ops.get_incident(store, ref).status != "resolved"
        forced = cli(*(part.format(ref=ref) for part in command), "--force")
        assert forced.exit_code == 0, forced.stderr
        assert forced.stdout.splitlines()[-1] == f"{ref} is resolved"
        assert "UNMET  Mitigation is durable" in forced.stdout
        assert ops.get_incident(store, ref).status == "resolved"
        assert any(e.text.startswith("Resolved with unmet criteria") for e in ops.timeline(store, ref))
    assert len(set(refusals)) == 1


def test_a_reopened_incident_is_resolved_again_by_every_command_through_the_criteria(cli, store: Store) -> None:  # noqa: ANN001
    for command in (("status", "{ref}", "resolved"), ("milestone", "{ref}", "resolved"), ("resolve", "{ref}")):
        ref = _declare(store)
        assert cli("resolve", ref, "--force").exit_code == 0
        assert cli("status", ref, "investigating").exit_code == 0  # reopened
        refused = cli(*(part.format(ref=ref) for part in command))
        assert refused.exit_code == 1
        assert "cannot be resolved yet" in refused.stderr  # not "already resolved", nor resolved unchecked
        assert ops.get_incident(store, ref).status == "investigating"
        forced = cli(*(part.format(ref=ref) for part in command), "--force")
        assert forced.exit_code == 0, forced.stderr
        assert ops.get_incident(store, ref).status == "resolved"


def test_status_other_than_resolved_is_set_as_before(cli, store: Store) -> None:  # noqa: ANN001
    ref = _declare(store)
    changed = cli("status", ref, "identified")
    assert changed.exit_code == 0 and changed.stdout == f"{ref} is identified\n"


def test_a_severity_without_a_post_mortem_needs_no_retrospective(store: Store) -> None:
    minor = _declare(store, severity=3)
    criterion = next(c for c in checklists.resolution_criteria(store, minor) if c.key == "retrospective_scheduled")
    assert criterion.met and "not needed" in criterion.detail and "SEV3" in criterion.detail
    major = _declare(store, severity=2)
    assert not next(c for c in checklists.resolution_criteria(store, major) if c.key == "retrospective_scheduled").met


def test_a_minor_incident_that_was_major_still_needs_its_retrospective(store: Store) -> None:
    ref = _declare(store, severity=2)
    ops.change_severity(store, ref, 3)
    assert not next(c for c in checklists.resolution_criteria(store, ref) if c.key == "retrospective_scheduled").met


# --- milestones in order ------------------------------------------------------------------


def test_out_of_order_milestones_are_named_with_local_times(store: Store, clock: FrozenClock) -> None:
    ref = _declare(store)
    ops.set_milestone(store, ref, "mitigated", at=NOW - timedelta(minutes=5))
    assert ops.milestone_order_concerns(store, ref, "acknowledged") == ["after mitigated (2026-11-23 15:35 CET)"]
    assert ops.milestone_order_concerns(store, ref, "acknowledged", NOW - timedelta(minutes=20)) == []
    assert ops.milestone_order_concerns(store, ref, "resolved", NOW - timedelta(minutes=9)) == [
        "before mitigated (2026-11-23 15:35 CET)"
    ]
    clock.advance(minutes=5)
    started = ops.milestone_order_concerns(store, ref, "started")
    assert started == [
        "after mitigated (2026-11-23 15:35 CET)",
        "after the incident was declared (2026-11-23 15:40 CET): give the time it began",
    ]
    assert ops.milestone_order_concerns(store, ref, "started", NOW - timedelta(hours=1)) == []
    assert ops.milestone_order_concerns(store, ref, "retrospective_prepared") == ["before the incident is resolved"]


def test_the_cli_asks_about_an_out_of_order_milestone_and_a_script_needs_yes(cli, store: Store) -> None:  # noqa: ANN001
    ref = _declare(store)
    ops.set_milestone(store, ref, "mitigated", at=NOW - timedelta(minutes=5))
    refused = cli("milestone", ref, "acknowledged")
    assert refused.exit_code == 1
    assert "after mitigated (2026-11-23 15:35 CET)" in refused.stderr and "--yes" in refused.stderr
    assert "acknowledged" not in ops.milestones(store, ref)
    assert cli("milestone", ref, "acknowledged", "--yes").exit_code == 0
    assert "acknowledged" in ops.milestones(store, ref)


# --- marking again --------------------------------------------------------------------------


def test_marking_a_milestone_again_strikes_the_earlier_mark_everywhere(store: Store, clock: FrozenClock) -> None:
    ref = _declare(store)
    ops.set_milestone(store, ref, "started", at=NOW - timedelta(minutes=30))
    first = next(e for e in ops.timeline(store, ref) if e.kind == "milestone")
    ops.set_milestone(store, ref, "started", at=NOW - timedelta(minutes=40))
    marks = {e.seq: e for e in ops.timeline(store, ref) if e.kind == "milestone"}
    assert marks[first.seq].struck and len(marks) == 2
    (again,) = [e for e in marks.values() if not e.struck]
    assert again.text == "Milestone: started (corrected from 2026-11-23 15:10 CET)"
    assert [revision.struck for revision in ops.event_history(store, ref, first.seq)] == [False]  # as it stood
    assert ops.milestones(store, ref)["started"] == NOW - timedelta(minutes=40)
    rows, _ = live.event_rows(store, ref)
    assert [row.seq for row in rows if row.marker == "start"] == [again.seq]  # one start line, the new one


def test_an_earlier_mark_of_a_milestone_marked_again_cannot_be_restored(store: Store) -> None:
    ref = _declare(store)
    ops.set_milestone(store, ref, "started", at=NOW - timedelta(minutes=30))
    first = next(e for e in ops.timeline(store, ref) if e.kind == "milestone")
    ops.set_milestone(store, ref, "started", at=NOW - timedelta(minutes=40))
    with pytest.raises(InvalidInput, match="marked again since"):  # it would show two starts
        ops.restore_event(store, ref, first.seq)
    marks = {e.seq: e.struck for e in ops.timeline(store, ref) if e.kind == "milestone"}
    assert marks[first.seq] and sorted(marks.values()) == [False, True]
    rows, _ = live.event_rows(store, ref)
    assert len([row for row in rows if row.marker == "start"]) == 1


def _mark(store: Store, ref: str, milestone: str) -> int:
    """The seq of the standing mark of `milestone`."""
    marks = [e for e in ops.timeline(store, ref) if e.kind == "milestone" and e.detail == milestone]
    return next(e.seq for e in marks if not e.struck)


def test_striking_a_mistaken_mitigated_mark_takes_the_milestone_and_the_status_back(store: Store) -> None:
    ref = _declare(store)
    ops.set_status(store, ref, "identified")
    ops.set_milestone(store, ref, "mitigated")
    assert ops.get_incident(store, ref).status == "mitigated"
    seq = _mark(store, ref, "mitigated")
    ops.strike_event(store, ref, seq)
    assert "mitigated" not in ops.milestones(store, ref)
    assert ops.get_incident(store, ref).status == "identified"
    changed = ops.timeline(store, ref)[-1].text
    assert changed == "Status changed from mitigated to identified (the mitigated mark struck)"
    ops.restore_event(store, ref, seq)  # the strike was the mistake: as it was
    restored = ops.timeline(store, ref)[-1].text
    assert restored == "Status changed from identified to mitigated (the mitigated mark restored)"
    mark = next(e for e in ops.timeline(store, ref) if e.seq == seq)
    assert ops.milestones(store, ref)["mitigated"] == mark.occurred_at
    assert ops.get_incident(store, ref).status == "mitigated"


def test_the_status_taken_back_skips_the_record_s_own_notes(store: Store) -> None:
    from storage import postmortem

    ref = _declare(store)
    ops.set_status(store, ref, "identified")
    postmortem.apply_prefill(store, ref)  # a note of the record's own between the two
    ops.set_milestone(store, ref, "mitigated")
    ops.strike_event(store, ref, _mark(store, ref, "mitigated"))
    assert ops.get_incident(store, ref).status == "identified"


def test_striking_a_mark_whose_status_moved_on_leaves_the_status(store: Store) -> None:
    ref = _declare(store)
    ops.set_milestone(store, ref, "acknowledged")
    ops.set_milestone(store, ref, "mitigated")
    ops.set_status(store, ref, "identified")  # the fix did not hold
    ops.strike_event(store, ref, _mark(store, ref, "mitigated"))
    assert ops.get_incident(store, ref).status == "identified"
    ops.strike_event(store, ref, _mark(store, ref, "acknowledged"))  # no status of its own
    assert not {"acknowledged", "mitigated"} & set(ops.milestones(store, ref))
    assert ops.get_incident(store, ref).status == "identified"


def test_a_corrected_milestone_struck_is_not_reached_and_its_earlier_mark_can_stand_again(store: Store) -> None:
    ref = _declare(store)
    ops.set_milestone(store, ref, "started", at=NOW - timedelta(minutes=30))
    first = _mark(store, ref, "started")
    ops.set_milestone(store, ref, "started", at=NOW - timedelta(minutes=40))
    ops.strike_event(store, ref, _mark(store, ref, "started"))
    assert "started" not in ops.milestones(store, ref)
    rows, _ = live.event_rows(store, ref)
    assert [row.kind for row in rows if row.marker == "start"] == ["declared"]  # the start is the declaration again
    ops.restore_event(store, ref, first)  # no other mark stands now
    assert ops.milestones(store, ref)["started"] == NOW - timedelta(minutes=30)


def test_the_resolution_is_taken_back_by_reopening_not_by_a_strike(store: Store) -> None:
    ref = _declare(store, severity=3)
    checklists.resolve(store, ref, force=True)
    seq = _mark(store, ref, "resolved")
    with pytest.raises(InvalidInput, match="reopen the incident"):
        ops.strike_event(store, ref, seq)
    assert ops.get_incident(store, ref).status == "resolved" and "resolved" in ops.milestones(store, ref)
    assert not next(e for e in ops.timeline(store, ref) if e.seq == seq).struck
    ops.set_status(store, ref, "investigating")  # reopened
    ops.strike_event(store, ref, seq)
    assert "resolved" not in ops.milestones(store, ref)
    with pytest.raises(InvalidInput, match="criteria"):  # restoring it would resolve unchecked
        ops.restore_event(store, ref, seq)


def test_the_first_look_marks_only_the_standing_mark(tmp_path: Path, policy: Policy, clock: FrozenClock) -> None:
    from tests.test_lite_view import _same_as_the_orm

    with Store(tmp_path / "first.db", policy=policy, clock=clock) as store:
        _marked_twice_read_both_ways(store, _same_as_the_orm)


def _marked_twice_read_both_ways(store: Store, same_as_the_orm: Callable[..., FirstScreen]) -> None:
    ref = _declare(store)
    ops.set_milestone(store, ref, "started", at=NOW - timedelta(minutes=30))
    ops.set_milestone(store, ref, "started", at=NOW - timedelta(minutes=40))
    first = same_as_the_orm(store, ref, 400)  # the sqlite3 read agrees with the record's, row for row
    assert len([row for row in first.rows if row.marker == "start"]) == 1
