"""`warroom tail` follows a timeline as it grows, in a real process on each backend: the
newest events first, then each new one within a moment, an edited or struck one again as
`revised`, JSON Lines with every control character escaped, and Ctrl+C ends it quietly."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from storage import ops
from storage.db import Store
from tui.cli import main

WARROOM = str(Path(sys.executable).with_name("warroom"))


class Following:
    """`warroom tail` running, its lines read as they come."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen([WARROOM, "tail", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)

    def next(self, seconds: float = 20.0) -> dict[str, Any]:
        return json.loads(self.lines.get(timeout=seconds))

    def stop(self) -> tuple[int, str]:
        self.process.send_signal(signal.SIGINT)
        self.process.wait(timeout=10)
        assert self.process.stderr is not None
        return self.process.returncode, self.process.stderr.read()


def declare(store: Store) -> str:
    return ops.declare(store, severity=2, functionality="checkout", state="failing", audience="EU").ref


def test_tail_prints_the_newest_then_each_new_and_revised_event(store: Store, db_url: str) -> None:
    ref = declare(store)
    ops.log(store, ref, "pager fired")
    ops.log(store, ref, "!rolling back")
    following = Following(ref, "--json", "-n", "2", "--db", db_url)
    try:
        first, second = following.next(), following.next()
        assert [(line["seq"], line["text"], line["change"]) for line in (first, second)] == [
            (2, "pager fired", "new"), (3, "rolling back", "new")]
        assert second["key"] is True and second["at"].endswith("Z") and second["author"] == "tester"
        ops.log(store, ref, "escape \x1b[2J and bell \x07", author="Lee Chen")
        added = following.next()
        assert (added["seq"], added["text"], added["author"], added["change"]) == (
            4, "escape \x1b[2J and bell \x07", "Lee Chen", "new")
        ops.strike_event(store, ref, 2)
        struck = following.next()
        assert (struck["seq"], struck["struck"], struck["change"]) == (2, True, "revised")
    finally:
        status, errors = following.stop()
    assert status == 0 and errors == ""


def test_json_lines_escape_every_control_character_and_text_shows_pictures(store: Store, db_url: str) -> None:
    ref = declare(store)
    ops.log(store, ref, "\x1b]52;c;ZXZpbA==\x07 [bold]x[/] \u202e")
    runner = CliRunner()
    as_json = runner.invoke(main, ["tail", ref, "--json", "-n", "1", "--once", "--db", db_url])
    assert as_json.exit_code == 0 and "\x1b" not in as_json.output and "\\u001b]52" in as_json.output
    as_text = runner.invoke(main, ["tail", ref, "-n", "1", "--once", "--db", db_url])
    assert as_text.exit_code == 0 and "␛]52;c;ZXZpbA==␇ [bold]x[/]" in as_text.output and "\x1b" not in as_text.output
    unknown = runner.invoke(main, ["tail", "inc-nope", "--once", "--db", db_url])
    assert unknown.exit_code != 0 and "inc-nope" in unknown.output


def test_tail_ends_when_its_reader_goes_away_even_with_nothing_new_to_print(store: Store, db_url: str) -> None:
    """`warroom tail REF | head -3` ends once head has its lines, not at the next event
    (which may never come): the closed pipe is noticed while waiting."""
    ref = declare(store)
    for number in range(5):
        ops.log(store, ref, f"line {number}")
    process = subprocess.Popen([WARROOM, "tail", ref, "-n", "5", "--db", db_url], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert process.stdout is not None and process.stderr is not None
    try:
        process.stdout.readline()
        process.stdout.close()  # (as `head -1` does once it has its line)
        assert process.wait(timeout=15) == 0
        assert process.stderr.read() == b""
    finally:
        if process.poll() is None:
            process.kill()
