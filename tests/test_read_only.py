"""A record opened read-only (`Store(read_only=True)`, what `warroom view` and `warroom serve`
show): it reads as any store does, refuses every write, and so do its connections."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from storage import live, ops
from storage.clock import FrozenClock
from storage.db import Store
from storage.errors import DatabaseError, ReadOnly
from storage.models import Event
from storage.policy import Policy


@pytest.fixture
def viewed(store: Store, db_url: str, policy: Policy, clock: FrozenClock) -> tuple[Store, str]:
    """A read-only store on the record `store` writes, which holds one incident with a line."""
    ref = ops.declare(store, severity=2, functionality="checkout", state="slow", audience="some", ic="Dana").ref
    ops.log(store, ref, "rolled back the canary")
    return Store(db_url, policy=policy, clock=clock, read_only=True), ref


WRITES: dict[str, Callable[[Store, str], object]] = {
    "a line": lambda store, ref: ops.log(store, ref, "from the browser"),
    "a severity": lambda store, ref: ops.change_severity(store, ref, 1),
    "a status": lambda store, ref: ops.set_status(store, ref, "identified"),
    "a key mark": lambda store, ref: ops.set_key(store, ref, 1, True),
    "a declaration": lambda store, _ref: ops.declare(
        store, severity=3, functionality="search", state="down", audience="all", ic="Eve"
    ),
}


def test_a_read_only_store_reads_the_record(viewed: tuple[Store, str]) -> None:
    reader, ref = viewed
    with reader:
        view = live.incident_view(reader, ref)
        rows, _mark = live.event_rows(reader, ref)
    assert view.title == "checkout is slow for some"
    assert any(row.text == "rolled back the canary" for row in rows)


@pytest.mark.parametrize("write", list(WRITES), ids=list(WRITES))
def test_every_write_is_refused_and_nothing_changes(viewed: tuple[Store, str], store: Store, write: str) -> None:
    reader, ref = viewed
    before = live.incident_view(store, ref).change_count
    with reader, pytest.raises(ReadOnly, match="read-only here: nothing was written"):
        WRITES[write](reader, ref)
    assert live.incident_view(store, ref).change_count == before
    assert len(ops.list_incidents(store)) == 1


def test_the_connections_themselves_refuse_a_write(viewed: tuple[Store, str], store: Store) -> None:
    """Past `Store.write` (a session on the engine, as a later bug might open), the database
    refuses: SQLite's query_only, PostgreSQL's read-only transactions."""
    reader, ref = viewed
    with reader, pytest.raises(ReadOnly), reader.read() as session:
        session.execute(sa.update(Event).values(text="rewritten"))
        session.commit()
    assert any(row.text == "rolled back the canary" for row in live.event_rows(store, ref)[0])


def test_a_missing_file_is_refused_and_not_created(tmp_path: Path, policy: Policy) -> None:
    path = tmp_path / "nowhere.db"
    with pytest.raises(DatabaseError, match="no incident record at"):
        Store(str(path), policy=policy, read_only=True)
    assert not path.exists()


def test_a_record_to_upgrade_or_an_empty_file_is_refused(tmp_path: Path, policy: Policy) -> None:
    path = tmp_path / "empty.db"
    path.touch(mode=0o600)
    with pytest.raises(DatabaseError, match="holds no incident record: nothing to show"):
        Store(str(path), policy=policy, read_only=True)
    assert path.stat().st_size == 0


def test_an_older_schema_asks_for_an_upgrade_and_a_newer_one_for_the_newer_warroom(
    tmp_path: Path, policy: Policy
) -> None:
    from storage.db import create_engine_for
    from storage.migrate import HEAD_REVISION, upgrade

    older = tmp_path / "older.db"
    engine = create_engine_for(f"sqlite:///{older}")
    upgrade(engine, target=f"{int(HEAD_REVISION) - 1:04d}")
    engine.dispose()
    with pytest.raises(DatabaseError, match=r"older schema .* open it once with warroom \(not read-only\)"):
        Store(str(older), policy=policy, read_only=True)
    newer = tmp_path / "newer.db"
    Store(str(newer), policy=policy).close()
    engine = create_engine_for(f"sqlite:///{newer}")
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    with pytest.raises(DatabaseError, match=r"which this warroom does not know .* a newer warroom wrote it"):
        Store(str(newer), policy=policy, read_only=True)


def test_a_read_only_store_leaves_the_file_mode_alone(tmp_path: Path, policy: Policy) -> None:
    """Opening read-only changes nothing on disk, not even a mode it would otherwise tighten."""
    path = str(tmp_path / "shared.db")
    Store(path, policy=policy).close()
    os.chmod(path, 0o640)
    with Store(path, policy=policy, read_only=True) as reader:
        assert ops.list_incidents(reader) == []
    assert os.stat(path).st_mode & 0o777 == 0o640
