"""The offer catalogue (Angebote) of a Bündnis: gfs maintains its own, admin all;
servicestelle staff read their Bündnis's offers (for onward referral)."""

from __future__ import annotations

import calendar
import datetime as dt
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import Field
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from admin_api.audit import audit
from admin_api.deps import (
    MAX_ID,
    AdminOrGfs,
    AnyStaff,
    DbSession,
    Id,
    Limit,
    Offset,
    Principal,
    buendnis_filter,
    get_scoped,
    target_buendnis,
)
from admin_api.errors import ERROR_RESPONSES, ApiError, invalid, not_found
from admin_api.limits import MAX_UPLOAD
from admin_api.routers.places import check_gemeinden
from admin_api.schemas import (
    CLEAN,
    DbId,
    Download,
    Ids,
    Locales,
    Long,
    Name,
    Orm,
    Page,
    Patch,
    Strict,
    Tags,
    bounded,
    with_examples,
)
from offers.io import export_offers, import_offers
from offers.io_columns import ImportRefused, ImportReport, RowError
from offers.taxonomy import GERMAN_RANK, TOPICS
from store.models import Buendnis, Offer, today

router = APIRouter(prefix="/offers", tags=["offers"], responses=ERROR_RESPONSES)

Access = Literal["yes", "no", "ask"]
AccessMap = Annotated[
    dict[Annotated[str, Field(pattern=r"^[A-Za-z0-9_§-]{1,20}$")], Access],
    Field(
        max_length=20,
        description="residence status → yes | no | ask (e.g. {'AG': 'yes', 'D': 'ask'})",
    ),
]
Age = Annotated[int, Field(ge=0, le=120)]
Category = Annotated[str, bounded(60, 1), CLEAN]
Short = Annotated[str, bounded(120), CLEAN]
German = Literal["none", "a1", "a2", "b1", "b2", "c1"]  # offers.taxonomy.GERMAN_LEVELS
Topics = Annotated[
    list[Annotated[str, Field(pattern=r"^[a-z_]{2,20}$")]],
    Field(max_length=30, description="offers.taxonomy.TOPICS codes, e.g. ['no_home', 'debts']"),
]


class OfferFields(Strict):
    title: Name
    summary: Long = ""
    provider: Name
    category: Category
    need_areas: Tags = Field(default_factory=list)
    gemeinde_ids: Ids = Field(default_factory=list)
    address: Long = ""
    directions: Long = ""
    contact: Long = ""
    opening_hours: Long = ""
    languages: Locales = Field(default_factory=list)
    cost: Short = ""
    capacity_note: Long = ""
    what_to_bring: Long = ""
    age_min: Age | None = None
    age_max: Age | None = None
    german_min: German | None = None
    german_max: German | None = None
    topics: Topics = Field(default_factory=list)
    access: AccessMap = Field(default_factory=dict)
    opening_possible: bool = False
    keywords: Tags = Field(default_factory=list)
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    source: Long = ""
    last_checked: dt.date | None = None


class OfferIn(OfferFields):
    buendnis_id: DbId | None = None

    model_config = with_examples(
        {
            "title": "Jugendintegrationskurs",
            "provider": "VHS Moers",
            "category": "Sprache",
            "need_areas": ["Sprache"],
            "languages": ["de"],
            "age_min": 16,
            "age_max": 26,
            "access": {"AG": "yes", "D": "ask"},
            "last_checked": "2026-05-04",
        }
    )


class OfferPatch(Patch):
    title: Name | None = None
    summary: Long | None = None
    provider: Name | None = None
    category: Category | None = None
    need_areas: Tags | None = None
    gemeinde_ids: Ids | None = None
    address: Long | None = None
    directions: Long | None = None
    contact: Long | None = None
    opening_hours: Long | None = None
    languages: Locales | None = None
    cost: Short | None = None
    capacity_note: Long | None = None
    what_to_bring: Long | None = None
    age_min: Age | None = None
    age_max: Age | None = None
    german_min: German | None = None
    german_max: German | None = None
    topics: Topics | None = None
    access: AccessMap | None = None
    opening_possible: bool | None = None
    keywords: Tags | None = None
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    source: Long | None = None
    last_checked: dt.date | None = None


