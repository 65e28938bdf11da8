"""The insights screen on 1,000 incidents, timed on screen against the same key on an empty record.

The app runs in a pty on the incident list of a database holding 1,000 incidents over a year
(`bench.fixtures.incident_history`: mixed severities, milestones, resolutions, action items);
`i` opens the insights screen, timed until the plots are painted (their titles and the
response plot's legend, drawn in the frame that draws every plot). The baseline is the same key on an empty
record, timed until "No incidents yet" shows: the screen opened and its figures read by
the same path, with nothing to read or plot. The target is also absolute: under 1 s.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from bench.common import DATA, ROOT, WARROOM, Figure, bench_env
from bench.screen import Terminal, showing

INCIDENTS = 1000
ESCAPE, F6 = b"\x1b", b"\x1b[17~"


def history_database() -> Path:
    """1,000 incidents over the year before now, built through storage.ops once (cached)."""
    from bench.fixtures import incident_history
    from storage.db import Store

    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"insights-{INCIDENTS}.db"
    if not path.exists():
        building = path.with_suffix(".building")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{building}{suffix}").unlink(missing_ok=True)
        with Store(building) as store:
            incident_history(store, INCIDENTS, days=365)
        building.rename(path)
    return path


def empty_database() -> Path:
    from storage.db import Store

    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / "insights-empty.db"
    if not path.exists():
        Store(path).close()
    return path


def _open_times(path: Path, wanted: tuple[str, ...], rounds: int) -> list[float]:
    """Seconds from `i` on the incident list to `wanted` on screen, `rounds` times (Escape between)."""
    times = []
    with Terminal([WARROOM, "--db", str(path)], cwd=ROOT, env=bench_env()) as term:
        term.wait_for("you: bench", timeout=120)
        term.settle()
        deadline = time.perf_counter() + 120
        while not (showing("Reference")(term.lines()) or showing("No incidents match")(term.lines())):
            term.write(F6)  # the incident list, once the record is open (until then the key does nothing)
            term.settle()
            if time.perf_counter() > deadline:
                raise TimeoutError(f"the incident list never came on screen:\n{term.screen.text()}")
        term.settle()
        for _ in range(rounds):
            seen, done = term.watch(showing(*wanted))
            start = term.write(b"i")
            if not done.wait(60):
                raise TimeoutError(f"{wanted!r} never came on screen:\n{term.screen.text()}")
            times.append(seen[0] - start)
            term.settle()
            term.write(ESCAPE)
            term.wait(lambda lines: not showing(*wanted)(lines), 30)
            term.settle()
            time.sleep(0.2)
    return times


def opened(rounds: int) -> list[Figure]:
    full, empty = history_database(), empty_database()
    ours = _open_times(full, ("Incidents per week", "median", "p90"), rounds)  # the plots' titles and legend
    base = _open_times(empty, ("No incidents yet",), rounds)
    ms = 1000
    return [
        Figure(f"insights screen on screen, {INCIDENTS:,} incidents, key to plots painted (median of {rounds})",
               statistics.median(ours) * ms, "ms", statistics.median(base) * ms,
               "same key, empty record: 'No incidents yet'", 1000, absolute=True),
    ]
