"""The demo Bündnisse (sample data, marked `is_sample`), loaded by `wegweiser demo load`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from store.models import Buendnis, EntryPoint, Gemeinde

DEMO_FILE = Path(__file__).resolve().parent / "demo_data" / "buendnisse.yaml"


async def load_demo(sessions: async_sessionmaker[AsyncSession]) -> str:
    data: list[dict[str, Any]] = yaml.safe_load(DEMO_FILE.read_text(encoding="utf-8"))
    created = 0
    async with sessions() as s, s.begin():
        for b in data:
            existing = await s.scalar(select(Buendnis).where(Buendnis.code == b["code"]))
            if existing is not None:
                continue
            buendnis = Buendnis(
                code=b["code"], name=b["name"], default_locale=b["default_locale"], is_sample=True
            )
            s.add(buendnis)
            await s.flush()
            for g in b["gemeinden"]:
                s.add(Gemeinde(buendnis_id=buendnis.id, name=g["name"], kreis=g["kreis"]))
            for e in b["entry_points"]:
                s.add(EntryPoint(code=e["code"], buendnis_id=buendnis.id, source=e["source"]))
            created += 1
    return f"demo data: {created} Bündnis(se) created, {len(data) - created} already present"
