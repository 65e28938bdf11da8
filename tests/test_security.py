"""Security: what warroom writes stays where it belongs. Outbox names, whatever they are,
stay in the outbox; imported files whose every text is a path make neither the import nor
the post-mortem export that names files after the incident write anywhere but the database
and the outbox; and a scan for SQL built from strings, itself tested, finds none outside the
allowed constants. File modes, symbolic links and `-o` outputs are in tests/test_files.py.
"""

from __future__ import annotations

import ast
import copy
import json
import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storage import export, ops, postmortem
from storage.clock import FrozenClock
from storage.db import Store
from storage.demo import build_demo
from storage.drafts import drafts_dir, write_outbox
from storage.policy import Policy
from tests.conftest import NOW
from tui.app import WarroomApp
from tui.cli import main

ROOT = Path(__file__).resolve().parent.parent


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# --- outbox names -------------------------------------------------------------------------

name_pieces = st.sampled_from(
    [
        "..",
        ".",
        "/",
        "\\",
        "~",
        "\x00",
        "/etc/passwd",
        "../../",
        "C:\\",
        "%2e%2e%2f",
        "\u2215",
        "\uff0e\uff0e",
        "名前",
        "e\u0301",
        " ",
        "\n",
        "-",
        "_",
        ".md",
        "x" * 300,
        "é" * 150,
    ]
)
outbox_names = st.lists(st.one_of(name_pieces, st.text(max_size=10)), max_size=6).map("".join)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=outbox_names)
def test_any_outbox_name_gives_a_file_inside_the_outbox_and_nowhere_else(name: str) -> None:
    outbox = (drafts_dir().parent / "outbox").resolve()
    state = drafts_dir().parent.parent.resolve()
    before = {p for p in state.rglob("*") if outbox not in (p, *p.parents)} if state.exists() else set()
    text = f"saved for {name!r}"
    path = write_outbox(name, text)
    assert path.resolve().parent == outbox and not path.is_symlink() and path.is_file()
    assert len(path.name.encode()) <= 255 and not path.name.startswith(".")
    assert path.read_text(encoding="utf-8") == text and mode(path) == 0o600
    after = {p for p in state.rglob("*") if outbox not in (p, *p.parents)}
    assert after - before <= {outbox, *outbox.parents}  # the outbox, made on first use


# --- no SQL built from strings --------------------------------------------------------------

SQL_SINKS = {"execute", "exec_driver_sql", "text", "executescript", "executemany", "literal_column", "DDL", "exec"}
"""Calls whose first argument is SQL text (session.exec takes a statement object: checked too)."""

ALLOWED_DYNAMIC_SQL = {
    ("storage/db.py", 'busy_timeout = f"PRAGMA busy_timeout = {int(busy_timeout_ms)}"'),
    ("storage/db.py", 'connection.exec_driver_sql(f"BEGIN {mode}")'),
    ("storage/lite/connection.py", 'connection.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_MS)}")'),
}
"""The only SQL built at run time: an int() pragma value, and BEGIN with our own DEFERRED|IMMEDIATE."""


def _built_at_run_time(node: ast.expr) -> bool:
    """An f-string with a value in it, %-formatting, + between strings, .format/.format_map or .join."""
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(part, ast.FormattedValue) for part in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mod, ast.Add)):
        return True
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr in ("format", "format_map", "join")
    if isinstance(node, ast.IfExp):
        return _built_at_run_time(node.body) or _built_at_run_time(node.orelse)
    return False


