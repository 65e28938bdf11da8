"""The post-mortem: prefill from the record, status rules, meeting deadline and invite,
Jira CSV, the Markdown document and the list of incidents still owing one.

Golden files live in tests/golden/postmortem/. After an intended change, regenerate
them with `WARROOM_UPDATE_GOLDEN=1 pytest tests/test_postmortem.py` and read them.
"""

from __future__ import annotations

import csv
import io
import os
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from storage import checklists, ops
from storage import postmortem as pm
from storage.clock import FrozenClock
from storage.db import Store
from storage.demo import build_demo
from storage.errors import InvalidInput
from storage.models import POSTMORTEM_SECTIONS, ActionItem
from tests.conftest import NOW

GOLDEN = Path(__file__).parent / "golden" / "postmortem"
UPDATE_GOLDEN = bool(os.environ.get("WARROOM_UPDATE_GOLDEN"))


def check_golden(name: str, text: str) -> None:
    """Compare `text` byte for byte with the golden file (written when updating)."""
    path = GOLDEN / name
    data = text.encode("utf-8")
    if UPDATE_GOLDEN:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    assert data == path.read_bytes()


def resolved_demo(store: Store) -> str:
    """The demo SEV1, mitigated 10 minutes ago and resolved now (14:40 UTC)."""
    ref = build_demo(store)
    ops.set_milestone(store, ref, "mitigated", at=NOW - timedelta(minutes=10), author="Dana Okafor")
    ops.set_milestone(store, ref, "resolved", author="Dana Okafor")
    return ref


def written_postmortem(store: Store, clock: FrozenClock) -> str:
    """The resolved demo SEV1 with a post-mortem worked on for a day: fixed data for the goldens."""
    ref = resolved_demo(store)
    ops.record_status_update(
        store, ref, channel="internal", kind="resolved",
        subject="RESOLVED: SEV1 Incident - checkout is failing for EU customers",
        body="Card payments in the EU work again since 14:40 UTC.\n\nThanks to everyone who helped.",
        author="Dana Okafor",
    )
    clock.advance(days=1)  # Tuesday 24 Nov, 14:40 UTC
    pm.apply_prefill(store, ref, author="Lee Chen")
    pm.import_todos(store, ref)
    ops.add_action_item(
        store, ref, "Pin processor certificates with an overlap window", owner="Sam Whitfield", priority="P0",
        due_date=date(2026, 12, 1), ticket_url="https://jira.example.com/browse/OPS-101",
        category="prevent the root cause", tags=["payments"],
    )
    ops.add_action_item(
        store, ref, 'Write the "certificate rotation" runbook, with a checklist', owner="Lee Chen",
        priority="P3", category="preparedness",
    )
    ops.add_action_item(store, ref, "Rewrite the gateway in another language", priority="P4", state="wont_do")
    pm.update_postmortem(
        store, ref, owner="Marta Kowalski", meeting_at=datetime(2026, 11, 25, 9, 0, tzinfo=UTC),
        recording_url="https://meet.example.com/rec/inc-26-11-23",
        support_requests="14 tickets, e.g. https://desk.example.com/t/5521 | https://desk.example.com/t/5530",
        numbers={"notifications_out_of_sla": 0, "events_dropped": 0, "accounts_affected": 312, "users_affected": 4870},
        sections={
            "overview": (
                "On Monday 23 November card payments failed for some EU customers for 58 minutes (SEV1) "
                "because our EU gateway did not trust the card processor's new intermediate certificate."
            ),
            "what_happened": "The card processor rotated its intermediate certificate at 10:02 UTC. "
            "TLS handshakes from eu-gateway to the processor failed from 13:42 UTC.",
            "root_causes": "eu-gateway pins intermediate certificates and had no alert on handshake failures. "
            "The rollback of payments-api 4.12 cost ten minutes on the wrong lead.",
            "resolution": "Pinned the new intermediate on eu-gateway (canary first, then all nodes).",
            "went_well": "- Rollback and canary were quick.",
            "went_badly": "- Nothing told us the certificate was about to change.",
            "external_message": "On 23 November, some card payments in the EU failed for 58 minutes. "
            "We are sorry. We now watch certificate changes at our payment partners.",
        },
    )
    return ref


