"""Checklists: the process steps, the resolution criteria and the follow-ups, on each backend."""

from __future__ import annotations

from datetime import timedelta

import pytest

from storage import checklists, ops, postmortem
from storage.checklists import Criterion, Step
from storage.clock import FrozenClock
from storage.db import Store
from storage.errors import InvalidInput
from storage.policy import Policy
from tests.conftest import NOW


def declare(store: Store, **overrides: object) -> str:
    fields: dict[str, object] = {
        "severity": 1,
        "functionality": "login",
        "state": "failing",
        "audience": "EU customers",
    }
    fields.update(overrides)
    return ops.declare(store, **fields).ref  # type: ignore[arg-type]


def steps(store: Store, ref: str) -> dict[str, Step]:
    return {step.key: step for step in checklists.process_checklist(store, ref)}


def unmet(store: Store, ref: str) -> list[str]:
    return [c.key for c in checklists.resolution_criteria(store, ref) if not c.met]


# --- process checklist -----------------------------------------------------------------


def test_steps_come_in_order_with_deadlines_from_detection(store: Store, clock: FrozenClock) -> None:
    ref = declare(store)
    ops.set_milestone(store, ref, "started", at=NOW - timedelta(minutes=30))
    ops.set_milestone(store, ref, "detected", at=NOW - timedelta(minutes=5))
    listed = checklists.process_checklist(store, ref)
    assert [s.key for s in listed] == ["decide", "declare", "triage", "communicate", "mitigate", "resolve"]
    by_key = {s.key: s for s in listed}
    assert by_key["decide"].due_at == NOW + timedelta(minutes=5)
    assert by_key["declare"].due_at == NOW + timedelta(minutes=15)
    assert {s.key for s in listed if s.due_at is None} == {"triage", "communicate", "mitigate", "resolve"}
    # deciding is done by the declaration itself, in time here
    assert (by_key["decide"].done_at, by_key["decide"].done_by, by_key["decide"].auto) == (NOW, "tester", True)
    assert not by_key["decide"].late
    assert [s.key for s in listed if s.overdue] == []

    clock.advance(minutes=14)
    assert [s.key for s in checklists.process_checklist(store, ref) if s.overdue] == []
    clock.advance(minutes=2)  # 16 minutes on: the 20-minute declare deadline from detection has passed
    assert [s.key for s in checklists.process_checklist(store, ref) if s.overdue] == ["declare"]
    clock.advance(hours=5)
    assert [s.key for s in checklists.process_checklist(store, ref) if s.overdue] == ["declare"]


def test_deadlines_fall_back_to_the_start_then_the_declaration(store: Store, clock: FrozenClock) -> None:
    ref = declare(store)
    assert steps(store, ref)["declare"].due_at == NOW + timedelta(minutes=20)
    ops.set_milestone(store, ref, "started", at=NOW - timedelta(minutes=25))
    by_key = steps(store, ref)
    assert by_key["decide"].due_at == NOW - timedelta(minutes=15)
    assert by_key["declare"].due_at == NOW - timedelta(minutes=5)
    assert by_key["declare"].overdue
    assert by_key["decide"].late and not by_key["decide"].overdue  # declared after its deadline


