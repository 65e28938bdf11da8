"""The layers stay apart: storage never imports textual or rich; widgets never import storage
(except `storage.text`, `storage.markdown` and `storage.render`, pure string functions with no record in them)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from storage import ops
from storage.db import Store

ROOT = Path(__file__).resolve().parent.parent

FORBIDDEN = {
    "storage": {"textual", "rich", "tui", "screens", "widgets"},
    "widgets": {"storage", "screens", "tui"},
    "screens": {"tui"},
}
ALLOWED = {"storage.text", "storage.render", "storage.markdown"}
"""Modules any layer may import: pure functions that touch neither the record nor a screen."""


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0 and node.module not in ALLOWED:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_no_forbidden_imports_in_source(package: str) -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_roots(path) & FORBIDDEN[package])
        for path in (ROOT / package).rglob("*.py")
    }
    assert {path: found for path, found in offenders.items() if found} == {}


def test_storage_loads_without_textual_or_rich() -> None:
    code = (
        "import sys, pkgutil, importlib, storage\n"
        "for m in pkgutil.walk_packages(storage.__path__, 'storage.'):\n"
        "    if '.versions.' in m.name or m.name.endswith('migrations.env'): continue\n"
        "    importlib.import_module(m.name)\n"
        "bad = sorted(n for n in sys.modules if n.split('.')[0] in ('textual', 'rich'))\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


CLI_FORBIDDEN = {"textual", "rich", "widgets", "screens"}
"""What the command line must not load: only running the app (`warroom`, `open`, `demo`) does."""
CLI_FORBIDDEN_MODULES = {"tui.app", "tui.theme", "tui.commands", "tui.keymap"}


def module_level_imports(path: Path) -> set[str]:
    """The modules `path` imports when it is loaded: its top-level statements (under `if`
    and `try` too), not the bodies of its functions and classes."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    pending: list[ast.stmt] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, (ast.If, ast.Try, ast.With)):
            pending.extend(node.body)
            pending.extend(getattr(node, "orelse", []))
            pending.extend(getattr(node, "finalbody", []))
            for handler in getattr(node, "handlers", []):
                pending.extend(handler.body)
    return found


def test_cli_modules_import_no_textual_at_module_level() -> None:
    offenders = {}
    for path in sorted((ROOT / "tui" / "cli").glob("*.py")):
        bad = sorted(
            name for name in module_level_imports(path)
            if name.split(".")[0] in CLI_FORBIDDEN or name in CLI_FORBIDDEN_MODULES
        )
        if bad:
            offenders[str(path.relative_to(ROOT))] = bad
    assert offenders == {}


RUN_COMMANDS = """
import json, sys
from tui.cli import main
codes = []
for args in json.loads(sys.argv[1]):
    try:
        main.main(args, prog_name="warroom")
    except SystemExit as done:
        codes.append(done.code or 0)
packages = json.loads(sys.argv[2]) if len(sys.argv) > 2 else ["textual", "rich"]
loaded = sorted(name for name in sys.modules if name.split(".")[0] in packages)
print("RESULT " + json.dumps({"codes": codes, "loaded": loaded}), file=sys.stderr)
"""
"""Run each command line given (JSON) in this one interpreter, then report the exit codes
and every module loaded by any of them from Textual or Rich (or from the packages given as a
second JSON argument)."""


def test_cli_commands_load_no_textual_or_rich(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Real commands, one after another in one interpreter: none loads Textual or Rich (one
    interpreter is the stricter test: a module any of them loads stays loaded)."""
    monkeypatch.setenv("WARROOM_FROZEN_TIME", "2026-11-23T14:40:00Z")
    db = str(tmp_path / "layering.db")
    with Store(db) as store:
        ref = ops.declare(store, severity=2, functionality="login", state="failing", audience="everyone").ref
    commands = [
        ["declare", "--db", db, "--sev", "2", "--functionality", "search", "--state", "slow", "--audience", "all"],
        ["--help"],
        ["log", "--db", db, ref, "pager fired"],
        ["timeline", "--db", db, ref],
        ["list", "--db", db],
        ["list", "--db", db, "--json"],
        ["export", "--db", db, ref],
        ["export", "--db", db, ref, "--format", "json"],
        ["postmortem", "--db", db, ref],
        ["checklist", "--db", db, ref],
        ["config"],
        ["timeline", "--db", db, "inc-no-such"],  # a failure prints its one line without them too
    ]
    done = subprocess.run(
        [sys.executable, "-c", RUN_COMMANDS, json.dumps(commands)],
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    result = next((line for line in done.stderr.splitlines() if line.startswith("RESULT ")), None)
    assert result is not None, done.stderr[-2000:]
    report = json.loads(result.removeprefix("RESULT "))
    assert report["codes"] == [0] * (len(commands) - 1) + [1], done.stderr[-2000:]
    assert report["loaded"] == []
