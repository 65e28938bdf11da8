"""The `warroom` commands, one call each, wall time from spawn to exit, against stdlib baselines.

Every command runs as a person runs it (the environment's `warroom` script) with its output
to a pipe that is drained; baselines are run in turn with it, so drift hits both alike.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.common import BASELINE_APPS, DATA, ROOT, WARROOM, Figure, bench_env, copy_database, database

BASELINE_IO = str(ROOT / "bench" / "baseline_io.py")


def _run(argv: list[str]) -> tuple[float, float]:
    """Wall seconds from spawn to exit, and the process's peak resident memory (MB)."""
    start = time.perf_counter()
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT,
                               env={**os.environ, **bench_env()})
    assert process.stderr is not None
    error = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise RuntimeError(f"{' '.join(argv)} failed ({process.returncode}): {error.decode(errors='replace')}")
    return elapsed, usage.ru_maxrss / 1024


def commands(runs: int) -> list[Figure]:
    """`warroom log`, `warroom timeline` and `warroom list` on the 10k-event incident."""
    source, ref = database(10_000)
    db = str(copy_database(source, DATA / "cli-10000.db"))
    calls = {
        "click": [sys.executable, BASELINE_APPS, "click"],
        "pass": [sys.executable, "-c", "pass"],
        "log": [WARROOM, "--db", db, "log", ref, "bench cli line"],
        "timeline": [WARROOM, "--db", db, "timeline", ref],
        "list": [WARROOM, "--db", db, "list"],
    }
    times: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(runs):
        for name, argv in calls.items():
            times[name].append(_run(argv)[0])
    click, bare = statistics.median(times["click"]), statistics.median(times["pass"])
    reference = f"minimal click app (python -c pass: {bare:.3f} s)"
    return [
        Figure("`warroom log REF TEXT`, 10k events", statistics.median(times["log"]), "s", click, reference, 4.0),
        Figure("`warroom timeline REF`, 10k events", statistics.median(times["timeline"]), "s", click, reference, 4.0),
        Figure("`warroom list`", statistics.median(times["list"]), "s", click, reference, 4.0),
    ]


def import_export(runs: int) -> list[Figure]:
    """`warroom export --format json` and `warroom import` of the 100k-event incident, against
    sqlite3 + json.dumps and json.load + executemany (bench/baseline_io.py)."""
    source, ref = database(100_000)
    exported, bare_exported = DATA / "export-100000.json", DATA / "export-baseline.json"
    imported, bare_imported = DATA / "import-100000.db", DATA / "import-baseline.db"
    ours_export, base_export, ours_import, base_import, rss, base_rss = [], [], [], [], [], []

    def fresh(path: Path) -> str:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return str(path)

    for _ in range(runs):
        exported.unlink(missing_ok=True)
        seconds, peak = _run([WARROOM, "--db", str(source), "export", ref, "--format", "json", "-o", str(exported)])
        ours_export.append(seconds)
        rss.append(peak)
        seconds, peak = _run([sys.executable, BASELINE_IO, "export", str(source), ref, str(bare_exported)])
        base_export.append(seconds)
        base_rss.append(peak)
        ours_import.append(_run([WARROOM, "--db", fresh(imported), "import", str(exported)])[0])
        base_import.append(_run([sys.executable, BASELINE_IO, "import", str(exported), str(source),
                                 fresh(bare_imported)])[0])
    for path in (exported, bare_exported):
        path.unlink(missing_ok=True)
    fresh(imported)
    fresh(bare_imported)
    return [
        Figure("`warroom import` of a 100k-event JSON export", statistics.median(ours_import), "s",
               statistics.median(base_import), "json.load + executemany", 3.0),
        Figure("`warroom export --format json`, 100k events", statistics.median(ours_export), "s",
               statistics.median(base_export), "sqlite3 + json.dumps", 2.0),
        Figure("`warroom export` peak memory (RSS), 100k events", max(rss), "MB", max(base_rss),
               "sqlite3 + json.dumps", 250, absolute=True),
    ]
