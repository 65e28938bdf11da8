"""Post-mortems, service ownership and the full-outage flag

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 17:18:18.764386
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('service_owner',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('functionality', sa.String(), nullable=False),
    sa.Column('service', sa.String(), nullable=False),
    sa.Column('team', sa.String(), nullable=False),
    sa.Column('paging_url', sa.String(), nullable=False),
    sa.Column('vendor', sa.String(), nullable=False),
    sa.Column('relationship_owner', sa.String(), nullable=False),
    sa.Column('support_url', sa.String(), nullable=False),
    sa.Column('status_url', sa.String(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('service_owner', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_owner_functionality'), ['functionality'], unique=False)

    op.create_table('postmortem',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('owner', sa.String(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('meeting_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('recording_url', sa.String(), nullable=False),
    sa.Column('notifications_out_of_sla', sa.Integer(), nullable=True),
    sa.Column('events_dropped', sa.Integer(), nullable=True),
    sa.Column('accounts_affected', sa.Integer(), nullable=True),
    sa.Column('users_affected', sa.Integer(), nullable=True),
    sa.Column('support_requests', sa.String(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('incident_id')
    )
    op.create_table('postmortem_section',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('postmortem_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('body', sa.String(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['postmortem_id'], ['postmortem.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('postmortem_id', 'key')
    )
    with op.batch_alter_table('postmortem_section', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_postmortem_section_postmortem_id'), ['postmortem_id'], unique=False)
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.add_column(sa.Column('full_outage', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.drop_column('full_outage')
    op.drop_table('postmortem_section')
    op.drop_table('postmortem')
    op.drop_table('service_owner')
