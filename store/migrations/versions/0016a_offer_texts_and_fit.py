"""translated offer texts, offer requirements (German level, topics), Servicestelle response time

Offers get a one-sentence summary and directions (both German, like the other texts), the
German level they need or are meant for, and the follow-up topics they serve; every text
field may have translations per language with a review status (`offer_text`). Servicestellen
say how many working days they usually need to get in touch.

Revision ID: 0016a
Revises: 0020a
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016a"
down_revision: str | None = "0020a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("offer", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("summary", sa.String(length=300), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("directions", sa.String(length=300), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("german_min", sa.String(length=4), nullable=True))
        batch_op.add_column(sa.Column("german_max", sa.String(length=4), nullable=True))
        batch_op.add_column(sa.Column("topics", sa.JSON(), nullable=False, server_default="[]"))
    with op.batch_alter_table("offer", schema=None) as batch_op:
        for name in ("summary", "directions", "topics"):
            batch_op.alter_column(name, server_default=None)
    with op.batch_alter_table("servicestelle", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("response_days", sa.Integer(), nullable=False, server_default="3")
        )
    with op.batch_alter_table("servicestelle", schema=None) as batch_op:
        batch_op.alter_column("response_days", server_default=None)
    op.create_table(
        "offer_text",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("offer_id", sa.Integer(), nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("field", sa.String(length=20), nullable=False),
        sa.Column("text", sa.String(length=300), nullable=False),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("reviewed", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["offer_id"],
            ["offer.id"],
            name=op.f("fk_offer_text_offer_id_offer"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offer_text")),
        sa.UniqueConstraint("offer_id", "locale", "field", name=op.f("uq_offer_text_offer_id")),
    )


def downgrade() -> None:
    op.drop_table("offer_text")
    with op.batch_alter_table("servicestelle", schema=None) as batch_op:
        batch_op.drop_column("response_days")
    with op.batch_alter_table("offer", schema=None) as batch_op:
        for name in ("topics", "german_max", "german_min", "directions", "summary"):
            batch_op.drop_column(name)
