"""Wiring: settings → database, flows, languages, runtime. Used by the CLI and the tests."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from base import i18n
from base.settings import Settings, SettingsError
from bot.effects import Handlers
from bot.runtime import Runtime
from care import tally
from care.effects import Care
from dialogs.lexicon import Lexicon
from dialogs.model import Flow
from dialogs.registry import load_serving
from entries import scans
from offers import effects as offer_effects
from places import effects as place_effects
from places.gemeinden import GemeindeChoices
from referrals.effects import Referrals
from store.db import DatabaseUnavailable, make_engine, sessions
from store.holding import Holding
from surveys import responses


@dataclass
class Services:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    flows: dict[str, Flow]
    runtime: Runtime
    holding: Holding  # responses, markers, anonymous counts: written later, in batches

    async def write_held(self) -> None:
        """On stopping: write what is held (a smaller last batch: see store.holding)."""
        try:
            await self.holding.flush(force=True)
        except Exception as e:  # the database may be the reason we stop
            logging.getLogger(__name__).warning("held items not written: %s", type(e).__name__)

    async def close(self) -> None:
        await self.write_held()
        await self.engine.dispose()


def lexicon() -> Lexicon:
    return Lexicon(i18n.translate, i18n.languages())


async def check_database(engine: AsyncEngine) -> None:
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as e:  # any driver error means the same to the operator
        raise DatabaseUnavailable(f"database not reachable: {type(e).__name__}: {e}") from None


def handlers(settings: Settings, surveys: responses.Surveys) -> Handlers:
    """Every effect type and the domain handlers that apply it, in order."""
    return Handlers(
        (
            *offer_effects.HANDLERS,
            *place_effects.HANDLERS,
            *Referrals(settings.referral_retention_days).handlers(),
            *Care(settings.referral_retention_days).handlers(),
            *surveys.handlers(),
        )
    )


def build(settings: Settings, *, flows: dict[str, Flow] | None = None) -> Services:
    skipped: list[str] = []
    if flows is None:  # a broken file is logged and left out; the others are served
        registry = load_serving(settings.flows_dir)
        flows, skipped = registry.flows, registry.skipped
    if settings.default_flow not in flows:
        why = f" (left out: {', '.join(skipped)} had problems)" if skipped else ""
        raise SettingsError(
            f"WEGWEISER_DEFAULT_FLOW: no flow with id {settings.default_flow!r}{why}"
        )
    engine = make_engine(settings.db_url)
    factory = sessions(engine)
    # one holding area; writers in order: responses, markers, then counts
    holding = Holding(
        factory, responses.WRITERS | offer_effects.WRITERS | tally.WRITERS | scans.WRITERS
    )
    surveys = responses.Surveys(holding)
    runtime = Runtime(
        factory,
        flows,
        lexicon(),
        secret=settings.resolved_secret(),
        default_flow=settings.default_flow,
        default_locale=settings.default_locale,
        max_text_length=settings.max_text_length,
        flood_max_updates=settings.flood_max_updates,
        flood_window_seconds=settings.flood_window_seconds,
        handlers=handlers(settings, surveys),
        preparers=(GemeindeChoices(),),
        start_checks=(surveys.check_participation,),
        holding=holding,
        on_entry=scans.held_scan,
    )
    return Services(settings, engine, factory, flows, runtime, holding)
