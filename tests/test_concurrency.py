"""Two processes writing one incident at once lose and duplicate nothing (both backends)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from storage import live, ops
from storage.db import Store, resolve_url
from storage.policy import Policy

ROOT = Path(__file__).resolve().parent.parent

WRITER = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {root!r})
    from storage.db import Store
    from storage import ops
    url, ref, name, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    with Store(url) as store:
        for number in range(count):
            ops.log(store, ref, f"{{name}} line {{number}}", author=name)
    """
)


def test_two_writers_lose_and_duplicate_nothing(db_url: str, policy: Policy) -> None:
    url = resolve_url(db_url)
    with Store(url, policy=policy) as store:
        ref = ops.declare(store, severity=1, functionality="api", state="down", audience="all").ref
    code = WRITER.format(root=str(ROOT))
    count = 150
    writers = [
        subprocess.Popen([sys.executable, "-c", code, url, ref, name, str(count)], stderr=subprocess.PIPE, text=True)
        for name in ("scribe", "script")
    ]
    for writer in writers:
        _, errors = writer.communicate(timeout=120)
        assert writer.returncode == 0, errors
    with Store(url, policy=policy) as store:
        rows, _ = live.event_rows(store, ref)
    seqs = sorted(row.seq for row in rows)
    assert seqs == list(range(1, 2 * count + 2))  # the declaration, then every line once
    for name in ("scribe", "script"):
        mine = [row.text for row in rows if row.author == name]
        assert sorted(mine) == sorted(f"{name} line {n}" for n in range(count))
