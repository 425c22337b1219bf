"""sealed addresses: messenger addresses in conversation and outbox encrypted at rest

Revision ID: 0018a
Revises: 0015a

Existing addresses are sealed with the instance secret (store.addresses); downgrading opens
them again. `wegweiser db upgrade` passes the secret; without it a database that holds
addresses is refused. The sealed text fits the columns as they are: no table is rebuilt.
"""

from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import context, op

from store.addresses import AddressBox, is_sealed

revision: str = "0018a"
down_revision: str | None = "0017b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("conversation", "outbox")


def _box() -> AddressBox:
    secret = context.config.attributes.get("address_secret")
    if not secret:
        raise RuntimeError(
            "addresses to seal or open but no secret given: run `wegweiser db upgrade`"
            " (or `downgrade`) with WEGWEISER_SECRET_KEY set"
        )
    return AddressBox(secret)


def _convert(wanted: Callable[[str], bool], change: Callable[[AddressBox, str], str]) -> None:
    conn = op.get_bind()
    box: AddressBox | None = None
    for table in TABLES:
        for row_id, address in conn.execute(sa.text(f"SELECT id, address FROM {table}")).all():
            if wanted(address):
                box = box or _box()
                conn.execute(
                    sa.text(f"UPDATE {table} SET address = :a WHERE id = :i"),
                    {"a": change(box, address), "i": row_id},
                )


def upgrade() -> None:
    _convert(lambda a: not is_sealed(a), AddressBox.seal)


def downgrade() -> None:
    _convert(is_sealed, AddressBox.open)
