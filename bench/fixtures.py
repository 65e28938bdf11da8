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
