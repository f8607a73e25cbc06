"""segments

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 01:22:37.913987
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import kempen.models.base

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('lead_score_rules',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('workspace_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('rule', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('rule_text', sa.Text(), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('created_at', kempen.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', kempen.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_lead_score_rules_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lead_score_rules')),
    sa.UniqueConstraint('workspace_id', 'name', name=op.f('uq_lead_score_rules_workspace_id_name'))
    )
    op.create_table('segments',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('workspace_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('rule', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('rule_text', sa.Text(), nullable=False),
    sa.Column('created_at', kempen.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', kempen.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_segments_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_segments')),
    sa.UniqueConstraint('workspace_id', 'name', name=op.f('uq_segments_workspace_id_name'))
    )
    op.create_table('segment_snapshots',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('workspace_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('segment_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('rule', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('rule_text', sa.Text(), nullable=False),
    sa.Column('member_count', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('taken_at', kempen.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['segment_id'], ['segments.id'], name=op.f('fk_segment_snapshots_segment_id_segments'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_segment_snapshots_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_segment_snapshots'))
    )
    with op.batch_alter_table('segment_snapshots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_segment_snapshots_workspace_id_segment_id_taken_at'), ['workspace_id', 'segment_id', 'taken_at'], unique=False)

    op.create_table('contact_metrics',
    sa.Column('workspace_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('contact_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('order_count', sa.Integer(), nullable=False),
    sa.Column('total_spent', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('avg_order_value', sa.Numeric(precision=16, scale=2), nullable=True),
    sa.Column('first_order_at', kempen.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_order_at', kempen.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('rfm_recency', sa.Integer(), nullable=True),
    sa.Column('rfm_frequency', sa.Integer(), nullable=True),
    sa.Column('rfm_monetary', sa.Integer(), nullable=True),
    sa.Column('rfm_score', sa.String(length=3), nullable=True),
    sa.Column('rfm_group', sa.String(length=32), nullable=True),
    sa.Column('lead_score', sa.Integer(), nullable=False),
    sa.Column('computed_at', kempen.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_contact_metrics_contact_id_contacts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_contact_metrics_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('contact_id', name=op.f('pk_contact_metrics'))
    )
    with op.batch_alter_table('contact_metrics', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contact_metrics_workspace_id_last_order_at'), ['workspace_id', 'last_order_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_contact_metrics_workspace_id_rfm_group'), ['workspace_id', 'rfm_group'], unique=False)
        batch_op.create_index(batch_op.f('ix_contact_metrics_workspace_id_total_spent'), ['workspace_id', 'total_spent'], unique=False)

    op.create_table('segment_snapshot_members',
    sa.Column('workspace_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('snapshot_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('contact_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_segment_snapshot_members_contact_id_contacts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['snapshot_id'], ['segment_snapshots.id'], name=op.f('fk_segment_snapshot_members_snapshot_id_segment_snapshots'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_segment_snapshot_members_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('snapshot_id', 'contact_id', name=op.f('pk_segment_snapshot_members'))
    )
    with op.batch_alter_table('segment_snapshot_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_segment_snapshot_members_workspace_id_contact_id'), ['workspace_id', 'contact_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('segment_snapshot_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_segment_snapshot_members_workspace_id_contact_id'))

    op.drop_table('segment_snapshot_members')
    with op.batch_alter_table('contact_metrics', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contact_metrics_workspace_id_total_spent'))
        batch_op.drop_index(batch_op.f('ix_contact_metrics_workspace_id_rfm_group'))
        batch_op.drop_index(batch_op.f('ix_contact_metrics_workspace_id_last_order_at'))

    op.drop_table('contact_metrics')
    with op.batch_alter_table('segment_snapshots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_segment_snapshots_workspace_id_segment_id_taken_at'))

    op.drop_table('segment_snapshots')
    op.drop_table('segments')
    op.drop_table('lead_score_rules')
