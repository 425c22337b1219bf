"""Seed anonymous responses for results tests (straight into the response tables)."""

from __future__ import annotations

import random
import uuid
from typing import Any

from sqlalchemy import select

from store.models import Buendnis, Gemeinde, SurveyAnswer, SurveyResponse, SurveyWave


async def seed_wave(
    sessions: Any, flow: Any, people: list[dict[str, Any]], buendnis: str = "demo-kreis"
) -> int:
    """A wave of `flow` with one response per dict (item id -> code, number or list);
    the value "@Moers" etc. names a Gemeinde of the Bündnis."""
    async with sessions() as s, s.begin():
        b = await s.scalar(select(Buendnis).where(Buendnis.code == buendnis))
        gemeinden = {
            g.name: g.id
            for g in (
                await s.execute(select(Gemeinde).where(Gemeinde.buendnis_id == b.id))
            ).scalars()
        }
        wave = SurveyWave(
            buendnis_id=b.id,
            flow_id=flow.id,
            flow_version=flow.version,
            title="Test",
            status="open",
        )
        s.add(wave)
        await s.flush()
        for person in people:
            rid = uuid.uuid4().hex
            s.add(
                SurveyResponse(
                    id=rid,
                    wave_id=wave.id,
                    buendnis_id=b.id,
                    flow_id=flow.id,
                    flow_version=flow.version,
                )
            )
            await s.flush()
            for item_id, value in person.items():
                values = value if isinstance(value, list) else [value]
                for v in values:
                    if isinstance(v, str) and v.startswith("@"):
                        v = f"g{gemeinden[v[1:]]}"
                    if isinstance(v, int | float) and not isinstance(v, bool):
                        s.add(SurveyAnswer(response_id=rid, item_id=item_id, number=float(v)))
                    else:
                        s.add(SurveyAnswer(response_id=rid, item_id=item_id, code=v))
        return wave.id


def random_people(n: int, seed: int = 1) -> list[dict[str, Any]]:
    rnd = random.Random(seed)
    out = []
    for _ in range(n):
        p: dict[str, Any] = {
            "1.2": rnd.choice(["16-17", "18-20", "21-24", "25-26"]),
            "1.1": rnd.choice(["ag", "d", "ae", None]),
            "1.3": rnd.choice(["w", "m", None]),
            "gemeinde": rnd.choice(["@Moers", "@Moers", "@Kamp-Lintfort", "@Rheinberg", None]),
            "1.5": rnd.choice(["unterkunft", "wohnung"]),
            "2.2": rnd.sample(["sprache", "arbeit", "wohnen", "gesundheit"], rnd.randint(1, 3)),
            "1.13": rnd.choice([0, 0, 1, 2]),
        }
        out.append(p)
    return out
