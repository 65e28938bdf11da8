"""Cases met by attacking the SQLite fast path (`warroom log REF -`, `timeline`, `list`)
and the streamed export and batched import the way a live incident would."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from pathlib import Path

from storage.policy import Policy
from tests.test_lite import REF, WARROOM, make_record


def test_log_from_a_closed_standard_input_is_one_line(tmp_path: Path, policy: Policy) -> None:
    """`warroom log REF - <&-` (no standard input at all): one line and status 1, no traceback."""
    path = tmp_path / "closed.db"
    make_record(path, policy)
    done = subprocess.run(
        [WARROOM, "log", "--db", str(path), REF, "-"],
        stdin=None, capture_output=True, text=True, check=False, timeout=60,
        preexec_fn=lambda: os.close(0),
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("warroom: ") and len(done.stderr.splitlines()) == 1, done.stderr
    assert "standard input" in done.stderr
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT count(*) FROM event WHERE text = ''").fetchone() == (0,)