# --- prefill ---------------------------------------------------------------------------


def test_prefill_drafts_responders_timeline_and_impact(store: Store) -> None:
    ref = resolved_demo(store)
    card = next(e for e in ops.timeline(store, ref) if e.text.startswith("Card processor rotated"))
    ops.strike_event(store, ref, card.seq, author="Lee Chen")
    drafts = pm.prefill(store, ref)
    assert list(drafts) == ["impact", "responders", "timeline"]

    responders = drafts["responders"].splitlines()
    assert responders[0] == "- **Incident Commander:** Dana Okafor (2026-11-23 13:54–14:40 UTC)"
    assert responders[1] == "- **Scribe:** Lee Chen (2026-11-23 13:55–14:40 UTC)"
    assert "  - Marta Kowalski, Subject Matter Expert (payments-api), 2026-11-23 13:56–14:40 UTC" in responders

    rows = drafts["timeline"].splitlines()
    assert rows[0] == "| Time (UTC) | Event | Data |"
    assert rows[2] == "| 2026-11-23 13:42 | 🔴 Impact started |  |"
    assert rows[-1] == "| 2026-11-23 14:40 | 🟢 Resolved |  |"
    assert (
        "| 2026-11-23 13:50 | Pager: checkout error rate above 5% in eu-west "
        "| [link](https://grafana.example.com/d/checkout) |"
        in rows
    )
    assert "| 2026-11-23 14:01 | Raised severity from SEV2 to SEV1 |  |" in rows
    assert "| 2026-11-23 14:04 | Status page update sent (investigating) |  |" in rows
    assert not any("Card processor" in row for row in rows), "a struck key event stays out"
    assert not any("check-in" in row for row in rows)
    assert not any("Status changed from identified to mitigated" in row for row in rows), "the milestone says it"
    times = [row.split(" | ")[0] for row in rows[2:]]
    assert times == sorted(times)

    impact = drafts["impact"]
    assert impact.startswith("The impact lasted 58m from start to resolution (39m at SEV1, 19m at SEV2).")
    assert "| Time to resolve | 58m | started 13:42 → resolved 14:40 |" in impact
    assert "| Time to mitigate | 48m | started 13:42 → mitigated 14:30 |" in impact
    assert "- Known impacted customers: Northwind Traders, Fabrikam" in impact


def test_prefill_marks_the_declaration_as_start_without_a_started_milestone(store: Store) -> None:
    incident = ops.declare(
        store,
        severity=2,
        functionality="login",
        state="failing",
        audience="everyone",
        at=NOW - timedelta(minutes=30),
        ic="Dana Okafor",
    )
    ops.set_milestone(store, incident.ref, "resolved")
    rows = pm.prefill(store, incident.ref)["timeline"].splitlines()
    assert rows[2] == "| 2026-11-23 14:10 | 🔴 Declared SEV2: login is failing for everyone |  |"
    assert rows[-1] == "| 2026-11-23 14:40 | 🟢 Resolved |  |"


def test_apply_prefill_never_overwrites_what_the_owner_wrote(store: Store) -> None:
    ref = resolved_demo(store)
    pm.update_postmortem(store, ref, sections={"timeline": "My own timeline.", "responders": "  "})
    assert pm.apply_prefill(store, ref, author="Lee Chen") == ["impact", "responders"]
    sections = pm_sections(store, ref)
    assert sections["timeline"] == "My own timeline."
    assert sections["responders"].startswith("- **Incident Commander:** Dana Okafor")
    assert pm.apply_prefill(store, ref) == []

    assert pm.apply_prefill(store, ref, overwrite=True) == ["impact", "responders", "timeline"]
    assert pm_sections(store, ref)["timeline"].startswith("| Time (UTC) | Event | Data |")
    logged = [e for e in ops.timeline(store, ref) if e.detail == "postmortem:prefill"]
    assert [e.author for e in logged] == ["Lee Chen", "tester"]
    assert logged[0].text == "Post-mortem sections drafted from the record: Impact, Responders"


