"""The console channel shows a terminal only what was written to its own user."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from base.i18n import render
from bot.console import Console
from bot.runtime import Inbound
from dialogs.buttons import Op, encode
from dialogs.io import Command, Press
from dialogs.messages import PM
from store.models import OutboxMessage
from tests.conftest import settings_for
from wegweiser.services import build


@pytest.fixture
async def services(db_url, tmp_path):
    s = build(settings_for(db_url, tmp_path, default_flow="demo"))
    yield s
    await s.close()


async def pending(services) -> int:
    async with services.sessions() as s:
        query = select(func.count()).select_from(OutboxMessage)
        return int(await s.scalar(query.where(OutboxMessage.status == "pending")))


async def test_a_terminal_never_prints_another_users_rows_and_shows_its_goodbye(services):
    other = Console(services.runtime, user="anna")  # her reply waits, undrained (a relay)
    inbound = Inbound("console", "anna", other.address, Command("start"), "k1")
    await services.runtime.handle(inbound)
    waiting = await pending(services)
    assert waiting >= 1

    out = io.StringIO()
    me = Console(services.runtime, user="a much longer name than any chat id", out=out)
    await me.run(io.StringIO("/delete\n"), lang="de", flow=None)
    await me.send(Press(encode(Op.CONFIRM, "", "delete", "yes")))
    shown = out.getvalue()
    assert "Wie alt bist du?" in shown  # mine: the demo's first question
    assert render(PM.DELETED, "de") in shown  # the goodbye after /delete, not left lying
    assert await pending(services) == waiting  # anna's rows are still hers, unprinted
    async with services.sessions() as s:
        mine = await s.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.address == me.sealed)
        )
    assert mine == 0  # nothing with my address is kept after it was shown

    later = io.StringIO()
    await Console(services.runtime, user="anna", out=later).flush()
    assert "Bitte wähle deine Sprache" in later.getvalue() and await pending(services) == 0