def test_steps_complete_themselves_from_the_record(store: Store, clock: FrozenClock) -> None:
    ref = declare(store)
    assert {k for k, s in steps(store, ref).items() if s.done} == {"decide"}

    clock.advance(minutes=3)
    ops.assign_role(store, ref, "ic", "Dana")
    assert not steps(store, ref)["declare"].done  # no initial communication yet
    clock.advance(minutes=4)
    ops.record_status_update(store, ref, channel="internal", kind="initial", author="Dana")
    declare_step = steps(store, ref)["declare"]
    assert (declare_step.done_at, declare_step.done_by, declare_step.auto) == (NOW + timedelta(minutes=7), "Dana", True)
    assert not declare_step.late
    assert not steps(store, ref)["communicate"].done

    clock.advance(minutes=30)
    ops.record_status_update(store, ref, channel="internal", kind="update", author="Lee")
    assert steps(store, ref)["communicate"].done_by == "Lee"

    clock.advance(minutes=10)
    ops.set_milestone(store, ref, "mitigated", at=NOW + timedelta(minutes=40), author="Ola")
    mitigate = steps(store, ref)["mitigate"]
    assert (mitigate.done_at, mitigate.done_by) == (NOW + timedelta(minutes=40), "Ola")
    ops.set_milestone(store, ref, "resolved")
    assert {k for k, s in steps(store, ref).items() if s.done} == {
        "decide",
        "declare",
        "communicate",
        "mitigate",
        "resolve",
    }
    assert not steps(store, ref)["triage"].done  # only a tick completes triage


def test_an_initial_update_without_an_ic_does_not_complete_declare(store: Store) -> None:
    ref = declare(store)
    ops.record_status_update(store, ref, channel="internal", kind="initial")
    assert not steps(store, ref)["declare"].done


def test_ticks_persist_and_land_in_the_timeline(db_url: str, policy: Policy, clock: FrozenClock) -> None:
    with Store(db_url, policy=policy, clock=clock) as store:
        ref = declare(store)
        clock.advance(minutes=6)
        step = checklists.tick_step(store, ref, "triage", author="Dana", at=NOW + timedelta(minutes=5))
        assert isinstance(step, Step)
        assert (step.done_at, step.done_by, step.auto) == (NOW + timedelta(minutes=5), "Dana", False)
        last = ops.timeline(store, ref)[-1]
        assert (last.kind, last.author, last.detail, last.occurred_at) == (
            "checklist",
            "Dana",
            "triage",
            NOW + timedelta(minutes=5),
        )
        assert last.text == "Checklist: Engage responders and page the owning team"
        with pytest.raises(InvalidInput, match=r"triage is already ticked .*by Dana"):
            checklists.tick_step(store, ref, "triage")
        before = len(ops.timeline(store, ref))

    with Store(db_url, policy=policy, clock=clock) as reopened:
        triage = steps(reopened, ref)["triage"]
        assert (triage.done_at, triage.done_by) == (NOW + timedelta(minutes=5), "Dana")
        assert len(ops.timeline(reopened, ref)) == before  # the refused second tick wrote nothing
        checklists.untick_step(reopened, ref, "Triage", author="Lee")
        last = ops.timeline(reopened, ref)[-1]
        assert (last.kind, last.author, last.text) == (
            "checklist",
            "Lee",
            "Checklist: unticked Engage responders and page the owning team",
        )
        with pytest.raises(InvalidInput, match="triage is not ticked"):
            checklists.untick_step(reopened, ref, "triage")

    with Store(db_url, policy=policy, clock=clock) as again:
        triage = steps(again, ref)["triage"]
        assert (triage.done_at, triage.done_by) == (None, "")
        checklists.tick_step(again, ref, "triage", author="Kim")
        assert steps(again, ref)["triage"].done_by == "Kim"


def test_a_tick_on_declare_counts_until_the_record_shows_it(store: Store, clock: FrozenClock) -> None:
    ref = declare(store, ic="Dana")
    clock.advance(minutes=25)
    assert steps(store, ref)["declare"].overdue
    checklists.tick_step(store, ref, "declare", author="Dana", at=NOW + timedelta(minutes=12))
    step = steps(store, ref)["declare"]
    assert step.done and not step.overdue and not step.late and not step.auto