def pm_sections(store: Store, ref: str) -> dict[str, str]:
    from storage.export import build_document

    return dict(build_document(store, ref).postmortem.sections)


def test_import_todos_is_idempotent(store: Store) -> None:
    ref = resolved_demo(store)
    ops.log(store, ref, "/todo Add a runbook for certificate rotation", author="Lee Chen")
    struck = ops.log(store, ref, "/todo Page the wrong team again", author="Lee Chen")
    ops.strike_event(store, ref, struck.seq)
    ops.log(store, ref, "/todo alert on TLS handshake   failures per upstream", author="Sam Whitfield")
    ops.add_action_item(store, ref, "Add a runbook for CERTIFICATE rotation", owner="Lee Chen", priority="P2")

    assert pm.todo_candidates(store, ref) == [
        "Alert on TLS handshake failures per upstream",
        "Add a runbook for certificate rotation",
    ]
    assert pm.import_todos(store, ref) == 1
    assert pm.import_todos(store, ref) == 0
    items = ops.action_items(store, ref)
    assert len(items) == 2
    added = items[-1]
    assert (added.title, added.priority, added.category, added.state, added.owner) == (
        "Alert on TLS handshake failures per upstream",
        "P1",
        "from the timeline",
        "open",
        "",
    )
    assert added.tags == "sev1_20261123,sev1"


# --- status ----------------------------------------------------------------------------


def test_status_moves_one_step_at_a_time_and_needs_an_owner(store: Store) -> None:
    ref = resolved_demo(store)
    with pytest.raises(InvalidInput, match="already Draft"):
        pm.set_status(store, ref, "draft")
    with pytest.raises(InvalidInput, match="name the post-mortem owner before moving it to In Review"):
        pm.set_status(store, ref, "in_review")
    pm.update_postmortem(store, ref, owner="Marta Kowalski")
    with pytest.raises(InvalidInput, match="cannot skip to Reviewed; move it to In Review first"):
        pm.set_status(store, ref, "reviewed")
    assert pm.set_status(store, ref, "In Review", author="Marta Kowalski").status == "in_review"
    assert pm.set_status(store, ref, "reviewed").status == "reviewed"
    assert pm.set_status(store, ref, "in-review").status == "in_review"
    with pytest.raises(InvalidInput, match="already In Review"):
        pm.set_status(store, ref, "in_review")
    assert pm.set_status(store, ref, "reviewed").status == "reviewed"
    pm.set_status(store, ref, "closed")
    with pytest.raises(InvalidInput, match="only go back one step, to Reviewed"):
        pm.set_status(store, ref, "in_review")
    with pytest.raises(InvalidInput, match="unknown post-mortem status 'done'"):
        pm.set_status(store, ref, "done")

    events = [e for e in ops.timeline(store, ref) if (e.detail or "").startswith("postmortem:")]
    assert [(e.kind, e.detail) for e in events] == [
        ("status", "postmortem:in_review"),
        ("status", "postmortem:reviewed"),
        ("status", "postmortem:in_review"),
        ("status", "postmortem:reviewed"),
        ("status", "postmortem:closed"),
    ]
    assert events[0].text == "Post-mortem moved from Draft to In Review"
    assert events[0].author == "Marta Kowalski"


def _reviewed(store: Store) -> str:
    ref = resolved_demo(store)
    pm.update_postmortem(store, ref, owner="Marta Kowalski")
    pm.set_status(store, ref, "in_review")
    pm.set_status(store, ref, "reviewed")
    return ref


def test_closed_waits_for_the_status_page_message_to_be_posted(store: Store) -> None:
    ref = _reviewed(store)
    pending = ops.record_status_update(store, ref, channel="status_page", kind="resolved", posted=False)
    with pytest.raises(InvalidInput, match=r"cannot be Closed: the status-page message .* is not marked posted"):
        pm.set_status(store, ref, "closed")
    posted = pm.mark_posted(store, ref, author="Ana Souza")
    assert posted.id == pending.id and posted.posted
    with pytest.raises(InvalidInput, match="already marked posted"):
        pm.mark_posted(store, ref)
    assert pm.set_status(store, ref, "closed").status == "closed"


