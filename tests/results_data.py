"""Seed anonymous responses for results tests (through the storage's own writer)."""

from __future__ import annotations

import random
from typing import Any

from sqlalchemy import select

from results.codebook import Codebook
from results.storage import write_response
from store.models import Buendnis, Gemeinde, SurveyWave


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
            status="closed",  # results are published once a wave is closed
        )
        s.add(wave)
        await s.flush()
        codebook = Codebook.from_flow(flow)
        for person in people:
            answers = {item_id: _gemeinde(v, gemeinden) for item_id, v in person.items()}
            await write_response(
                s,
                codebook,
                flow_id=flow.id,
                flow_version=flow.version,
                wave_id=wave.id,
                buendnis_id=b.id,
                answers=answers,
            )
        return wave.id


def _gemeinde(value: Any, gemeinden: dict[str, int]) -> Any:
    if isinstance(value, str) and value.startswith("@"):
        return f"g{gemeinden[value[1:]]}"
    return value


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
