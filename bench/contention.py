"""Many writers at once on SQLite and PostgreSQL: what the record and a live view hold afterwards.

    .venv/bin/python -m bench.contention [--code DIR] [--backend sqlite|postgresql]

Every writer is its own process, and all start at one moment (each waits for a file to
appear once it is ready): `warroom declare` and `warroom role` run as commands, lines are
logged by scripts calling `storage.ops.log`, and the live view polls `storage.live` in a
process of its own. The results are read back with plain SQL. `--code DIR` runs the
writers and the view on another checkout's code (the figures before a change); the
PostgreSQL server is the test suite's (`tests/pgserver.py`). Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
WRITERS = 8


@dataclass
class Result:
    """One case on one backend: what the record (or the view) holds against what was written."""

    case: str
    shape: str
    found: int
    expected: int
    duplicates: int
    gaps: int
    refused: int
    seconds: float

    def row(self, backend: str) -> str:
        return (f"| {backend} | {self.case} | {self.shape} | {self.found} of {self.expected} | {self.duplicates} "
                f"| {self.gaps} | {self.refused} | {self.seconds:.1f} |")


_RUN_TOGETHER = textwrap.dedent(
    """
    import json, os, subprocess, sys, time
    go, commands = sys.argv[1], json.loads(sys.argv[2])
    while not os.path.exists(go):
        time.sleep(0.001)
    refused = 0
    for command in commands:
        done = subprocess.run([sys.executable, "-m", "tui.cli", *command], capture_output=True, text=True)
        refused += done.returncode != 0
        sys.stdout.write(done.stdout)
        sys.stderr.write(done.stderr)
        sys.stderr.flush()
    print("refused", refused)
    """
)
"""A writer running warroom commands one after another, from the moment `go` exists."""


def _environment(code: Path) -> dict[str, str]:
    home = tempfile.mkdtemp(prefix="warroom-contention-home-")
    config = Path(home) / "config.toml"
    config.write_text('timezone = "Europe/Berlin"\n')
    return {**os.environ, "PYTHONPATH": str(code), "HOME": home, "WARROOM_CONFIG": str(config),
            "WARROOM_USER": "bench", "XDG_STATE_HOME": str(Path(home) / "state")}


def _together(code: Path, go: Path, writers: list[list[list[str]]]) -> list[tuple[str, int]]:
    """Run each writer's commands (one process per writer, all starting at once); each
    writer's output and how many of its commands failed."""
    children = [
        subprocess.Popen([sys.executable, "-c", _RUN_TOGETHER, str(go), json.dumps(commands)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_environment(code), cwd=code)
        for commands in writers
    ]
    time.sleep(1)
    go.touch()
    results = []
    for child in children:
        out, errors = child.communicate(timeout=600)
        sys.stderr.write(errors)
        *lines, last = out.splitlines()
        results.append(("\n".join(lines), int(last.split()[-1])))
    return results


def _scalar_rows(url: str, statement: str, **params: object) -> list[tuple[object, ...]]:
    engine = sa.create_engine(url if "://" in url else f"sqlite:///{url}")
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(sa.text(statement), params).all()]
    finally:
        engine.dispose()


def _cli(url: str, *arguments: str) -> list[str]:
    return ["--db", url, *arguments]


def _create(url: str, code: Path) -> None:
    """Create and migrate the database before the writers start."""
    subprocess.run([sys.executable, "-m", "tui.cli", *_cli(url, "list")], capture_output=True, text=True,
                   env=_environment(code), cwd=code, check=True)


def declares(url: str, code: Path, go: Path) -> Result:
    """8 writers each running `warroom declare` 11 times: every declare gets its own reference."""
    count = 11
    _create(url, code)
    started = time.monotonic()
    outputs = _together(code, go, [
        [_cli(url, "declare", "--sev", "2", "--functionality", f"w{w}n{n}", "--state", "down", "--audience", "all")
         for n in range(count)]
        for w in range(WRITERS)
    ])
    seconds = time.monotonic() - started
    printed = [line.split()[0] for out, _ in outputs for line in out.splitlines() if line.startswith("inc-")]
    stored = Counter(str(f) for (f,) in _scalar_rows(url, "SELECT functionality FROM incident"))
    expected = {f"w{w}n{n}" for w in range(WRITERS) for n in range(count)}
    duplicates = sum(n - 1 for n in Counter(printed).values() if n > 1) + sum(n - 1 for n in stored.values() if n > 1)
    return Result("`warroom declare`, one reference each", f"{WRITERS} x {count}", len(expected & set(stored)),
                  len(expected), duplicates, len(expected - set(stored)), sum(r for _, r in outputs), seconds)