def test_closed_waits_for_the_external_message_section_to_be_published(store: Store) -> None:
    ref = _reviewed(store)
    with pytest.raises(InvalidInput, match="no External Message"):
        pm.record_external_message(store, ref)
    pm.update_postmortem(store, ref, sections={"external_message": "We are sorry; payments failed."})
    with pytest.raises(InvalidInput, match="External Message has not been posted"):
        pm.set_status(store, ref, "closed")
    update = pm.record_external_message(store, ref, author="Ana Souza")
    assert (update.channel, update.kind, update.posted, update.body) == (
        "status_page",
        "postmortem",
        False,
        "We are sorry; payments failed.",
    )
    with pytest.raises(InvalidInput, match="not marked posted"):
        pm.set_status(store, ref, "closed")
    pm.mark_posted(store, ref, update.id, author="Ana Souza")
    assert pm.set_status(store, ref, "closed").status == "closed"


def test_closing_needs_nothing_without_a_status_page_message(store: Store) -> None:
    incident = ops.declare(
        store,
        severity=2,
        functionality="search",
        state="slow",
        audience="everyone",
        at=NOW - timedelta(hours=1),
        ic="Dana Okafor",
    )
    ops.set_milestone(store, incident.ref, "resolved")
    pm.update_postmortem(store, incident.ref, owner="Dana Okafor")
    for status in ("in_review", "reviewed", "closed"):
        pm.set_status(store, incident.ref, status)


# --- meeting ---------------------------------------------------------------------------

FRIDAY = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
"""Friday 27 November 2026, 16:00 in Berlin."""


@pytest.mark.parametrize(
    ("severities", "expected"),
    [
        ((2,), datetime(2026, 12, 4, 15, 0, tzinfo=UTC)),  # 5 business days: next Friday
        ((1,), datetime(2026, 11, 30, 15, 0, tzinfo=UTC)),  # 3 calendar days: Monday
        ((2, 1, 2), datetime(2026, 11, 30, 15, 0, tzinfo=UTC)),  # the worst severity counts
        ((3,), None),
    ],
)
def test_meeting_deadline_counts_from_resolution_across_the_weekend(
    store: Store, clock: FrozenClock, severities: tuple[int, ...], expected: datetime | None
) -> None:
    clock.set(FRIDAY - timedelta(hours=2))
    incident = ops.declare(store, severity=severities[0], functionality="login", state="failing", audience="everyone")
    for level in severities[1:]:
        clock.advance(minutes=10)
        ops.change_severity(store, incident.ref, level)
    assert pm.meeting_deadline(store, incident.ref) is None  # not resolved yet
    clock.set(FRIDAY)
    ops.set_milestone(store, incident.ref, "resolved")
    assert pm.meeting_deadline(store, incident.ref) == expected


def test_meeting_check_warns_when_late_or_unscheduled(store: Store, clock: FrozenClock) -> None:
    ref = resolved_demo(store)  # SEV1 resolved Mon 14:40 UTC: deadline Thu 26 Nov 14:40 UTC
    assert pm.meeting_check(store, ref) is None
    clock.set(datetime(2026, 11, 25, 20, 40, tzinfo=UTC))
    assert pm.meeting_check(store, ref) == (
        "The post-mortem meeting is not scheduled and is due within 18h 00m (by Thu 26 Nov 2026 15:40 CET (14:40 UTC))"
    )
    clock.set(datetime(2026, 11, 27, 9, 0, tzinfo=UTC))
    assert pm.meeting_check(store, ref) == (
        "The post-mortem meeting is not scheduled and its deadline passed 18h 20m ago "
        "(Thu 26 Nov 2026 15:40 CET (14:40 UTC)): schedule it now"
    )
    pm.update_postmortem(store, ref, meeting_at=datetime(2026, 11, 30, 9, 0, tzinfo=UTC))
    assert pm.meeting_check(store, ref) == (
        "The post-mortem meeting (Mon 30 Nov 2026 10:00 CET (09:00 UTC)) is after its deadline "
        "(Thu 26 Nov 2026 15:40 CET (14:40 UTC)): move it earlier"
    )
    pm.update_postmortem(store, ref, meeting_at=datetime(2026, 11, 26, 9, 0, tzinfo=UTC))
    assert pm.meeting_check(store, ref) is None


