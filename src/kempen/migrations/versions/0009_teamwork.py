"""tasks, comments, mentions and notifications

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import kempen.models.base

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
Timestamp = kempen.models.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table('notification_preferences',
    sa.Column('workspace_id', Id, nullable=False),
    sa.Column('user_id', Id, nullable=False),
    sa.Column('email', sa.Boolean(), nullable=False),
    sa.Column('updated_at', Timestamp, nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notification_preferences_user_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_notification_preferences_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('workspace_id', 'user_id', name=op.f('pk_notification_preferences'))
    )
    op.create_table('campaign_comments',
    sa.Column('id', Id, nullable=False),
    sa.Column('workspace_id', Id, nullable=False),
    sa.Column('campaign_id', Id, nullable=False),
    sa.Column('author_id', Id, nullable=True),
    sa.Column('author', sa.String(length=120), nullable=False),
    sa.Column('kind', sa.Enum('comment', 'approved', 'changes_requested', name='comment_kind', native_enum=False, length=24), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('mentioned_user_ids', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', Timestamp, nullable=False),
    sa.Column('edited_at', Timestamp, nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_campaign_comments_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_campaign_comments_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_campaign_comments_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_comments'))
    )
    with op.batch_alter_table('campaign_comments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campaign_comments_workspace_id_campaign_id_id'), ['workspace_id', 'campaign_id', 'id'], unique=False)

    op.create_table('campaign_tasks',
    sa.Column('id', Id, nullable=False),
    sa.Column('workspace_id', Id, nullable=False),
    sa.Column('campaign_id', Id, nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('assignee_id', Id, nullable=True),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('status', sa.Enum('todo', 'in_progress', 'done', name='task_status', native_enum=False, length=16), nullable=False),
    sa.Column('created_by_id', Id, nullable=True),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('due_notice', sa.String(length=16), nullable=True),
    sa.Column('created_at', Timestamp, nullable=False),
    sa.Column('updated_at', Timestamp, nullable=False),
    sa.Column('completed_at', Timestamp, nullable=True),
    sa.ForeignKeyConstraint(['assignee_id'], ['users.id'], name=op.f('fk_campaign_tasks_assignee_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_campaign_tasks_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_campaign_tasks_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_campaign_tasks_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_tasks'))
    )
    with op.batch_alter_table('campaign_tasks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campaign_tasks_workspace_id_assignee_id_status'), ['workspace_id', 'assignee_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_campaign_tasks_workspace_id_campaign_id'), ['workspace_id', 'campaign_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_campaign_tasks_workspace_id_status_due_on'), ['workspace_id', 'status', 'due_on'], unique=False)

    op.create_table('notifications',
    sa.Column('id', Id, nullable=False),
    sa.Column('workspace_id', Id, nullable=False),
    sa.Column('user_id', Id, nullable=False),
    sa.Column('kind', sa.Enum('mention', 'task_assigned', 'task_due_soon', 'task_overdue', 'review_requested', 'approved', 'changes_requested', 'budget_warning', name='notification_kind', native_enum=False, length=32), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('link', sa.String(length=500), nullable=False),
    sa.Column('campaign_id', Id, nullable=True),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('created_at', Timestamp, nullable=False),
    sa.Column('read_at', Timestamp, nullable=True),
    sa.Column('email_pending', sa.Boolean(), nullable=False),
    sa.Column('emailed_at', Timestamp, nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_notifications_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notifications_user_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_notifications_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications'))
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notifications_email_pending'), ['email_pending'], unique=False)
        batch_op.create_index(batch_op.f('ix_notifications_workspace_id_user_id_id'), ['workspace_id', 'user_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_notifications_workspace_id_user_id_read_at'), ['workspace_id', 'user_id', 'read_at'], unique=False)


def downgrade() -> None:
    op.drop_table('notifications')
    op.drop_table('campaign_tasks')
    op.drop_table('campaign_comments')
    op.drop_table('notification_preferences')
