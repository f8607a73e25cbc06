"""brand kit, sender identities, content blocks

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import kempen.models.base

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
Timestamp = kempen.models.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table('brand_kits',
    sa.Column('workspace_id', Id, nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('logo', sa.LargeBinary(), nullable=True),
    sa.Column('logo_content_type', sa.String(length=40), nullable=True),
    sa.Column('logo_sha256', sa.String(length=64), nullable=True),
    sa.Column('logo_width', sa.Integer(), nullable=True),
    sa.Column('logo_height', sa.Integer(), nullable=True),
    sa.Column('primary_colour', sa.String(length=7), nullable=False),
    sa.Column('secondary_colour', sa.String(length=7), nullable=False),
    sa.Column('accent_colour', sa.String(length=7), nullable=False),
    sa.Column('text_colour', sa.String(length=7), nullable=False),
    sa.Column('background_colour', sa.String(length=7), nullable=False),
    sa.Column('font_family', sa.String(length=200), nullable=False),
    sa.Column('footer_html', sa.Text(), nullable=False),
    sa.Column('footer_text', sa.Text(), nullable=False),
    sa.Column('updated_by', sa.String(length=200), nullable=False),
    sa.Column('updated_at', Timestamp, nullable=False),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_brand_kits_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('workspace_id', name=op.f('pk_brand_kits'))
    )
    op.create_table('content_blocks',
    sa.Column('id', Id, nullable=False),
    sa.Column('workspace_id', Id, nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('html', sa.Text(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', Timestamp, nullable=False),
    sa.Column('updated_at', Timestamp, nullable=False),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_content_blocks_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_content_blocks')),
    sa.UniqueConstraint('workspace_id', 'key', name=op.f('uq_content_blocks_workspace_id_key'))
    )
    with op.batch_alter_table('content_blocks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_content_blocks_workspace_id_name'), ['workspace_id', 'name'], unique=False)

    op.create_table('sender_identities',
    sa.Column('id', Id, nullable=False),
    sa.Column('workspace_id', Id, nullable=False),
    sa.Column('label', sa.String(length=120), nullable=False),
    sa.Column('from_name', sa.String(length=200), nullable=False),
    sa.Column('from_email', sa.String(length=320), nullable=False),
    sa.Column('reply_to', sa.String(length=320), nullable=True),
    sa.Column('is_default', sa.Boolean(), nullable=False),
    sa.Column('created_at', Timestamp, nullable=False),
    sa.Column('updated_at', Timestamp, nullable=False),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_sender_identities_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sender_identities')),
    sa.UniqueConstraint('workspace_id', 'label', name=op.f('uq_sender_identities_workspace_id_label'))
    )
    with op.batch_alter_table('campaign_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sender_identity_id', Id, nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_campaign_messages_sender_identity_id_sender_identities'), 'sender_identities', ['sender_identity_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.add_column(sa.Column('brand_snapshot', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_column('brand_snapshot')

    with op.batch_alter_table('campaign_messages', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_campaign_messages_sender_identity_id_sender_identities'), type_='foreignkey')
        batch_op.drop_column('sender_identity_id')

    op.drop_table('sender_identities')
    with op.batch_alter_table('content_blocks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_content_blocks_workspace_id_name'))

    op.drop_table('content_blocks')
    op.drop_table('brand_kits')
