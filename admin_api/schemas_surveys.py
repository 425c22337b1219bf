"""What the survey wave and results endpoints and pages take and give."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from admin_api.schemas import DbId, Name, Orm, Strict, with_examples

StartCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
FlowId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]
Format = Literal["csv", "xlsx", "json", "floip"]
Figure = int | str


class WaveIn(Strict):
    buendnis_id: DbId | None = None
    flow_id: FlowId = "befragung-lebenslage"
    title: Name
    code: StartCode | None = Field(default=None, description="start code; default random")

    model_config = with_examples(
        {"title": "Frühjahr 2027", "flow_id": "befragung-lebenslage", "code": "fj27"}
    )


class WaveOut(Orm):
    id: int
    buendnis_id: int
    flow_id: str
    flow_version: str
    title: str
    status: str = Field(description="draft | open | closed")
    code: str | None = Field(description="`/start <code>` takes part")
    opened_on: dt.date | None
    closed_on: dt.date | None
    responses: int = Field(description="completed responses")


class Invited(BaseModel):
    queued: int = Field(description="invitations put into the outbox")


class ResultTable(BaseModel):
    item: str
    question: str
    by: str | None = Field(description="cross-tab variable (item id); null: frequencies")
    rows: list[dict[str, str]]
    columns: list[dict[str, str]]
    cells: list[list[Figure]] = Field(description="numbers, `<k` or `x` (suppressed)")
    row_totals: list[Figure]
    column_totals: list[Figure]
    total: Figure


class Results(BaseModel):
    notice: str
    n: int
    suppression_k: int
    merged_gemeinden: dict[str, str]
    tables: list[ResultTable]


class GapTableOut(BaseModel):
    need_areas: list[str]
    gemeinden: list[dict[str, str]]
    cells: list[list[Figure]]
    row_totals: list[Figure]
    column_totals: list[Figure]
    total: Figure


class Gaps(BaseModel):
    buendnis_id: int
    month: str = Field(description="the calendar month shown (YYYY-MM)")
    suppression_k: int
    needs: GapTableOut = Field(description="need areas chosen in the Erstberatung")
    gaps: GapTableOut = Field(description="need areas for which no offer was found")
