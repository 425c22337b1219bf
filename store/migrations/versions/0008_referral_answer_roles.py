"""roles on the shared answers of referrals

Code now knows flow items by their role, never by their id. Referrals created before carry
only the item ids of the Erstberatung of that time; those code reads (Gemeinde, need
areas, interpreter need …) get their role.

Revision ID: 0008
Revises: 0007
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# item ids of the Erstberatung before roles existed -> their roles
ROLES = {
    name: name
    for name in ("gemeinde", "needs", "age", "status", "languages", "german", "interpreter")
}

referral = sa.table("referral", sa.column("id", sa.Integer), sa.column("shared", sa.JSON))


def _rewrite(change) -> None:
    bind = op.get_bind()
    for rid, shared in bind.execute(sa.select(referral.c.id, referral.c.shared)).all():
        if isinstance(shared, str):
            shared = json.loads(shared)
        answers = (shared or {}).get("answers")
        if not isinstance(answers, list):
            continue
        new = {**shared, "answers": [change(a) if isinstance(a, dict) else a for a in answers]}
        bind.execute(referral.update().where(referral.c.id == rid).values(shared=new))


def upgrade() -> None:
    _rewrite(lambda a: {**a, "role": a.get("role", ROLES.get(str(a.get("item"))))})


def downgrade() -> None:
    _rewrite(lambda a: {k: v for k, v in a.items() if k != "role"})
