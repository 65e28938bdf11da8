"""Each scribe line's own id (given when it is entered), so a line written twice is one event

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 17:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('entry_id', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint('uq_event_incident_entry', ['incident_id', 'entry_id'])


def downgrade() -> None:
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_constraint('uq_event_incident_entry', type_='unique')
        batch_op.drop_column('entry_id')
