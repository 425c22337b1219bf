"""entry points: an anonymous count of scans (starts with the code) per entry point

Revision ID: 0017b
Revises: 0015a
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017b"
down_revision: str | None = "0015a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("entry_point", schema=None) as batch_op:
        batch_op.add_column(sa.Column("scans", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("entry_point", schema=None) as batch_op:
        batch_op.drop_column("scans")
