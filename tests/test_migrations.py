"""Schema migrations: the scripts match the models, and old databases upgrade with their data."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from storage import live, ops, postmortem
from storage.clock import FrozenClock
from storage.db import Store, create_engine_for, resolve_url
from storage.errors import DatabaseError
from storage.migrate import HEAD_REVISION, alembic_config, current_revision
from storage.models import SQLModel
from storage.policy import Policy

FIRST_REVISION_ROWS = [
    (
        "INSERT INTO incident (ref, functionality, state, audience, severity, status, customer_impact,"
        " quantity_impacted, known_impacted_customers, primary_ref, declared_at, updated_at) VALUES"
        " ('inc-26-11-20-SEV-1', 'login', 'failing', 'everyone', 1, 'investigating', 'no logins', 'All', '',"
        " NULL, '2026-11-20 10:00:00', '2026-11-20 10:05:00')"
    ),
    (
        "INSERT INTO severity_change (incident_id, severity, at, logged_at, author) VALUES"
        " (1, 1, '2026-11-20 10:00:00', '2026-11-20 10:00:00', 'dana')"
    ),
    (
        "INSERT INTO event (incident_id, seq, occurred_at, logged_at, author, kind, text, link, key, detail,"
        " struck, revision) VALUES (1, 1, '2026-11-20 10:00:00', '2026-11-20 10:00:00', 'dana', 'declared',"
        " 'Declared SEV1: login is failing for everyone', NULL, true, 'SEV1', false, 1),"
        " (1, 2, '2026-11-20 10:05:00', '2026-11-20 10:05:00', 'lee', 'note', 'pager fired', NULL, false, NULL,"
        " false, 1)"
    ),
    "INSERT INTO person (name, contact) VALUES ('Dana', '')",
    (
        "INSERT INTO role_assignment (incident_id, role, person_id, note, started_at, ended_at) VALUES"
        " (1, 'ic', 1, '', '2026-11-20 10:00:00', NULL)"
    ),
]


def _fill_first_revision(url: str) -> None:
    engine = create_engine_for(resolve_url(url))
    with engine.connect() as connection:
        with connection.begin():
            command.upgrade(alembic_config(connection), "0001")
        with connection.begin():
            for statement in FIRST_REVISION_ROWS:
                connection.execute(sa.text(statement))
    assert current_revision(engine) == "0001"
    engine.dispose()


def test_head_revision_constant_matches_the_scripts() -> None:
    assert ScriptDirectory.from_config(alembic_config()).get_current_head() == HEAD_REVISION


def start_empty(db_url: str) -> None:
    """The fixture's database is already at head (a copy, a clone): start from nothing."""
    if "postgresql" not in db_url:
        Path(db_url).unlink()
        return
    engine = create_engine_for(db_url)
    with engine.begin() as connection:
        connection.execute(sa.text("DROP SCHEMA public CASCADE"))
        connection.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


def run_the_scripts(db_url: str) -> None:
    """Build the schema from nothing with every migration script in turn."""
    start_empty(db_url)
    engine = create_engine_for(resolve_url(db_url))
    with engine.connect() as connection, connection.begin():
        command.upgrade(alembic_config(connection), "head")
    engine.dispose()


def reflected_schema(db_url: str) -> dict[str, object]:
    """Every table's columns (in name order: a column a script added comes last), keys,
    indexes and constraints, as the database reports them."""
    engine = create_engine_for(resolve_url(db_url))
    inspector = sa.inspect(engine)
    schema: dict[str, object] = {}
    for table in sorted(inspector.get_table_names()):
        schema[table] = {
            "columns": sorted(
                (column["name"], str(column["type"]), column["nullable"], str(column.get("default")))
                for column in inspector.get_columns(table)
            ),
            "primary key": inspector.get_pk_constraint(table),
            "foreign keys": sorted(map(repr, inspector.get_foreign_keys(table))),
            "indexes": sorted(
                repr({**index, "dialect_options": {k: str(v) for k, v in index.get("dialect_options", {}).items()}})
                for index in inspector.get_indexes(table)
            ),
            "unique": sorted(map(repr, inspector.get_unique_constraints(table))),
            "checks": sorted(map(repr, inspector.get_check_constraints(table))),
        }
    engine.dispose()
    return schema


def test_migrations_produce_exactly_the_models(db_url: str) -> None:
    run_the_scripts(db_url)
    engine = create_engine_for(resolve_url(db_url))
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), SQLModel.metadata) == []
    assert current_revision(engine) == HEAD_REVISION
    engine.dispose()


def test_a_new_database_gets_the_schema_the_scripts_build(db_url: str, policy: Policy, clock: FrozenClock) -> None:
    run_the_scripts(db_url)
    built_by_the_scripts = reflected_schema(db_url)
    start_empty(db_url)
    with Store(db_url, policy=policy, clock=clock) as store:  # made from the models, stamped at the head
        assert current_revision(store.engine) == HEAD_REVISION
        ops.declare(store, severity=2, functionality="search", state="slow", audience="everyone")
    assert reflected_schema(db_url) == built_by_the_scripts