def dynamic_sql(source: str, filename: str) -> list[str]:
    """Source lines handing SQL built at run time to a database call, directly or through a
    name assigned (or added to) such a string anywhere in the module."""
    tree = ast.parse(source, filename=filename)
    lines = source.splitlines()
    built: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None and _built_at_run_time(node.value):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            built |= {target.id for target in targets if isinstance(target, ast.Name)}
        elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name) and isinstance(node.op, ast.Add):
            built.add(node.target.id)
    found: list[str] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        if name not in SQL_SINKS:
            continue
        arguments = [*node.args[:1], *(k.value for k in node.keywords if k.arg in ("statement", "sql", "text"))]
        for argument in arguments:
            if _built_at_run_time(argument) or (isinstance(argument, ast.Name) and argument.id in built):
                line = lines[node.lineno - 1].strip()
                if isinstance(argument, ast.Name):  # report where the name was built
                    line = next(
                        lines[n.lineno - 1].strip()
                        for n in ast.walk(tree)
                        if isinstance(n, (ast.Assign, ast.AugAssign, ast.AnnAssign))
                        and argument.id
                        in {
                            t.id
                            for t in (n.targets if isinstance(n, ast.Assign) else [n.target])
                            if isinstance(t, ast.Name)
                        }
                    )
                found.append(line)
    return found


@pytest.mark.parametrize(
    ("snippet", "flagged"),
    [
        ("session.execute(text(f\"SELECT * FROM event WHERE ref = '{ref}'\"))", True),
        ('connection.exec_driver_sql("DELETE FROM " + table)', True),
        ('cursor.execute("SELECT %s" % value)', True),
        ('cursor.execute("SELECT {}".format(value))', True),
        ('cursor.execute(" ".join(["SELECT", column]))', True),
        ('query = f"SELECT {column}"\nconnection.execute(text(query))', True),
        ('query = "SELECT 1"\nquery += column\ncursor.execute(query)', True),
        ('select(literal_column(f"{name}"))', True),
        ('connection.execute(statement=f"DROP {name}")', True),
        ('connection.execute(text("SELECT * FROM event WHERE ref = :ref"), {"ref": ref})', False),
        ('session.exec(select(Event).where(Event.text == f"{typed}"))', False),  # a bound value
        ('QUERY = "SELECT id FROM event"\ncursor.execute(QUERY, (incident_id,))', False),
    ],
)
def test_the_scan_finds_sql_built_from_strings_and_only_that(snippet: str, flagged: bool) -> None:
    assert bool(dynamic_sql(snippet, "<snippet>")) == flagged