def test_bad_ticks_are_refused_with_a_reason(store: Store) -> None:
    ref = declare(store, ic="Dana")
    with pytest.raises(InvalidInput, match=r"unknown checklist step 'page'.*decide, declare, triage, communicate"):
        checklists.tick_step(store, ref, "page")
    with pytest.raises(InvalidInput, match="mitigated milestone"):
        checklists.tick_step(store, ref, "mitigate")
    with pytest.raises(InvalidInput, match="resolve the incident"):
        checklists.tick_step(store, ref, "resolve")
    with pytest.raises(InvalidInput, match="decide is already done: the record shows it"):
        checklists.tick_step(store, ref, "decide")
    with pytest.raises(InvalidInput, match="in the future"):
        checklists.tick_step(store, ref, "triage", at=NOW + timedelta(hours=1))
    with pytest.raises(InvalidInput, match="decide follows from the record"):
        checklists.untick_step(store, ref, "decide")
    assert [e.kind for e in ops.timeline(store, ref)] == ["declared", "role"]


# --- resolution ------------------------------------------------------------------------


def test_resolution_is_refused_with_the_unmet_criteria_and_writes_nothing(store: Store) -> None:
    ref = declare(store, ic="Dana")
    before = (ops.get_incident(store, ref).change_count, len(ops.timeline(store, ref)))
    with pytest.raises(InvalidInput) as refused:
        checklists.resolve(store, ref, author="Dana")
    message = str(refused.value)
    assert "4 of 4 criteria unmet" in message
    for label in ("Mitigation is durable", "IC has reviewed", "Retrospective is scheduled", "Final update is sent"):
        assert label in message
    incident = ops.get_incident(store, ref)
    assert (incident.change_count, len(ops.timeline(store, ref))) == before
    assert incident.status == "investigating"
    assert "resolved" not in ops.milestones(store, ref)
    assert checklists.followups(store, ref) == {}


def test_forced_resolution_is_recorded_with_what_was_missing(store: Store, clock: FrozenClock) -> None:
    ref = declare(store, ic="Dana")
    postmortem.update_postmortem(store, ref, meeting_at=NOW + timedelta(days=1))
    clock.advance(minutes=30)
    criteria = checklists.resolve(store, ref, force=True, author="Dana")
    assert [(c.key, c.met) for c in criteria] == [
        ("durable_mitigation", False),
        ("ic_signoff", False),
        ("retrospective_scheduled", True),
        ("final_update_sent", False),
    ]
    assert ops.milestones(store, ref)["resolved"] == NOW + timedelta(minutes=30)
    assert ops.get_incident(store, ref).status == "resolved"
    forced = [e for e in ops.timeline(store, ref) if e.kind == "checklist"]
    assert len(forced) == 1
    assert forced[0].text == (
        "Resolved with unmet criteria: Mitigation is durable, IC has reviewed and signed off the record, "
        "Final update is sent"
    )
    assert (forced[0].key, forced[0].author) == (True, "Dana")
    with pytest.raises(InvalidInput, match="already resolved"):
        checklists.resolve(store, ref, force=True)


def test_criteria_are_met_one_by_one_then_resolution_goes_through(store: Store, clock: FrozenClock) -> None:
    ref = declare(store, ic="Dana")
    assert unmet(store, ref) == ["durable_mitigation", "ic_signoff", "retrospective_scheduled", "final_update_sent"]

    clock.advance(minutes=20)
    ops.log(store, ref, "the rollback looks durable")  # before mitigation: not enough
    assert "durable_mitigation" in unmet(store, ref)
    ops.set_milestone(store, ref, "mitigated")
    assert "durable_mitigation" not in unmet(store, ref)  # the milestone now exists, and the note says durable

    ops.strike_event(store, ref, ops.timeline(store, ref)[-3].seq)  # strike the note: it no longer counts
    assert ops.timeline(store, ref)[-3].struck
    assert "durable_mitigation" in unmet(store, ref)
    ops.log(store, ref, "the fix is not durable yet")
    assert "durable_mitigation" in unmet(store, ref)
    ops.log(store, ref, "mitigation is durable")
    durable = checklists.resolution_criteria(store, ref)[0]
    assert durable.met and "mitigation is durable" in durable.detail

    with pytest.raises(InvalidInput, match=r"only the Incident Commander \(Dana\) can sign off"):
        checklists.sign_off(store, ref, author="Lee")
    signed = checklists.sign_off(store, ref, author="Dana")
    assert (signed.key, signed.met) == ("ic_signoff", True)
    last = ops.timeline(store, ref)[-1]
    assert (last.kind, last.text, last.author, last.key) == ("checklist", "IC signed off on the record", "Dana", True)
    with pytest.raises(InvalidInput, match="already signed off"):
        checklists.sign_off(store, ref, author="Dana")
    assert unmet(store, ref) == ["retrospective_scheduled", "final_update_sent"]

    postmortem.update_postmortem(store, ref, owner="Dana", meeting_at=NOW + timedelta(days=1))
    assert unmet(store, ref) == ["final_update_sent"]
    ops.record_status_update(store, ref, channel="status_page", kind="resolved")
    assert unmet(store, ref) == ["final_update_sent"]  # the status page is not the internal list
    ops.record_status_update(store, ref, channel="internal", kind="resolved")
    assert unmet(store, ref) == []

    criteria = checklists.resolve(store, ref, author="Dana")
    assert all(c.met for c in criteria)
    assert "resolved" in ops.milestones(store, ref)
    assert not any(e.text.startswith("Resolved with unmet") for e in ops.timeline(store, ref))


