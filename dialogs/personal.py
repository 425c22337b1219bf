"""What a person asks about their own data (/mydata), how far their referral is (anything
typed after the end), and their messages to a Servicestelle.

The stored facts come from the handlers of `DataWanted`, `StatusWanted`, `ThreadOpened` and
`ThreadReply`; this module only words them, in the person's language.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dialogs.asking import answer_line, shown_answer
from dialogs.buttons import Op, encode
from dialogs.care_messages import HM
from dialogs.effects import DataWanted, ThreadOpened, ThreadReply
from dialogs.intake_messages import IM
from dialogs.io import Button, Msg, Reply
from dialogs.messages import PM
from dialogs.run import Run


def ask_data(run: Run) -> None:
    run.wait("mydata", DataWanted())


def data_shown(run: Run, data: Mapping[str, Any]) -> None:
    state, flow = run.state, run.flow
    lines: list[Msg | str] = [PM.MYDATA_INTRO]
    locale = state.locale
    names = dict(run.ctx.languages)
    if locale:
        lines.append(PM.MYDATA_LANGUAGE.with_(language=names.get(locale, locale)))
    else:
        lines.append(PM.MYDATA_NO_LANGUAGE)
    item = run.current()
    if item is not None and item.asks:
        lines.append(PM.MYDATA_QUESTION.with_(question=run.text(item)))
    else:
        lines.append(PM.MYDATA_NO_QUESTION)
    answered = [
        answer_line(flow, it, state.answers[it.id])
        for it in flow.items
        if it.id in state.answers and it.kind not in ("offers", "action")
    ]
    lines.extend([PM.MYDATA_ANSWERS, *answered] if answered else [PM.MYDATA_NO_ANSWERS])
    source = str(data.get("source") or "")
    lines.append(PM.MYDATA_SOURCE.with_(source=source) if source else PM.MYDATA_NO_SOURCE)
    lines.append(PM.MYDATA_INVITATIONS_ON if data.get("invitations") else PM.MYDATA_INVITATIONS_OFF)
    lines.extend([PM.MYDATA_ANONYMOUS, PM.MYDATA_HOW_TO_DELETE])
    parts: list[Msg] = [Msg.join(lines, "\n")]
    for referral in data.get("referrals") or []:
        if isinstance(referral, Mapping):
            parts.append(Msg.join(_referral_lines(run, referral), "\n"))
    run.replies.append(Reply(parts=tuple(parts)))


def _referral_lines(run: Run, referral: Mapping[str, Any]) -> list[Msg | str]:
    name = str(referral.get("servicestelle") or "")
    status = str(referral.get("status") or "")
    lines: list[Msg | str] = [
        IM.MYDATA_REFERRAL.with_(
            servicestelle=name,
            status=IM.STATUS.get(status, status),
            date=str(referral.get("date") or ""),
        )
    ]
    for answer in referral.get("answers") or []:
        if isinstance(answer, Mapping):
            lines.append(_shared_line(run, answer))
    if referral.get("contact"):
        lines.append(IM.CONSENT_CONTACT.with_(value=str(referral["contact"])))
    for message in referral.get("messages") or []:
        if isinstance(message, Mapping):
            # who: the Servicestelle by name, never a staff account; "»" marks the person's own
            who = name if message.get("from") == "servicestelle" else "»"
            lines.append(f"{message.get('date', '')} {who}: {message.get('text', '')}")
    return lines


def _shared_line(run: Run, answer: Mapping[str, Any]) -> Msg | str:
    """One answer a referral holds, in the person's language where its question is known;
    otherwise as stored (the German text the Servicestelle reads)."""
    item = run.flow.item(str(answer.get("item", "")))
    value = answer.get("value")
    stored = str(answer.get("answer", ""))
    if answer.get("role") == "urgent" and value in HM.TOPIC:  # an urgent contact's one field
        topic = HM.CONSENT_TOPIC.with_(topic=HM.TOPIC[str(value)])
        return IM.CONSENT_LINE.with_(question=HM.FIELD_TOPIC, answer=topic)
    if item is None or value is None or run.flow.kind != "intake":
        return f"{answer.get('question', '')} – {stored}"
    shown = stored if item.source else shown_answer(run.flow, item, value)
    question = Msg(item.field or item.text, run.flow.context(item.id))
    return IM.CONSENT_LINE.with_(question=question, answer=shown)


# ---------------------------------------------------------------- after the end

WAITING = ("new", "in_review")  # the Servicestelle has not been in touch yet
BY = {"bot": IM.STATUS_BY_BOT, "phone": IM.STATUS_BY_PHONE, "email": IM.STATUS_BY_EMAIL}


def status_shown(run: Run, data: Mapping[str, Any]) -> bool:
    """Each open referral: where it is, how and by when the Servicestelle gets in touch, how to
    ask. False when there is none (the caller says the person is done)."""
    shown = False
    for referral in data.get("referrals") or []:
        if not isinstance(referral, Mapping) or not str(referral.get("id", "")).isdecimal():
            continue
        name, status = str(referral.get("servicestelle") or ""), str(referral.get("status"))
        contact = str(referral.get("contact") or "")
        lines: list[Msg | str] = [
            IM.STATUS_LINE.with_(servicestelle=name, status=IM.STATUS.get(status, status))
        ]
        if status in WAITING and referral.get("by"):
            via = BY.get(str(referral.get("via")), IM.STATUS_BY_BOT)
            lines.append(via.with_(by=str(referral["by"])))
        if contact:
            late = referral.get("late") and status in WAITING
            lines.append((IM.STATUS_LATE if late else IM.STATUS_ASK).with_(contact=contact))
        button = Button(IM.WRITE_TO, encode(Op.REPLY, "", "", str(referral["id"])))
        run.replies.append(Reply(parts=(Msg.join(lines, "\n"),), buttons=(button,)))
        shown = True
    return shown


# ---------------------------------------------------------------- replies to a Servicestelle


def open_thread(run: Run, code: str) -> bool:
    if not code.isdecimal() or len(code) > 12:
        run.say(IM.REPLY_CLOSED)
        return False
    run.wait(f"thread:{code}", ThreadOpened(int(code)))
    return True


def thread_opened(run: Run, referral_id: int, data: Mapping[str, Any]) -> bool:
    """True when the next text goes to the Servicestelle."""
    name = str(data.get("servicestelle") or "")
    if not data.get("open"):
        run.state.thread = None
        run.say(IM.REPLY_CLOSED)
        return False
    run.state.thread = referral_id
    run.state.data["@thread"] = name
    run.say(IM.REPLY_ASK.with_(servicestelle=name))
    return True


def reply_typed(run: Run, text: str, urgent: str | None = None) -> bool:
    """The typed text goes to the open thread; False when it was empty (asked again).
    `urgent`: it speaks of danger (its category), the referral is marked urgent."""
    referral_id = run.state.thread
    assert referral_id is not None
    if not text.strip():  # only characters the runtime cleaned away: nothing to pass on
        run.say(IM.REPLY_ASK.with_(servicestelle=str(run.state.data.get("@thread") or "")))
        return False
    run.state.thread = None
    run.wait(f"reply:{referral_id}", ThreadReply(referral_id, text, urgent))
    return True


def reply_sent(run: Run, data: Mapping[str, Any]) -> None:
    run.state.data.pop("@thread", None)
    if data.get("open"):
        run.say(IM.REPLY_SENT.with_(servicestelle=str(data.get("servicestelle") or "")))
    else:
        run.say(IM.REPLY_CLOSED)
