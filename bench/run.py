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
NOTES: list[str] = []
"""Said under the table: what was skipped and why."""


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

    from screens.command import CommandScreen
    from screens.messages import IncidentChanged
    from storage import live, ops
    from storage.db import Store
    from tui.app import WarroomApp
    from widgets.scribe_input import ScribeInput
    from widgets.timeline import TimelineView

    big, big_ref = _database(100_000)
    small, small_ref = _database(1_000)

    entered: list[float] = []
    commits: list[float] = []

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
            assert isinstance(screen, CommandScreen)
            for number in range(max(10, presses // 10)):
                start = time.perf_counter()
                ops.log(store, ref, f"appended line {number}")
                commits.append(time.perf_counter() - start)
                # What the watcher does for a poll that finds a change, here on the UI thread so
                # the figure is the work, not the thread hop: read the new events, show them, draw
                # them (the incident's header fields, read on the side, are read before the clock).
                watcher = screen._watcher
                assert watcher is not None and watcher.mark is not None
                view = live.incident_view(store, ref)
                start = time.perf_counter()
                rows, mark = live.events_since(store, ref, watcher.mark)
                screen.on_incident_changed(IncidentChanged(view, rows, mark))
                assert timeline.entries[-1].text == f"appended line {number}"
                for y in range(height):
                    timeline.render_line(y)
                append.append(time.perf_counter() - start)
            scribe = screen.query_one(ScribeInput)
            for number in range(max(10, presses // 10)):  # the whole path: Enter, worker, commit, shown
                text = f"entered line {number}"
                scribe.value = text
                await pilot.pause()
                start = time.perf_counter()
                await scribe.action_submit()
                deadline = start + 10
                while timeline.entries[-1].text != text:
                    if time.perf_counter() > deadline:
                        raise RuntimeError("keys benchmark: an entered line never appeared on screen")
                    await asyncio.sleep(0)
                for y in range(height):
                    timeline.render_line(y)
                entered.append(time.perf_counter() - start)
        store.close()
        return scroll, append

    big_scroll, big_append = asyncio.run(measure(big, big_ref))
    small_scroll, small_append = asyncio.run(measure(small, small_ref))
    ms = 1000
    scroll99, base99 = _percentile(big_scroll, 0.99) * ms, _percentile(small_scroll, 0.99) * ms
    append99, abase99 = _percentile(big_append, 0.99) * ms, _percentile(small_append, 0.99) * ms
    enter50, enter99 = statistics.median(entered) * ms, _percentile(entered, 0.99) * ms
    commit50, commit99 = statistics.median(commits) * ms, _percentile(commits, 0.99) * ms
    return [
        Figure("scroll keystroke, 100k events (p99)", scroll99, "ms", "< 16 ms", scroll99 < 16, base99, "1k events"),
        Figure("append: a logged line shown, 100k events (p99)", append99, "ms", "< 16 ms", append99 < 16, abase99,
               "1k events"),
        Figure("Enter to the line on screen, in the app (median)", enter50, "ms", "< 16 ms", enter50 < 16, commit50,
               "its commit alone"),
        Figure("Enter to the line on screen, in the app (p99)", enter99, "ms", "< 50 ms", enter99 < 50, commit99,
               "its commit alone"),
    ]


def commit_latency(count: int) -> list[Figure]:
    """Enter to durable commit: ops.log on WAL + synchronous=FULL vs a bare sqlite3 insert."""
    from storage import ops
    from storage.db import Store
    from storage.drafts import new_entry_id

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
        # As the app writes a line: with its entry id (looked up first, so a retry is one event).
        ops.log(store, ref, f"/action scribe line {number} https://grafana.example.com/d/{number}",
                entry_id=new_entry_id())
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
        Figure("durable commit of a scribe line, storage.ops.log (median)", median, "ms", "< 5 ms", median < 5, bmedian,
               "bare sqlite3"),
        Figure("durable commit of a scribe line, storage.ops.log (p99)", p99, "ms", "< 20 ms", p99 < 20, bp99,
               "bare sqlite3"),
    ]


def export_large(runs: int) -> list[Figure]:
    """`warroom export` of the 10k-event incident, in-process: the document built from the
    store and the text written as the CLI writes it, against a bare sqlite3 read of the
    same event rows dumped with json.dumps and written (the least any export does)."""
    from storage.db import Store
    from storage.export import export_json, export_markdown
    from storage.outputs import write_output
    from storage.policy import load_policy

    db, ref = _database(10_000)
    out = DATA / "export-out"
    store = Store(db, policy=load_policy())
    bare = sqlite3.connect(db)
    query = (
        "SELECT e.seq, e.occurred_at, e.logged_at, e.kind, e.text, e.author, e.link, e.key, e.detail, e.struck"
        " FROM event e JOIN incident i ON i.id = e.incident_id WHERE i.ref = ? ORDER BY e.occurred_at, e.seq"
    )

    def minimum() -> None:
        cursor = bare.execute(query, (ref,))
        names = [column[0] for column in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor]
        out.write_text(json.dumps(rows, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    base: list[float] = []
    as_json: list[float] = []
    as_markdown: list[float] = []
    exporters: list[tuple[Callable[[], object], list[float]]] = [
        (minimum, base),
        (lambda: write_output(out, export_json(store, ref), store.url), as_json),
        (lambda: write_output(out, export_markdown(store, ref), store.url), as_markdown),
    ]
    for _ in range(runs):  # alternate, so drift in machine speed hits all three alike
        for exporter, times in exporters:
            start = time.perf_counter()
            exporter()
            times.append(time.perf_counter() - start)
    store.close()
    bare.close()
    out.unlink(missing_ok=True)
    bmedian, jmedian, mmedian = (statistics.median(times) for times in (base, as_json, as_markdown))
    return [
        Figure("export 10k-event incident to JSON (median)", jmedian, "s", "< 2 s", jmedian < 2, bmedian,
               "bare sqlite3 + json.dumps"),
        Figure("export 10k-event incident to Markdown (median)", mmedian, "s", "< 2 s", mmedian < 2, bmedian,
               "bare sqlite3 + json.dumps"),
    ]


def _refresh_latencies(url: str | Path, ref: str, count: int) -> list[float]:
    """Seconds from a writer process's commit to its line in the command screen's timeline.

    The app runs headless in this process with its usual live refresh; the writer
    (bench/refresh_writer.py) logs `count` lines 0.1-0.4 s apart and prints each
    commit's wall-clock time, and this loop looks for the lines every millisecond."""
    import asyncio
    import threading

    from bench.refresh_writer import LINE
    from screens.command import CommandScreen
    from screens.watcher import POLL_SECONDS
    from storage.db import Store
    from tui.app import WarroomApp
    from widgets.timeline import TimelineView

    writer = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "refresh_writer.py"), str(url), ref, str(count), "7"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT,
    )
    assert writer.stdin is not None and writer.stdout is not None
    committed: dict[int, float] = {}
    ready = threading.Event()

    def read_writer() -> None:
        assert writer.stdout is not None
        for line in writer.stdout:
            if line.strip() == "ready":
                ready.set()
            elif line.strip() != "done":
                number, at = line.split()
                committed[int(number)] = float(at)

    reader = threading.Thread(target=read_writer, daemon=True)
    reader.start()
    texts = {LINE.format(number): number for number in range(count)}
    seen: dict[int, float] = {}

    async def watch() -> None:
        store = Store(url)
        app = WarroomApp(store, ref=ref)
        async with app.run_test(size=(120, 40)) as pilot:
            while not (isinstance(app.screen, CommandScreen) and app.screen.view is not None):
                await pilot.pause(0.01)
            await pilot.pause(2 * POLL_SECONDS)  # the watcher is polling; the writer has started up
            while not ready.is_set():
                if writer.poll() is not None:
                    raise RuntimeError(f"refresh benchmark: the writer process ended ({writer.returncode})")
                await pilot.pause(0.01)
            timeline = app.screen.query_one(TimelineView)
            writer.stdin.write("go\n")  # type: ignore[union-attr]
            writer.stdin.flush()  # type: ignore[union-attr]
            deadline = time.monotonic() + count * 0.4 + 10 * POLL_SECONDS
            while len(seen) < count and time.monotonic() < deadline:
                await asyncio.sleep(0.001)  # the screen applies changes on this loop, in between
                entries = timeline.entries
                for entry in entries[max(0, len(entries) - 10):]:
                    number = texts.get(entry.text or "")
                    if number is not None and number not in seen:
                        seen[number] = time.time()
        store.close()

    try:
        asyncio.run(watch())
    finally:
        writer.stdin.close()
        if len(seen) < count and writer.poll() is None:
            writer.kill()  # the app failed: the writer has nobody to write for
        writer.wait(timeout=30)
        reader.join(timeout=5)
    missing = count - len(seen)
    if missing:
        raise RuntimeError(f"refresh benchmark: {missing} of {count} lines never appeared on screen")
    return [seen[number] - committed[number] for number in range(count)]


def refresh_latency(count: int) -> list[Figure]:
    """Live refresh: a line logged by another process, from its commit to the screen, on
    SQLite and on PostgreSQL (WARROOM_BENCH_PG_URL, else a throwaway local server started
    like the test suite's, when the server binaries are installed)."""
    from contextlib import ExitStack

    from screens.watcher import POLL_SECONDS

    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / "refresh.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    targets: list[tuple[str, str | Path]] = [("SQLite", path)]
    servers = ExitStack()
    pg_url = os.environ.get("WARROOM_BENCH_PG_URL")
    if not pg_url:
        try:
            from tests.pgserver import PostgresServer

            server = servers.enter_context(PostgresServer())
            pg_url = server.create_database("warroom_bench")
        except Exception as exc:  # noqa: BLE001 - no binaries, no user to run them as: say so
            NOTES.append(f"refresh on PostgreSQL skipped: no local server ({exc}); set WARROOM_BENCH_PG_URL")
    if pg_url:
        targets.append(("PostgreSQL", pg_url))
    with servers:
        return _refresh_figures(targets, count, POLL_SECONDS)


def _refresh_figures(targets: list[tuple[str, str | Path]], count: int, poll_seconds: float) -> list[Figure]:
    """The refresh figures for each (backend, database) of `targets`."""
    from storage import ops
    from storage.db import Store

    figures: list[Figure] = []
    ms, poll = 1000, poll_seconds * 1000
    for backend, url in targets:
        with Store(url) as store:
            ref = ops.declare(store, severity=2, functionality="bench refresh", state="slow", audience="everyone").ref
        latencies = [latency * ms for latency in _refresh_latencies(url, ref, count)]
        median, worst = statistics.median(latencies), max(latencies)
        figures += [
            Figure(f"line from another process on screen, {backend} (median)", median, "ms",
                   "<= poll + 100 ms", median <= poll + 100, poll, "poll interval"),
            Figure(f"line from another process on screen, {backend} (max)", worst, "ms", "<= 2x poll",
                   worst <= 2 * poll, poll, "poll interval"),
        ]
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    names = ["start", "open", "keys", "commit", "idle", "export", "refresh"]
    parser.add_argument("--only", choices=names, help="run one section")
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
        "export": lambda: export_large(runs),
        "refresh": lambda: refresh_latency(8 if args.quick else 20),
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
    for note in NOTES:
        print(f"note: {note}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