def test_a_ticked_durable_mitigation_meets_the_criterion(store: Store) -> None:
    ref = declare(store)
    result = checklists.tick_step(store, ref, "durable-mitigation", author="Ola")
    assert isinstance(result, Criterion)
    assert (result.key, result.met) == ("durable_mitigation", True)
    assert "durable_mitigation" not in unmet(store, ref)
    checklists.untick_step(store, ref, "durable_mitigation")
    assert "durable_mitigation" in unmet(store, ref)


def test_after_a_handover_the_new_ic_must_sign_off(store: Store, clock: FrozenClock) -> None:
    ref = declare(store, ic="Dana")
    with pytest.raises(InvalidInput, match="no Incident Commander"):
        checklists.sign_off(store, declare(store), author="Dana")
    checklists.sign_off(store, ref, author="dana")  # names match regardless of case
    clock.advance(minutes=5)
    ops.assign_role(store, ref, "ic", "Sam")
    signoff = checklists.resolution_criteria(store, ref)[1]
    assert not signoff.met and "Sam is IC now" in signoff.detail
    checklists.sign_off(store, ref, author="Sam")
    assert checklists.resolution_criteria(store, ref)[1].met
    checklists.untick_step(store, ref, "ic_signoff", author="Sam")
    assert ops.timeline(store, ref)[-1].text == "IC sign-off withdrawn"
    assert "ic_signoff" in unmet(store, ref)


# --- follow-ups ------------------------------------------------------------------------


