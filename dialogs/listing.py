"""Offer lists and an offer's details, sized for a phone.

Entering the list emits `OffersWanted` and waits; `Resumed` brings the offers. What was found
is kept in `state.data[item id]` while the person is in the flow (it goes with the answers),
so paging through a list or going back never asks the world again. One page per need area:
each offer is its title and one line (the message), and a numbered button with the title cut
to `BUTTON_CHARS`. The details are at most about ten short lines. Offer texts come in the
person's language; a text that has no translation is German and says so (`IM.IN_GERMAN`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dialogs.asking import care_controls
from dialogs.buttons import Op, encode
from dialogs.effects import OfferOpened, OffersWanted
from dialogs.intake_messages import IM
from dialogs.io import Button, Msg, Reply
from dialogs.messages import M
from dialogs.model import Item
from dialogs.run import Run

COUNTED = "@counted"  # state.data key: the needs of this run were counted once
BUTTON_CHARS = 30  # a button label longer than this is cut; the full title is in the message
LEVEL_NAMES = {"none": "A0", "a1": "A1", "a2": "A2", "b1": "B1", "b2": "B2", "c1": "C1"}


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
            {
                "id": int(o["id"]),
                "title": str(o.get("title", "")),
                "line": str(o.get("line") or ""),
                "town": str(o.get("town") or ""),
                "german": [str(f) for f in o.get("german") or []],
                "access": str(o.get("access")),
            }
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


def short(label: str, limit: int = BUTTON_CHARS) -> str:
    """A button label of at most `limit` characters (the full text is in the message)."""
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


def _german(value: Msg | str, german: bool) -> Msg | str:
    """A text shown in German although the person reads another language: say so."""
    return Msg.join([value, IM.IN_GERMAN], " ") if german else value


def _entry(n: int, offer: dict[str, Any]) -> Msg:
    """One offer in the list: its number and title (and town when elsewhere), then one line."""
    title: Msg | str = _german(f"{n}. {offer['title']}", "title" in offer["german"])
    if offer["town"]:
        title = IM.OFFER_IN_TOWN.with_(title=title, town=offer["town"])
    lines: list[Msg | str] = [title]
    if offer["line"]:
        lines.append(_german(offer["line"], "summary" in offer["german"]))
    return Msg.join(lines, "\n")


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
        heading = IM.OFFERS_AREA.with_(area=label, page=page + 1, pages=len(areas))
        if not area["offers"]:
            parts.append(Msg.join([heading, IM.OFFERS_AREA_NONE], "\n"))
        else:
            entries = [_entry(n, o) for n, o in enumerate(area["offers"], start=1)]
            parts.append(Msg.join([heading, *entries], "\n"))
        for n, offer in enumerate(area["offers"], start=1):
            label_text = short(f"{n}. {offer['title']}")
            buttons.append(Button(label_text, encode(Op.OPEN, v, item.id, str(offer["id"]))))
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
    listed: dict[str, Any] = next(
        (o for a in _areas(run, item) for o in a["offers"] if o["id"] == offer_id), {}
    )
    german = {str(f) for f in offer.get("german") or []}

    def text(name: str) -> Msg | str:
        return _german(str(offer.get(name) or ""), name in german)

    title = text("title")
    lines: list[Msg | str] = [IM.DETAILS_TITLE.with_(title=title, provider=offer["provider"])]
    if offer.get("summary"):
        lines.append(text("summary"))
    where: list[Msg | str] = []
    if offer.get("address"):
        town = listed.get("town")
        address = IM.DETAILS_ADDRESS.with_(value=offer["address"])
        where.append(IM.DETAILS_IN_TOWN.with_(value=address, town=town) if town else address)
    if offer.get("directions") and listed.get("town"):
        where.append(IM.DETAILS_DIRECTIONS.with_(value=text("directions")))
    lines += [Msg.join(where, " · ")] if where else []
    for msg, name in ((IM.DETAILS_HOURS, "opening_hours"), (IM.DETAILS_BRING, "what_to_bring")):
        if offer.get(name):
            lines.append(msg.with_(value=text(name)))
    _joined(lines, (IM.DETAILS_COST, text("cost")), (None, text("capacity_note")))
    if (level := _german_needed(offer)) is not None:
        lines.append(level)
    languages = _language_names(run, [str(x) for x in offer.get("languages") or []])
    _joined(lines, (IM.DETAILS_CONTACT, offer.get("contact")), (IM.DETAILS_LANGUAGES, languages))
    if listed.get("access") == "ask":
        lines.append(IM.OFFERS_ASK)
    run.replies.append(Reply(parts=(Msg.join(lines, "\n"),), buttons=(back,), ask=item.id))


def _joined(lines: list[Msg | str], *pairs: tuple[Msg | None, Any]) -> None:
    """Short facts that share one line ("Kosten: … · Warteliste"); empty ones are left out,
    a fact without a label is shown as it is."""
    shown = [msg.with_(value=value) if msg else value for msg, value in pairs if value]
    if shown:
        lines.append(Msg.join(shown, " · "))


def _german_needed(offer: Mapping[str, Any]) -> Msg | None:
    lo = LEVEL_NAMES.get(str(offer.get("german_min") or ""))
    hi = LEVEL_NAMES.get(str(offer.get("german_max") or ""))
    if lo and hi:
        return IM.DETAILS_GERMAN_RANGE.with_(lo=lo, hi=hi)
    if lo:
        return IM.DETAILS_GERMAN_FROM.with_(level=lo)
    if hi:
        return IM.DETAILS_GERMAN_UP_TO.with_(level=hi)
    return None


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
