"""Each event carries the incident's change count of the change that last wrote it, so a
live view asks for what changed after the count it has seen (a revision id could commit
out of order on PostgreSQL and be skipped)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 19:30:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('change_number', sa.Integer(), nullable=False, server_default='0'))
        batch_op.create_index('ix_event_incident_change', ['incident_id', 'change_number'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_index('ix_event_incident_change')
        batch_op.drop_column('change_number')
