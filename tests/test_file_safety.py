"""Security of what warroom writes: private files, no SQL built from strings, and an
imported file that cannot make warroom write anywhere but its database."""

from __future__ import annotations

import ast
import json
import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from storage import export
from storage.clock import FrozenClock
from storage.db import Store
from storage.demo import build_demo
from storage.drafts import Drafts, PendingLine, drafts_dir, write_outbox
from storage.policy import Policy
from tests.conftest import NOW
from tui.cli import main

ROOT = Path(__file__).resolve().parent.parent

SQL_CALLS = {"execute", "exec_driver_sql", "text", "executescript", "executemany"}
ALLOWED = {
    ("storage/db.py", "busy_timeout"),  # PRAGMA busy_timeout = <int(...)>, built once per engine
    ("storage/db.py", "mode"),  # BEGIN DEFERRED|IMMEDIATE, from our own execution option
}


def _formatted(node: ast.expr) -> bool:
    """A string built at run time: an f-string, %-formatting, .format() or concatenation."""
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(part, ast.FormattedValue) for part in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mod, ast.Add)):
        return True
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format"


def test_no_sql_is_built_by_string_formatting() -> None:
    offenders: list[str] = []
    for folder in ("storage", "tui", "screens", "widgets"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            relative = path.relative_to(ROOT).as_posix()
            for node in ast.walk(tree):
                if not (isinstance(node, ast.Call) and node.args):
                    continue
                name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                if name not in SQL_CALLS:
                    continue
                argument = node.args[0]
                if _formatted(argument):
                    names = {n.id for n in ast.walk(argument) if isinstance(n, ast.Name)}
                    if not any((relative, allowed) in ALLOWED for allowed in names):
                        offenders.append(f"{relative}:{node.lineno}")
                elif isinstance(argument, ast.Name) and (relative, argument.id) not in ALLOWED:
                    if _bound_to_formatted_text(tree, argument.id):  # built elsewhere, passed by name
                        offenders.append(f"{relative}:{node.lineno} ({argument.id})")
    assert offenders == []


def _bound_to_formatted_text(tree: ast.Module, name: str) -> bool:
    """`name` is assigned a string built at run time somewhere in the module."""
    return any(
        _formatted(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets)
    )


def test_database_drafts_and_exports_are_private(tmp_path: Path, policy: Policy, clock: FrozenClock) -> None:
    with Store(tmp_path / "w.db", policy=policy, clock=clock) as store:
        ref = build_demo(store)
        drafts = Drafts(store.url)
        drafts.save(ref, "half a line")
        drafts.save_pending(ref, [PendingLine("entered", NOW)])
    outbox = write_outbox("update", "text")
    runner = CliRunner()
    for fmt in ("json", "md"):
        out = tmp_path / f"export.{fmt}"
        assert runner.invoke(main, ["export", "--db", str(tmp_path / "w.db"), ref, "--format", fmt, "-o", str(out)]).exit_code == 0
        assert stat.S_IMODE(out.stat().st_mode) == 0o600
    files = [tmp_path / "w.db", outbox, *drafts_dir().iterdir()]
    assert len(files) >= 4
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert stat.S_IMODE(drafts_dir().stat().st_mode) == 0o700


@pytest.mark.parametrize("name", ["../../escape", "/etc/passwd", "..", "a/../../b", "\x00nul", ""])
def test_outbox_names_stay_inside_the_outbox(name: str) -> None:
    path = write_outbox(name, "text")
    outbox = (drafts_dir().parent / "outbox").resolve()
    assert path.resolve().parent == outbox


def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in root.rglob("*")
        if path.is_file()
    }


@pytest.mark.parametrize(
    "hostile",
    ["../../../../tmp/warroom-owned", "/tmp/warroom-owned", "~/owned", "..", "a\x00b", "C:\\owned", "file:///tmp/owned"],
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
    before_home, before_work = _tree(home), _tree(work)
    target = work / "target.db"
    result = CliRunner().invoke(main, ["import", "--db", str(target), str(imported)])
    assert result.exit_code in (0, 1), result.output
    after_work = _tree(work)
    changed = {name for name in set(after_work) | set(before_work) if after_work.get(name) != before_work.get(name)}
    assert changed <= {"target.db", "target.db-wal", "target.db-shm"}
    assert _tree(home) == before_home
    assert not Path("/tmp/warroom-owned").exists() and not Path("/tmp/owned").exists()