def unfold(text: str) -> list[str]:
    return text.replace("\r\n ", "").split("\r\n")


def test_meeting_ics_matches_golden(store: Store, clock: FrozenClock) -> None:
    ref = written_postmortem(store, clock)
    text = pm.meeting_ics(store, ref, duration=timedelta(minutes=45))
    check_golden("meeting.ics", text)

    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    physical = text.split("\r\n")[:-1]
    assert all(len(line.encode("utf-8")) <= 75 for line in physical)
    assert any(line.startswith(" ") for line in physical), "the long lines are folded"
    lines = unfold(text)
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-2] == "END:VCALENDAR"
    assert "UID:postmortem-inc-26-11-23-SEV-2@warroom" in lines
    assert "DTSTAMP:20261124T144000Z" in lines
    assert "DTSTART:20261125T090000Z" in lines and "DTEND:20261125T094500Z" in lines
    assert "SUMMARY:Post-mortem: inc-26-11-23-SEV-2 checkout is failing for EU customers" in lines
    description = next(line for line in lines if line.startswith("DESCRIPTION:"))
    assert "Incident record: inc-26-11-23-SEV-2\\n" in description
    assert "Call recording: https://meet.example.com/rec/inc-26-11-23" in description

    clock.advance(hours=1)
    again = unfold(pm.meeting_ics(store, ref, duration=timedelta(minutes=45)))
    assert next(line for line in again if line.startswith("UID:")) == "UID:postmortem-inc-26-11-23-SEV-2@warroom"


def test_meeting_ics_escapes_text_and_folds_on_characters(store: Store) -> None:
    incident = ops.declare(
        store,
        severity=1,
        functionality="login, signup; SSO \\ MFA",
        state="failing",
        audience="Ünïcödé customers in München, Köln und Düsseldorf",
        at=NOW - timedelta(hours=1),
    )
    with pytest.raises(InvalidInput, match="no meeting time"):
        pm.meeting_ics(store, incident.ref)
    pm.update_postmortem(store, incident.ref, meeting_at=NOW + timedelta(days=1))
    text = pm.meeting_ics(store, incident.ref)
    for line in text.split("\r\n"):
        assert len(line.encode("utf-8")) <= 75
        line.encode("utf-8").decode("utf-8")  # no character was cut in two
    summary = next(line for line in unfold(text) if line.startswith("SUMMARY:"))
    assert summary == (
        "SUMMARY:Post-mortem: inc-26-11-23-SEV-1 login\\, signup\\; SSO \\\\ MFA is failing for "
        "Ünïcödé customers in München\\, Köln und Düsseldorf"
    )
    assert "DTEND:20261124T154000Z" in text


# --- action items ----------------------------------------------------------------------


def _items(*priorities: str, state: str = "open") -> list[ActionItem]:
    return [
        ActionItem(incident_id=1, title=f"item {n}", priority=p, state=state, created_at=NOW)
        for n, p in enumerate(priorities)
    ]


def test_action_item_warnings() -> None:
    assert pm.action_item_warnings([]) == []
    assert pm.action_item_warnings(_items("P0", "P1", "P2", "P3")) == []
    assert pm.action_item_warnings(_items("P1", "P2", "P4")) == [
        "2 of 3 action items are below P1: keep the ones that must be done (P0/P1) and drop or defer the rest"
    ]
    assert pm.action_item_warnings(_items("P1", "P2") + _items("P3", "P4", state="wont_do")) == []
    assert pm.action_item_warnings(_items(*["P1"] * 11)) == [
        "11 action items is a lot (more than 10): create tickets only for what really has to happen"
    ]
    assert len(pm.action_item_warnings(_items(*["P2"] * 12))) == 2


