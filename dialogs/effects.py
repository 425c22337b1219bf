"""Typed effects: what a step asks the world to do. The engine never does it itself.

The runtime hands each effect to the handlers registered for its type (in the domain packages:
offers, referrals, surveys …) inside the person's transaction. An effect the engine waits for
(`State.waiting`) is answered with a `Resumed` event carrying what the handlers found out;
the others are fire-and-forget. Effects carry everything a handler needs (answers with their
kinds and roles), so no handler needs to read a flow or know an item id.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from dialogs.io import Msg, Reply

Profile = Mapping[str, Any]  # answers by item role ("gemeinde", "needs", …)


@dataclass(frozen=True)
class Answer:
    """One answer of a completed flow, self-describing."""

    item: str
    kind: str
    role: str | None
    value: Any


@dataclass(frozen=True)
class SharedAnswer:
    """One answer as the consent screen showed it: what a referral holds."""

    item: str
    role: str | None
    question: Msg  # the short field name
    answer: Msg | str
    value: Any


# ---------------------------------------------------------------- fire and forget


@dataclass(frozen=True)
class Completed:
    """A flow reached its end; its in-progress answers leave the conversation state."""

    flow_id: str
    flow_version: str
    kind: str  # the flow's kind: survey and demo answers become an anonymous response
    answers: tuple[Answer, ...]

    def values(self) -> dict[str, Any]:
        """Answers by item id (for tests and summaries; handlers go by kind and role)."""
        return {a.item: a.value for a in self.answers}


@dataclass(frozen=True)
class InvitationsSet:
    """The person said yes or no to invitations to later surveys (or /stop)."""

    on: bool


@dataclass(frozen=True)
class Forget:
    """/delete, confirmed: withdraw referrals, delete the conversation."""


@dataclass(frozen=True)
class StartOver:
    """/start or /restart, confirmed (or nothing to lose): attribute `code`, start afresh —
    with the flow `flow` when given (e.g. the Erstberatung offered at the end of a survey)."""

    code: str = ""
    flow: str | None = None


# ---------------------------------------------------------------- waited for (Resumed)


@dataclass(frozen=True)
class OffersWanted:
    """Offers for the person's need areas, texts in `locale`. Resumed with {"areas": [{"area":
    code, "offers": [{"id", "title", "line", "town", "german", "access", "urgent"}]}]}: `line`
    is the one sentence under the title, `town` is set for offers elsewhere, `german` names
    the texts that are German because no translation exists."""

    profile: Profile
    count: bool  # first look at the list: count the needs and gaps anonymously
    locale: str


@dataclass(frozen=True)
class OfferOpened:
    """One offer's details, texts in `locale`. Resumed with {"offer": {...}} (the offer's
    text fields by name, provider, address, contact, languages, german_min, german_max and
    `german`: the fields shown in German) or {} when it is gone."""

    offer_id: int
    locale: str


@dataclass(frozen=True)
class GeneralContactWanted:
    """The person's town is not in the list: what exists instead. Resumed with {"outcome":
    buendnis | none, "places": the Gemeinden Wegweiser knows (of the person's Bündnis, else
    all), and for a known Bündnis its general contact: "servicestelle", "address",
    "contact"}."""

    profile: Profile


@dataclass(frozen=True)
class ServicestelleWanted:
    """Who would get a referral. Resumed with {"outcome": found | none | open,
    "servicestelle_id", "servicestelle", "address", "contact", "retention_days"}."""

    profile: Profile
    locale: str = "de"  # the chat language counts as spoken when languages are not asked yet


@dataclass(frozen=True)
class ReferralWanted:
    """Consent given: create the referral. Resumed with {"outcome": sent | failed, …}."""

    servicestelle_id: int
    profile: Profile
    shared: tuple[SharedAnswer, ...]
    contact_via: str
    contact: str | None
    locale: str


@dataclass(frozen=True)
class ThreadOpened:
    """ "Reply" pressed under a Servicestelle's message. Resumed with {"open": bool,
    "servicestelle": name}."""

    referral_id: int


@dataclass(frozen=True)
class ThreadReply:
    """The person's reply to a Servicestelle. Resumed like ThreadOpened. `urgent`: the reply
    speaks of danger (its category): the referral is marked urgent, the reply still goes."""

    referral_id: int
    text: str
    urgent: str | None = None


@dataclass(frozen=True)
class SafetyHelpShown:
    """A message spoke of danger and help is shown. Counted anonymously (category, day,
    Bündnis — never the message, never the person). Resumed with the local contacts:
    {"jugendamt": {"name", "contact"} | None, "outcome": found | open | none (the Servicestelle
    for an urgent contact), "servicestelle_id", "servicestelle", "retention_days"}."""

    categories: tuple[str, ...]  # most urgent first
    age: str  # u16 | minor | adult | unknown (dialogs.helplines.age_group)
    profile: Profile  # place and languages, for the local contacts


@dataclass(frozen=True)
class UrgentContactWanted:
    """Consent given after danger: the Servicestelle should get in touch soon, here in the chat.
    An open referral is marked urgent, else an urgent one is made sharing only the topic.
    Resumed with {"outcome": sent | failed, "servicestelle": name}."""

    servicestelle_id: int
    category: str
    locale: str


@dataclass(frozen=True)
class StatusWanted:
    """Something typed after the end ("wann meldet ihr euch?"). Resumed with {"referrals":
    [{"id", "servicestelle", "status", "contact", "via", "by", "late"}]}: the open referrals,
    how the Servicestelle gets in touch, by when it usually does (a date), and whether that
    day has passed."""


@dataclass(frozen=True)
class DataWanted:
    """/mydata. Resumed with {"source": str, "invitations": bool, "referrals": [...]}."""


Effect = (
    Completed
    | InvitationsSet
    | Forget
    | StartOver
    | OffersWanted
    | OfferOpened
    | GeneralContactWanted
    | ServicestelleWanted
    | ReferralWanted
    | ThreadOpened
    | ThreadReply
    | StatusWanted
    | DataWanted
    | SafetyHelpShown
    | UrgentContactWanted
)


@dataclass(frozen=True)
class Handled:
    """What a handler gives back: data for the engine (when it waits) and replies to add."""

    data: Mapping[str, Any] = field(default_factory=dict)
    replies: tuple[Reply, ...] = ()
