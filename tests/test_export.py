"""Export to JSON and Markdown, and the JSON round trip through import."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from storage import ops, postmortem
from storage.clock import FrozenClock
from storage.db import Store
from storage.demo import build_demo
from storage.errors import InvalidInput
from storage.export import export_json, export_markdown, import_json
from storage.models import POSTMORTEM_SECTIONS
from storage.policy import Policy
from tests.conftest import NOW


def full_incident(store: Store, clock: FrozenClock) -> str:
    """The demo incident plus every kind of record the export carries."""
    ref = build_demo(store)
    event = ops.log(store, ref, "gateway restarted", author="Lee Chen")
    ops.edit_event(store, ref, event.seq, "!eu-gateway restarted [bold]not markup[/bold]", author="Lee Chen")
    ops.strike_event(store, ref, 10, author="Dana Okafor")  # the pager note
    ops.add_action_item(store, ref, "Pin processor certificates", owner="Sam Whitfield", priority="P0",
                        ticket_url="https://jira.example.com/OPS-1")
    ops.set_milestone(store, ref, "mitigated", at=NOW - timedelta(minutes=3))
    ops.set_impact(store, ref, full_outage=False, customer_impact="Card payments fail | sometimes\nretry works")
    postmortem.update_postmortem(
        store, ref, owner="Dana Okafor", status="in_review", meeting_at=NOW + timedelta(days=2),
        recording_url="https://meet.example.com/rec/1", support_requests="12 tickets: https://desk.example.com/v/9",
        numbers={"users_affected": 4200, "events_dropped": 0},
        sections={"overview": "Expired intermediate certificate.", "went_well": "Fast rollback."},
    )
    child = ops.declare(store, severity=3, functionality="receipts", state="delayed", audience="EU customers")
    ops.link_incidents(store, ref, child.ref)
    from storage import checklists

    checklists.tick_step(store, ref, "triage", author="Dana Okafor")
    checklists.create_followups(store, ref)
    checklists.tick_followup(store, ref, "Lee Chen", "scribe.1", author="Lee Chen")
    return ref


def test_json_export_has_the_documented_shape(store: Store, clock: FrozenClock) -> None:
    ref = full_incident(store, clock)
    doc = json.loads(export_json(store, ref))
    assert list(doc) == [
        "format", "version", "incident", "severity_history", "roles", "timeline",
        "status_updates", "action_items", "postmortem", "checklists", "metrics",
    ]
    assert doc["incident"]["ref"] == ref
    assert doc["incident"]["milestones"]["started"] == "2026-11-23T13:42:00Z"
    assert doc["roles"][0] == {
        "role": "ic",
        "person": "Dana Okafor",
        "from": "2026-11-23T13:54:00Z",
        "until": None,
        "note": "",
    }
    times = [e["at"] for e in doc["timeline"]]
    assert times == sorted(times)
    assert set(doc["timeline"][0]) >= {"at", "kind", "text", "author", "link", "key"}
    assert doc["postmortem"]["impact"]["time_in_sev"] == {"SEV1": 39 * 60, "SEV2": 19 * 60}
    assert doc["metrics"] == {
        "time_to_detect_s": 7 * 60,
        "time_to_acknowledge_s": 2 * 60,
        "time_to_mitigate_s": 55 * 60,
        "time_to_resolve_s": None,
    }
    edited = next(
        e for e in doc["timeline"] if e["text"].startswith("!eu-gateway") or "eu-gateway restarted" in e["text"]
    )
    assert edited["revisions"][0]["text"] == "gateway restarted"
    assert any(e["struck"] for e in doc["timeline"])
    triage = next(c for c in doc["checklists"] if c["key"] == "triage")
    assert (triage["list"], triage["done_by"], triage["done_at"]) == ("process", "Dana Okafor", "2026-11-23T14:40:00Z")
    assert any(c["list"] == "followup" and c["person"] == "Lee Chen" and c["done_at"] for c in doc["checklists"])


def _fresh_sqlite(tmp_path: Path, policy: Policy, clock: FrozenClock, name: str) -> Store:
    return Store(tmp_path / name, policy=policy, clock=clock)


def test_round_trip_into_an_empty_database_is_exact(
    store: Store, clock: FrozenClock, policy: Policy, tmp_path: Path
) -> None:
    ref = full_incident(store, clock)
    children = ops.related_incidents(store, ref)
    for exported_ref in (ref, *children):
        first = export_json(store, exported_ref)
        with _fresh_sqlite(tmp_path, policy, clock, f"{exported_ref}.db") as target:
            assert import_json(target, first).ref == exported_ref
            assert export_json(target, exported_ref) == first


def test_round_trip_from_sqlite_into_each_backend(
    store: Store, clock: FrozenClock, policy: Policy, tmp_path: Path
) -> None:
    with _fresh_sqlite(tmp_path, policy, clock, "source.db") as source:
        ref = full_incident(source, clock)
        first = export_json(source, ref)
    import_json(store, first)
    assert export_json(store, ref) == first
    assert ops.timeline(store, ref)[-1].seq == len(json.loads(first)["timeline"])


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: "not json", "invalid JSON"),
        (lambda d: json.dumps({**d, "format": "other"}), "not a warroom export"),
        (lambda d: json.dumps({**d, "version": 99}), "version 99 is not supported"),
        (
            lambda d: json.dumps({**d, "incident": {**d["incident"], "declared_at": "2026-11-23T10:00:00"}}),
            "incident.declared_at",
        ),
        (lambda d: json.dumps({**d, "incident": {**d["incident"], "severity": 9}}), "unknown severity"),
        (lambda d: json.dumps({**d, "timeline": [{**d["timeline"][0], "kind": "gossip"}]}), "timeline.0.kind"),
        (lambda d: json.dumps({**d, "surprise": 1}), "surprise"),
    ],
)
def test_bad_imports_are_refused_and_write_nothing(
    store: Store,
    clock: FrozenClock,
    policy: Policy,
    tmp_path: Path,
    mutate: Callable[[dict[str, Any]], str],
    message: str,
) -> None:
    with _fresh_sqlite(tmp_path, policy, clock, "source.db") as source:
        ref = ops.declare(source, severity=1, functionality="api", state="down", audience="everyone").ref
        ops.log(source, ref, "first note")
        doc = json.loads(export_json(source, ref))
    with pytest.raises(InvalidInput, match=message):
        import_json(store, mutate(doc))
    assert ops.list_incidents(store) == []


def test_importing_an_existing_reference_is_refused(store: Store) -> None:
    ref = ops.declare(store, severity=1, functionality="api", state="down", audience="everyone").ref
    ops.log(store, ref, "only once")
    text = export_json(store, ref)
    with pytest.raises(InvalidInput, match="already exists"):
        import_json(store, text)
    assert len(ops.timeline(store, ref)) == 2


def test_markdown_follows_the_template_order(store: Store, clock: FrozenClock) -> None:
    ref = full_incident(store, clock)
    text = export_markdown(store, ref)
    headings = [line[4:] for line in text.splitlines() if line.startswith("### ")]
    assert headings == [title for _, title in POSTMORTEM_SECTIONS]
    assert text.startswith(f"# {ref} checkout is failing for EU customers\n")
    assert "| Time in SEV1 | 39m |" in text  # durations as the post-mortem writes them (storage.render)
    assert "Card payments fail \\| sometimes<br>retry works" in text
    assert "Expired intermediate certificate." in text
    assert "| P0 | Pin processor certificates | Sam Whitfield |" in text
    assert "~~" in text and "🔴 " in text
    assert "~~ (struck) |" in text  # in words too: not every viewer draws the strike
