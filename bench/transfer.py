"""`warroom export` and `warroom import` of a large incident against the least either can do.

    .venv/bin/python -m bench.transfer [--events N] [--runs R] [--quick]

Builds (once, cached under bench/.data/) a SQLite database holding one incident with N
events (100k by default), then runs, alternating so drift in the machine's speed hits
both alike, each command as a subprocess of the CLI and its baseline as a subprocess of
its own, and prints the medians as a Markdown table: wall time and peak resident memory
(the child's own, from `os.wait4`).

- export: `warroom export REF --format json -o FILE`, against a bare sqlite3 read of the
  incident and its event rows, `json.dumps(indent=2)` and a write to a file;
- import: `warroom import FILE` into a fresh database, against `json.load` of the same
  file and sqlite3 `executemany` of its events into a fresh database of the same schema,
  in one transaction.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / ".data"

_BASE_EXPORT = """
import json, sqlite3, sys
db, ref, out = sys.argv[1:]
connection = sqlite3.connect(db)
incident = connection.execute("SELECT * FROM incident WHERE ref = ?", (ref,))
names = [column[0] for column in incident.description]
document = dict(zip(names, incident.fetchone()))
cursor = connection.execute(
    "SELECT e.seq, e.occurred_at, e.logged_at, e.kind, e.text, e.author, e.link, e.key, e.detail, e.struck"
    " FROM event e JOIN incident i ON i.id = e.incident_id WHERE i.ref = ? ORDER BY e.occurred_at, e.seq",
    (ref,),
)
names = [column[0] for column in cursor.description]
document["timeline"] = [dict(zip(names, row)) for row in cursor]
with open(out, "w", encoding="utf-8") as handle:
    handle.write(json.dumps(document, indent=2, ensure_ascii=False) + "\\n")
"""

_BASE_IMPORT = """
import json, sqlite3, sys
source, exported, target = sys.argv[1:]
schema = [sql for (sql,) in sqlite3.connect(source).execute(
    "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%'")]
with open(exported, encoding="utf-8") as handle:
    document = json.load(handle)
connection = sqlite3.connect(target)
for sql in schema:
    connection.execute(sql)
with connection:
    incident = document["incident"]
    cursor = connection.execute(
        "INSERT INTO incident (ref, functionality, state, audience, severity, status, customer_impact,"
        " quantity_impacted, known_impacted_customers, full_outage, declared_at, updated_at, change_count)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)",
        (incident["ref"], incident["functionality"], incident["state"], incident["audience"],
         incident["severity"], incident["status"], incident["customer_impact"], incident["quantity_impacted"],
         incident["known_impacted_customers"], incident["full_outage"], incident["declared_at"],
         incident["declared_at"]),
    )
    incident_id = cursor.lastrowid
    connection.executemany(
        "INSERT INTO event (incident_id, seq, occurred_at, logged_at, author, kind, text, link, key, detail,"
        " struck, revision, change_number) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)",
        [(incident_id, e["seq"], e["at"], e["logged_at"], e["author"], e["kind"], e["text"], e["link"], e["key"],
          e["detail"], e["struck"], len(e["revisions"]) + 1) for e in document["timeline"]],
    )
"""


@dataclass
class Run:
    """One child process: wall seconds and peak resident memory in MB."""

    seconds: float
    peak_mb: float


def _run(command: Sequence[str], env: dict[str, str]) -> Run:
    """Run `command`, measuring its wall time and its own peak RSS (`os.wait4`)."""
    start = time.perf_counter()
    child = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    error = child.stderr.read().decode() if child.stderr else ""
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({child.returncode}): {error}")
    return Run(seconds, usage.ru_maxrss / 1024)  # ru_maxrss is in KiB on Linux


def database(events: int) -> tuple[Path, str]:
    """The cached database with one incident of `events` events, and the incident's ref.

    Built in a child process: this one stays small, since a child's peak memory as the
    kernel counts it starts from its parent's size at the fork."""
    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"transfer-{events}.db"
    marker = DATA / f"transfer-{events}.ref"
    if not (path.exists() and marker.exists()):
        print(f"building a database of {events:,} events in {path} ...", file=sys.stderr)
        build = "import sys; from pathlib import Path; from bench.fixtures import big_incident; "
        build += "print(big_incident(Path(sys.argv[1]), int(sys.argv[2])))"
        made = subprocess.run([sys.executable, "-c", build, str(path), str(events)], cwd=ROOT, check=True,
                              capture_output=True, text=True)
        marker.write_text(made.stdout.strip())
    return path, marker.read_text()


