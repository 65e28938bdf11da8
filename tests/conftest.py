"""Shared fixtures: a frozen clock, an isolated environment and a store on each backend."""

from __future__ import annotations

import gc
import itertools
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from storage.clock import FrozenClock
from storage.db import Store
from storage.policy import Policy, load_policy

NOW = datetime(2026, 11, 23, 14, 40, tzinfo=UTC)
"""The frozen 'now' of the suite: a Monday afternoon (15:40 in Berlin)."""

TEST_CONFIG = 'timezone = "Europe/Berlin"\n'


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No test reads or writes the real user's config, data or database."""
    home = tmp_path_factory.mktemp("home")
    config = home / "config.toml"
    config.write_text(TEST_CONFIG)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / "state"))
    monkeypatch.delenv("WARROOM_DRAFTS", raising=False)
    monkeypatch.setenv("WARROOM_CONFIG", str(config))
    monkeypatch.setenv("WARROOM_USER", "tester")
    monkeypatch.delenv("WARROOM_DB", raising=False)
    monkeypatch.delenv("WARROOM_FROZEN_TIME", raising=False)
    return home


SHM = Path("/dev/shm")
"""Where the suite's temporary files go when it has room (`pytest_configure`)."""


def pytest_configure(config: pytest.Config) -> None:
    """Temporary files (databases, drafts, homes) on tmpfs when /dev/shm has 1 GiB free and
    no --basetemp was given: the suite commits thousands of times with synchronous=FULL,
    and each fsync on a disk is time spent waiting. Decided once, by the main process: the
    parallel workers get their folders inside it."""
    import os
    import shutil
    import tempfile

    if config.option.basetemp or hasattr(config, "workerinput"):
        return
    try:
        roomy = os.access(SHM, os.W_OK) and shutil.disk_usage(SHM).free >= 1 << 30
    except OSError:
        roomy = False
    if roomy:
        config.option.basetemp = tempfile.mkdtemp(prefix="warroom-tests-", dir=SHM)
        config.stash[_SHM_BASETEMP] = config.option.basetemp


_SHM_BASETEMP = pytest.StashKey[str]()


def pytest_unconfigure(config: pytest.Config) -> None:
    import shutil

    made = config.stash.get(_SHM_BASETEMP, None)
    if made is not None:
        shutil.rmtree(made, ignore_errors=True)


def pytest_sessionstart(session: pytest.Session) -> None:
    """Leave what the imports made out of the garbage collector's passes (`gc.freeze`), and
    collect less often: a worker runs hundreds of apps, and each full pass over its heap
    took a fifth of the suite's CPU time."""
    import screens.command  # noqa: F401
    import storage.ops  # noqa: F401
    import tui.app  # noqa: F401

    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


CliInvoke = Callable[..., Result]


@pytest.fixture
def warroom(db_url: str, monkeypatch: pytest.MonkeyPatch) -> CliInvoke:
    """`warroom COMMAND --db <the test database> ARGS...` in-process, the clock frozen at
    NOW, no exception caught; COMMAND may be two words (`services import`)."""
    from tui.cli import main

    monkeypatch.setenv("WARROOM_FROZEN_TIME", NOW.strftime("%Y-%m-%dT%H:%M:%SZ"))
    runner = CliRunner()

    def invoke(command: str, *args: str) -> Result:
        return runner.invoke(main, [*command.split(), "--db", db_url, *args], catch_exceptions=False)

    return invoke


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture
def policy(isolated_environment: Path) -> Policy:
    return load_policy()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[object]:
    """One real PostgreSQL server for the whole run, started from the local binaries."""
    from tests.pgserver import PostgresServer

    server = PostgresServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


_database_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def pg_template(pg_server: object) -> str:
    """A database migrated to the current schema, cloned for each test."""
    from storage.db import create_engine_for
    from storage.migrate import upgrade

    url = pg_server.create_database("warroom_template")  # type: ignore[attr-defined]
    engine = create_engine_for(url)
    upgrade(engine)
    engine.dispose()
    return "warroom_template"


@pytest.fixture
def pg_url(pg_server: object, pg_template: str) -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for one test."""
    name = f"warroom_test_{next(_database_numbers)}"
    url = pg_server.create_database(name, template=pg_template)  # type: ignore[attr-defined]
    yield url
    pg_server.drop_database(name)  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to the current schema, copied for each test (migrating a new
    file takes 50-150 ms, a copy well under one)."""
    from storage.db import Store

    path = tmp_path_factory.mktemp("template") / "warroom.db"
    Store(path).close()
    return path


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> tuple[Path, str]:
    """The demo incident (`build_demo`) at NOW in a SQLite file, and its ref: built once,
    copied for each test that opens it (building it takes 100-150 ms, a copy well under one)."""
    import shutil

    from storage.demo import build_demo

    folder = tmp_path_factory.mktemp("demo-template")
    config = folder / "config.toml"
    config.write_text(TEST_CONFIG)
    path = folder / "demo.db"
    shutil.copyfile(sqlite_template, path)
    with Store(path, policy=load_policy(config), clock=FrozenClock(NOW)) as store:
        ref = build_demo(store)
    assert not Path(f"{path}-wal").exists(), "the demo database is whole in its main file"
    return path, ref


@pytest.fixture
def demo(
    tmp_path: Path, policy: Policy, clock: FrozenClock, demo_template: tuple[Path, str]
) -> Iterator[tuple[Store, str]]:
    """The demo incident open in a SQLite file of this test's own, at the frozen clock."""
    import shutil

    source, ref = demo_template
    path = tmp_path / "demo.db"
    shutil.copyfile(source, path)
    path.chmod(0o600)
    with Store(path, policy=policy, clock=clock) as store:
        yield store, ref


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database URL on each backend: a new SQLite file (private, at the current schema),
    or a new PostgreSQL database."""
    if request.param == "sqlite":
        import shutil

        path = tmp_path / "warroom.db"
        template: Path = request.getfixturevalue("sqlite_template")
        shutil.copyfile(template, path)
        path.chmod(0o600)
        return str(path)
    return request.getfixturevalue("pg_url")


@pytest.fixture
def store(db_url: str, policy: Policy, clock: FrozenClock) -> Iterator[Store]:
    """An open, migrated store with the frozen clock."""
    with Store(db_url, policy=policy, clock=clock) as opened:
        yield opened


STARTED_FIRST = (
    "test_crash.py",
    "test_concurrency.py",
    "test_postmortem_screen.py",
    "test_busy.py",
    "test_snapshots.py",
    "test_command_screen.py",
    "test_scribe_loop.py",
    "test_shown_literally.py",
    "test_faults.py",
    "test_app.py",
    "test_keys_and_palette.py",
)
"""Modules whose tests take a second or more each (child processes, whole app sessions)."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The slow modules are handed out first, so that the parallel workers end together
    with the quick tests rather than one worker finishing a long test alone."""
    rank = {name: number for number, name in enumerate(STARTED_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))


_skipped: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped:
        _skipped.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In CI a skipped test is a failure: nothing may be silently left out."""
    import os

    if os.environ.get("CI") and _skipped and exitstatus == 0:
        print(f"\nCI: {len(_skipped)} test(s) skipped, which CI does not allow: {', '.join(_skipped[:5])}")
        session.exitstatus = 1
