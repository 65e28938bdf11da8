"""Databases for the benchmarks: an incident with N events, written through storage.ops."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from storage import ops
from storage.db import Store
from storage.demo import build_demo

KINDS = ("", "/action ", "/query ", "/decision ", "!", "/todo ")


def big_incident(path: Path, events: int) -> str:
    """A fresh database at `path` holding the demo incident grown to `events` events."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    with Store(path) as store:
        ref = build_demo(store)
        now = store.now()
        start = now - timedelta(seconds=events + 60)
        batch: list[tuple[str, object]] = []
        for number in range(events - len(ops.timeline(store, ref))):
            kind = KINDS[number % len(KINDS)]
            text = f"{kind}step {number}: checked eu-gateway node {number % 40} https://grafana.example.com/d/{number}"
            batch.append((text, start + timedelta(seconds=number)))
            if len(batch) == 10_000:
                ops.log_many(store, ref, batch, author="Lee Chen")  # type: ignore[arg-type]
                batch = []
        if batch:
            ops.log_many(store, ref, batch, author="Lee Chen")  # type: ignore[arg-type]
        return ref


FUNCTIONALITIES = ("checkout", "search", "login", "payments", "email", "uploads", "reports")
OWNERS = ("Sam Reyes", "Priya Natarajan", "Tomás Ruiz", "Lee Chen", "")


def incident_history(store: Store, count: int, *, days: int) -> list[str]:
    """`count` incidents declared over the `days` before now, oldest first, their refs: mixed
    severities (a few raised to SEV1), milestones at varied delays, most resolved (with
    action items, some overdue), written through storage.ops. Deterministic."""
    from storage import checklists

    now = store.now()
    refs = []
    for number in range(count):
        declared = now - timedelta(days=days) + timedelta(minutes=number * days * 1440 // count + 37 * (number % 11))
        severity = (1, 2, 2, 3, 3, 3, 2)[number % 7]
        ref = ops.declare(
            store, severity=severity, functionality=FUNCTIONALITIES[number % len(FUNCTIONALITIES)],
            state="slow", audience="some customers", at=declared, author="Dana Okafor",
        ).ref
        refs.append(ref)
        started = declared - timedelta(minutes=3 + number % 17)
        detect = timedelta(minutes=2 + (number * 7) % 23)
        marks = [("started", started), ("detected", started + detect),
                 ("acknowledged", started + detect + timedelta(minutes=1 + number % 9))]
        if number % 5:
            marks.append(("mitigated", declared + timedelta(minutes=20 + (number * 13) % 170)))
        for name, at in marks:
            if at < now:
                ops.set_milestone(store, ref, name, at=at, author="Dana Okafor")
        if severity > 1 and number % 9 == 4:
            ops.change_severity(store, ref, 1, at=declared + timedelta(minutes=10), author="Dana Okafor")
        resolve_at = declared + timedelta(hours=2 + number % 30)
        if number % 5 and resolve_at < now - timedelta(hours=1):
            checklists.resolve(store, ref, force=True, at=resolve_at, author="Dana Okafor")
        if number % 3 == 0:
            ops.add_action_item(store, ref, f"Follow-up {number}", owner=OWNERS[number % len(OWNERS)],
                                due_date=(declared + timedelta(days=14 + number % 20)).date())
    return refs
