"""The on-screen benchmarks: each app runs in a pty of its own and is timed until the text is on screen.

Every figure is a median (or p99) against a baseline measured in turn with it in the same run:
a minimal Textual app started the same way, an app with an Input that commits to SQLite, a
Log widget holding as many lines. See bench/screen.py for how the screen is read.
"""

from __future__ import annotations

import os
import random
import re
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from bench.baseline_apps import LOG_LINE, MINIMAL_TEXT
from bench.common import (
    BASELINE_APPS,
    DATA,
    NOTES,
    ROOT,
    WARROOM,
    Figure,
    bench_env,
    copy_database,
    database,
    event_text,
    percentile,
)
from bench.screen import Terminal, showing

SHIFT_TAB, HOME, END, PAGE_UP, PAGE_DOWN = b"\x1b[Z", b"\x1b[H", b"\x1b[F", b"\x1b[5~", b"\x1b[6~"
MINIMAL = [sys.executable, BASELINE_APPS, "minimal"]


def _warroom(path: Path, ref: str) -> list[str]:
    return [WARROOM, "--db", str(path), "open", ref]


def _on_screen(path: Path, ref: str) -> tuple[str, ...]:
    """What shows the incident is on screen: its header, a role, a countdown, the newest event."""
    return (ref, "IC Dana Okafor", "Incident Commander", "Responder check-in", event_text(path, ref, oldest=False))


def _minimal_launch() -> float:
    with Terminal(MINIMAL, cwd=ROOT) as term:
        return term.wait_for(MINIMAL_TEXT, "palette")


def _timeline_focused(term: Terminal) -> None:
    """Move the focus from the scribe's input to the timeline (two panels back)."""
    term.write(SHIFT_TAB)
    time.sleep(0.05)
    term.write(SHIFT_TAB)
    time.sleep(0.05)


def _to_oldest(term: Terminal, oldest: str, timeout: float = 300) -> float:
    """Focus the timeline and press Home until the oldest event is on screen (the rest of the
    timeline may still be loading); returns when it was seen (perf_counter). Home is pressed
    at once and then every 20 ms, so that the bench's own pauses add little to the figure."""
    term.write(SHIFT_TAB + SHIFT_TAB)  # from the scribe's input to the timeline, two panels back
    seen, done = term.watch(showing(oldest))
    deadline = time.perf_counter() + timeout
    term.write(HOME)
    while not done.wait(0.02):
        if time.perf_counter() > deadline:
            raise TimeoutError(f"the oldest event never came on screen:\n{term.screen.text()}")
        term.write(HOME)
    return seen[0]


def _launch(path: Path, ref: str, scroll: bool) -> tuple[float, float | None, float]:
    """Seconds to the incident on screen, to its oldest event shown after Home (when `scroll`),
    and the peak resident memory (MB) at the end."""
    expected = _on_screen(path, ref)
    oldest = event_text(path, ref, oldest=True)
    with Terminal(_warroom(path, ref), cwd=ROOT, env=bench_env()) as term:
        shown = term.wait_for(*expected, timeout=300)
        whole = None
        if scroll:
            whole = _to_oldest(term, oldest) - term.spawned_at
            time.sleep(1.5)  # the record opened behind the first frame (SQLAlchemy) counts too
        rss = term.peak_rss_mb()
    return shown, whole, rss


