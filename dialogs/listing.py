"""The items that need the world: offer lists, actions and the consent screen with a recipient.

Entering such an item emits an effect and waits; `Resumed` brings the handlers' answer. What
they found is kept in `state.data[item id]` while the person is in the flow (it goes with the
answers), so paging through a list or going back never asks the world again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dialogs.actions import ACTIONS
from dialogs.asking import ask, care_controls, shown_answer
from dialogs.buttons import Op, encode
from dialogs.effects import (
    OfferOpened,
    OffersWanted,
    ReferralWanted,
    ServicestelleWanted,
    SharedAnswer,
)
from dialogs.intake_messages import IM
from dialogs.io import Button, Msg, Reply
from dialogs.messages import M
from dialogs.model import QUESTION_KINDS, Item
from dialogs.run import Run

COUNTED = "@counted"  # state.data key: the needs of this run were counted once
NOT_SHARED_ROLES = frozenset({"contact", "contact_via"})  # shown as the contact line instead


# ---------------------------------------------------------------- offers lists


def enter_offers(run: Run, item: Item, *, fresh: bool = False) -> None:
    """Show the list (from what was found before), or ask the world for it."""
    state = run.state
    state.item = item.id
    if not fresh and isinstance(state.data.get(item.id), dict):
        offers_page(run, item, state.page)
        return
    count = not state.data.get(COUNTED)
    state.data[COUNTED] = True
    run.wait(f"list:{item.id}", OffersWanted(run.profile(), count, state.locale or "de"))


def offers_found(run: Run, item: Item, data: Mapping[str, Any]) -> None:
    areas = []
    for entry in data.get("areas") or []:
        if not isinstance(entry, Mapping):
            continue
        offers = [
            {"id": int(o["id"]), "title": str(o.get("title", "")), "access": str(o.get("access"))}
            for o in entry.get("offers") or []
            if isinstance(o, Mapping) and str(o.get("id", "")).isdecimal()
        ]
        areas.append({"area": str(entry.get("area", "")), "offers": offers})
    first = item.id not in run.state.data  # again (e.g. another language): no introduction
    run.state.data[item.id] = {"areas": areas}
    run.state.page = min(run.state.page, max(len(areas) - 1, 0))
    offers_page(run, item, run.state.page, intro=first)


def _areas(run: Run, item: Item) -> list[dict[str, Any]]:
    found = run.state.data.get(item.id)
    return list(found.get("areas") or []) if isinstance(found, dict) else []


def offers_count(run: Run, item: Item) -> int:
    return sum(len(a["offers"]) for a in _areas(run, item))


def area_label(run: Run, area: str) -> Msg | str:
    needs = run.flow.by_role("needs")
    choice = needs.choice(area) if needs else None
    return Msg(choice.label, run.flow.context(needs.id)) if needs and choice else area


def offers_page(run: Run, item: Item, page: int, intro: bool = False) -> None:
    v = run.flow.version
    areas = _areas(run, item)
    parts: list[Msg] = [run.text(item)] if intro else []
    buttons: list[Button] = []
    if not areas:
        parts.append(IM.OFFERS_NONE)
    else:
        page = max(0, min(page, len(areas) - 1))
        run.state.page = page
        area = areas[page]
        label = area_label(run, area["area"])
        parts.append(IM.OFFERS_AREA.with_(area=label, page=page + 1, pages=len(areas)))
        if not area["offers"]:
            parts.append(IM.OFFERS_AREA_NONE)
        for offer in area["offers"]:
            buttons.append(Button(offer["title"], encode(Op.OPEN, v, item.id, str(offer["id"]))))
        if page > 0:
            buttons.append(Button(IM.PREVIOUS_AREA, encode(Op.AREA, v, item.id, str(page - 1))))
        if page + 1 < len(areas):
            buttons.append(Button(IM.NEXT_AREA, encode(Op.AREA, v, item.id, str(page + 1))))
    buttons.append(Button(M.CONTINUE, encode(Op.DONE, v, item.id, "")))
    if run.state.history:
        buttons.append(Button(M.BACK, encode(Op.BACK, v, item.id, "")))
    buttons.extend(care_controls(run))
    run.replies.append(Reply(parts=tuple(parts), buttons=tuple(buttons), ask=item.id))


def open_offer(run: Run, item: Item, code: str) -> None:
    known = {o["id"] for a in _areas(run, item) for o in a["offers"]}
    if not code.isdecimal() or int(code) not in known:
        run.say(M.STALE_BUTTON)
        offers_page(run, item, run.state.page)
        return
    run.wait(f"open:{item.id}:{code}", OfferOpened(int(code), run.state.locale or "de"))


def offer_details(run: Run, item: Item, offer_id: int, data: Mapping[str, Any]) -> None:
    back = Button(IM.BACK_TO_LIST, encode(Op.AREA, run.flow.version, item.id, str(run.state.page)))
    offer = data.get("offer")
    if not isinstance(offer, Mapping):
        run.replies.append(Reply(parts=(IM.OFFER_GONE,), buttons=(back,), ask=item.id))
        return
    parts: list[Msg] = [IM.DETAILS_TITLE.with_(title=offer["title"], provider=offer["provider"])]
    languages = _language_names(run, [str(x) for x in offer.get("languages") or []])
    for msg, value in (
        (IM.DETAILS_ADDRESS, offer.get("address")),
        (IM.DETAILS_CONTACT, offer.get("contact")),
        (IM.DETAILS_HOURS, offer.get("hours")),
        (IM.DETAILS_LANGUAGES, languages),
        (IM.DETAILS_COST, offer.get("cost")),
        (IM.DETAILS_BRING, offer.get("bring")),
    ):
        if value:
            parts.append(msg.with_(value=value))
    access = {o["id"]: o["access"] for a in _areas(run, item) for o in a["offers"]}
    if access.get(offer_id) == "ask":
        parts.append(IM.OFFERS_ASK)
    parts.append(IM.DETAILS_CHECK)
    run.replies.append(Reply(parts=tuple(parts), buttons=(back,), ask=item.id))


def _language_names(run: Run, codes: list[str]) -> Msg | None:
    """An offer's language codes as the names the flow's languages question uses."""
    if not codes:
        return None
    item = run.flow.by_role("languages")
    names: list[Msg | str] = []
    for code in codes:
        choice = item.choice(code) if item else None
        names.append(Msg(choice.label, run.flow.context(item.id)) if item and choice else code)
    return Msg.join(names)


# ---------------------------------------------------------------- actions


def enter_action(run: Run, item: Item) -> bool:
    """Ask the world to act; False when there is nothing to ask (the first outcome holds)."""
    run.state.item = item.id
    what = f"action:{item.id}"
    if item.action == "find_servicestelle":
        run.wait(what, ServicestelleWanted(run.profile()))
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
                run.state.locale or "de",
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


def consent_screen(run: Run, item: Item) -> None:
    """Exactly which answers go to which Servicestelle, how long they are kept, then yes/no."""
    recipient = run.state.data.get(item.recipient or "")
    days = recipient.get("retention_days", 0) if isinstance(recipient, dict) else 0
    lines: list[Msg | str] = [
        IM.CONSENT_LINE.with_(question=a.question, answer=a.answer)
        for a in shared_answers(run, item)
    ]
    lead = (
        Msg.join([run.text(item), *lines], "\n"),
        IM.CONSENT_CONTACT.with_(value=contact_shown(run)),
        IM.CONSENT_KEEP.with_(n=days),
    )
    before = len(run.replies)
    ask(run, item)
    question = run.replies[before]
    run.replies[before] = Reply(
        parts=(*lead, IM.CONSENT_QUESTION), buttons=question.buttons, ask=question.ask
    )