_DECLARE_WRITER = textwrap.dedent(
    """
    import os, sys, time
    from storage.db import Store
    from storage import ops
    from storage.errors import WarroomError
    url, name, count, go = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    refused = 0
    with Store(url) as store:
        while not os.path.exists(go):
            time.sleep(0.001)
        for number in range(count):
            try:
                print(ops.declare(store, severity=2, functionality=f"{name}n{number}", state="down",
                                  audience="all").ref, flush=True)
            except WarroomError as exc:
                refused += 1
                print(exc, file=sys.stderr)
    print("refused", refused)
    """
)


def declares_in_scripts(url: str, code: Path, go: Path) -> Result:
    """8 scripts each calling `ops.declare` 11 times, with no process start between them."""
    count = 11
    _create(url, code)
    started = time.monotonic()
    writers = [
        subprocess.Popen([sys.executable, "-c", _DECLARE_WRITER, url, f"w{w}", str(count), str(go)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_environment(code), cwd=code)
        for w in range(WRITERS)
    ]
    time.sleep(1)
    go.touch()
    outputs = [writer.communicate(timeout=600)[0].splitlines() for writer in writers]
    seconds = time.monotonic() - started
    printed = [line for out in outputs for line in out[:-1]]
    stored = Counter(str(f) for (f,) in _scalar_rows(url, "SELECT functionality FROM incident"))
    expected = {f"w{w}n{n}" for w in range(WRITERS) for n in range(count)}
    duplicates = sum(n - 1 for n in Counter(printed).values() if n > 1) + sum(n - 1 for n in stored.values() if n > 1)
    return Result("`ops.declare` in scripts, one reference each", f"{WRITERS} x {count}",
                  len(expected & set(stored)), len(expected), duplicates, len(expected - set(stored)),
                  sum(int(out[-1].split()[-1]) for out in outputs), seconds)


def roles(url: str, code: Path, go: Path) -> Result:
    """8 writers each giving a role to one new person, on 8 incidents: one person, 8 roles."""
    refs = []
    for n in range(WRITERS):
        done = subprocess.run([sys.executable, "-m", "tui.cli", *_cli(url, "declare", "--sev", "2", "--functionality",
                               f"api{n}", "--state", "down", "--audience", "all")],
                              capture_output=True, text=True, env=_environment(code), cwd=code, check=True)
        refs.append(done.stdout.split()[0])
    started = time.monotonic()
    outputs = _together(code, go, [[_cli(url, "role", ref, "scribe", "Nova Person")] for ref in refs])
    seconds = time.monotonic() - started
    held = _scalar_rows(url, "SELECT i.ref FROM role_assignment r JOIN incident i ON i.id = r.incident_id"
                             " JOIN person p ON p.id = r.person_id WHERE p.name = 'Nova Person'")
    people = _scalar_rows(url, "SELECT count(*) FROM person WHERE name = 'Nova Person'")[0][0]
    found = {str(ref) for (ref,) in held}
    return Result("`warroom role` to one new person", f"{WRITERS} x 1", len(found), WRITERS,
                  len(held) - len(found) + max(0, int(str(people)) - 1), WRITERS - len(found),
                  sum(r for _, r in outputs), seconds)


_LINE_WRITER = textwrap.dedent(
    """
    import os, sys, time
    from storage.db import Store
    from storage import ops
    from storage.errors import WarroomError
    url, ref, name, count, go = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
    edit = len(sys.argv) > 6
    refused = 0
    with Store(url) as store:
        while not os.path.exists(go):
            time.sleep(0.001)
        for number in range(count):
            try:
                event = ops.log(store, ref, f"{name} line {number}", author=name)
                if edit:
                    ops.edit_event(store, ref, event.seq, f"{name} line {number}, edited", author=name)
            except WarroomError as exc:
                refused += 1
                print(exc, file=sys.stderr)
    print("refused", refused)
    """
)

_VIEW = textwrap.dedent(
    """
    import json, os, sys, time
    from storage.db import Store
    from storage import live
    url, ref, stop = sys.argv[1], sys.argv[2], sys.argv[3]
    with Store(url, migrate=False) as store:
        rows, mark = live.event_rows(store, ref)
        shown = {row.seq: row.text for row in rows}
        polls = 0
        while True:
            finished = os.path.exists(stop)
            rows, mark = live.events_since(store, ref, mark)
            shown.update((row.seq, row.text) for row in rows)
            polls += 1
            if finished:
                break
            time.sleep(0.002)
    print(json.dumps({"polls": polls, "shown": shown}))
    """
)


def _declare_one(url: str, code: Path, functionality: str) -> str:
    done = subprocess.run([sys.executable, "-m", "tui.cli", *_cli(url, "declare", "--sev", "1", "--functionality",
                           functionality, "--state", "down", "--audience", "all")],
                          capture_output=True, text=True, env=_environment(code), cwd=code, check=True)
    return done.stdout.split()[0]


def _line_writers(
    code: Path, url: str, go: Path, refs: list[str], count: int, *, edit: bool
) -> list[subprocess.Popen[str]]:
    return [
        subprocess.Popen([sys.executable, "-c", _LINE_WRITER, url, refs[w % len(refs)], f"w{w}", str(count), str(go),
                          *(["edit"] if edit else [])],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_environment(code), cwd=code)
        for w in range(WRITERS)
    ]


def _refused(writers: list[subprocess.Popen[str]]) -> int:
    refused = 0
    for writer in writers:
        out, _ = writer.communicate(timeout=900)
        refused += int(out.split()[-1])
    return refused


def lines(url: str, code: Path, go: Path) -> Result:
    """8 scripts logging 150 lines each into one incident: every line once, numbered without a gap."""
    count = 150
    ref = _declare_one(url, code, "api")
    started = time.monotonic()
    writers = _line_writers(code, url, go, [ref], count, edit=False)
    time.sleep(1)
    go.touch()
    refused = _refused(writers)
    seconds = time.monotonic() - started
    rows = _scalar_rows(url, "SELECT e.seq, e.text FROM event e JOIN incident i ON i.id = e.incident_id"
                             " WHERE i.ref = :ref AND e.kind = 'note'", ref=ref)
    texts = Counter(str(text) for _, text in rows)
    expected = {f"w{w} line {n}" for w in range(WRITERS) for n in range(count)}
    seqs = sorted(int(str(seq)) for seq, _ in rows)
    gaps = len(set(range(2, 2 + len(expected))) - set(seqs)) + len(expected - set(texts))
    return Result("`ops.log` lines into one incident", f"{WRITERS} x {count}", len(expected & set(texts)),
                  len(expected), sum(n - 1 for n in texts.values() if n > 1), gaps, refused, seconds)


def live_view(url: str, code: Path, go: Path) -> Result:
    """8 scripts on two incidents, each logging 40 lines and editing each at once, while a
    live view of the first polls `events_since`: the view ends with every line as edited."""
    count = 40
    refs = [_declare_one(url, code, "api"), _declare_one(url, code, "web")]
    stop = go.with_name(go.name + "-stop")
    view = subprocess.Popen([sys.executable, "-c", _VIEW, url, refs[0], str(stop)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=_environment(code), cwd=code)
    started = time.monotonic()
    writers = _line_writers(code, url, go, refs, count, edit=True)
    time.sleep(1)
    go.touch()
    refused = _refused(writers)
    stop.touch()
    out, errors = view.communicate(timeout=300)
    assert view.returncode == 0, errors
    seconds = time.monotonic() - started
    shown = {int(seq): text for seq, text in json.loads(out)["shown"].items()}
    query = "SELECT e.seq, e.text FROM event e JOIN incident i ON i.id = e.incident_id WHERE i.ref = :ref"
    record = {int(str(seq)): str(text) for seq, text in _scalar_rows(url, query, ref=refs[0])}
    stale = sum(1 for seq, text in record.items() if shown.get(seq) != text)
    found = sum(1 for seq, text in record.items() if shown.get(seq) == text and text.endswith(", edited"))
    expected = (WRITERS // len(refs)) * count
    return Result("live view of edited lines (2 incidents)", f"{WRITERS} x {count} + edits", found, expected,
                  0, stale, refused, seconds)


CASES: tuple[Callable[[str, Path, Path], Result], ...] = (declares, declares_in_scripts, roles, lines, live_view)


@contextmanager
def databases(backend: str) -> Iterator[Callable[[str], str]]:
    """A fresh database per case: a SQLite file, or a database on the suite's PostgreSQL server."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="warroom-contention-") as folder:
            yield lambda name: str(Path(folder) / f"{name}.db")
        return
    sys.path.insert(0, str(ROOT))
    from tests.pgserver import PostgresServer

    with PostgresServer() as server:
        yield lambda name: str(server.create_database(name))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--code", type=Path, default=ROOT, help="the checkout whose code the writers run")
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), action="append")
    arguments = parser.parse_args()
    print("| backend | case | writers x lines | found | duplicates | gaps | refused | seconds |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for backend in arguments.backend or ["sqlite", "postgresql"]:
        with databases(backend) as database, tempfile.TemporaryDirectory(prefix="warroom-go-") as folder:
            for case in CASES:
                result = case(database(case.__name__), arguments.code.resolve(), Path(folder) / case.__name__)
                print(result.row(backend), flush=True)


if __name__ == "__main__":
    main()