def launch(runs: int) -> list[Figure]:
    """From spawning the app to the incident on screen, at 10k, 100k and 1M events."""
    figures: list[Figure] = []
    for events, count, scroll in ((10_000, runs, False), (100_000, runs, True), (1_000_000, max(3, runs // 2), True)):
        path, ref = database(events)
        base, shown, whole, rss = [], [], [], []
        for _ in range(count):  # alternate, so drift in machine speed hits both alike
            base.append(_minimal_launch())
            ours = _launch(path, ref, scroll)
            shown.append(ours[0])
            if ours[1] is not None:
                whole.append(ours[1])
            rss.append(ours[2])
        minimal = statistics.median(base)
        label = f"{events // 1000}k" if events < 1_000_000 else "1M"
        limit = 5.0 if events >= 1_000_000 else 2.0
        figures.append(Figure(f"launch to the {label}-event incident on screen", statistics.median(shown), "s",
                              minimal, "minimal app on screen", limit))
        if whole:
            figures.append(Figure(f"launch to all {label} events scrollable (Home shows the oldest)",
                                  statistics.median(whole), "s", minimal, "minimal app on screen",
                                  5.0 if events >= 1_000_000 else 2.5))
        if events >= 100_000:
            figures.append(Figure(f"peak memory (RSS), {label} events open and scrolled", max(rss), "MB", None,
                                  "", 250, absolute=True))
    return figures


def _enter_one(term: Terminal, text: str, poll: sqlite3.Connection, query: str, args: tuple[object, ...]
               ) -> tuple[float, float]:
    """Type `text`, press Enter; seconds from the Enter to the line on screen (outside the input)
    and to its row readable in the database file."""
    term.write(text.encode())
    term.wait(showing(text), timeout=30)
    input_rows = {y for y, line in enumerate(term.lines()) if text in line}
    time.sleep(random.uniform(0.03, 0.08))  # the typed text painted; let the frame after it go by

    def elsewhere(lines: list[str]) -> bool:
        return any(text in line for y, line in enumerate(lines) if y not in input_rows)

    seen, done = term.watch(elsewhere)
    start = term.write(b"\r")
    durable = None
    deadline = start + 30
    while durable is None:
        row = poll.execute(query, args).fetchone()
        if row is not None and row[0] == text:
            durable = time.perf_counter()
        elif time.perf_counter() > deadline:
            raise TimeoutError(f"a typed line never reached the database: {text!r}")
        else:
            time.sleep(0.0005)
    if not done.wait(30):
        raise TimeoutError(f"a typed line never came on screen:\n{term.screen.text()}")
    term.wait(lambda lines: not any(text in lines[y] for y in input_rows if y < len(lines)), timeout=30)
    return seen[0] - start, durable - start


def enter(lines: int) -> list[Figure]:
    """Enter to the typed line on screen, and to its durable commit, on the 100k-event incident,
    against a minimal Textual app whose Input commits each line with sqlite3 (WAL, FULL)."""
    source, ref = database(100_000)
    ours_db = copy_database(source, DATA / "enter-100000.db")
    base_db = DATA / "enter-baseline.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{base_db}{suffix}").unlink(missing_ok=True)
    shown: dict[str, list[float]] = {"ours": [], "base": []}
    durable: dict[str, list[float]] = {"ours": [], "base": []}
    with Terminal(_warroom(ours_db, ref), cwd=ROOT, env=bench_env()) as ours, \
            Terminal([sys.executable, BASELINE_APPS, "input", str(base_db)], cwd=ROOT) as base:
        ours.wait_for(*_on_screen(ours_db, ref), timeout=300)
        base.wait_for("palette", timeout=60)
        time.sleep(1.0)
        with sqlite3.connect(ours_db) as poll_ours, sqlite3.connect(base_db) as poll_base:
            (incident_id,) = poll_ours.execute("SELECT id FROM incident WHERE ref = ?", (ref,)).fetchone()
            for number in range(lines):  # alternate: one line in each app
                for name, term, poll, query, args in (
                    ("ours", ours, poll_ours,
                     "SELECT text FROM event WHERE incident_id = ? ORDER BY seq DESC LIMIT 1", (incident_id,)),
                    ("base", base, poll_base, "SELECT text FROM line ORDER BY id DESC LIMIT 1", ()),
                ):
                    screen_s, durable_s = _enter_one(term, f"typed line {number} zq", poll, query, args)
                    shown[name].append(screen_s)
                    durable[name].append(durable_s)
        poll_ours.close()
        poll_base.close()
    ms = 1000
    return [
        Figure(f"Enter to the typed line on screen, 100k events (median of {lines})",
               statistics.median(shown["ours"]) * ms, "ms", statistics.median(shown["base"]) * ms,
               "minimal Input + sqlite3 app", 1.5),
        Figure(f"Enter to the typed line on screen, 100k events (p99 of {lines})", percentile(shown["ours"], 0.99) * ms,
               "ms", percentile(shown["base"], 0.99) * ms, "minimal Input + sqlite3 app", 2.0),
        Figure("Enter to the durable commit (row read from the file), median", statistics.median(durable["ours"]) * ms,
               "ms", statistics.median(durable["base"]) * ms, "minimal Input + sqlite3 app", 2.0),
    ]


_LINE_NUMBER = re.compile(r"#\d+ |log line \d+")
"""An event's number in our timeline, a line's in the baseline's Log: what a scroll moves."""


def _visible_numbers(lines: list[str]) -> tuple[str, ...]:
    return tuple(match.group() for line in lines for match in _LINE_NUMBER.finditer(line))


def _scroll_times(term: Terminal, presses: int) -> list[float]:
    keys = [PAGE_UP, PAGE_UP, PAGE_UP, PAGE_DOWN, HOME, PAGE_DOWN, END]
    times: list[float] = []
    for number in range(presses):
        before = _visible_numbers(term.lines())
        seen, done = term.watch(lambda lines, before=before: _visible_numbers(lines) != before)  # type: ignore[misc]
        start = term.write(keys[number % len(keys)])
        if not done.wait(5):
            raise TimeoutError(f"a scroll key changed nothing on screen:\n{term.screen.text()}")
        times.append(seen[0] - start)
        time.sleep(random.uniform(0.02, 0.05))
    return times


def scroll(presses: int) -> list[Figure]:
    """A scroll key (page up/down, home, end) to the timeline's new lines on screen, 100k events,
    against Textual's Log widget holding 100k lines scrolled by the same keys."""
    path, ref = database(100_000)
    with Terminal(_warroom(path, ref), cwd=ROOT, env=bench_env()) as ours, \
            Terminal([sys.executable, BASELINE_APPS, "log", "100000"], cwd=ROOT) as base:
        ours.wait_for(*_on_screen(path, ref), timeout=300)
        base.wait_for(LOG_LINE.format(99_999), timeout=60)
        _to_oldest(ours, event_text(path, ref, oldest=True), timeout=60)  # the whole timeline loaded
        ours.write(END)
        time.sleep(1.0)
        times: dict[str, list[float]] = {"ours": [], "base": []}
        for _ in range(0, presses, 7):  # alternate, a round of seven keys each
            times["ours"] += _scroll_times(ours, 7)
            times["base"] += _scroll_times(base, 7)
    ms = 1000
    return [Figure(f"scroll key to the new lines on screen, 100k events (p99 of {len(times['ours'])})",
                   percentile(times["ours"], 0.99) * ms, "ms", percentile(times["base"], 0.99) * ms,
                   "Textual Log, 100k lines", 2.0)]


def _quiet_copy(path: Path, ref: str) -> tuple[Path, str]:
    """A copy of `path` beside it whose incident `ref` reminds of no overdue update for two hours."""
    import shutil
    from datetime import timedelta

    from storage import ops
    from storage.countdowns import COUNTDOWN_LABELS
    from storage.db import Store

    quiet = path.with_name(f"{path.stem}-quiet{path.suffix}")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{quiet}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(path, quiet)
    with Store(quiet) as store:
        for countdown in COUNTDOWN_LABELS:
            ops.snooze_update_reminders(store, ref, countdown, snooze=timedelta(hours=2), author="bench")
    return quiet, ref


def idle(seconds: float) -> list[Figure]:
    """CPU used with the 10k-event incident open and nothing happening, the minimal app idling
    beside it over the same seconds. The app's clocks change once a minute when no deadline
    is near: a full run idles a minute, so that one such change falls in it whatever its phase.
    Nothing is due meanwhile: the run's copy of the incident has its overdue updates' reminders
    snoozed (an overdue update reminds every few minutes, with a notice and the bell)."""
    path, ref = _quiet_copy(*database(10_000))
    with Terminal(_warroom(path, ref), cwd=ROOT, env=bench_env()) as ours, Terminal(MINIMAL, cwd=ROOT) as base:
        ours.wait_for(*_on_screen(path, ref), timeout=300)
        base.wait_for(MINIMAL_TEXT, timeout=60)
        time.sleep(3.0)  # the rest of the start-up (stubs, workers) is not idling
        start = time.perf_counter()
        ours_cpu, base_cpu = ours.cpu_seconds(), base.cpu_seconds()
        time.sleep(seconds)
        elapsed = time.perf_counter() - start
        ours_pct = 100 * (ours.cpu_seconds() - ours_cpu) / elapsed
        base_pct = 100 * (base.cpu_seconds() - base_cpu) / elapsed
    return [Figure(f"idle CPU, incident open, {seconds:.0f} s", ours_pct, "%", base_pct, "minimal app idle", 0.5,
                   absolute=True)]


def _refresh_latencies(url: str | Path, ref: str, count: int) -> list[float]:
    """Seconds from a writer process's commit to its line on the app's screen.

    The app runs on a pty with its usual live refresh; the writer (bench/refresh_writer.py)
    logs `count` lines 0.1-0.4 s apart at random and prints each commit's wall-clock time."""
    from bench.refresh_writer import LINE

    committed: dict[int, float] = {}
    ready = threading.Event()
    writer = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "refresh_writer.py"), str(url), ref, str(count), "7"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT, env={**os.environ, **bench_env()},
    )
    assert writer.stdin is not None and writer.stdout is not None

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
    try:
        with Terminal([WARROOM, "--db", str(url), "open", ref], cwd=ROOT, env=bench_env()) as term:
            term.wait_for(ref, "you: bench", timeout=120)
            time.sleep(1.0)
            if not ready.wait(60):
                raise RuntimeError("refresh benchmark: the writer never got ready")
            offset = time.time() - time.perf_counter()  # the writer's clock is the wall clock
            watched = [term.watch(showing(LINE.format(number) + " ")) for number in range(count)]
            writer.stdin.write("go\n")
            writer.stdin.flush()
            deadline = time.perf_counter() + count * 0.4 + 10
            for number, (_, done) in enumerate(watched):
                if not done.wait(max(0.0, deadline - time.perf_counter())):
                    raise RuntimeError(f"refresh benchmark: line {number} never appeared on screen")
    finally:
        writer.stdin.close()
        if writer.poll() is None:
            writer.wait(timeout=60)
        reader.join(timeout=5)
    return [watched[number][0][0] + offset - committed[number] for number in range(count)]


def refresh(count: int) -> list[Figure]:
    """Live refresh: a line logged by another process, from its commit to the screen, on SQLite
    and on PostgreSQL (WARROOM_BENCH_PG_URL, else a throwaway local server like the suite's)."""
    from contextlib import ExitStack

    from screens.watcher import POLL_SECONDS
    from storage import ops
    from storage.db import Store

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
    figures: list[Figure] = []
    ms, poll = 1000, POLL_SECONDS * 1000
    with servers:
        for backend, url in targets:
            with Store(url) as store:
                ref = ops.declare(store, severity=2, functionality="bench refresh", state="slow",
                                  audience="everyone").ref
            latencies = [latency * ms for latency in _refresh_latencies(url, ref, count)]
            figures += [
                Figure(f"line from another process on screen, {backend} (median of {count})",
                       statistics.median(latencies), "ms", poll, "poll interval", 0.5 + 100 / poll),
                Figure(f"line from another process on screen, {backend} (max)", max(latencies), "ms", poll,
                       "poll interval", 2.0),
            ]
    return figures
