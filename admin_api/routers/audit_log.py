"""Reading and exporting the audit log (admin only)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from sqlalchemy import Select, func, select

from access.audit import audit
from access.errors import Invalid
from admin_api.deps import MAX_ID, Admin, DbSession, Limit, Offset, naive_utc
from admin_api.errors import ERROR_RESPONSES
from admin_api.schemas import Orm, Page, UtcDateTime
from store.models import AuditEntry

router = APIRouter(prefix="/audit", tags=["audit log"], responses=ERROR_RESPONSES)

Word = r"^[A-Za-z0-9_:.\-]*$"
EXPORT_LIMIT = 100_000


class AuditOut(Orm):
    id: int
    at: UtcDateTime
    actor: str
    user_id: int | None
    action: str
    object_type: str
    object_id: str


@dataclass(frozen=True)
class AuditFilter:
    values: dict[str, Any]
    since: dt.datetime | None
    until: dt.datetime | None

    def apply(self, q: Select[Any]) -> Select[Any]:
        for key, value in self.values.items():
            if value is not None:
                q = q.where(getattr(AuditEntry, key) == value)
        if self.since is not None:
            q = q.where(AuditEntry.at >= self.since)
        if self.until is not None:
            q = q.where(AuditEntry.at < self.until)
        return q


async def audit_filter(  # a coroutine: a class as dependency would be made in a pool thread
    actor: Annotated[
        str | None, Query(max_length=40, pattern=Word, description="user:3 or token:7")
    ] = None,
    user_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    action: Annotated[str | None, Query(max_length=40, pattern=Word)] = None,
    object_type: Annotated[str | None, Query(max_length=40, pattern=Word)] = None,
    object_id: Annotated[str | None, Query(max_length=64, pattern=Word)] = None,
    since: Annotated[dt.datetime | None, Query(description="UTC, inclusive")] = None,
    until: Annotated[dt.datetime | None, Query(description="UTC, exclusive")] = None,
) -> AuditFilter:
    values = {
        "actor": actor,
        "user_id": user_id,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
    }
    found = AuditFilter(values, naive_utc(since), naive_utc(until))
    if found.since and found.until and found.since > found.until:
        raise Invalid("since must not be after until", "since")
    return found


Filter = Annotated[AuditFilter, Depends(audit_filter)]


@router.get("", response_model=Page[AuditOut], summary="Audit entries, newest first")
async def list_audit(
    who: Admin, s: DbSession, f: Filter, limit: Limit = 100, offset: Offset = 0
) -> Page[AuditOut]:
    q = f.apply(select(AuditEntry))
    total = await s.scalar(select(func.count()).select_from(q.subquery())) or 0
    rows = await s.scalars(
        q.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit).offset(offset)
    )
    return Page(
        items=[AuditOut.model_validate(r) for r in rows], total=total, limit=limit, offset=offset
    )


@router.get(
    "/export.csv",
    summary="Audit entries as CSV (UTF-8, oldest first)",
    response_class=Response,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
async def export_audit(who: Admin, s: DbSession, f: Filter) -> Response:
    rows = await s.scalars(
        f.apply(select(AuditEntry)).order_by(AuditEntry.at, AuditEntry.id).limit(EXPORT_LIMIT)
    )
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["id", "at", "actor", "user_id", "action", "object_type", "object_id"])
    for r in rows:
        writer.writerow(
            [r.id, r.at.isoformat(), r.actor, r.user_id or "", r.action, r.object_type, r.object_id]
        )
    await audit(s, who, "export", "audit_log", "csv")
    await s.commit()
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="audit.csv"'},
    )
