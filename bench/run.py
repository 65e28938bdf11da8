"""Run every benchmark of warroom and print its figures against their targets.

    make bench            (or: .venv/bin/python -m bench.run [--quick])

Each figure is also given as a ratio to a baseline measured in the same run, since the
machine's speed varies from run to run. Databases are built under bench/.data/.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / ".data"


@dataclass
class Figure:
    name: str
    value: float
    unit: str
    target: str
    ok: bool
    baseline: float | None = None
    baseline_name: str = ""

    def row(self) -> str:
        ratio = f"{self.value / self.baseline:6.2f}x {self.baseline_name}" if self.baseline else ""
        verdict = "ok" if self.ok else "MISSED"
        return f"| {self.name} | {self.value:.3f} {self.unit} | {self.target} | {ratio} | {verdict} |"


def _start(*args: str, idle: float = 0, poll: bool = True) -> dict[str, float]:
    env = {**os.environ, "TERM": "xterm-256color", "BENCH_IDLE_SECONDS": str(idle)}
    if not poll:
        env["BENCH_NO_POLL"] = "1"
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "start_app.py"), *args],
        capture_output=True, text=True, check=True, cwd=ROOT, env=env,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _database(events: int) -> tuple[Path, str]:
    from bench.fixtures import big_incident

    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"incident-{events}.db"
    marker = DATA / f"incident-{events}.ref"
    if not (path.exists() and marker.exists()):
        ref = big_incident(path, events)
        marker.write_text(ref)
    return path, marker.read_text()


def cold_start(runs: int) -> list[Figure]:
    db, _ = _database(10_000)
    minimal, first, shown = [], [], []
    for _ in range(runs):  # alternate, so drift in machine speed hits both alike
        minimal.append(_start("minimal")["cold_s"])
        result = _start("warroom", str(db))
        first.append(result["first_frame_s"])
        shown.append(result["data_frame_s"])
    base = statistics.median(minimal)
    ours, data = statistics.median(first), statistics.median(shown)
    return [
        Figure("cold start, minimal Textual app (Header+Footer)", base, "s", "baseline", True),
        Figure("cold start to first interactive frame (command screen, input live)", ours, "s",
               "<= 2x minimal", ours <= 2 * base, base, "minimal"),
        Figure("cold start until the 10k-event incident is on screen", data, "s", "(reported)", True,
               base, "minimal"),
    ]


def open_large(runs: int) -> list[Figure]:
    db, _ = _database(100_000)
    minimal = statistics.median(_start("minimal")["cold_s"] for _ in range(runs))
    results = [_start("warroom", str(db), "100000") for _ in range(runs)]
    shown = statistics.median(r["data_frame_s"] - r["attach_s"] for r in results)
    whole = statistics.median(r["full_timeline_s"] - r["attach_s"] for r in results)
    cold = statistics.median(r["full_timeline_s"] for r in results)
    rss = statistics.median(r["rss_mb"] for r in results)
    minimal_rss = statistics.median(_start("minimal")["rss_mb"] for _ in range(runs))
    return [
        Figure("open 100k-event incident: newest events on screen", shown, "s", "< 1 s", shown < 1.0,
               minimal, "minimal start"),
        Figure("open 100k-event incident: all 100k in the timeline", whole, "s", "< 1 s", whole < 1.0,
               minimal, "minimal start"),
        Figure("cold start until all 100k events are loaded", cold, "s", "(reported)", True, minimal,
               "minimal start"),
        Figure("resident memory, 100k events open", rss, "MB", "< 250 MB", rss < 250, minimal_rss, "minimal app"),
    ]


def idle_cpu(seconds: float, runs: int) -> list[Figure]:
    """CPU used while an incident is open and nothing happens (the live-refresh poll runs).

    Live refresh's own share is the difference to the same screen with polling off,
    from alternating runs (one run's noise is as large as the share itself)."""
    db, _ = _database(10_000)
    base = _start("minimal", idle=seconds)["idle_cpu_pct"]
    with_poll, without = [], []
    for _ in range(runs):
        with_poll.append(_start("warroom", str(db), idle=seconds)["idle_cpu_pct"])
        without.append(_start("warroom", str(db), idle=seconds, poll=False)["idle_cpu_pct"])
    ours, still = statistics.median(with_poll), statistics.median(without)
    polling = max(0.0, ours - still)
    return [
        Figure(f"idle CPU, incident open, {seconds:.0f} s (clocks tick each second)", ours, "%", "(reported)",
               True, base, "minimal app idle"),
        Figure("idle CPU of live refresh (polling every 0.5 s)", polling, "%", "negligible (< 1%)",
               polling < 1.0, still, "same screen, no polling"),
    ]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def keystrokes(presses: int) -> list[Figure]:
    """Time from a key's action to the visible lines rendered, for scrolling and appending."""
    import asyncio

    from storage import ops
    from storage.db import Store
    from tui.app import WarroomApp
    from widgets.timeline import TimelineView

    big, big_ref = _database(100_000)
    small, small_ref = _database(1_000)

    async def measure(path: Path, ref: str) -> tuple[list[float], list[float]]:
        store = Store(path)
        app = WarroomApp(store, ref=ref)
        scroll: list[float] = []
        append: list[float] = []
        async with app.run_test(size=(120, 40)) as pilot:
            for _ in range(50):
                await pilot.pause(0.02)
                timeline = app.screen.query_one(TimelineView)
                if timeline.entry_count >= len(ops.timeline(store, ref)) - 5:
                    break
            timeline = app.screen.query_one(TimelineView)
            height = timeline.size.height
            actions: list[Callable[[], None]] = [
                timeline.action_page_up, timeline.action_cursor_up, timeline.action_page_up,
                timeline.action_first, timeline.action_page_down, timeline.action_cursor_down,
                timeline.action_last,
            ]
            for number in range(presses):
                start = time.perf_counter()
                actions[number % len(actions)]()
                timeline.scroll_to(y=timeline.scroll_target_y, animate=False, immediate=True)
                for y in range(height):
                    timeline.render_line(y)
                scroll.append(time.perf_counter() - start)
            screen = app.screen
            for number in range(max(10, presses // 10)):
                ops.log(store, ref, f"appended line {number}")  # the commit is timed on its own below
                start = time.perf_counter()
                screen.refresh_now(timeline_only=True)  # type: ignore[attr-defined]
                for y in range(height):
                    timeline.render_line(y)
                append.append(time.perf_counter() - start)
        store.close()
        return scroll, append

    big_scroll, big_append = asyncio.run(measure(big, big_ref))
    small_scroll, small_append = asyncio.run(measure(small, small_ref))
    ms = 1000
    scroll99, base99 = _percentile(big_scroll, 0.99) * ms, _percentile(small_scroll, 0.99) * ms
    append99, abase99 = _percentile(big_append, 0.99) * ms, _percentile(small_append, 0.99) * ms
    return [
        Figure("scroll keystroke, 100k events (p99)", scroll99, "ms", "< 16 ms", scroll99 < 16, base99, "1k events"),
        Figure("append: a logged line shown, 100k events (p99)", append99, "ms", "< 16 ms", append99 < 16, abase99, "1k events"),
    ]


def commit_latency(count: int) -> list[Figure]:
    """Enter to durable commit: ops.log on WAL + synchronous=FULL vs a bare sqlite3 insert."""
    from storage import ops
    from storage.db import Store

    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / "latency.db"
    bare_path = DATA / "bare.db"
    for stale in (path, bare_path):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{stale}{suffix}").unlink(missing_ok=True)
    store = Store(path)
    ref = ops.declare(store, severity=2, functionality="api", state="slow", audience="everyone").ref
    bare = sqlite3.connect(bare_path, isolation_level=None)
    bare.execute("PRAGMA journal_mode = WAL")
    bare.execute("PRAGMA synchronous = FULL")
    bare.execute("CREATE TABLE event (id INTEGER PRIMARY KEY, at TEXT, text TEXT)")
    ours, base = [], []
    for number in range(count):
        start = time.perf_counter()
        ops.log(store, ref, f"/action scribe line {number} https://grafana.example.com/d/{number}")
        ours.append(time.perf_counter() - start)
        start = time.perf_counter()
        bare.execute("BEGIN IMMEDIATE")
        bare.execute("INSERT INTO event (at, text) VALUES (?, ?)", ("2026-11-23 14:40:00", f"line {number}"))
        bare.execute("COMMIT")
        base.append(time.perf_counter() - start)
    store.close()
    bare.close()
    ms = 1000
    median, p99 = statistics.median(ours) * ms, _percentile(ours, 0.99) * ms
    bmedian, bp99 = statistics.median(base) * ms, _percentile(base, 0.99) * ms
    return [
        Figure("Enter to durable commit (median)", median, "ms", "< 5 ms", median < 5, bmedian, "bare sqlite3"),
        Figure("Enter to durable commit (p99)", p99, "ms", "< 20 ms", p99 < 20, bp99, "bare sqlite3"),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--only", choices=["start", "open", "keys", "commit", "idle"], help="run one section")
    args = parser.parse_args()
    runs = 3 if args.quick else 7
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("WARROOM_CONFIG", str(ROOT / "bench" / "config.toml"))
    os.environ.setdefault("WARROOM_DRAFTS", str(DATA / "drafts"))
    figures: list[Figure] = []
    sections: dict[str, Callable[[], list[Figure]]] = {
        "start": lambda: cold_start(runs),
        "open": lambda: open_large(max(3, runs // 2)),
        "keys": lambda: keystrokes(70 if args.quick else 210),
        "commit": lambda: commit_latency(200 if args.quick else 1000),
        "idle": lambda: idle_cpu(5 if args.quick else 10, 3 if args.quick else 5),
    }
    for name, section in sections.items():
        if args.only in (None, name):
            figures += section()
    print(f"\nwarroom benchmarks: {os.cpu_count()} cores, Python {sys.version.split()[0]}\n")
    print("| figure | measured | target | ratio to baseline | |")
    print("| --- | --- | --- | --- | --- |")
    for figure in figures:
        print(figure.row())
    missed = [f.name for f in figures if not f.ok]
    print(f"\n{len(figures) - len(missed)} met, {len(missed)} missed")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
