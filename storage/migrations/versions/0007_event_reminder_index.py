"""A partial index of each incident's reminder events, so the open reminders are read
without a pass over a long timeline

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 07:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

_REMINDERS = sa.text("kind = 'reminder'")


def upgrade() -> None:
    op.create_index(
        'ix_event_incident_reminder', 'event', ['incident_id', 'seq'], unique=False,
        sqlite_where=_REMINDERS, postgresql_where=_REMINDERS,
    )


def downgrade() -> None:
    op.drop_index('ix_event_incident_reminder', table_name='event')
