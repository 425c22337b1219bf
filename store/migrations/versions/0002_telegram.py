"""Telegram delivery: keyboard message per conversation, per-chat pacing, goodbye rows

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 16:28:34.195255
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('conversation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('keyboard_message_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('keyboard_ask', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('pace_tat', sa.DateTime(), nullable=True))

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.alter_column('conversation_id',
               existing_type=sa.INTEGER(),
               nullable=True)
        batch_op.create_index('ix_outbox_chat', ['channel', 'address', 'status', 'id'], unique=False)


def downgrade() -> None:
    op.execute("DELETE FROM outbox WHERE conversation_id IS NULL")
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_chat')
        batch_op.alter_column('conversation_id',
               existing_type=sa.INTEGER(),
               nullable=False)

    with op.batch_alter_table('conversation', schema=None) as batch_op:
        batch_op.drop_column('pace_tat')
        batch_op.drop_column('keyboard_ask')
        batch_op.drop_column('keyboard_message_id')