class OfferOut(Orm):
    id: int
    buendnis_id: int
    title: str
    summary: str
    provider: str
    category: str
    need_areas: list[str]
    gemeinde_ids: list[int]
    address: str
    directions: str
    contact: str
    opening_hours: str
    languages: list[str]
    cost: str
    capacity_note: str
    what_to_bring: str
    age_min: int | None
    age_max: int | None
    german_min: str | None
    german_max: str | None
    topics: list[str]
    access: dict[str, str]
    opening_possible: bool
    keywords: list[str]
    valid_from: dt.date | None
    valid_to: dt.date | None
    source: str
    last_checked: dt.date | None
    is_sample: bool


NULLABLE = {
    "age_min",
    "age_max",
    "german_min",
    "german_max",
    "valid_from",
    "valid_to",
    "last_checked",
}


def _check_ranges(
    age_min: int | None,
    age_max: int | None,
    frm: dt.date | None,
    to: dt.date | None,
    german: tuple[str | None, str | None] = (None, None),
) -> None:
    if age_min is not None and age_max is not None and age_min > age_max:
        raise invalid("age_min must not exceed age_max", "age_min")
    if frm is not None and to is not None and frm > to:
        raise invalid("valid_from must not be after valid_to", "valid_from")
    low, high = (GERMAN_RANK.get(level or "") for level in german)
    if low is not None and high is not None and low > high:
        raise invalid("german_min must not be above german_max", "german_min")


def _check_topics(topics: list[str] | None) -> None:
    unknown = [t for t in topics or [] if t not in TOPICS]
    if unknown:
        raise invalid(f"unknown topic {unknown[0]!r}; known: {', '.join(TOPICS)}", "topics")


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day `months` calendar months earlier (clamped to the month's last day)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _matches(o: Offer, need_area: str | None, gemeinde_id: int | None, q: str | None) -> bool:
    if need_area is not None and need_area.casefold() not in {
        a.casefold() for a in (o.need_areas or [])
    }:
        return False
    if gemeinde_id is not None and o.gemeinde_ids and gemeinde_id not in o.gemeinde_ids:
        return False
    if q:
        hay = " ".join([o.title, o.provider, o.category, *(o.keywords or [])]).casefold()
        if not all(word in hay for word in q.casefold().split()):
            return False
    return True


SearchText = Annotated[
    str | None,
    Query(
        max_length=100,
        pattern=r"^[^\x00-\x1f\x7f]*$",
        description="words in title, provider, category or keywords",
    ),
]


async def find_offers(
    s: AsyncSession,
    who: Principal,
    *,
    buendnis_id: int | None = None,
    category: str | None = None,
    need_area: str | None = None,
    gemeinde_id: int | None = None,
    q: str | None = None,
    unchecked_months: int | None = None,
) -> list[Offer]:
    """The caller's offers (admin: all) matching every filter given, by id."""
    where: Any = buendnis_filter(who, Offer.buendnis_id)
    if buendnis_id is not None:
        where = where & (Offer.buendnis_id == buendnis_id)
    if category is not None:
        where = where & (Offer.category == category)
    if unchecked_months is not None:
        cutoff = months_before(today(), unchecked_months)
        where = where & or_(Offer.last_checked.is_(None), Offer.last_checked < cutoff)
    rows = (await s.scalars(select(Offer).where(where).order_by(Offer.id))).all()
    # JSON lists (areas, Gemeinden, keywords) are filtered here: portable across SQLite and
    # PostgreSQL, and a Bündnis's catalogue is hundreds of rows, not millions.
    return [o for o in rows if _matches(o, need_area, gemeinde_id, q)]


async def unchecked(s: AsyncSession, who: Principal, months: int = 6) -> list[Offer]:
    """The caller's offers not checked for `months` months, oldest check first."""
    cutoff = months_before(today(), months)
    where = buendnis_filter(who, Offer.buendnis_id) & or_(
        Offer.last_checked.is_(None), Offer.last_checked < cutoff
    )
    rows = (await s.scalars(select(Offer).where(where))).all()
    return sorted(rows, key=lambda o: (o.last_checked or dt.date.min, o.id))


@router.get("", response_model=Page[OfferOut], summary="List, filter and search offers")
async def list_offers(
    who: AnyStaff,
    s: DbSession,
    buendnis_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    category: Annotated[str | None, Query(max_length=60, pattern=r"^[^\x00-\x1f\x7f]*$")] = None,
    need_area: Annotated[str | None, Query(max_length=60, pattern=r"^[^\x00-\x1f\x7f]*$")] = None,
    gemeinde_id: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="offers available there")
    ] = None,
    q: SearchText = None,
    unchecked_months: Annotated[
        int | None,
        Query(ge=1, le=120, description="only offers not checked for this many months"),
    ] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Page[OfferOut]:
    hits = await find_offers(
        s,
        who,
        buendnis_id=buendnis_id,
        category=category,
        need_area=need_area,
        gemeinde_id=gemeinde_id,
        q=q,
        unchecked_months=unchecked_months,
    )
    items = [OfferOut.model_validate(o) for o in hits[offset : offset + limit]]
    return Page(items=items, total=len(hits), limit=limit, offset=offset)