def test_action_items_csv_matches_golden_and_imports_into_jira(store: Store, clock: FrozenClock) -> None:
    ref = written_postmortem(store, clock)
    text = pm.action_items_csv(store, ref)
    check_golden("action_items.csv", text)

    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["Summary", "Assignee", "Priority", "Labels", "Labels", "Labels", "Due Date", "Description"]
    assert all(len(row) == len(rows[0]) for row in rows)
    assert [row[0] for row in rows[1:]] == [
        "Alert on TLS handshake failures per upstream",
        "Pin processor certificates with an overlap window",
        'Write the "certificate rotation" runbook, with a checklist',
    ]
    assert rows[2][1:7] == ["Sam Whitfield", "Highest", "sev1_20261123", "sev1", "payments", "2026-12-01"]
    assert rows[1][2:6] == ["High", "sev1_20261123", "sev1", ""]
    assert rows[3][2] == "Low"
    assert "Ticket: https://jira.example.com/browse/OPS-101" in rows[2][7]
    assert "inc-26-11-23-SEV-2" in rows[3][7]


# --- documents -------------------------------------------------------------------------


def test_postmortem_markdown_matches_golden_in_template_order(store: Store, clock: FrozenClock) -> None:
    ref = written_postmortem(store, clock)
    pm.record_external_message(store, ref, author="Ana Souza")
    text = pm.postmortem_markdown(store, ref)
    check_golden("postmortem.md", text)

    headings = [line for line in text.splitlines() if line.startswith("#")]
    titles = dict(POSTMORTEM_SECTIONS)
    expected = [
        "# Post-mortem: inc-26-11-23-SEV-2 checkout is failing for EU customers",
        *(
            f"## {titles[k]}"
            for k in ("overview", "what_happened", "root_causes", "resolution", "impact", "responders", "timeline")
        ),
        "## How'd We Do?",
        *(f"### {titles[k]}" for k in ("went_well", "went_badly", "got_lucky", "were_wrong")),
        "## Action Items",
        "## Messaging",
        f"### {titles['internal_email']}",
        f"### {titles['external_message']}",
    ]
    assert headings == expected
    assert "| Time in SEV1 | 39m |" in text and "| Users affected | 4,870 |" in text
    assert (
        "| Support requests raised | 14 tickets, e.g. https://desk.example.com/t/5521 "
        "\\| https://desk.example.com/t/5530 |"
        in text
    )
    assert (
        "- **Meeting:** Wed 25 Nov 2026 10:00 CET (09:00 UTC); deadline Thu 26 Nov 2026 15:40 CET (14:40 UTC)" in text
    )
    assert "> **RESOLVED: SEV1 Incident - checkout is failing for EU customers**" in text
    assert "Status page: recorded Tue 24 Nov 2026 15:40 CET (14:40 UTC), not posted yet." in text


def test_markdown_of_an_untouched_incident_uses_the_drafts(store: Store) -> None:
    ref = resolved_demo(store)
    text = pm.postmortem_markdown(store, ref)
    assert "- **Status:** Not started" in text
    assert "| 2026-11-23 13:42 | 🔴 Impact started |  |" in text
    assert "_Not written yet. A sentence or two" in text
    assert (
        "TODOs from the timeline not yet tracked as action items:\n\n- Alert on TLS handshake failures per upstream"
        in text
    )


def test_blameless_hints_name_people_in_the_root_causes(store: Store) -> None:
    ref = resolved_demo(store)
    assert pm.blameless_hints(store, ref) == []
    pm.update_postmortem(
        store,
        ref,
        sections={
            "root_causes": (
                "The gateway pins certificates. MARTA rolled back the wrong service; lee chen's notes show it."
            ),
        },
    )
    assert pm.blameless_hints(store, ref) == ["Lee Chen", "Marta Kowalski"]
    pm.update_postmortem(store, ref, sections={"root_causes": "Samples of the gateway logs; Danae was not involved."})
    assert pm.blameless_hints(store, ref) == []


# --- overview --------------------------------------------------------------------------


