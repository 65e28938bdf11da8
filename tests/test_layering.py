"""The layers stay apart: storage never imports textual or rich; widgets never import storage
(except `storage.text`, `storage.markdown` and `storage.render`, pure string functions with no record in them)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

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
