"""Effect handler of places: the person's town is not among the Gemeinden Wegweiser knows.

Handled at once, so nobody answers fourteen questions to learn that there is nothing for
their town: with a known Bündnis (from the deep link) the person gets its general contact
(the default Servicestelle) and the Gemeinden it covers; without one, the places Wegweiser
knows at all (the flow adds help that exists everywhere).
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from dialogs.effects import GeneralContactWanted, Handled
from store.models import Gemeinde, Servicestelle
from store.turn import Handler, Turn

log = logging.getLogger(__name__)

MAX_PLACES = 12  # more names than this do not fit a phone screen: "…" follows


def _listed(names: list[str]) -> str:
    shown = names[:MAX_PLACES]
    return ", ".join(shown) + (", …" if len(names) > MAX_PLACES else "")


async def general_contact(turn: Turn, _wanted: GeneralContactWanted) -> Handled:
    s, buendnis_id = turn.session, turn.conversation.buendnis_id
    query = select(Gemeinde.name).order_by(Gemeinde.name)
    if buendnis_id is not None:
        query = query.where(Gemeinde.buendnis_id == buendnis_id)
    places = _listed(list(dict.fromkeys(await s.scalars(query))))
    stelle = None
    if buendnis_id is not None:
        stelle = await s.scalar(
            select(Servicestelle)
            .where(Servicestelle.buendnis_id == buendnis_id, Servicestelle.is_default)
            .order_by(Servicestelle.id)
        )
    log.info("unknown town answered buendnis=%s", stelle is not None)
    if stelle is None:
        return Handled({"outcome": "none", "places": places})
    return Handled(
        {
            "outcome": "buendnis",
            "places": places,
            "servicestelle": stelle.name,
            "address": stelle.address or "",
            "contact": stelle.contact or "",
        }
    )


HANDLERS: tuple[tuple[type, Handler], ...] = ((GeneralContactWanted, general_contact),)