def _remove(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def measure(events: int, runs: int) -> list[tuple[str, float, str, float | None, str]]:
    """Rows of (figure, measured, target, baseline, unit) for `runs` alternating runs."""
    db, ref = database(events)
    work = Path(tempfile.mkdtemp(prefix="warroom-transfer-", dir=DATA))
    home = work / "home"
    home.mkdir()
    config = home / "config.toml"
    config.write_text('timezone = "Europe/Berlin"\n')
    env = {
        **os.environ, "HOME": str(home), "WARROOM_CONFIG": str(config), "WARROOM_USER": "bench",
        "XDG_STATE_HOME": str(home / "state"), "XDG_DATA_HOME": str(home / "data"),
        "WARROOM_DRAFTS": str(home / "drafts"),
    }
    warroom = [sys.executable, "-m", "tui.cli"]
    exported, base_out = work / "export.json", work / "base.json"
    imported, base_db = work / "imported.db", work / "base.db"
    ours_export: list[Run] = []
    base_export: list[Run] = []
    ours_import: list[Run] = []
    base_import: list[Run] = []
    for _ in range(runs):
        exported.unlink(missing_ok=True)
        base_out.unlink(missing_ok=True)
        export = [*warroom, "export", ref, "--format", "json", "--db", str(db), "-o", str(exported)]
        ours_export.append(_run(export, env))
        base_export.append(_run([sys.executable, "-c", _BASE_EXPORT, str(db), ref, str(base_out)], env))
        _remove(imported)
        _remove(base_db)
        ours_import.append(_run([*warroom, "import", str(exported), "--db", str(imported)], env))
        base_import.append(_run([sys.executable, "-c", _BASE_IMPORT, str(db), str(exported), str(base_db)], env))
    for path in (exported, base_out):
        path.unlink(missing_ok=True)
    for path in (imported, base_db):
        _remove(path)
    for path in sorted(work.rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    work.rmdir()

    def median(found: list[Run], field: str) -> float:
        return statistics.median(getattr(run, field) for run in found)

    n = f"{events // 1000:,}k" if events < 1_000_000 else f"{events / 1_000_000:g}M"
    return [
        (f"export {n} events: wall time", median(ours_export, "seconds"), "<= 2x baseline",
         median(base_export, "seconds"), "s"),
        (f"export {n} events: peak memory", median(ours_export, "peak_mb"), "flat in N (< 150 MB)",
         median(base_export, "peak_mb"), "MB"),
        (f"import {n} events: wall time", median(ours_import, "seconds"), "<= 3x baseline",
         median(base_import, "seconds"), "s"),
        (f"import {n} events: peak memory", median(ours_import, "peak_mb"), "bounded (reported)",
         median(base_import, "peak_mb"), "MB"),
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=100_000, help="events in the incident (default 100,000)")
    parser.add_argument("--runs", type=int, default=None, help="alternating runs of each (default 5; 3 with --quick)")
    parser.add_argument("--quick", action="store_true", help="fewer runs")
    args = parser.parse_args(argv)
    runs = args.runs or (3 if args.quick else 5)
    rows = measure(args.events, runs)
    print(f"{args.events:,} events, SQLite, median of {runs} alternating run{'s' if runs != 1 else ''}\n")
    print("| figure | measured | target | baseline | ratio |")
    print("| --- | --- | --- | --- | --- |")
    for name, value, target, baseline, unit in rows:
        ratio = f"{value / baseline:.2f}x" if baseline else ""
        shown = f"{baseline:.2f} {unit}" if baseline is not None else ""
        print(f"| {name} | {value:.2f} {unit} | {target} | {shown} | {ratio} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
