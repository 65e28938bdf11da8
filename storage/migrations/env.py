"""Alembic environment: runs on the connection `storage.migrate` hands over."""

from __future__ import annotations

from alembic import context

from storage.models import SQLModel

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("warroom migrations run through storage.migrate, which supplies a connection")

context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=True,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
