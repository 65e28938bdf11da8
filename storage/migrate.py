"""Schema migrations: every open brings the database up to this version's schema."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from storage.errors import DatabaseError
from storage.timeparse import quote_input

if TYPE_CHECKING:
    from alembic.config import Config

HEAD_REVISION = "0007"
"""The newest revision this version knows (a test keeps it equal to the scripts' head)."""

_PG_LOCK_KEY = 0x57A8_800D  # serialises concurrent upgrades of one PostgreSQL database

_VERSION_TABLE = sa.Table(
    "alembic_version",
    sa.MetaData(),
    sa.Column("version_num", sa.String(32), nullable=False),
    sa.PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
)
"""Alembic's version table, as Alembic makes it."""


def alembic_config(connection: sa.Connection | None = None) -> Config:
    """An Alembic config pointing at the packaged migration scripts."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    config.attributes["connection"] = connection
    return config


def current_revision(engine: Engine) -> str | None:
    """The database's schema revision (None for an empty database).

    Read with plain SQL: importing Alembic costs a fifth of a second, which every
    start would pay although the schema is almost always current already.
    """
    with engine.connect() as connection:
        if not sa.inspect(connection).has_table("alembic_version"):
            return None
        versions = connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all()
        return versions[0] if len(versions) == 1 else None


def upgrade(engine: Engine, target: str = "head") -> None:
    """Upgrade to `target`, refusing databases that are foreign or newer than this code."""
    if target == "head" and current_revision(engine) == HEAD_REVISION:
        return
    with engine.execution_options(sqlite_begin="IMMEDIATE").connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # SQLite rebuilds a table to alter it; foreign keys must be off meanwhile
            # (the pragma only takes effect outside a transaction) and are checked below.
            connection.connection.driver_connection.execute("PRAGMA foreign_keys = OFF")  # type: ignore[union-attr]
        try:
            _upgrade_locked(connection, target)
        finally:
            if sqlite:
                connection.connection.driver_connection.execute("PRAGMA foreign_keys = ON")  # type: ignore[union-attr]


def _upgrade_locked(connection: sa.Connection, target: str) -> None:
    """Check and upgrade inside one transaction that holds the write lock."""
    with connection.begin():
        if connection.dialect.name == "postgresql":
            connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
        _check_version_table(connection)
        revision = _stored_revision(connection)
        if revision is None:
            tables = set(sa.inspect(connection).get_table_names()) - {"alembic_version"}
            if tables:
                raise DatabaseError(
                    "this database holds other tables and is not a warroom database; "
                    "choose another file with --db"
                )
            if target == "head":
                _create_at_head(connection)
                return
        _run_scripts(connection, revision, target)


def _create_at_head(connection: sa.Connection) -> None:
    """Make an empty database's schema straight from the models and stamp it at the head
    revision: what the scripts build step by step (a test compares the two), without
    importing Alembic or rebuilding each table once per revision."""
    from storage.models import SQLModel

    SQLModel.metadata.create_all(connection)
    _VERSION_TABLE.create(connection)
    connection.execute(_VERSION_TABLE.insert().values(version_num=HEAD_REVISION))


def _run_scripts(connection: sa.Connection, revision: str | None, target: str) -> None:
    """Upgrade from `revision` to `target` with the migration scripts."""
    from alembic import command
    from alembic.script import ScriptDirectory

    config = alembic_config(connection)
    scripts = ScriptDirectory.from_config(config)
    if revision is not None and revision not in {script.revision for script in scripts.walk_revisions()}:
        shown = revision if revision.isprintable() and len(revision) <= 40 else quote_input(revision)
        raise DatabaseError(
            f"the database has schema revision {shown}, newer than this warroom "
            f"knows ({HEAD_REVISION}): upgrade warroom to open it"
        )
    command.upgrade(config, target)
    if connection.dialect.name == "sqlite":
        broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise DatabaseError(f"the upgrade would break {len(broken)} references; nothing was changed")


def _stored_revision(connection: sa.Connection) -> str | None:
    """The revision in the version table (None without one; `_check_version_table` has
    refused a table with no row or several)."""
    if not sa.inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(sa.select(_VERSION_TABLE.c.version_num)).scalar_one_or_none()


def _check_version_table(connection: sa.Connection) -> None:
    """Refuse a schema version table that no warroom wrote: more than one row, or an empty one."""
    if not sa.inspect(connection).has_table("alembic_version"):
        return
    versions = connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all()
    if len(versions) > 1:
        shown = ", ".join(quote_input(str(version)) for version in versions[:3])
        raise DatabaseError(
            f"the database records {len(versions)} schema revisions at once ({shown}): it is damaged or "
            "was not written by warroom; nothing was changed"
        )
    if versions and not str(versions[0] or "").strip():
        raise DatabaseError(
            "the database records an empty schema revision: it is damaged or was not written by warroom; "
            "nothing was changed"
        )