def test_follow_ups_go_to_everyone_who_held_a_role(db_url: str, policy: Policy, clock: FrozenClock) -> None:
    with Store(db_url, policy=policy, clock=clock) as store:
        ref = declare(store, ic="Dana")
        ops.assign_role(store, ref, "scribe", "Lee")
        ops.assign_role(store, ref, "sme", "Ola")
        ops.assign_role(store, ref, "sme", "Kim")
        ops.assign_role(store, ref, "deputy", "Max")
        ops.assign_role(store, ref, "customer_liaison", "Pat")
        clock.advance(minutes=90)
        ops.assign_role(store, ref, "ic", "Sam")  # Dana hands over; both get the IC follow-ups
        ops.release_role(store, ref, "sme", "Kim")  # a past SME still gets an SME follow-up
        checklists.resolve(store, ref, force=True, author="Sam")

        made = checklists.followups(store, ref)
        assert list(made) == ["Dana", "Sam", "Lee", "Ola", "Kim", "Pat"]  # policy role order; Max has none
        ic_steps = list(policy.roles["ic"].follow_up)
        assert [f.label for f in made["Dana"]] == ic_steps
        assert [f.label for f in made["Sam"]] == ic_steps
        assert {f.role for f in made["Dana"]} == {"ic"}
        assert [f.key for f in made["Lee"]] == ["scribe.1", "scribe.2"]
        assert [(f.role, f.label) for f in made["Kim"]] == [("sme", policy.roles["sme"].follow_up[0])]
        assert len(made["Pat"]) == len(policy.roles["customer_liaison"].follow_up)
        assert all(f.done_at is None and f.done_by == "" for items in made.values() for f in items)
        assert checklists.create_followups(store, ref) == 0  # idempotent

        clock.advance(hours=2)
        ticked = checklists.tick_followup(store, ref, "Lee", "scribe.2", author="Lee")
        assert (ticked.done_at, ticked.done_by) == (clock.now(), "Lee")
        with pytest.raises(InvalidInput, match="already ticked"):
            checklists.tick_followup(store, ref, "Lee", "scribe.2")
        with pytest.raises(InvalidInput, match=r"use one of scribe.1, scribe.2"):
            checklists.tick_followup(store, ref, "Lee", "ic.1")
        with pytest.raises(InvalidInput, match="people with follow-ups are Dana, Sam, Lee, Ola, Kim, Pat"):
            checklists.tick_followup(store, ref, "Max", "deputy.1")
        checklists.tick_followup(store, ref, "Dana", "ic.1", author="Dana")
        checklists.tick_followup(store, ref, "Sam", "ic.3", author="Sam")

    with Store(db_url, policy=policy, clock=clock) as reopened:
        made = checklists.followups(reopened, ref)
        assert [f.key for f in made["Lee"] if f.done] == ["scribe.2"]
        assert [f.key for f in made["Dana"] if f.done] == ["ic.1"]
        assert [f.key for f in made["Sam"] if f.done] == ["ic.3"]
        checklists.untick_followup(reopened, ref, "Lee", "scribe.2")
        with pytest.raises(InvalidInput, match="not ticked"):
            checklists.untick_followup(reopened, ref, "Lee", "scribe.2")
        assert not any(f.done for f in checklists.followups(reopened, ref)["Lee"])

        # someone who takes a role after resolution is added by the next call, nobody twice
        ops.assign_role(reopened, ref, "sme", "Vic")
        assert checklists.create_followups(reopened, ref) == 1
        assert list(checklists.followups(reopened, ref))[-1] == "Vic"


def test_follow_ups_before_resolution_are_explained(store: Store) -> None:
    ref = declare(store, ic="Dana")
    with pytest.raises(InvalidInput, match="no follow-ups yet"):
        checklists.tick_followup(store, ref, "Dana", "ic.1")


def test_a_reopened_incident_is_resolved_again_only_through_the_criteria(store: Store, clock: FrozenClock) -> None:
    ref = declare(store, ic="Dana")
    clock.advance(minutes=30)
    checklists.resolve(store, ref, force=True, author="Dana")
    clock.advance(minutes=5)
    ops.set_status(store, ref, "investigating")  # reopened
    with pytest.raises(InvalidInput, match="reopened"):  # marking resolved again would skip the criteria
        ops.set_milestone(store, ref, "resolved")
    assert ops.get_incident(store, ref).status == "investigating"
    with pytest.raises(InvalidInput, match="criteria unmet"):
        checklists.resolve(store, ref)
    clock.advance(minutes=5)
    checklists.resolve(store, ref, force=True, author="Dana")
    assert ops.get_incident(store, ref).status == "resolved"
    assert ops.milestones(store, ref)["resolved"] == NOW + timedelta(minutes=40)
    marks = [e for e in ops.timeline(store, ref) if e.kind == "milestone" and e.detail == "resolved"]
    assert [e.struck for e in marks] == [True, False]  # one standing resolved marker
    ops.set_milestone(store, ref, "resolved", at=NOW + timedelta(minutes=39))  # resolved: corrects the time
    assert ops.milestones(store, ref)["resolved"] == NOW + timedelta(minutes=39)
