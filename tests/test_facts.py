"""Correcting an incident's facts after declaring it: `ops.set_facts` and `warroom set`,
on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from storage import comms, ops
from storage.db import Store
from storage.errors import FactsConflict, InvalidInput
from tests.test_cli import FROZEN
from tests.test_ops import declare
from tui.cli import main


def facts_events(store: Store, ref: str) -> list[tuple[str, str | None, bool, str]]:
    return [(e.text, e.detail, e.key, e.author) for e in ops.timeline(store, ref) if e.kind == "facts"]


def test_each_changed_fact_is_an_event_with_the_old_and_new_value(store: Store) -> None:
    ref = declare(store)
    before = ops.get_incident(store, ref).change_count
    incident = ops.set_facts(
        store, ref, state="slow", customer_impact="Logins take 30 s", quantity_impacted="some",
        full_outage=True, author="Dana",
    )
    assert ops.title_of(store, incident) == "login is slow for EU customers"
    assert (incident.customer_impact, incident.quantity_impacted, incident.full_outage) == (
        "Logins take 30 s", "Some", True,
    )
    assert facts_events(store, ref) == [
        ("Title changed from “login is failing for EU customers” to “login is slow for EU customers”",
         "title", False, "Dana"),
        ("Customer impact changed from (none) to “Logins take 30 s”", "customer_impact", True, "Dana"),
        ("Customers impacted changed from “Unknown” to “Some”", "quantity_impacted", True, "Dana"),
        ("Marked as a full outage", "full_outage", True, "Dana"),
    ]
    assert ops.get_incident(store, ref).change_count == before + 4  # a change number per event
    ops.set_facts(store, ref, full_outage=False, customer_impact="")
    assert facts_events(store, ref)[-2:] == [
        ("Customer impact changed from “Logins take 30 s” to (none)", "customer_impact", True, "tester"),
        ("No longer marked as a full outage", "full_outage", True, "tester"),
    ]


def test_messages_use_the_facts_as_they_are_now(store: Store) -> None:
    ref = declare(store)
    ops.set_facts(store, ref, functionality="checkout", customer_impact="Card payments fail")
    draft = comms.draft_message(store, ref, "internal_update")
    assert "checkout is failing for EU customers" in draft.subject + draft.body
    assert "Card payments fail" in draft.body


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({}, "nothing to change"),
        ({"state": "  "}, "state is required"),
        ({"quantity_impacted": "most"}, "unknown quantity impacted 'most'"),
        ({"customer_impact": "a\x00b"}, "NUL"),
        ({"state": "failing", "full_outage": False}, "already has those facts"),
    ],
)
def test_a_change_that_changes_nothing_or_cannot_be_stored_is_refused_and_writes_nothing(
    store: Store, changes: dict[str, object], message: str
) -> None:
    ref = declare(store)
    before = ops.get_incident(store, ref).change_count
    with pytest.raises(InvalidInput, match=message):
        ops.set_facts(store, ref, **changes)  # type: ignore[arg-type]
    assert ops.get_incident(store, ref).change_count == before
    assert facts_events(store, ref) == []


def test_warroom_set_changes_the_facts_and_prints_them(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WARROOM_FROZEN_TIME", FROZEN)
    runner = CliRunner()

    def run(*args: str) -> tuple[int, str, str]:
        result = runner.invoke(main, [args[0], "--db", db_url, *args[1:]])
        return result.exit_code, result.stdout, result.stderr

    code, out, _ = run("declare", "--sev", "2", "--functionality", "login", "--state", "failing",
                       "--audience", "EU customers")
    ref = out.split()[0]
    code, out, err = run("set", ref, "--audience", "all customers", "--impact", "No logins\x1b[2J",
                         "--quantity", "all", "--customers", "ACME", "--full-outage")
    assert code == 0, err
    assert out.splitlines() == [
        f"{ref} login is failing for all customers",
        "impact: No logins␛[2J; customers impacted: All; known: ACME; full outage",
    ]
    code, out, err = run("set", ref, "--no-full-outage", "--customers", "")
    assert code == 0 and out.splitlines()[-1].endswith("known: (none); not a full outage"), err
    code, out, err = run("set", ref, "--quantity", "All")
    assert code == 1 and err == f"warroom: {ref} already has those facts: nothing changed\n"
    code, out, err = run("timeline", ref)
    assert "facts" in out and "Known impacted customers changed from “ACME” to (none)" in out
    code, out, err = run("declare", "--sev", "1", "--functionality", "api", "--state", "down", "--audience", "all",
                         "--full-outage")
    assert code == 0, err
    code, out, err = run("set", out.split()[0], "--full-outage")  # declared as one already
    assert code == 1 and "already has those facts" in err


def test_the_timeline_shows_facts_events_as_written_by_the_record() -> None:
    """The widget's list of record kinds (it may not import storage) is storage's."""
    from storage.models import RECORD_KINDS as STORED
    from widgets.timeline_entry import RECORD_KINDS as SHOWN

    assert set(STORED) == SHOWN


def test_facts_typed_over_values_changed_meanwhile_are_refused_with_theirs_and_nothing_written(store: Store) -> None:
    ref = ops.declare(store, severity=2, functionality="search", state="slow", audience="everyone",
                      customer_impact="Searches are slow").ref
    seen: dict[str, str | bool] = {"customer_impact": "Searches are slow", "full_outage": False}
    ops.set_facts(store, ref, customer_impact="Searches time out", author="Lee Chen")  # another terminal
    before = [event.text for event in ops.timeline(store, ref)]
    with pytest.raises(FactsConflict, match="customer impact") as refused:
        ops.set_facts(store, ref, customer_impact="Searches fail", full_outage=True, expected=seen)
    assert refused.value.theirs == {"customer_impact": "Searches time out"}
    incident = ops.get_incident(store, ref)
    assert (incident.customer_impact, incident.full_outage) == ("Searches time out", False)
    assert [event.text for event in ops.timeline(store, ref)] == before
    seen["customer_impact"] = "Searches time out"  # seen now: written over
    ops.set_facts(store, ref, customer_impact="Searches fail", full_outage=True, expected=seen)
    assert ops.get_incident(store, ref).customer_impact == "Searches fail"