def test_no_sql_is_built_from_strings_outside_the_allowed_constants() -> None:
    found: set[tuple[str, str]] = set()
    for folder in ("storage", "tui", "screens", "widgets"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            found |= {(relative, line) for line in dynamic_sql(path.read_text(encoding="utf-8"), relative)}
    assert found - ALLOWED_DYNAMIC_SQL == set()
    assert found == ALLOWED_DYNAMIC_SQL  # the allowance is for lines that still exist


# --- imported files cannot make warroom write elsewhere ---------------------------------------

HOSTILE_PATHS = [
    "../../../../tmp/warroom-owned",
    "/tmp/warroom-owned",
    "~/warroom-owned",
    "..",
    "C:\\warroom-owned",
    "file:///tmp/warroom-owned",
    "\\\\server\\share\\owned",
    "%2e%2e%2fowned",
]


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _every_text_set_to(value: object, text: str) -> object:
    """`value` with every string value in it replaced by `text`."""
    if isinstance(value, dict):
        return {key: _every_text_set_to(item, text) for key, item in value.items()}
    if isinstance(value, list):
        return [_every_text_set_to(item, text) for item in value]
    return text if isinstance(value, str) else value


@pytest.mark.parametrize("hostile", HOSTILE_PATHS)
async def test_an_import_whose_every_text_is_a_path_writes_only_the_database_and_the_outbox(
    tmp_path: Path, policy: Policy, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch, hostile: str
) -> None:
    from screens.postmortem import PostmortemScreen

    with Store(tmp_path / "source.db", policy=policy, clock=clock) as source:
        ref = build_demo(source)
        postmortem.update_postmortem(source, ref, meeting_at=NOW, owner="Dana", sections={"overview": "x"})
        ops.add_action_item(source, ref, "Alert on expiry", owner="Sam")
        document = json.loads(export.export_json(source, ref))
    # Every free text becomes the path; what must be one of a few values (kinds, roles,
    # times, choices) keeps its value, or the file would be refused before anything is written.
    hostile_document = copy.deepcopy(document)
    for section in ("incident", "roles", "timeline", "status_updates", "action_items", "postmortem", "checklists"):
        hostile_document[section] = _every_text_set_to(document[section], hostile)
    kept = {
        "incident": ("status", "quantity_impacted", "declared_at", "milestones"),
        "postmortem": ("status", "meeting_at"),
    }
    for section, keys in kept.items():
        hostile_document[section].update({key: document[section][key] for key in keys})
    hostile_document["postmortem"]["sections"] = {"overview": hostile}
    listed_keys = {
        "timeline": ("at", "logged_at", "kind", "detail"),
        "roles": ("role", "from", "until"),
        "status_updates": ("channel", "kind", "sent_at"),
        "action_items": ("priority", "state", "created_at", "due_date"),
    }
    for section, keys in listed_keys.items():
        for listed, original in zip(hostile_document[section], document[section], strict=False):
            listed.update({key: original[key] for key in keys})
    for listed in hostile_document["timeline"]:
        listed["revisions"] = []

    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    imported = work / "incident.json"
    imported.write_text(json.dumps(hostile_document))
    home = Path(os.environ["HOME"])
    before_home, before_work, before_tmp = _files(home), _files(work), set(os.listdir("/tmp"))
    target = work / "target.db"
    result = CliRunner().invoke(main, ["import", "--db", str(target), str(imported)])
    assert result.exit_code == 0, result.stderr  # a path is only text: the whole incident comes in
    assert result.stdout == f"imported {hostile}\n"

    with Store(target, policy=policy, clock=clock) as store:  # the post-mortem export names files after the ref
        app = WarroomApp(store, ref=hostile)
        async with app.run_test(size=(120, 40)) as pilot:
            app.push_screen(PostmortemScreen(store, hostile))
            await pilot.pause()
            await pilot.press("f4")
            await pilot.pause()
    outbox = (drafts_dir().parent / "outbox").relative_to(home).as_posix()
    changed_work = {
        name for name in _files(work).keys() | before_work.keys() if _files(work).get(name) != before_work.get(name)
    }
    assert changed_work <= {"target.db", "target.db-wal", "target.db-shm"}
    after_home = _files(home)
    changed_home = {
        name for name in after_home.keys() | before_home.keys() if after_home.get(name) != before_home.get(name)
    }
    written = {name for name in changed_home if name.startswith(outbox + "/")}
    assert len(written) == 3 and all(
        Path(name).name.endswith(("-postmortem.md", "-action-items.csv", "-meeting.ics")) for name in written
    )
    drafts = drafts_dir().relative_to(home).as_posix()
    assert changed_home - written <= {name for name in changed_home if name.startswith(drafts + "/")}
    assert {name for name in os.listdir("/tmp") if "owned" in name} <= {n for n in before_tmp if "owned" in n}


@pytest.mark.parametrize(
    "hostile",
    [
        "../../../../tmp/warroom-owned",
        "/tmp/warroom-owned",
        "~/owned",
        "..",
        "a\x00b",
        "C:\\owned",
        "file:///tmp/owned",
    ],
)
def test_an_imported_file_writes_nothing_outside_the_database(
    tmp_path: Path, policy: Policy, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch, hostile: str
) -> None:
    with Store(tmp_path / "source.db", policy=policy, clock=clock) as store:
        document = json.loads(export.export_json(store, build_demo(store)))
    document["incident"]["ref"] = hostile
    document["incident"]["title"] = hostile
    for event in document["timeline"]:
        event["text"] = hostile
        event["link"] = hostile
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    imported = work / "incident.json"
    imported.write_text(json.dumps(document))
    home = Path(os.environ["HOME"])
    before_home, before_work = _files(home), _files(work)
    target = work / "target.db"
    result = CliRunner().invoke(main, ["import", "--db", str(target), str(imported)])
    assert result.exit_code in (0, 1), result.output
    after_work = _files(work)
    changed = {name for name in set(after_work) | set(before_work) if after_work.get(name) != before_work.get(name)}
    assert changed <= {"target.db", "target.db-wal", "target.db-shm"}
    assert _files(home) == before_home
    assert not Path("/tmp/warroom-owned").exists() and not Path("/tmp/owned").exists()
