"""The FastAPI application served by `wegweiser serve`."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine


def create_app(engine: AsyncEngine) -> FastAPI:
    app = FastAPI(title="Wegweiser admin API", version="1")

    @app.get("/health")
    async def health() -> dict[str, str]:
        try:
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception:  # reported, not raised: this endpoint exists to say "down"
            return {"status": "degraded", "database": "unreachable"}
        return {"status": "ok", "database": "ok"}

    return app
