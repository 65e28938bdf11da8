"""Where the database lives and how SQLite is set up."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
import sqlalchemy as sa

from storage.clock import FrozenClock
from storage.db import Store, default_database_path, resolve_url
from storage.errors import DatabaseError
from storage.policy import Policy


def test_sqlite_file_is_private_and_durable(tmp_path: Path, policy: Policy, clock: FrozenClock) -> None:
    path = tmp_path / "nested" / "dir" / "w.db"
    with Store(path, policy=policy, clock=clock) as store:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        with store.engine.connect() as connection:
            pragma = lambda name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()  # noqa: E731
            assert pragma("journal_mode") == "wal"
            assert pragma("synchronous") == 2  # FULL
            assert pragma("foreign_keys") == 1
            assert pragma("busy_timeout") == 5000


def test_foreign_keys_are_enforced(tmp_path: Path, policy: Policy, clock: FrozenClock) -> None:
    with (
        Store(tmp_path / "w.db", policy=policy, clock=clock) as store,
        pytest.raises(DatabaseError),
        store.write() as session,
    ):
        session.exec(  # type: ignore[call-overload]
            sa.text(
                "INSERT INTO milestone (incident_id, name, at, set_at, set_by)"
                " VALUES (999, 'started', '2026-01-01', '2026-01-01', '')"
            )
        )


def test_url_resolution(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, isolated_environment: Path) -> None:
    assert resolve_url(tmp_path / "a.db") == f"sqlite:///{tmp_path / 'a.db'}"
    assert resolve_url("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"
    monkeypatch.setenv("WARROOM_DB", str(tmp_path / "env.db"))
    assert resolve_url() == f"sqlite:///{tmp_path / 'env.db'}"
    assert resolve_url(tmp_path / "flag.db").endswith("flag.db")
    monkeypatch.delenv("WARROOM_DB")
    assert resolve_url() == f"sqlite:///{default_database_path()}"
    assert str(default_database_path()).startswith(str(isolated_environment))


def test_unsupported_url_is_refused(policy: Policy, clock: FrozenClock) -> None:
    with pytest.raises(DatabaseError, match="unsupported database"):
        Store("mysql://u@h/db", policy=policy, clock=clock)


def test_unreachable_directory_is_one_clear_error(tmp_path: Path, policy: Policy, clock: FrozenClock) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(DatabaseError, match="cannot create the directory"):
        Store(blocker / "sub" / "w.db", policy=policy, clock=clock)
