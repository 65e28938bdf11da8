"""The app's first frame read without SQLAlchemy (`storage.lite.view`) is what `storage.live`
reads: the same cases through both readers on one database give the same values. The app
shows it at once, opens the record after, and misses nothing written in between; on a
SQLite file nothing before the first frame loads SQLAlchemy."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from screens.command import CommandScreen
from screens.identity import NameDialog
from storage import checklists, live, ops
from storage.clock import FrozenClock
from storage.db import Store
from storage.errors import NotFound
from storage.identity import AS_OPTION, LOGIN, Identity
from storage.lite import open_lite
from storage.lite.view import FirstScreen, first_screen
from storage.policy import Policy
from tests.conftest import NOW
from tests.test_layering import RUN_COMMANDS
from tests.waiting import until
from tui.app import WarroomApp
from tui.cli import main
from tui.cli.launch import first_look
from widgets.incident_header import IncidentHeader
from widgets.scribe_input import ScribeInput
from widgets.timeline import TimelineView

ROOT = Path(__file__).resolve().parent.parent
DANA = Identity("Dana", AS_OPTION)


@pytest.fixture
def sqlite_store(tmp_path: Path, policy: Policy, clock: FrozenClock) -> Iterator[Store]:
    with Store(tmp_path / "w.db", policy=policy, clock=clock, identity=DANA) as store:
        yield store


def _lite_read(store: Store, ref: str | None, newest: int) -> FirstScreen | None:
    lite = open_lite(store.url.removeprefix("sqlite:///"), policy=store.policy, clock=store.clock,
                     identity=store.identity, notices=[])
    assert lite is not None
    try:
        return first_screen(lite, ref, newest=newest)
    finally:
        lite.close()


def _same_as_the_orm(store: Store, ref: str | None, newest: int) -> FirstScreen:
    """Read `ref` (else the most recent open one) both ways and check every value agrees,
    down to the types and the order of the milestones."""
    first = _lite_read(store, ref, newest)
    assert first is not None
    expected = ref if ref is not None else ops.most_recent_open(store)
    assert expected is not None
    view = live.incident_view(store, expected)
    rows, mark = live.event_rows(store, expected, newest=newest)
    assert first.view == view
    assert list(first.view.milestones) == list(view.milestones)
    assert repr(first.view) == repr(view)  # aware UTC times alike, ints as ints
    assert [repr(row) for row in first.rows] == [repr(row) for row in rows]
    assert first.mark == mark and first.mark.change_count == view.change_count
    return first


def _declare(store: Store, functionality: str = "login", **fields: object) -> str:
    return ops.declare(
        store, severity=2, functionality=functionality, state="failing", audience="EU", **fields  # type: ignore[arg-type]
    ).ref


def test_the_same_view_and_rows_as_the_orm(sqlite_store: Store, clock: FrozenClock) -> None:
    store = sqlite_store
    ref = _declare(store, ic="Sam", customer_impact="logins fail")
    at = clock.now() - timedelta(minutes=5)
    for number in range(6):  # six events at one time: the number breaks the tie
        ops.log(store, ref, f"tied {number}", at=at, confirmed=True)
    ops.assign_role(store, ref, "ic", "Lee \x1b[1mChen")  # a handover: Sam's hold ends
    ops.assign_role(store, ref, "sme", "Ana", note="payments")
    ops.assign_role(store, ref, "sme", "Bo")
    ops.release_role(store, ref, "sme", "Bo")
    clock.advance(minutes=1)
    ops.record_status_update(store, ref, channel="internal", kind="initial")
    ops.record_status_update(store, ref, channel="checkin", kind="update")  # the same time: by id
    clock.advance(minutes=1)
    ops.record_status_update(store, ref, channel="internal", kind="update")
    ops.set_milestone(store, ref, "mitigated")
    ops.set_milestone(store, ref, "detected", at=at - timedelta(minutes=20))  # set out of order
    ops.set_impact(store, ref, customer_impact="some logins fail")
    for newest in (1, 3, 4, 400):  # cuts inside the tie and around it
        first = _same_as_the_orm(store, ref, newest)
        assert len(first.rows) == min(newest, len(ops.timeline(store, ref)))
    first = _same_as_the_orm(store, ref, 400)
    assert [h.person for h in first.view.roles if h.role == "ic"] == ["Lee \x1b[1mChen"]
    assert [(h.person, h.note) for h in first.view.roles if h.role == "sme"] == [("Ana", "payments")]
    assert [channel for channel, _ in first.view.updates] == ["internal", "checkin", "internal"]
    assert list(first.view.milestones) == ["detected", "mitigated"]
    assert [(row.kind, row.marker) for row in first.rows if row.marker] == [("declared", "start")]


def test_the_start_and_resolution_markers_as_the_orm(sqlite_store: Store, clock: FrozenClock) -> None:
    store = sqlite_store
    ref = _declare(store)
    ops.log(store, ref, "first line")
    assert _same_as_the_orm(store, ref, 400).rows[0].marker == "start"  # the declaration, until started
    ops.set_milestone(store, ref, "started", at=clock.now() - timedelta(minutes=30))
    clock.advance(minutes=1)
    ops.set_milestone(store, ref, "resolved")
    first = _same_as_the_orm(store, ref, 400)
    markers = {row.detail or row.kind: row.marker for row in first.rows if row.marker}
    assert markers == {"started": "start", "resolved": "resolved"}
    assert "started" in first.view.milestones
    _same_as_the_orm(store, ref, 1)


def test_no_events_the_asked_ref_and_the_most_recent_open_one(sqlite_store: Store, clock: FrozenClock) -> None:
    store = sqlite_store
    older = _declare(store, "search")
    clock.advance(minutes=1)
    newer = _declare(store, "payments")
    clock.advance(minutes=1)
    resolved = _declare(store, "email")
    checklists.resolve(store, resolved, force=True)  # the most recently changed, but not open
    with sqlite3.connect(store.url.removeprefix("sqlite:///")) as db:
        db.execute("DELETE FROM event WHERE incident_id = (SELECT id FROM incident WHERE ref = ?)", (newer,))
    first = _same_as_the_orm(store, None, 400)
    assert first.view.ref == newer and first.rows == []
    assert _same_as_the_orm(store, f"  {older} ", 400).view.ref == older  # spaces around, as ops takes it
    assert _same_as_the_orm(store, resolved, 400).view.status == "resolved"
    clock.advance(minutes=1)
    ops.log(store, older, "older is active again")
    assert _same_as_the_orm(store, None, 400).view.ref == older


def test_an_unknown_ref_is_refused_and_no_open_incident_is_none(sqlite_store: Store) -> None:
    store = sqlite_store
    assert _lite_read(store, None, 400) is None and ops.most_recent_open(store) is None
    with pytest.raises(NotFound) as orm:
        ops.get_incident(store, "inc-nope")
    with pytest.raises(NotFound) as lite:
        _lite_read(store, "inc-nope", 400)
    assert str(lite.value) == str(orm.value)
    ref = _declare(store)
    checklists.resolve(store, ref, force=True)
    assert _lite_read(store, None, 400) is None and ops.most_recent_open(store) is None


def test_first_look_leaves_postgresql_and_older_files_to_the_record(
    tmp_path: Path, policy: Policy, clock: FrozenClock
) -> None:
    """`first_look` answers None (the app opens the record, creating or migrating it) for a
    URL, a missing file or a file at another schema revision."""
    def look(db: str) -> object:
        return first_look(db, None, policy=policy, clock=clock, identity=DANA, notices=[])

    assert look("postgresql://nobody@localhost/none") is None
    assert look(str(tmp_path / "missing.db")) is None
    assert not (tmp_path / "missing.db").exists()
    path = tmp_path / "old.db"
    with Store(path, policy=policy, clock=clock) as store:
        ref = _declare(store)
    assert look(str(path)) is not None
    with sqlite3.connect(path) as db:
        db.execute("UPDATE alembic_version SET version_num = '0005'")
    assert look(str(path)) is None
    older = first_look(str(path), f"{ref}-nope", policy=policy, clock=clock, identity=DANA, notices=[])
    assert older is None  # not refused here: the record, migrated, answers


# --- the app -------------------------------------------------------------------------------


def opened_when_released(
    path: Path, policy: Policy, clock: FrozenClock
) -> tuple[threading.Event, list[Store], Callable[[], Store]]:
    """An opener of the record that waits for the event to be set (the app's first frame
    shows meanwhile), and the stores it opened (to close)."""
    release = threading.Event()
    opened: list[Store] = []

    def opener() -> Store:
        assert release.wait(30)
        opened.append(Store(path, policy=policy, clock=clock, identity=DANA))
        return opened[0]

    return release, opened, opener


async def test_the_first_frame_then_the_record_and_nothing_written_in_between_is_missed(
    tmp_path: Path, policy: Policy, clock: FrozenClock
) -> None:
    """The incident is on screen while the record is still opening; a line typed then stays
    in the input and nothing is written; a line another writer logs between the first read
    and the record opening appears once; the line typed is written once, after."""
    path = tmp_path / "w.db"
    with Store(path, policy=policy, clock=clock, identity=DANA) as seed:
        ref = _declare(seed, ic="Dana")
        for number in range(450):
            ops.log(seed, ref, f"line {number}")
    look = first_look(str(path), None, policy=policy, clock=clock, identity=DANA, notices=[])
    assert look is not None
    release, opened, opener = opened_when_released(path, policy, clock)
    app = WarroomApp(opener=opener, first_look=look)
    async with app.run_test(size=(140, 42)) as pilot:
        screen = app.screen
        assert isinstance(screen, CommandScreen)
        timeline = screen.query_one(TimelineView)
        await until(pilot, lambda: timeline.entry_count >= 400, what="the newest 400 events")
        assert screen.ref == ref and screen.store is None
        assert timeline.entries[-1].text == "line 449"
        # The whole timeline's index is read beside the opening, not after it.
        await until(pilot, lambda: timeline.entry_count > 450, what="the whole timeline, before the record opens")
        assert screen.store is None and timeline.entries[0].kind == "declared"
        assert ref in screen.query_one(IncidentHeader).render().plain
        scribe = screen.query_one(ScribeInput)
        scribe.value = "typed while opening"
        await pilot.press("enter")
        await pilot.pause()
        assert scribe.value == "typed while opening"
        with Store(path, policy=policy, clock=clock, identity=Identity("Other", AS_OPTION)) as other:
            ops.log(other, ref, "written in between")
            release.set()
            await until(pilot, lambda: screen.store is not None, what="the record open")
            await until(
                pilot,
                lambda: any(entry.text == "written in between" for entry in timeline.entries),
                what="the line written in between on screen",
            )
            await pilot.press("enter")
            await until(
                pilot,
                lambda: ops.timeline(other, ref)[-1].text == "typed while opening",
                what="the typed line in the record",
            )
            await until(
                pilot,
                lambda: sum(entry.text == "typed while opening" for entry in timeline.entries) == 1,
                what="the typed line on screen",
            )
            await pilot.pause(1.2)  # two polls: neither line comes back a second time
            texts = [entry.text for entry in timeline.entries]
            assert texts.count("written in between") == 1 and texts.count("typed while opening") == 1
            logged = [(event.author, event.text) for event in ops.timeline(other, ref)]
            assert [entry for entry in logged if entry[1] == "typed while opening"] == [("Dana", "typed while opening")]
    opened[0].close()


async def test_an_index_the_first_look_cannot_read_is_read_through_the_record_once_open(
    tmp_path: Path, policy: Policy, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    import storage.lite.index

    path = tmp_path / "w.db"
    with Store(path, policy=policy, clock=clock, identity=DANA) as seed:
        ref = _declare(seed, ic="Dana")
        ops.log_many(seed, ref, [(f"line {number}", None) for number in range(450)])
    look = first_look(str(path), None, policy=policy, clock=clock, identity=DANA, notices=[])
    assert look is not None
    real_open_index = storage.lite.index.open_index
    calls: list[str] = []

    def unreadable_once(*args: object, **kwargs: object) -> object:
        calls.append("asked")
        if len(calls) == 1:
            raise sqlite3.OperationalError("database is locked")
        return real_open_index(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(storage.lite.index, "open_index", unreadable_once)
    release, opened, opener = opened_when_released(path, policy, clock)
    app = WarroomApp(opener=opener, first_look=look)
    async with app.run_test(size=(140, 42)) as pilot:
        timeline = app.screen.query_one(TimelineView)
        await until(pilot, lambda: calls == ["asked"], what="the early index read")
        await pilot.pause(0.3)
        assert timeline.entry_count == 400  # the newest events only, for now
        release.set()
        await until(pilot, lambda: timeline.entry_count > 450, what="the whole timeline through the record")
        assert len(calls) == 2
    opened[0].close()


async def test_nobody_named_the_first_frame_shows_then_the_name_is_asked_before_anything_is_written(
    tmp_path: Path, policy: Policy, clock: FrozenClock
) -> None:
    path = tmp_path / "w.db"
    with Store(path, policy=policy, clock=clock, identity=DANA) as seed:
        ref = _declare(seed, ic="Dana")
    login = Identity("someone", LOGIN)
    look = first_look(str(path), ref, policy=policy, clock=clock, identity=login, notices=[])
    assert look is not None
    app = WarroomApp(opener=lambda: Store(path, policy=policy, clock=clock, identity=login), first_look=look, ref=ref)
    async with app.run_test(size=(140, 42)) as pilot:
        command = app.screen
        assert isinstance(command, CommandScreen)
        await until(pilot, lambda: command.view is not None, what="the first frame")
        command.query_one(ScribeInput).value = "typed before the name"
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, NameDialog), what="the name dialog")
        assert command.store is None and command.query_one(ScribeInput).value == "typed before the name"
        app.screen.query_one("#name").value = "Ana Souza"  # type: ignore[attr-defined]
        await pilot.press("enter")
        await until(pilot, lambda: command.store is not None, what="the record open on the screen")
        command.query_one(ScribeInput).focus()
        await pilot.press("enter")
        store = app.store
        assert store is not None
        await until(
            pilot, lambda: ops.timeline(store, ref)[-1].text == "typed before the name", what="the line written"
        )
        assert ops.timeline(store, ref)[-1].author == "Ana Souza"
        assert "Ana Souza" in command.query_one(IncidentHeader).render().plain
        await until(
            pilot, lambda: not any(w.group == "identity" and w.is_running for w in app.workers), what="the name saved"
        )


def test_warroom_open_with_an_unknown_ref_fails_before_the_app_starts(tmp_path: Path, policy: Policy) -> None:
    path = tmp_path / "w.db"
    with Store(path, policy=policy) as store:
        _declare(store)
    result = CliRunner().invoke(main, ["open", "--db", str(path), "inc-nope"])
    assert result.exit_code == 1
    assert "no incident 'inc-nope'" in result.stderr


FIRST_FRAME = """
import asyncio, json, sys
from screens.live_incident import LiveIncidentScreen
from tui.app import WarroomApp
from tui.cli import main

