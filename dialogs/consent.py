"""Action items and the consent screen that names a recipient.

An action emits an effect and waits; `Resumed` brings the handlers' answer, whose outcome
becomes the item's answer and whose keys fill later texts. The consent screen fits one phone
screen: who gets the answers, the names of the fields that go, how the person is reached and
how long it is kept; every answer itself is behind "mehr" (`Op.MORE`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dialogs.actions import ACTIONS
from dialogs.asking import ask, shown_answer
from dialogs.buttons import Op, encode
from dialogs.effects import (
    GeneralContactWanted,
    ReferralWanted,
    ServicestelleWanted,
    SharedAnswer,
)
from dialogs.intake_messages import IM
from dialogs.io import Button, Msg, Reply
from dialogs.model import QUESTION_KINDS, Item
from dialogs.run import Run

NOT_SHARED_ROLES = frozenset({"contact", "contact_via"})  # shown as the contact line instead


# ---------------------------------------------------------------- actions


def enter_action(run: Run, item: Item) -> bool:
    """Ask the world to act; False when there is nothing to ask (the first outcome holds)."""
    run.state.item = item.id
    what = f"action:{item.id}"
    locale = run.state.locale or "de"
    if item.action == "general_contact":
        run.wait(what, GeneralContactWanted(run.profile()))
        return True
    if item.action == "find_servicestelle":
        run.wait(what, ServicestelleWanted(run.profile(), locale))
        return True
    consent = next(
        (it for it in run.flow.items if it.recipient and it.id in run.state.answers), None
    )
    recipient = run.state.data.get(consent.recipient or "") if consent else None
    stelle = recipient.get("servicestelle_id") if isinstance(recipient, dict) else None
    if item.action == "send_referral" and isinstance(stelle, int):
        profile = run.profile()
        run.wait(
            what,
            ReferralWanted(
                stelle,
                profile,
                tuple(shared_answers(run, consent)),
                str(profile.get("contact_via") or "bot"),
                profile.get("contact"),
                locale,
            ),
        )
        return True
    return False


def action_outcome(item: Item, data: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    action = ACTIONS[item.action or ""]
    outcome = data.get("outcome")
    if outcome not in action.outcomes:
        outcome = action.outcomes[0]
    kept = {k: data[k] for k in (*action.keys, "servicestelle_id") if k in data}
    return str(outcome), kept


# ---------------------------------------------------------------- consent with a recipient


def shared_answers(run: Run, consent: Item | None) -> list[SharedAnswer]:
    """Every answered question that goes to the recipient, in flow order."""
    out: list[SharedAnswer] = []
    for item in run.flow.items:
        value = run.state.answers.get(item.id)
        if (
            item.kind not in QUESTION_KINDS
            or not item.share
            or item.role in NOT_SHARED_ROLES
            or (consent is not None and item.id == consent.id)
            or value is None
            or value == []
        ):
            continue
        question = Msg(item.field or item.text, run.flow.context(item.id))
        out.append(
            SharedAnswer(item.id, item.role, question, shown_answer(run.flow, item, value), value)
        )
    return out


def contact_shown(run: Run) -> Msg | str:
    profile = run.profile()
    if profile.get("contact"):
        return str(profile["contact"])
    via = run.flow.by_role("contact_via")
    if via is not None and profile.get("contact_via") is not None:
        return shown_answer(run.flow, via, profile["contact_via"])
    return IM.VIA_BOT


def consent_screen(run: Run, item: Item, *, full: bool = False) -> None:
    """Which answers go to which Servicestelle, how long they are kept, then yes/no. Short:
    the names of the fields; `full`: every question with its answer."""
    recipient = run.state.data.get(item.recipient or "")
    days = recipient.get("retention_days", 0) if isinstance(recipient, dict) else 0
    shared = shared_answers(run, item)
    if full:
        lines: list[Msg | str] = [
            IM.CONSENT_LINE.with_(question=a.question, answer=a.answer) for a in shared
        ]
    else:
        lines = [IM.CONSENT_FIELDS.with_(fields=Msg.join([a.question for a in shared]))]
    lead = (
        Msg.join([run.text(item), *lines], "\n"),
        IM.CONSENT_CONTACT.with_(value=contact_shown(run)),
        IM.CONSENT_KEEP.with_(n=days),
    )
    before = len(run.replies)
    ask(run, item)
    question = run.replies[before]
    buttons = list(question.buttons)
    if not full:
        more = Button(IM.CONSENT_MORE, encode(Op.MORE, run.flow.version, item.id, ""))
        buttons.insert(len(item.choices), more)  # after yes/no, before the controls
    run.replies[before] = Reply(
        parts=(*lead, IM.CONSENT_QUESTION), buttons=tuple(buttons), ask=question.ask
    )