@router.get(
    "/unchecked",
    response_model=Page[OfferOut],
    summary="Offers not checked for N months (default 6), oldest first",
)
async def unchecked_offers(
    who: AdminOrGfs,
    s: DbSession,
    months: Annotated[int, Query(ge=1, le=120)] = 6,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Page[OfferOut]:
    rows = await unchecked(s, who, months)
    items = [OfferOut.model_validate(o) for o in rows[offset : offset + limit]]
    return Page(items=items, total=len(rows), limit=limit, offset=offset)


# ---------------------------------------------------------------- CSV / XLSX


FileFormat = Literal["csv", "xlsx"]
_MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


async def _scope_code(s: AsyncSession, who: Principal, buendnis_id: int | None) -> str | None:
    """The Bündnis code an import/export is limited to (admin without one: every Bündnis)."""
    if who.is_admin and buendnis_id is None:
        return None
    found = await s.get(Buendnis, target_buendnis(who, buendnis_id))
    if found is None:
        raise not_found("Bündnis", "buendnis_id")
    return found.code


async def export_file(
    s: AsyncSession,
    who: Principal,
    format: FileFormat = "csv",
    buendnis_id: int | None = None,
    sep: str = ";",
) -> Download:
    """The caller's catalogue (admin: one Bündnis or all) as a CSV or XLSX file."""
    code = await _scope_code(s, who, buendnis_id)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"angebote.{format}"
        await export_offers(s, path, buendnis=code, delimiter=sep)
        data = path.read_bytes()
    return Download(data, f"angebote-{code or 'alle'}.{format}", _MEDIA[format])


@router.get(
    "/export",
    summary="The catalogue as CSV (UTF-8 with BOM) or XLSX, in the import's columns",
    response_class=Response,
    responses={200: {"content": {m: {} for m in _MEDIA.values()}}},
)
async def export_catalogue(
    who: AdminOrGfs,
    s: DbSession,
    format: FileFormat = "csv",
    buendnis_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    sep: Literal[";", ","] = ";",
) -> Response:
    return (await export_file(s, who, format, buendnis_id, sep)).response()


class ImportProblem(Strict):
    row: int = Field(description="spreadsheet row (1 = header, 0 = the whole file)")
    column: str
    reason: str


class ImportOut(Strict):
    created: int
    updated: int


@dataclass
class ImportResult:
    """What an import did: `report` when it was written, else every `problem` (nothing was)."""

    report: ImportReport | None = None
    problems: list[RowError] = field(default_factory=list)


async def import_file(
    sessions: async_sessionmaker[AsyncSession],
    s: AsyncSession,
    who: Principal,
    data: bytes,
    format: str,
    buendnis_id: int | None = None,
) -> ImportResult:
    """Validate and import a CSV or XLSX catalogue, all or nothing, and audit it.

    An empty or too large body is an `ApiError` (nothing is read); a file with any bad row
    gives the problems and imports nothing."""
    if not data:
        raise invalid("the request body must be the CSV or XLSX file", "body")
    if len(data) > MAX_UPLOAD:
        raise ApiError(413, "payload_too_large", f"at most {MAX_UPLOAD} bytes", "body")
    if format not in _MEDIA:
        return ImportResult(
            problems=[RowError(0, "", "unknown file type; use .csv or .xlsx", "file_type")]
        )
    code = await _scope_code(s, who, buendnis_id)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"upload.{format}"
        path.write_bytes(data)
        try:
            report = await import_offers(sessions, path, buendnis=code)
        except ImportRefused as refused:
            return ImportResult(problems=refused.errors)
    await audit(s, who, "import", "offer", f"{report.created}+{report.updated}")
    await s.commit()
    return ImportResult(report=report)


@router.post(
    "/import",
    response_model=ImportOut,
    summary="Import offers from a CSV or XLSX file sent as the request body",
    description=(
        "All or nothing: when any row is invalid nothing is imported and the answer is 422 "
        "`import_refused` with `problems` (row, column, reason) for every problem found."
    ),
)
async def import_catalogue(
    request: Request,
    who: AdminOrGfs,
    s: DbSession,
    format: FileFormat,
    buendnis_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> Any:
    data = await request.body()
    result = await import_file(request.app.state.sessions, s, who, data, format, buendnis_id)
    if result.report is None:
        problems = [
            ImportProblem(row=e.row, column=e.column, reason=e.reason) for e in result.problems
        ]
        return JSONResponse(
            status_code=422,
            content={
                "error": {
                    "code": "import_refused",
                    "message": f"{len(problems)} problem(s); nothing imported",
                    "field": "body",
                },
                "problems": [p.model_dump() for p in problems],
            },
        )
    return ImportOut(created=result.report.created, updated=result.report.updated)


async def add_offer(s: AsyncSession, who: Principal, body: OfferIn) -> Offer:
    """Create an offer in the caller's Bündnis (admin: the one named), audited."""
    german = (body.german_min, body.german_max)
    _check_ranges(body.age_min, body.age_max, body.valid_from, body.valid_to, german)
    _check_topics(body.topics)
    buendnis_id = target_buendnis(who, body.buendnis_id)
    if await s.get(Buendnis, buendnis_id) is None:
        raise not_found("Bündnis", "buendnis_id")
    data = body.model_dump(exclude={"buendnis_id"})
    data["gemeinde_ids"] = await check_gemeinden(s, buendnis_id, body.gemeinde_ids)
    offer = Offer(buendnis_id=buendnis_id, **data)
    s.add(offer)
    await s.flush()
    await audit(s, who, "create", "offer", offer.id)
    await s.commit()
    return offer


@router.post("", response_model=OfferOut, status_code=201, summary="Add an offer")
async def create_offer(body: OfferIn, who: AdminOrGfs, s: DbSession) -> OfferOut:
    return OfferOut.model_validate(await add_offer(s, who, body))


@router.get("/{offer_id}", response_model=OfferOut, summary="One offer")
async def get_offer(offer_id: Id, who: AnyStaff, s: DbSession) -> OfferOut:
    return OfferOut.model_validate(await get_scoped(s, who, Offer, offer_id, "offer"))


async def update_offer(s: AsyncSession, who: Principal, offer_id: int, body: OfferPatch) -> Offer:
    """Apply the fields sent in `body` (null clears ages, dates, last_checked), audited."""
    offer = await get_scoped(s, who, Offer, offer_id, "offer")
    sent = body.model_dump(exclude_unset=True)
    changes = {k: v for k, v in sent.items() if v is not None or k in NULLABLE}
    if "gemeinde_ids" in changes:
        changes["gemeinde_ids"] = await check_gemeinden(
            s, offer.buendnis_id, changes["gemeinde_ids"]
        )
    merged = {
        k: changes.get(k, getattr(offer, k))
        for k in ("age_min", "age_max", "valid_from", "valid_to", "german_min", "german_max")
    }
    _check_ranges(
        merged["age_min"],
        merged["age_max"],
        merged["valid_from"],
        merged["valid_to"],
        (merged["german_min"], merged["german_max"]),
    )
    _check_topics(changes.get("topics"))
    for key, value in changes.items():
        setattr(offer, key, value)
    await audit(s, who, "update", "offer", offer.id)
    await s.commit()
    return offer


@router.patch(
    "/{offer_id}",
    response_model=OfferOut,
    summary="Change an offer (send null to clear ages, dates or last_checked)",
)
async def patch_offer(offer_id: Id, body: OfferPatch, who: AdminOrGfs, s: DbSession) -> OfferOut:
    return OfferOut.model_validate(await update_offer(s, who, offer_id, body))


async def check_offer(s: AsyncSession, who: Principal, offer_id: int) -> Offer:
    """Mark an offer as checked today, audited."""
    offer = await get_scoped(s, who, Offer, offer_id, "offer")
    offer.last_checked = today()
    await audit(s, who, "checked", "offer", offer.id)
    await s.commit()
    return offer


@router.post(
    "/{offer_id}/checked",
    response_model=OfferOut,
    summary="Mark an offer as checked today (sets last_checked)",
)
async def mark_checked(offer_id: Id, who: AdminOrGfs, s: DbSession) -> OfferOut:
    return OfferOut.model_validate(await check_offer(s, who, offer_id))


@router.delete("/{offer_id}", status_code=204, summary="Remove an offer")
async def delete_offer(offer_id: Id, who: AdminOrGfs, s: DbSession) -> Response:
    offer = await get_scoped(s, who, Offer, offer_id, "offer")
    await s.delete(offer)
    await audit(s, who, "delete", "offer", offer_id)
    await s.commit()
    return Response(status_code=204)
