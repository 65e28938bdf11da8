"""The README's Layout section stays true, and no module grows past what a reader takes in."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = ("storage", "widgets", "screens", "tui")
MAX_LINES = 520
"""About 500 lines: a module past this does more than one job and should be split."""


def layout_section() -> str:
    text = (ROOT / "README.md").read_text()
    start = text.index("\n## Layout\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def source_modules() -> list[Path]:
    return sorted(
        path
        for folder in FOLDERS
        for path in (ROOT / folder).rglob("*.py")
        if "migrations" not in path.parts and path.name != "__init__.py"
    )


def layout_rows() -> dict[str, str]:
    """Each row of the Layout tables: its first cell (a path in backticks) -> the rest of the row."""
    rows: dict[str, str] = {}
    for line in layout_section().splitlines():
        found = re.match(r"\|\s*`([^`]+)`\s*\|(.*)\|\s*$", line)
        if found:
            rows[found.group(1)] = found.group(2)
    return rows


def test_every_module_is_in_the_layout() -> None:
    rows = layout_rows()
    missing = []
    for path in source_modules():
        relative = path.relative_to(ROOT)
        if len(relative.parts) == 2:
            if str(relative) not in rows:
                missing.append(str(relative))
        else:
            package = "/".join(relative.parts[:-1]) + "/"
            if f"`{path.stem}`" not in rows.get(package, ""):
                missing.append(f"{relative} (as `{path.stem}` in the row of `{package}`)")
    assert missing == []


def test_every_path_in_the_layout_exists() -> None:
    gone = [path for path in layout_rows() if not (ROOT / path.rstrip("/")).exists()]
    assert gone == []


@pytest.mark.parametrize("folder", FOLDERS)
def test_no_module_is_over_about_500_lines(folder: str) -> None:
    long = {
        str(path.relative_to(ROOT)): count
        for path in source_modules()
        if path.relative_to(ROOT).parts[0] == folder and (count := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}