def test_needing_postmortem_lists_resolved_sev1_and_sev2_by_deadline(store: Store, clock: FrozenClock) -> None:
    ref = resolved_demo(store)  # SEV1 resolved Mon 23 Nov 14:40 UTC -> Thu 26 Nov 14:40 UTC
    older = ops.list_incidents(store, severity=2, status="resolved")[0].ref  # resolved Sat 21 Nov 12:52 UTC
    minor = ops.declare(
        store, severity=3, functionality="docs", state="stale", audience="everyone", at=NOW - timedelta(hours=1)
    )
    ops.set_milestone(store, minor.ref, "resolved")
    ops.declare(store, severity=1, functionality="api", state="down", audience="everyone")  # still open

    rows = pm.needing_postmortem(store)
    assert [(r.ref, r.severity, r.status, r.overdue) for r in rows] == [
        (ref, 1, "none", False),
        (older, 2, "none", False),
    ]
    # Saturday counts as the Friday before: 5 business days later is Friday 27 Nov, same time.
    assert rows[1].deadline == datetime(2026, 11, 27, 12, 52, tzinfo=UTC)
    assert rows[0].deadline == datetime(2026, 11, 26, 14, 40, tzinfo=UTC)

    pm.update_postmortem(store, older, owner="Priya Natarajan", meeting_at=datetime(2026, 11, 27, 9, 0, tzinfo=UTC))
    clock.set(datetime(2026, 11, 28, 9, 0, tzinfo=UTC))
    rows = pm.needing_postmortem(store)
    assert [(r.ref, r.status, r.owner, r.overdue) for r in rows] == [
        (ref, "none", "", True),
        (older, "draft", "Priya Natarajan", False),  # the meeting was held in time
    ]

    for status in ("in_review", "reviewed", "closed"):
        pm.set_status(store, older, status)
    assert [r.ref for r in pm.needing_postmortem(store)] == [ref]


def test_grouped_incidents_are_covered_by_their_primary(store: Store) -> None:
    ref = resolved_demo(store)
    child = ops.declare(
        store,
        severity=2,
        functionality="receipts",
        state="delayed",
        audience="EU customers",
        at=NOW - timedelta(minutes=30),
    )
    ops.set_milestone(store, child.ref, "resolved")
    ops.link_incidents(store, ref, child.ref)
    assert child.ref not in [r.ref for r in pm.needing_postmortem(store)]


def test_golden_files_are_all_used() -> None:
    assert sorted(p.name for p in GOLDEN.iterdir()) == ["action_items.csv", "meeting.ics", "postmortem.md"]


def test_storage_modules_stay_free_of_ui_imports() -> None:
    for module in Path(pm.__file__).parent.glob("*.py"):
        source = module.read_text(encoding="utf-8")
        assert not re.search(r"^\s*(?:from|import)\s+(?:textual|rich)\b", source, re.MULTILINE), module.name


def test_drafts_made_before_resolution_are_stale_afterwards_and_drafted_again_unless_edited(
    store: Store, clock: FrozenClock
) -> None:
    ref = build_demo(store)
    ops.set_milestone(store, ref, "mitigated", at=NOW - timedelta(minutes=10), author="Dana Okafor")
    assert pm.apply_prefill(store, ref, author="Lee Chen") == ["impact", "responders", "timeline"]
    assert pm.stale_drafts(store, ref) == []  # as the record stands
    clock.advance(minutes=5)
    pm.update_postmortem(store, ref, sections={"responders": pm_sections(store, ref)["responders"] + "\nAnd Pat."})
    clock.advance(minutes=5)
    checklists.resolve(store, ref, force=True)  # the record moves on: resolved, another key event
    assert pm.stale_drafts(store, ref) == ["impact", "timeline"]  # responders was edited: left alone
    before = pm_sections(store, ref)
    assert "Resolved" not in before["timeline"]
    assert pm.apply_prefill(store, ref, stale=True) == ["impact", "timeline"]
    after = pm_sections(store, ref)
    assert "Resolved" in after["timeline"] and after["responders"].endswith("And Pat.")
    assert pm.stale_drafts(store, ref) == []
    clock.advance(minutes=1)
    pm.update_postmortem(store, ref, sections={"impact": "Our own words now."})
    ops.log(store, ref, "!a key event after the owner took the impact over")
    assert pm.stale_drafts(store, ref) == ["timeline"]