seen = {}
show_first = LiveIncidentScreen.show_first

def traced(self, *args):
    seen["loaded"] = sorted({n.split(".")[0] for n in sys.modules} & {"sqlalchemy", "sqlmodel", "alembic"})
    show_first(self, *args)

def run(self):
    async def go():
        async with self.run_test(size=(140, 42)) as pilot:
            for _ in range(400):
                if self.store is not None and getattr(self.screen, "store", None) is not None:
                    break
                await pilot.pause(0.05)
            seen["attached"] = self.screen.store is not None
            seen["rows"] = self.screen.query_one("#timeline").entry_count
    asyncio.run(go())

LiveIncidentScreen.show_first = traced
WarroomApp.run = run
try:
    main.main(sys.argv[1:], prog_name="warroom")
except SystemExit as done:
    seen["code"] = done.code
print("RESULT " + json.dumps(seen), file=sys.stderr)
"""


def test_no_sqlalchemy_before_the_first_frame_on_sqlite(tmp_path: Path, policy: Policy) -> None:
    """`warroom open REF` on a current SQLite file: the first frame is shown before
    SQLAlchemy, SQLModel or Alembic is imported; the record is opened after it."""
    path = tmp_path / "w.db"
    with Store(path, policy=policy, clock=FrozenClock(NOW)) as store:
        ref = _declare(store)
        ops.log(store, ref, "a line")
    done = subprocess.run(
        [sys.executable, "-c", FIRST_FRAME, "open", "--db", str(path), ref],
        check=False, cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    result = next((line for line in done.stderr.splitlines() if line.startswith("RESULT ")), None)
    assert result is not None, done.stderr[-2000:]
    report = json.loads(result.removeprefix("RESULT "))
    assert report == {"loaded": [], "attached": True, "rows": 2, "code": 0}, done.stderr[-2000:]


def test_an_unknown_ref_loads_neither_textual_nor_sqlalchemy(tmp_path: Path, policy: Policy) -> None:
    path = tmp_path / "w.db"
    with Store(path, policy=policy) as store:
        _declare(store)
    done = subprocess.run(
        [sys.executable, "-c", RUN_COMMANDS, json.dumps([["open", "--db", str(path), "inc-nope"]]),
         json.dumps(["textual", "rich", "sqlalchemy", "sqlmodel"])],
        check=False, cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    result = next((line for line in done.stderr.splitlines() if line.startswith("RESULT ")), None)
    assert result is not None, done.stderr[-2000:]
    assert json.loads(result.removeprefix("RESULT ")) == {"codes": [1], "loaded": []}
    assert "no incident 'inc-nope'" in done.stderr


def test_a_database_the_first_look_made_private_is_said_once(
    tmp_path: Path, policy: Policy, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first look makes the file private (as `open_lite` does); the record opened after
    finds it so: the app says it once, on leaving."""
    path = tmp_path / "w.db"
    with Store(path, policy=policy) as store:
        ref = _declare(store)
    path.chmod(0o644)
    opened: list[Store] = []

    def run(app: WarroomApp) -> None:  # no terminal here: open the record as the app would
        assert app.first_look is not None and app.opener is not None
        opened.append(app.opener())
        app.store = opened[0]

    monkeypatch.setattr(WarroomApp, "run", run)
    result = CliRunner().invoke(main, ["open", "--db", str(path), ref])
    assert result.exit_code == 0, result.stderr
    said = [line for line in result.stderr.splitlines() if "readable by others" in line]
    assert said == [f"warroom: {path} was readable by others (mode 0644); made it 0600"]
    assert path.stat().st_mode & 0o777 == 0o600
