"""random survey answer ids

Sequential answer ids would let anyone with database access order survey responses in time
and so try to match them against conversation timestamps. Existing ids are replaced by
random ones as well.

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("survey_answer", "survey_text_answer")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"ALTER TABLE {table} ALTER COLUMN id DROP DEFAULT")
            op.execute(
                f"ALTER TABLE {table} ALTER COLUMN id TYPE VARCHAR(32)"
                " USING md5(random()::text || clock_timestamp()::text || id::text)"
            )
            op.execute(f"DROP SEQUENCE IF EXISTS {table}_id_seq")
        return
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.alter_column("id", type_=sa.String(32), existing_nullable=False)
        op.execute(f"UPDATE {table} SET id = lower(hex(randomblob(16)))")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"ALTER TABLE {table} DROP CONSTRAINT pk_{table}")
            op.execute(f"ALTER TABLE {table} DROP COLUMN id")
            op.execute(f"ALTER TABLE {table} ADD COLUMN id SERIAL")
            op.execute(f"ALTER TABLE {table} ADD CONSTRAINT pk_{table} PRIMARY KEY (id)")
        return
    for table in TABLES:
        op.execute(f"UPDATE {table} SET id = CAST(rowid AS TEXT)")
        with op.batch_alter_table(table) as batch:
            batch.alter_column(
                "id", type_=sa.Integer(), existing_nullable=False, autoincrement=True
            )
