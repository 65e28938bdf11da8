"""The suite's "app and two scripts write at once" test at the size of a long incident.

    .venv/bin/python -m bench.concurrent_writers [--backend sqlite|postgresql]
        [--script-lines 1000] [--tui-lines 200]

tests/test_concurrency.py runs the same checks at a size that proves them in seconds (300
lines from each script and 60 from the app); this runs them at thousands of lines, as the
suite once did, and prints how long each took.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def database(backend: str) -> Iterator[str]:
    """A fresh database URL: a SQLite file, or a database on the suite's PostgreSQL server."""
    from storage.db import resolve_url

    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="warroom-writers-") as folder:
            yield resolve_url(str(Path(folder) / "w.db"))
        return
    from tests.pgserver import PostgresServer

    with PostgresServer() as server:
        yield str(server.create_database("warroom_writers"))


def main() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("WARROOM_USER", "bench")  # the app's child asks no name
    from storage.policy import load_policy
    from tests.test_concurrency import the_app_and_two_scripts_write_at_once

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), action="append")
    parser.add_argument("--script-lines", type=int, default=1000)
    parser.add_argument("--tui-lines", type=int, default=200)
    arguments = parser.parse_args()
    policy = load_policy()
    for backend in arguments.backend or ["sqlite", "postgresql"]:
        with database(backend) as url, tempfile.TemporaryDirectory(prefix="warroom-go-") as folder:
            started = time.monotonic()
            the_app_and_two_scripts_write_at_once(
                url, policy, Path(folder) / "go", script_lines=arguments.script_lines, tui_lines=arguments.tui_lines
            )
            print(f"{backend}: 2 x {arguments.script_lines} script lines and {arguments.tui_lines} from the app, "
                  f"all stored once and shown once, in {time.monotonic() - started:.1f} s", flush=True)


if __name__ == "__main__":
    main()
