"""The scribe's promise: every line entered is in the record once, whole, in order, and a
line that cannot be logged moves aside without taking the next ones with it.

Typed, pasted (bracketed or as a burst of keys) and after a SIGKILL with lines waiting."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC
from pathlib import Path

from textual import events
from textual.app import App

from screens.command import CommandScreen
from screens.paste import PasteDialog
from storage import ops
from storage.db import Store
from storage.drafts import Drafts
from storage.policy import Policy
from tests.test_busy import texts, until
from tui.app import WarroomApp
from widgets.held_lines import HeldLines
from widgets.scribe_input import ScribeInput

ROOT = Path(__file__).resolve().parent.parent
WARROOM = str(Path(sys.executable).with_name("warroom"))


def burst(app: App[None], text: str) -> None:
    """Send `text` as key events all at once, as a terminal without bracketed paste (or
    type-ahead) does: nothing is handled before the last key is in the queue."""
    driver = app._driver
    assert driver is not None
    for char in text:
        key = "enter" if char == "\r" else ("space" if char == " " else char)
        event = events.Key(key, char)
        event.set_sender(app)
        driver.send_message(event)


def declare(store: Store, functionality: str = "checkout") -> str:
    return ops.declare(store, severity=2, functionality=functionality, state="slow", audience="all").ref


# --- typing, pasting, bursts ---------------------------------------------------------------


async def test_a_burst_of_lines_without_bracketed_paste_logs_each_line_once(store: Store) -> None:
    ref = declare(store)
    before = texts(store, ref)
    app = WarroomApp(store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, CommandScreen)
        burst(app, "db restarted\rerrors falling\r/decision keep the flag off\r")
        await until(pilot, lambda: len(texts(store, ref)) == len(before) + 3 and not screen.unsaved_lines)
        await pilot.pause(0.3)
        assert texts(store, ref)[len(before):] == ["db restarted", "errors falling", "keep the flag off"]
        assert screen.query_one(ScribeInput).value == ""


async def test_a_bracketed_paste_of_lines_logs_each_as_an_event_after_one_confirmation(store: Store) -> None:
    ref = declare(store)
    before = texts(store, ref)
    app = WarroomApp(store)
    async with app.run_test(size=(120, 40)) as pilot:
        scribe = app.screen.query_one(ScribeInput)
        scribe.post_message(events.Paste("pager fired\r\n\n!/action failover to eu-west-2\nerrors at 40%\n"))
        await until(pilot, lambda: isinstance(app.screen, PasteDialog))
        dialog = app.screen
        assert isinstance(dialog, PasteDialog)
        assert dialog.border_title is None  # the title is on the box
        box_title = dialog.query_one(".dialog-box").border_title
        assert box_title == "Log 3 pasted lines as 3 events?"
        assert texts(store, ref) == before  # nothing before the confirmation
        await pilot.press("enter")
        await until(pilot, lambda: len(texts(store, ref)) == len(before) + 3)
        await pilot.pause(0.3)
        assert texts(store, ref)[len(before):] == ["pager fired", "failover to eu-west-2", "errors at 40%"]
        assert scribe.value == ""


async def test_a_cancelled_paste_logs_nothing_and_leaves_the_input_as_it_was(store: Store) -> None:
    ref = declare(store)
    before = texts(store, ref)
    app = WarroomApp(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press(*"half typed")
        scribe = app.screen.query_one(ScribeInput)
        scribe.post_message(events.Paste("one\ntwo"))
        await until(pilot, lambda: isinstance(app.screen, PasteDialog))
        await pilot.press("escape")
        await pilot.pause(0.3)
        assert texts(store, ref) == before
        assert scribe.value == "half typed"


async def test_a_pasted_line_that_cannot_be_logged_is_marked_and_set_aside(store: Store) -> None:
    ref = declare(store)
    before = texts(store, ref)
    app = WarroomApp(store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, CommandScreen)
        screen.query_one(ScribeInput).post_message(events.Paste("first\n/bogus second\nthird"))
        await until(pilot, lambda: isinstance(app.screen, PasteDialog))
        dialog = app.screen
        assert isinstance(dialog, PasteDialog) and list(dialog.problems) == [1]
        await pilot.press("enter")
        await until(pilot, lambda: len(texts(store, ref)) == len(before) + 2)
        assert texts(store, ref)[len(before):] == ["first", "third"]
        held = screen.query_one(HeldLines)
        assert [entry.text for entry in held.entries] == ["/bogus second"]


async def test_a_one_line_paste_is_typed_in(store: Store) -> None:
    declare(store)
    app = WarroomApp(store)
    async with app.run_test(size=(120, 40)) as pilot:
        scribe = app.screen.query_one(ScribeInput)
        scribe.post_message(events.Paste("just one line\n"))
        await pilot.pause(0.2)
        assert not isinstance(app.screen, PasteDialog)
        assert scribe.value == "just one line"


# --- refused lines move aside ----------------------------------------------------------------


async def test_a_refused_line_moves_aside_and_the_next_lines_are_logged(store: Store) -> None:
    ref = declare(store)
    before = texts(store, ref)
    app = WarroomApp(store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, CommandScreen)
        scribe = screen.query_one(ScribeInput)
        await pilot.press(*"@25:00 bad time", "enter")
        assert scribe.value == ""  # free at once
        await pilot.press(*"second line", "enter", *"third line", "enter")
        await until(pilot, lambda: len(texts(store, ref)) == len(before) + 2 and not screen.unsaved_lines)
        assert texts(store, ref)[len(before):] == ["second line", "third line"]
        held = screen.query_one(HeldLines)
        assert held.display
        assert [entry.text for entry in held.entries] == ["@25:00 bad time"]
        shown = str(held.render())
        assert "@25:00 bad time" in shown and "'25:00' is not a time" in shown and "Ctrl+R" in shown
        # Ctrl+R takes it back, with its reason, to fix.
        await pilot.press("ctrl+r")
        assert scribe.value == "@25:00 bad time" and scribe.has_class("-error")
        assert "'25:00' is not a time" in str(screen.query_one("#scribe-error").render())
        assert not held.display
        await pilot.press("backspace", "backspace", "backspace", "backspace", "backspace", "backspace",
                          "backspace", "backspace", "backspace", "backspace", "backspace", "backspace",
                          "backspace", "backspace", "backspace", *"fixed line", "enter")
        await until(pilot, lambda: texts(store, ref)[-1] == "fixed line")


async def test_lines_set_aside_are_kept_across_a_restart(store: Store) -> None:
    ref = declare(store)
    app = WarroomApp(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press(*"/bogus keep me", "enter")
        await pilot.pause()
    app = WarroomApp(store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, CommandScreen)
        await pilot.pause()
        assert [entry.text for entry in screen.query_one(HeldLines).entries] == ["/bogus keep me"]
    assert Drafts(store.url).load_held(ref)


async def test_recall_waits_for_the_line_being_typed(store: Store) -> None:
    declare(store)
    app = WarroomApp(store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, CommandScreen)
        await pilot.press(*"/bogus aside", "enter", *"typing")
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert screen.query_one(ScribeInput).value == "typing"  # nothing typed is lost
        assert [entry.text for entry in screen.query_one(HeldLines).entries] == ["/bogus aside"]


# --- lines waiting when the process is killed ------------------------------------------------

SCRIBE_WAITING = textwrap.dedent(
    """
    import asyncio, sys
    sys.path.insert(0, {root!r})
    from storage import db
    db.BUSY_TIMEOUT_MS = 200
    from storage.db import Store
    from tui.app import WarroomApp

    url, lines = sys.argv[1], sys.argv[2:]

    async def main() -> None:
        app = WarroomApp(Store(url))
        async with app.run_test(size=(100, 30)) as pilot:
            screen = app.screen
            await pilot.pause()
            for line in lines:
                for key in line:
                    await pilot.press(key if key != " " else "space")
                await pilot.press("enter")
            while len(screen.unsaved_lines) < len(lines):
                await pilot.pause(0.01)
            print("WAITING", len(screen.unsaved_lines), flush=True)
            await asyncio.sleep(600)

    asyncio.run(main())
    """
)


@contextmanager
def write_lock_held(url: str, ref: str, policy: Policy) -> Iterator[None]:
    """Another writer holds the incident until the block ends (SQLite's write lock)."""
    with Store(url, policy=policy) as other, other.write() as session:
        ops.find_incident(session, ref, lock=True)
        yield


def kill_scribe_with_lines_waiting(path: Path, policy: Policy, ref: str, lines: list[str]) -> None:
    """Run the app in a real process on `ref` while another writer holds the database,
    type `lines` and SIGKILL it once they are all waiting (entered, not written)."""
    with write_lock_held(f"sqlite:///{path}", ref, policy):
        child = subprocess.Popen(
            [sys.executable, "-c", SCRIBE_WAITING.format(root=str(ROOT)), f"sqlite:///{path}", *lines],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        assert child.stdout is not None
        got: list[str] = []
        reader = threading.Thread(target=lambda: got.append(child.stdout.readline()), daemon=True)  # type: ignore[union-attr]
        reader.start()
        reader.join(90)
        if not got or not got[0].startswith("WAITING"):
            child.kill()
            raise AssertionError(f"the scribe did not get its lines waiting: {got} {child.stderr.read()}")  # type: ignore[union-attr]
        os.kill(child.pid, signal.SIGKILL)
        child.wait(30)


def test_identical_lines_waiting_at_a_kill_are_all_written_once(tmp_path: Path, policy: Policy) -> None:
    path = tmp_path / "crash.db"
    with Store(path, policy=policy) as store:
        ref = declare(store)
    kill_scribe_with_lines_waiting(path, policy, ref, ["ack", "ack", "ack"])
    # Someone else logs the same word meanwhile: it is a fourth event, not one of the three.
    env = {**os.environ, "WARROOM_USER": "other"}
    logged = subprocess.run(
        [WARROOM, "--db", str(path), "log", ref, "ack"], capture_output=True, text=True, env=env, check=False
    )
    assert logged.returncode == 0, logged.stderr
    assert f"3 lines typed into {ref}" in logged.stderr  # announced by the command
    with Store(path, policy=policy) as store:
        app = WarroomApp(store)

        async def reopen() -> None:
            async with app.run_test(size=(100, 30)) as pilot:
                screen = app.screen
                assert isinstance(screen, CommandScreen)
                await until(pilot, lambda: not screen.unsaved_lines)
                await pilot.pause(0.2)

        asyncio.run(reopen())
        assert texts(store, ref).count("ack") == 4
        # And opening it once more writes nothing again.
        app = WarroomApp(store)
        asyncio.run(reopen())
        assert texts(store, ref).count("ack") == 4
    assert Drafts(f"sqlite:///{path}").load_pending(ref) == []


def test_lines_waiting_for_another_incident_are_written_at_the_next_start(tmp_path: Path, policy: Policy) -> None:
    path = tmp_path / "crash.db"
    with Store(path, policy=policy) as store:
        first = declare(store, "login")
    kill_scribe_with_lines_waiting(path, policy, first, ["pager fired", "rolled back"])
    with Store(path, policy=policy) as store:
        second = declare(store, "search")  # now the most recent: plain `warroom` opens it
        app = WarroomApp(store)
        notes: list[str] = []

        async def start() -> None:
            async with app.run_test(size=(100, 30)) as pilot:
                screen = app.screen
                assert isinstance(screen, CommandScreen) and screen.ref == second
                await until(pilot, lambda: texts(store, first)[-2:] == ["pager fired", "rolled back"])
                await pilot.pause(0.2)
                notes.extend(str(n.message) for n in app._notifications)

        asyncio.run(start())
        assert texts(store, first).count("pager fired") == 1
        assert any(f"Entered in {first} before warroom stopped: 2 lines written" in note for note in notes), notes
        assert texts(store, second)[-1] != "rolled back"
    assert Drafts(f"sqlite:///{path}").load_pending(first) == []
    listed = subprocess.run([WARROOM, "--db", str(path), "list"], capture_output=True, text=True, check=False)
    assert listed.returncode == 0 and "may not be in the record" not in listed.stderr


# --- times that need a look --------------------------------------------------------------------


async def test_a_time_on_another_day_is_set_aside_until_confirmed(store: Store) -> None:
    from datetime import datetime

    ref = declare(store)
    before = texts(store, ref)
    app = WarroomApp(store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, CommandScreen)
        await until(pilot, lambda: screen.view is not None)
        # 16:00 typed at 15:40 Berlin time: the latest 16:00 is yesterday's.
        await pilot.press(*"@16:00 db failover", "enter", *"next line", "enter")
        await until(pilot, lambda: texts(store, ref)[-1:] == ["next line"])
        held = screen.query_one(HeldLines)
        assert [entry.text for entry in held.entries] == ["@16:00 db failover"]
        shown = str(held.render())
        assert "yesterday" in shown and "Ctrl+Y" in shown
        assert "db failover" not in texts(store, ref)
        await pilot.press("ctrl+y")
        await until(pilot, lambda: "db failover" in texts(store, ref) and not screen.unsaved_lines)
        assert not held.display
    event = next(e for e in ops.timeline(store, ref) if e.text == "db failover")
    assert event.occurred_at == datetime(2026, 11, 22, 15, 0, tzinfo=UTC)
    assert len(texts(store, ref)) == len(before) + 2


# --- what an adversarial pass found ----------------------------------------------------------


async def test_a_one_line_paste_keeps_unicode_line_separators(store: Store) -> None:
    declare(store)
    app = WarroomApp(store)
    async with app.run_test(size=(120, 40)) as pilot:
        scribe = app.screen.query_one(ScribeInput)
        scribe.post_message(events.Paste("first part\u2028second\x0cthird\x85end"))
        await pilot.pause(0.2)
        assert scribe.value == "first part\u2028second\x0cthird\x85end"


def test_kept_lines_with_repeated_missing_or_bad_fields_are_each_read(tmp_path: Path) -> None:
    import json

    drafts = Drafts("sqlite:///x.db", tmp_path)
    path = drafts.pending_file("inc-1")
    good = {"text": "good", "entered_at": "2026-11-23T14:40:00+00:00", "id": "a1"}
    records = [
        {"text": "one", "entered_at": "2026-11-23T14:40:00+00:00", "id": None},
        {"text": "two", "entered_at": "2026-11-23T14:40:01+00:00", "id": None},
        {"text": "bad time", "entered_at": "yesterday", "id": "b"},
        {"text": None, "entered_at": "2026-11-23T14:40:00+00:00", "id": "c"},
        good,
        {**good, "text": "same id as good"},
    ]
    tmp_path.mkdir(exist_ok=True)
    path.write_text(json.dumps({"ref": "inc-1", "lines": records}))
    lines = drafts.load_pending("inc-1")
    assert [line.text for line in lines] == ["one", "two", "good", "same id as good"]
    assert len({line.entry_id for line in lines}) == 4 and all(line.entry_id for line in lines)
    # A file that cannot be read at all is moved aside, not replaced by the next line kept.
    path.write_text("{not json")
    assert drafts.load_pending("inc-1") == []
    assert list(tmp_path.glob("*.unreadable"))


async def test_a_hostile_incident_name_in_a_kept_file_reaches_no_terminal(store: Store) -> None:
    import json

    declare(store)
    drafts = Drafts(store.url)
    hostile = "\x1b]0;pwned\x07\x1b[2J[/]"
    drafts.directory.mkdir(parents=True, exist_ok=True)
    drafts.pending_file(hostile).write_text(
        json.dumps({"ref": hostile, "lines": [{"text": "x", "entered_at": "2026-11-23T14:40:00+00:00", "id": "h1"}]})
    )
    app = WarroomApp(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: bool(app._notifications))
        messages = [str(n.message) for n in app._notifications]
    assert all("\x1b" not in m and "\x07" not in m for m in messages), messages
    assert any("␛]0;pwned" in m and "no such incident" in m for m in messages), messages


async def test_a_line_entered_while_the_record_opens_stays_in_the_input(store: Store) -> None:
    ref = declare(store)
    release = threading.Event()

    def opener() -> Store:
        release.wait(10)
        return store

    app = WarroomApp(opener=opener, ref=ref)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press(*"pager fired", "enter")
        scribe = app.screen.query_one(ScribeInput)
        assert scribe.value == "pager fired"
        assert "still opening" in str(app.screen.query_one("#scribe-error").render())
        release.set()
        screen = app.screen
        assert isinstance(screen, CommandScreen)
        await until(pilot, lambda: screen.store is not None)
        await pilot.press("enter")
        await until(pilot, lambda: texts(store, ref)[-1] == "pager fired")


def test_a_command_says_where_lines_for_an_unknown_incident_are_kept(tmp_path: Path, policy: Policy) -> None:
    import json

    path = tmp_path / "w.db"
    with Store(path, policy=policy) as store:
        declare(store)
        drafts = Drafts(store.url)
    drafts.directory.mkdir(parents=True, exist_ok=True)
    kept = drafts.pending_file("inc-gone")
    kept.write_text(
        json.dumps({"ref": "inc-gone", "lines": [{"text": "x", "entered_at": "2026-11-23T14:40:00+00:00", "id": "g1"}]})
    )
    listed = subprocess.run([WARROOM, "--db", str(path), "list"], capture_output=True, text=True, check=False)
    assert listed.returncode == 0
    assert f"1 line typed in the app into an incident this database does not have is kept in {kept}" in listed.stderr
