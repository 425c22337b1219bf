"""safety: urgent referrals, anonymous counts of help shown after danger messages

Revision ID: 0015a
Revises: 0016a
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015a"
down_revision: str | None = "0016a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("urgent", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    op.create_table(
        "safety_count",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("buendnis_id", sa.Integer(), nullable=True),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["buendnis_id"],
            ["buendnis.id"],
            name=op.f("fk_safety_count_buendnis_id_buendnis"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_safety_count")),
    )
    with op.batch_alter_table("safety_count", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_safety_count_buendnis_id"), ["buendnis_id", "day"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("safety_count", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_safety_count_buendnis_id"))
    op.drop_table("safety_count")
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.drop_column("urgent")