def test_upgrade_from_the_first_revision_keeps_the_data(db_url: str, policy: Policy, clock: FrozenClock) -> None:
    start_empty(db_url)
    _fill_first_revision(db_url)
    with Store(db_url, policy=policy, clock=clock) as store:
        assert current_revision(store.engine) == HEAD_REVISION
        ref = "inc-26-11-20-SEV-1"
        incident = ops.get_incident(store, ref)
        assert (incident.customer_impact, incident.full_outage) == ("no logins", False)
        texts = [e.text for e in ops.timeline(store, ref)]
        assert texts == ["Declared SEV1: login is failing for everyone", "pager fired"]
        assert [(h.role, h.person) for h in ops.role_history(store, ref)] == [("ic", "Dana")]
        event = ops.log(store, ref, "after the upgrade")
        assert event.seq == 3
        postmortem.update_postmortem(store, ref, owner="Dana", sections={"overview": "written after upgrade"})


def test_a_newer_schema_is_refused(tmp_path: Path, policy: Policy, clock: FrozenClock) -> None:
    path = tmp_path / "newer.db"
    Store(path, policy=policy, clock=clock).close()
    engine = create_engine_for(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = '0099'"))
    engine.dispose()
    with pytest.raises(DatabaseError, match="newer than this warroom"):
        Store(path, policy=policy, clock=clock)


def test_a_foreign_database_is_refused(tmp_path: Path, policy: Policy, clock: FrozenClock) -> None:
    path = tmp_path / "other.db"
    engine = create_engine_for(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)"))
        connection.execute(sa.text("INSERT INTO notes (body) VALUES ('keep me')"))
    engine.dispose()
    with pytest.raises(DatabaseError, match="not a warroom database"):
        Store(path, policy=policy, clock=clock)
    engine = create_engine_for(f"sqlite:///{path}")
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT body FROM notes")).scalar_one() == "keep me"
        assert sa.inspect(connection).get_table_names() == ["notes"]
    engine.dispose()


def test_a_corrupt_file_gets_one_clear_error(tmp_path: Path, policy: Policy, clock: FrozenClock) -> None:
    path = tmp_path / "corrupt.db"
    garbage = b"this is not sqlite at all" * 100
    path.write_bytes(garbage)
    with pytest.raises(DatabaseError, match="not a readable warroom database"):
        Store(path, policy=policy, clock=clock)
    assert path.read_bytes() == garbage


def test_upgrade_from_0005_stamps_no_event_and_the_live_view_follows_new_changes(
    db_url: str, policy: Policy, clock: FrozenClock
) -> None:
    start_empty(db_url)
    engine = create_engine_for(resolve_url(db_url))
    with engine.connect() as connection:
        with connection.begin():
            command.upgrade(alembic_config(connection), "0005")
        with connection.begin():
            for statement in FIRST_REVISION_ROWS:
                connection.execute(sa.text(statement))
            connection.execute(sa.text("UPDATE incident SET change_count = 7"))
    assert current_revision(engine) == "0005"
    engine.dispose()
    with Store(db_url, policy=policy, clock=clock) as store:
        assert current_revision(store.engine) == HEAD_REVISION
        ref = "inc-26-11-20-SEV-1"
        with store.read() as session:
            stamped = session.execute(sa.text("SELECT seq, change_number FROM event ORDER BY seq")).all()
        assert [tuple(row) for row in stamped] == [(1, 0), (2, 0)]
        rows, mark = live.event_rows(store, ref)
        assert [row.text for row in rows] == ["Declared SEV1: login is failing for everyone", "pager fired"]
        assert mark == live.Watermark(7)
        ops.edit_event(store, ref, 2, "pager fired at 10:05")
        ops.log(store, ref, "after the upgrade")
        rows, mark = live.events_since(store, ref, mark)
        assert [(row.seq, row.text) for row in rows] == [(2, "pager fired at 10:05"), (3, "after the upgrade")]
        assert mark == live.Watermark(9)
        assert live.events_since(store, ref, mark) == ([], mark)


def test_upgrade_from_0006_finds_the_reminders_already_logged(db_url: str, policy: Policy, clock: FrozenClock) -> None:
    """0007 indexes the reminder events: one logged before the upgrade is open after it, and
    the open reminders are read through the index."""
    start_empty(db_url)
    engine = create_engine_for(resolve_url(db_url))
    with engine.connect() as connection:
        with connection.begin():
            command.upgrade(alembic_config(connection), "0006")
        with connection.begin():
            for statement in FIRST_REVISION_ROWS:
                connection.execute(sa.text(statement))
            connection.execute(sa.text(
                "INSERT INTO event (incident_id, seq, occurred_at, logged_at, author, kind, text, link, key, detail,"
                " struck, revision, change_number) VALUES (1, 3, '2026-11-20 10:06:00', '2026-11-20 10:06:00', 'lee',"
                " 'reminder', 'Remind at 11:16: check the canary', NULL, false, 'due 2026-11-20T10:16:00+00:00',"
                " false, 1, 0)"
            ))
    assert current_revision(engine) == "0006"
    engine.dispose()
    with Store(db_url, policy=policy, clock=clock) as store:
        assert current_revision(store.engine) == HEAD_REVISION
        (reminder,) = ops.reminders(store, "inc-26-11-20-SEV-1").open
        assert (reminder.seq, reminder.text, reminder.author) == (3, "check the canary", "lee")
        if store.dialect == "sqlite":
            with store.read() as session:
                plan = session.execute(sa.text(
                    "EXPLAIN QUERY PLAN SELECT seq FROM event WHERE incident_id = 1 AND kind = 'reminder' ORDER BY seq"
                )).all()
            assert "ix_event_incident_reminder" in str(plan)
