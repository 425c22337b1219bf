"""Help after a danger message — in any flow, at any question, in a reply to a Servicestelle,
after the end — and the conversation going on.

A text `dialogs.safety.detect` finds dangerous is never taken as an answer and never kept. The
engine asks the world for the local contacts (`SafetyHelpShown`, which also counts the
category anonymously), then shows an acknowledgement, the help lines for the category and the
person's age (`dialogs/data/helplines.yaml`), the local Jugendamt, and the urgent contact:
for 16 and older, with consent, an urgent referral at the top of the Servicestelle's queue;
under 16, the Jugendamt and the Nummer gegen Kummer instead (no referral, Art. 8 GDPR). The
question on screen comes again with "Pause" and "Bitte meldet euch bei mir" under it; text
that answers nothing gets a kind word, not "please use the buttons". The first answer ends it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dialogs.asking import care_controls, confirm_question
from dialogs.care_messages import HM
from dialogs.effects import SafetyHelpShown, UrgentContactWanted
from dialogs.helplines import LOCAL_JUGENDAMT, age_group, helplines
from dialogs.intake_messages import IM
from dialogs.io import Msg, Reply
from dialogs.run import Run
from dialogs.safety import Detection

URGENT, ASK_16 = "urgent", "care16"  # the confirmations of this module (state.confirm)
CONFIRMS = (URGENT, ASK_16)
KNOWN_AGES = ("u16", "minor", "adult")


def start(run: Run, found: Detection, *, after_reply: bool = False) -> None:
    """Danger found: remember what help fits (never the text) and ask for the local contacts.
    `after_reply`: a reply to a Servicestelle goes first; `wanted` follows once it is sent."""
    state = run.state
    age = age_group(run.profile().get("age"))
    earlier = (state.care or {}).get("age")
    if age == "unknown" and earlier in KNOWN_AGES:  # said "16 or older" a moment ago
        age = earlier
    guessed = state.locale is None
    if guessed:  # no language chosen yet: the one they wrote in (the picker follows)
        state.locale = found.locale
    state.care = {"c": list(found.categories), "age": age, "guessed": guessed}
    state.suggestion, state.confirm = None, None
    if after_reply:
        state.care["pending"] = True
    else:
        wanted(run)


def wanted(run: Run) -> None:
    care = run.state.care or {}
    care.pop("pending", None)
    profile = run.profile()
    place = {
        "gemeinde": profile.get("gemeinde"),
        "languages": profile.get("languages") or [run.state.locale or "de"],
    }
    categories = tuple(str(c) for c in care.get("c") or ())
    run.wait("care", SafetyHelpShown(categories, str(care.get("age")), place))


def helped(run: Run, data: Mapping[str, Any]) -> None:
    """The help itself, with what the handlers found nearby."""
    care = run.state.care
    if care is None:
        return
    found = data.get("jugendamt")
    if isinstance(found, Mapping) and found.get("name"):
        care["ja"] = {"name": str(found["name"]), "contact": str(found.get("contact") or "")}
    sid, outcome = data.get("servicestelle_id"), str(data.get("outcome") or "none")
    if care["age"] != "u16" and outcome in ("found", "open") and isinstance(sid, int):
        care["stelle"] = {
            "id": sid,
            "name": str(data.get("servicestelle") or ""),
            "open": outcome == "open",
            "days": int(data.get("retention_days") or 0),
        }
    show(run)


def show(run: Run) -> None:
    care = run.state.care or {}
    parts = [Msg.join(_lines(run, care), "\n")]
    if care.get("age") == "u16":
        parts.append(HM.U16)
    elif care.get("stelle") and not care.get("sent"):
        parts.append(HM.URGENT_OFFER.with_(servicestelle=care["stelle"]["name"]))
    if run.current() is not None:
        run.replies.append(Reply(parts=(*parts, HM.GO_ON)))
    else:  # nothing to go on with: the urgent contact sits under the help itself
        run.replies.append(Reply(parts=(*parts, HM.AFTER_END), buttons=care_controls(run)))


def _lines(run: Run, care: Mapping[str, Any]) -> list[Msg]:
    categories = [str(c) for c in care.get("c") or ()] or ["emergency"]
    locale = run.state.locale or "de"
    book = helplines()
    lines: list[Msg] = [HM.ACK.get(categories[0], HM.ACK["emergency"])]
    for line_id in book.for_(categories, str(care.get("age"))):
        if line_id == LOCAL_JUGENDAMT:
            ja = care.get("ja")
            lines.append(HM.JUGENDAMT.with_(**ja) if ja else HM.JUGENDAMT_ANYWHERE)
            continue
        line = book.lines[line_id]
        shown = HM.LINE.with_(name=line.name, number=line.number, what=Msg(line.what, line.context))
        if locale != "de" and locale in line.languages:
            shown = Msg.join([shown, HM.IN_YOUR_LANGUAGE], " ")
        lines.append(shown)
    return lines


def listen(run: Run) -> None:
    """Text that answers nothing while the help is on screen (there is no question)."""
    run.replies.append(Reply(parts=(HM.LISTEN, HM.AFTER_END), buttons=care_controls(run)))


def pause(run: Run) -> None:
    if run.state.care is not None:
        run.state.care["paused"] = True
    run.say(HM.PAUSED)


# ---------------------------------------------------------------- the urgent contact


def urgent(run: Run) -> bool:
    """ "Bitte meldet euch bei mir". False: nothing was asked (the caller shows the question)."""
    care = run.state.care or {}
    age, stelle = care.get("age"), care.get("stelle")
    if age == "u16":
        show(run)
        return False
    if stelle and care.get("sent"):  # once is enough: it is on its way
        run.say(HM.SENT.with_(servicestelle=stelle["name"]))
        return False
    if not stelle:
        run.say(HM.NO_STELLE)
        return False
    if age not in KNOWN_AGES:
        run.state.confirm = ASK_16
        run.replies.append(confirm_question(ASK_16, HM.ASK_16, HM.YES_16, HM.NO_16))
        return True
    topic = HM.TOPIC.get(str((care.get("c") or ["emergency"])[0]), HM.TOPIC["emergency"])
    name = stelle["name"]
    if stelle.get("open"):
        lines: list[Msg | str] = [HM.CONSENT_OPEN.with_(servicestelle=name, topic=topic)]
    else:
        language = dict(run.ctx.languages).get(run.state.locale or "de", run.state.locale or "")
        lines = [
            HM.CONSENT.with_(servicestelle=name),
            HM.CONSENT_TOPIC.with_(topic=topic),
            HM.CONSENT_LANGUAGE.with_(language=language),
            HM.CONSENT_VIA_CHAT,
            IM.CONSENT_KEEP.with_(n=stelle.get("days", 0)),
        ]
    lines += [HM.CONSENT_NO_TEXT, IM.CONSENT_QUESTION]
    run.state.confirm = URGENT
    run.replies.append(confirm_question(URGENT, Msg.join(lines, "\n"), HM.YES, HM.NO))
    return True


def confirmed(run: Run, kind: str, yes: bool) -> bool:
    """A yes or no to one of this module's questions; False: show the question again."""
    care = run.state.care
    if care is None:
        return False
    if kind == ASK_16:
        care["age"] = "minor" if yes else "u16"
        if yes:
            return urgent(run)
        show(run)  # under 16: the Jugendamt and the Nummer gegen Kummer instead
        return False
    if not yes:
        run.say(HM.NOT_SENT)
        return False
    stelle = care.get("stelle") or {}
    category = str((care.get("c") or ["emergency"])[0])
    locale = run.state.locale or "de"
    run.wait("care:send", UrgentContactWanted(int(stelle.get("id", 0)), category, locale))
    return True


def sent(run: Run, data: Mapping[str, Any]) -> None:
    care = run.state.care
    if data.get("outcome") == "sent":
        if care is not None:
            care["sent"] = True
        run.say(HM.SENT.with_(servicestelle=str(data.get("servicestelle") or "")))
    else:
        run.say(HM.FAILED)
