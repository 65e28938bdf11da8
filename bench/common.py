"""What the benchmark sections share: a figure with its baseline and target, the databases, paths."""

from __future__ import annotations

import os
import sqlite3
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / ".data"
WARROOM = str(Path(sys.executable).parent / "warroom")
"""The `warroom` command of this environment, as a person starts it."""
BASELINE_APPS = str(ROOT / "bench" / "baseline_apps.py")
NOTES: list[str] = []
"""Said under the table: what was skipped and why."""


@dataclass
class Figure:
    """One row: a measured value, the baseline measured in turn with it, and its target.

    The target is a ratio to the baseline (`absolute` False) or a value in `unit`."""

    name: str
    value: float
    unit: str
    baseline: float | None
    baseline_name: str
    limit: float
    absolute: bool = False

    @property
    def ratio(self) -> float | None:
        return self.value / self.baseline if self.baseline else None

    @property
    def ok(self) -> bool:
        if self.absolute:
            return self.value <= self.limit
        return self.ratio is not None and self.ratio <= self.limit

    def target(self) -> str:
        return f"<= {self.limit:g} {self.unit}" if self.absolute else f"<= {self.limit:g}x"

    def row(self) -> str:
        def amount(value: float) -> str:
            return f"{value:.0f} {self.unit}" if abs(value) >= 100 else f"{value:.3g} {self.unit}"

        baseline = f"{amount(self.baseline)} {self.baseline_name}" if self.baseline is not None else self.baseline_name
        ratio = f"{self.ratio:.2f}x" if self.ratio is not None else ""
        verdict = "ok" if self.ok else "MISSED"
        return f"| {self.name} | {amount(self.value)} | {baseline} | {ratio} | {self.target()} | {verdict} |"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def bench_env() -> dict[str, str]:
    """The environment of every warroom process the benchmarks start."""
    return {
        "WARROOM_CONFIG": os.environ.get("WARROOM_CONFIG", str(ROOT / "bench" / "config.toml")),
        "WARROOM_DRAFTS": os.environ.get("WARROOM_DRAFTS", str(DATA / "drafts")),
        "WARROOM_USER": "bench",
    }


def database(events: int) -> tuple[Path, str]:
    """The incident of `events` events under bench/.data/ (built through storage.ops the first time)."""
    from bench.fixtures import big_incident

    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"incident-{events}.db"
    marker = DATA / f"incident-{events}.ref"
    if not (path.exists() and marker.exists()):
        ref = big_incident(path, events)
        marker.write_text(ref)
    return path, marker.read_text()


def copy_database(source: Path, target: Path) -> Path:
    """A copy of `source` at `target` (through SQLite's backup, so a -wal file is included)."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()
    return target


def event_text(path: Path, ref: str, *, oldest: bool) -> str:
    """The text of the incident's newest (or oldest) event in timeline order, cut where the
    screen may cut it (before a link)."""
    order = "ASC" if oldest else "DESC"
    with sqlite3.connect(path) as connection:
        (text,) = connection.execute(
            f"SELECT e.text FROM event e JOIN incident i ON i.id = e.incident_id WHERE i.ref = ?"
            f" ORDER BY e.occurred_at {order}, e.seq {order} LIMIT 1",
            (ref,),
        ).fetchone()
    connection.close()
    return str(text).split(" https://")[0][:40]
