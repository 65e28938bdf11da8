"""The suite's own PostgreSQL server (tests/pgserver.py) starts and works.

These tests never skip: missing server binaries are a failure with a message
saying how to install them.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import create_engine, text

try:  # tests/ is on sys.path under pytest's default (prepend) import mode
    from pgserver import NOT_FOUND_MESSAGE, PostgresServer, find_bindir  # type: ignore[import-not-found]
except ModuleNotFoundError:  # e.g. --import-mode=importlib from the repo root
    from tests.pgserver import NOT_FOUND_MESSAGE, PostgresServer, find_bindir
from tests.waiting import until_sync

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def pg() -> Iterator[PostgresServer]:
    server = PostgresServer()
    try:
        server.start()
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        yield server
    finally:
        server.stop()


def test_server_is_running(pg: PostgresServer) -> None:
    assert pg.running
    assert pg.admin_url == f"postgresql+psycopg://postgres@127.0.0.1:{pg.port}/postgres"
    assert pg.url("some_db") == f"postgresql+psycopg://postgres@127.0.0.1:{pg.port}/some_db"
    with psycopg.connect(pg.conninfo(), autocommit=True) as conn:
        assert conn.execute("SELECT current_user").fetchone() == ("postgres",)
        assert conn.execute("SHOW fsync").fetchone() == ("off",)
        assert conn.execute("SHOW max_connections").fetchone() == ("200",)
        assert conn.execute("SHOW server_encoding").fetchone() == ("UTF8",)
    # the unix socket lives in the server's temp dir as well
    assert stat.S_ISSOCK((pg.socket_dir / f".s.PGSQL.{pg.port}").stat().st_mode)


def test_version_is_at_least_13(pg: PostgresServer) -> None:
    engine = create_engine(pg.admin_url)
    try:
        with engine.connect() as conn:
            version_num = int(conn.execute(text("SHOW server_version_num")).scalar_one())
    finally:
        engine.dispose()
    assert version_num >= 130000
    assert pg.server_version == version_num


def test_sqlalchemy_engine_select_1(pg: PostgresServer) -> None:
    url = pg.create_database("select_one")
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT 1")).scalar_one() == 1
            assert conn.execute(text("SELECT current_database()")).scalar_one() == "select_one"
    finally:
        engine.dispose()
    pg.drop_database("select_one")


def test_create_database_from_template(pg: PostgresServer) -> None:
    template_url = pg.create_database("tpl")
    engine = create_engine(template_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE incident (id serial PRIMARY KEY, title text NOT NULL)"))
            conn.execute(text("INSERT INTO incident (title) VALUES ('db on fire')"))
    finally:
        engine.dispose()  # a template must have no open connections

    clone_url = pg.create_database("tpl clone", template="tpl")
    assert clone_url == f"postgresql+psycopg://postgres@127.0.0.1:{pg.port}/tpl%20clone"
    clone = create_engine(clone_url)
    try:
        with clone.begin() as conn:
            assert conn.execute(text("SELECT title FROM incident")).scalars().all() == ["db on fire"]
            conn.execute(text("INSERT INTO incident (title) VALUES ('only in the clone')"))
    finally:
        clone.dispose()

    engine = create_engine(template_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM incident")).scalar_one() == 1
    finally:
        engine.dispose()


def test_drop_database_with_open_connection(pg: PostgresServer) -> None:
    pg.create_database('odd "name"; --')
    conn = psycopg.connect(pg.conninfo('odd "name"; --'))
    try:
        pg.drop_database('odd "name"; --')
    finally:
        conn.close()
    with psycopg.connect(pg.conninfo(), autocommit=True) as admin:
        rows = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", ('odd "name"; --',)).fetchall()
    assert rows == []
    pg.drop_database("never_existed")  # IF EXISTS: no error


def test_find_bindir_honours_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    real = find_bindir()
    assert (real / "initdb").is_file() and (real / "postgres").is_file()

    monkeypatch.setenv("WARROOM_PG_BINDIR", str(real))
    assert find_bindir() == real

    monkeypatch.setenv("WARROOM_PG_BINDIR", str(tmp_path))
    with pytest.raises(RuntimeError, match=NOT_FOUND_MESSAGE.replace("(", r"\(").replace(")", r"\)")):
        find_bindir()


def test_stop_removes_everything() -> None:
    with PostgresServer() as server:
        base, pid_file = server.base_dir, server.data_dir / "postmaster.pid"
        pid = int(pid_file.read_text().split()[0])
        assert base.is_dir()
    assert not base.exists()
    assert not server.running
    assert not _alive(pid)


@pytest.mark.parametrize("ending", ["exit", "sigkill"])
def test_no_stray_server_when_owner_process_ends(ending: str) -> None:
    """atexit stops a forgotten server; the watchdog stops it even after SIGKILL."""
    code = textwrap.dedent(
        f"""
        import os, signal, sys
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from pgserver import PostgresServer
        server = PostgresServer().start()
        pid = int((server.data_dir / "postmaster.pid").read_text().split()[0])
        print(pid, server.base_dir, flush=True)
        if {ending!r} == "sigkill":
            os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    expected = -signal.SIGKILL if ending == "sigkill" else 0
    assert result.returncode == expected, result.stderr
    pid_text, base = result.stdout.split(maxsplit=1)
    pid, base_dir = int(pid_text), Path(base.strip())
    # the watchdog works asynchronously after a SIGKILL
    until_sync(lambda: not _alive(pid) and not base_dir.exists(), seconds=30,
               what="the server process gone and its directory removed")


def _alive(pid: int) -> bool:
    """False once ``pid`` has exited (a zombie waiting for init to reap it counts as exited)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
    except OSError:  # no /proc
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
