"""Survey waves for gfs (its own Bündnis) and admin (all) over HTTP: create a wave from a
survey flow, open, close, invite, response count (`surveys/service.py`: scoping and audit).
Servicestellen have no access (403). Their results: `routers/results.py`."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request

from admin_api.deps import MAX_ID, AdminOrGfs, DbSession, Id, Limit, Offset, survey_config
from admin_api.errors import ERROR_RESPONSES
from admin_api.schemas import Page
from admin_api.schemas_surveys import Invited, WaveIn, WaveOut
from surveys.service import (
    find_waves,
    invite_to_wave,
    new_wave,
    one_wave,
    set_wave_status,
)

router = APIRouter(tags=["survey waves and results"], responses=ERROR_RESPONSES)


@router.get("/waves", response_model=Page[WaveOut], summary="Survey waves")
async def list_waves(
    who: AdminOrGfs,
    s: DbSession,
    buendnis_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    status: Literal["draft", "open", "closed"] | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Page[WaveOut]:
    views, total = await find_waves(s, who, buendnis_id, status, limit, offset)
    items = [WaveOut.model_validate(v) for v in views]
    return Page(items=items, total=total, limit=limit, offset=offset)


@router.post(
    "/waves", response_model=WaveOut, status_code=201, summary="Create a draft wave from a flow"
)
async def create_wave(body: WaveIn, who: AdminOrGfs, s: DbSession, request: Request) -> WaveOut:
    wave = await new_wave(
        s,
        who,
        survey_config(request),
        buendnis_id=body.buendnis_id,
        flow_id=body.flow_id,
        title=body.title,
        code=body.code,
    )
    return WaveOut.model_validate(wave)


@router.get("/waves/{wave_id}", response_model=WaveOut, summary="One wave with its response count")
async def get_wave(wave_id: Id, who: AdminOrGfs, s: DbSession) -> WaveOut:
    return WaveOut.model_validate(await one_wave(s, who, wave_id))


@router.post(
    "/waves/{wave_id}/open",
    response_model=WaveOut,
    summary="Open a draft wave (pins the flow version loaded now)",
)
async def open_wave(wave_id: Id, who: AdminOrGfs, s: DbSession, request: Request) -> WaveOut:
    wave = await set_wave_status(s, who, survey_config(request), wave_id, "open")
    return WaveOut.model_validate(wave)


@router.post("/waves/{wave_id}/close", response_model=WaveOut, summary="Close an open wave")
async def close_wave(wave_id: Id, who: AdminOrGfs, s: DbSession, request: Request) -> WaveOut:
    wave = await set_wave_status(s, who, survey_config(request), wave_id, "closed")
    return WaveOut.model_validate(wave)


@router.post(
    "/waves/{wave_id}/invitations",
    response_model=Invited,
    summary="Invite everyone of the Bündnis who agreed to invitations and has not taken part",
)
async def invite(wave_id: Id, who: AdminOrGfs, s: DbSession, request: Request) -> Invited:
    return Invited(queued=await invite_to_wave(s, who, survey_config(request), wave_id))
