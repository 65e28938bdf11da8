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


TUI_WRITER = textwrap.dedent(
    """
    import asyncio, sys
    sys.path.insert(0, {root!r})
    from storage.db import Store
    from tui.app import WarroomApp

    url, ref, count, total = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])

    async def main() -> None:
        app = WarroomApp(Store(url))
        async with app.run_test(size=(100, 30)) as pilot:
            screen = app.screen
            scribe = screen.query_one("#scribe")
            timeline = screen.query_one("#timeline")
            for number in range(count):
                scribe.value = f"tui line {{number}}"
                await pilot.press("enter")
            for _ in range(6000):  # every line written, and every writer's line on screen
                if not screen.unsaved_lines and len(timeline.entries) >= total:
                    break
                await pilot.pause(0.01)
            print(" ".join(str(entry.seq) for entry in timeline.entries), flush=True)

    asyncio.run(main())
    """
)


def test_the_app_and_two_scripts_write_thousands_of_lines_at_once(db_url: str, policy: Policy) -> None:
    url = resolve_url(db_url)
    with Store(url, policy=policy) as store:
        ref = ops.declare(store, severity=1, functionality="api", state="down", audience="all").ref
    script_lines, tui_lines = 1000, 200
    total = 1 + 2 * script_lines + tui_lines
    root = str(ROOT)
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER.format(root=root), url, ref, name, str(script_lines)],
                         stderr=subprocess.PIPE, text=True)
        for name in ("script-a", "script-b")
    ]
    app = subprocess.Popen([sys.executable, "-c", TUI_WRITER.format(root=root), url, ref, str(tui_lines), str(total)],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for writer in writers:
        _, errors = writer.communicate(timeout=300)
        assert writer.returncode == 0, errors
    shown, errors = app.communicate(timeout=300)
    assert app.returncode == 0, errors
    with Store(url, policy=policy) as store:
        rows, _ = live.event_rows(store, ref)
    assert sorted(row.seq for row in rows) == list(range(1, total + 1))
    for name in ("script-a", "script-b"):
        mine = [row.text for row in rows if row.author == name]
        assert sorted(mine) == sorted(f"{name} line {n}" for n in range(script_lines))
    from_the_app = [row.text for row in sorted(rows, key=lambda row: row.seq) if row.text.startswith("tui line")]
    assert from_the_app == [f"tui line {n}" for n in range(tui_lines)]  # in the order entered
    on_screen = [int(seq) for seq in shown.split()]
    assert sorted(on_screen) == list(range(1, total + 1))  # the app shows every line once


HANDOVER_WRITER = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {root!r})
    from storage.db import Store
    from storage import ops
    from storage.errors import InvalidInput
    url, ref, name, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    refused = 0
    with Store(url) as store:
        for number in range(count):
            try:
                ops.assign_role(store, ref, "scribe", f"{{name}} {{number}}", author=name)
            except InvalidInput as exc:
                refused += 1
                print(exc, file=sys.stderr)
    print(refused)
    """
)


def test_handovers_with_no_time_given_are_never_refused_under_concurrent_writers(db_url: str, policy: Policy) -> None:
    # Was: "now" was read before the incident was locked, so a writer that waited for the
    # lock could hand over "earlier" than the handover just stored, and was refused
    # ("a handover cannot be earlier"): 15-18 % of the handovers in the report.
    url = resolve_url(db_url)
    with Store(url, policy=policy) as store:
        ref = ops.declare(store, severity=1, functionality="api", state="down", audience="all").ref
    code = HANDOVER_WRITER.format(root=str(ROOT))
    count = 300  # the old code was refused 2-6 times in 600 on SQLite here, 11-14 on PostgreSQL
    writers = [
        subprocess.Popen([sys.executable, "-c", code, url, ref, name, str(count)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for name in ("ic", "deputy")
    ]
    refused = 0
    for writer in writers:
        out, errors = writer.communicate(timeout=120)
        assert writer.returncode == 0, errors
        refused += int(out.split()[-1])
        assert errors == "", errors.splitlines()[:3]
    assert refused == 0
    with Store(url, policy=policy) as store:
        history = [h for h in ops.role_history(store, ref) if h.role == "scribe"]
    assert len(history) == 2 * count
    for before, after in zip(history, history[1:]):  # one unbroken chain of handovers
        assert before.ended_at == after.started_at
    assert history[-1].ended_at is None
