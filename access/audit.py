"""The audit log: who did what to which object, and when — never the data itself.

Call `audit(...)` in the same session (and so the same transaction) as the change it records,
and on every read of personal referral data before committing; the entry is written exactly
when the change is.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from access.scope import Principal
from store.models import AuditEntry

MAX_ID_LENGTH = 64


def audit_actor(
    s: AsyncSession,
    actor: str,
    action: str,
    obj_type: str,
    obj_id: object,
    *,
    user_id: int | None = None,
) -> AuditEntry:
    """Record an entry for an actor that is not a request principal (e.g. `cli`)."""
    entry = AuditEntry(
        actor=actor[:40],
        user_id=user_id,
        action=action[:40],
        object_type=obj_type[:40],
        object_id=str(obj_id)[:MAX_ID_LENGTH],
    )
    s.add(entry)
    return entry


async def audit(
    s: AsyncSession, principal: Principal, action: str, obj_type: str, obj_id: object
) -> AuditEntry:
    """Record that `principal` did `action` (read, create, update, delete, transition, …) to
    the object `obj_type`/`obj_id`. Written when the caller commits."""
    entry = audit_actor(s, principal.actor, action, obj_type, obj_id, user_id=principal.user_id)
    await s.flush()
    return entry
