"""An independent judge for imported XLSForms: pyxform's XForm evaluated by libxml2's XPath 1.0
(lxml) with ODK's functions, next to a scripted chat in the engine.

`play` answers an imported flow in the engine (presses and typed answers, seeded choices,
some wrong answers on purpose) and records every attempt; `judge` checks the record against
the XForm: every answer the chat accepted or refused is valid or invalid there too (constraint,
required, range), every question asked is relevant there and every relevant one was asked,
a choice_filter shows the same choices.
"""

from __future__ import annotations

import copy
import random
import re
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from dialogs.buttons import Op, encode, parse
from dialogs.effects import Completed
from dialogs.engine import step
from dialogs.io import Command, Press, Reply, State, Text
from dialogs.lexicon import GERMAN_ONLY
from dialogs.model import Flow, Item

XF = "{http://www.w3.org/2002/xforms}"


# --- ODK's functions for libxml2 ---------------------------------------------------------------


def _s(v: Any) -> str:
    if isinstance(v, list):
        if not v:
            return ""
        first = v[0]
        return first if isinstance(first, str) else "".join(first.itertext())
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(v)
    return str(v)


def _register() -> None:
    ns = etree.FunctionNamespace(None)
    ns["selected"] = lambda _c, a, b: _s(b).strip() in _s(a).split()
    ns["count-selected"] = lambda _c, a: float(len(_s(a).split()))
    ns["regex"] = lambda _c, a, b: re.search(_s(b), _s(a)) is not None
    ns["coalesce"] = lambda _c, a, b: _s(a) if _s(a) != "" else _s(b)
    ns["if"] = lambda _c, c, a, b: a if (c if isinstance(c, bool) else bool(c)) else b
    ns["int"] = lambda _c, a: (
        float(int(float(_s(a)))) if re.fullmatch(r"-?\d+(\.\d*)?", _s(a)) else float("nan")
    )


_register()


def _plain(el: etree._Element) -> etree._Element:
    """A copy without namespaces, so `/data/q` finds the nodes."""
    out = etree.fromstring(etree.tostring(el))
    for node in out.iter():
        if isinstance(node.tag, str):
            node.tag = etree.QName(node).localname
            for key in list(node.attrib):
                del node.attrib[key]
    etree.cleanup_namespaces(out)
    return etree.fromstring(etree.tostring(out))


class XForm:
    def __init__(self, xml: str) -> None:
        doc = etree.fromstring(xml.encode())
        model = doc.find(f".//{XF}model")
        assert model is not None
        instances = model.findall(f"{XF}instance")
        main = next(i for i in instances if i.get("id") is None)
        self.template = _plain(next(iter(main)))
        self.root = self.template.tag
        self.secondary = {i.get("id"): _filled(_plain(i)) for i in instances if i.get("id")}
        self.binds = {b.get("nodeset"): b for b in model.findall(f"{XF}bind")}
        self.controls = {
            c.get("ref"): c for c in doc.iter() if isinstance(c.tag, str) and c.get("ref")
        }

    def path(self, item_id: str) -> str:
        tail = "/" + item_id.replace(".", "/")
        found = [p for p in {*self.binds, *self.controls} if p.endswith(tail)]
        assert len(found) == 1, (item_id, found)
        return found[0]

    def instance(self, answers: dict[str, Any]) -> etree._Element:
        inst = copy.deepcopy(self.template)
        for node in inst.iter():
            node.text = None
        for item_id, value in answers.items():
            [node] = inst.xpath(self.path(item_id))
            node.text = _value(value)
        return inst

    def _test(self, inst: etree._Element, path: str, attr: str) -> bool | None:
        bind = self.binds.get(path)
        expr = bind.get(attr) if bind is not None else None
        if not expr or expr in ("true()", "false()"):
            return None if not expr else expr == "true()"
        [node] = inst.xpath(path)
        return bool(node.xpath(f"boolean({expr})"))

    def relevant(self, item_id: str, answers: dict[str, Any]) -> bool:
        inst = self.instance(answers)
        parts = self.path(item_id).strip("/").split("/")
        return all(
            self._test(inst, "/" + "/".join(parts[:n]), "relevant") is not False
            for n in range(2, len(parts) + 1)
        )

    def required(self, item_id: str, answers: dict[str, Any]) -> bool:
        return self._test(self.instance(answers), self.path(item_id), "required") is True

    def valid(self, item_id: str, value: Any, answers: dict[str, Any]) -> bool:
        """Would ODK take this answer (constraint, number type, range)?"""
        path = self.path(item_id)
        inst = self.instance({**answers, item_id: value})
        bind, control = self.binds.get(path, etree.Element("bind")), self.controls.get(path)
        text = _value(value)
        if bind.get("type") == "int" and not re.fullmatch(r"-?\d+", text):
            return False
        if control is not None and etree.QName(control).localname == "range":
            low, high = sorted(float(control.get(k, d)) for k, d in (("start", 1), ("end", 10)))
            step_ = float(control.get("step", 1))
            if not low <= float(text) <= high or (float(text) - low) % step_:
                return False
        return self._test(inst, path, "constraint") is not False

    def choices(self, item_id: str, answers: dict[str, Any]) -> list[str] | None:
        """The codes ODK offers now (itemset with its predicate, or inline items); None for a
        control without choices (acknowledge)."""
        path = self.path(item_id)
        control = self.controls[path]
        if etree.QName(control).localname not in ("select", "select1"):
            return None
        itemset = control.find(f"{XF}itemset")
        if itemset is None:
            return [i.findtext(f"{XF}value") or "" for i in control.findall(f"{XF}item")]
        m = re.fullmatch(r"instance\('([^']+)'\)/root/item(?:\[(.*)\])?", itemset.get("nodeset"))
        assert m, itemset.get("nodeset")
        items = self.secondary[m.group(1)].findall("root/item")
        if not m.group(2):
            return [i.findtext("name") or "" for i in items]
        inst = self.instance(answers)
        [node] = inst.xpath(path)
        names: dict[str, list[etree._Element]] = {}

        def var(found: re.Match[str]) -> str:
            names[f"v{len(names)}"] = inst.xpath(found.group(1))
            return f" ${list(names)[-1]} "

        pred = re.sub(rf"(/{self.root}(?:/[\w.-]+)+)", var, m.group(2))
        pred = pred.replace("current()", "$cur")
        return [
            i.findtext("name") or ""
            for i in items
            if i.xpath(f"boolean({pred})", cur=[node], **names)
        ]


def _filled(instance: etree._Element) -> etree._Element:
    """Every choice with every column of its list: JavaRosa reads a column a choice lacks as
    the empty string (XPath 1.0 would see no node at all)."""
    items = instance.findall("root/item")
    columns = list(dict.fromkeys(c.tag for i in items for c in i))
    for i in items:
        for column in columns:
            if i.find(column) is None:
                etree.SubElement(i, column)
    return instance


def _value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return " ".join(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# --- playing a flow in the engine ------------------------------------------------------------


@dataclass
class Attempt:
    item: str
    value: Any  # None: skipped
    accepted: bool
    before: dict[str, Any]  # answers given before it


@dataclass
class Record:
    asked: list[str] = field(default_factory=list)
    shown: dict[str, list[str]] = field(default_factory=dict)  # choices on screen
    infos: list[str] = field(default_factory=list)
    attempts: list[Attempt] = field(default_factory=list)
    answers: dict[str, Any] = field(default_factory=dict)
    completed: bool = False


NUMBERS = (0, 1, 2, 3, 5, 10, 25, -1, 99, 150, 1000)
TEXTS = ("Test", "0123456789", "anna@example.org", "12345", "x")


class Player:
    def __init__(self, flow: Flow, seed: int, prefer: dict[str, Any] | None = None) -> None:
        self.flow, self.rng, self.prefer = flow, random.Random(seed), prefer or {}
        self.record = Record()
        self.state = State(locale="de")

    def send(self, event: Any) -> list[Reply]:
        out = step(self.flow, self.state, event, GERMAN_ONLY)
        self.state = out.state
        for e in out.effects:
            if isinstance(e, Completed):
                self.record.completed = True
                self.record.answers = e.values()
        for r in out.replies:
            context = r.parts[0].context if r.parts else None
            if r.ask is None and context and context.startswith(f"{self.flow.id}:"):
                self.record.infos.append(context.split(":", 1)[1])
        return out.replies

    def play(self) -> Record:
        replies = self.send(Command("start"))
        for _ in range(2000):
            asks = [r for r in replies if r.ask and not r.ask.startswith("@")]
            if self.record.completed or not asks:
                break
            tries = sum(a.item == asks[-1].ask for a in self.record.attempts)
            if tries > 12:  # nothing it tried fits (a form no one can finish): stop here
                break
            replies = self.answer(asks[-1])
        if not self.record.completed:
            self.record.answers = dict(self.state.answers)
        return self.record

    def answer(self, reply: Reply) -> list[Reply]:
        item = self.flow.item(reply.ask or "")
        assert item is not None
        v = self.flow.version
        rec = self.record
        if not rec.asked or rec.asked[-1] != item.id:
            rec.asked.append(item.id)
        codes = []
        for b in reply.buttons:
            p = parse(b.data)
            if p and p.op in (Op.ANSWER, Op.TOGGLE) and (c := item.choice(p.code)):
                codes.append(c.code)
        rec.shown[item.id] = codes
        skip = any((p := parse(b.data)) and p.op is Op.SKIP for b in reply.buttons)
        tried = [a.value for a in rec.attempts if a.item == item.id]
        if (skip and self.rng.random() < 0.15 and None not in tried) or (
            item.kind in ("number", "text") and len(tried) >= 8 and None not in tried
        ):
            return self.attempt(item, None, Press(encode(Op.SKIP, v, item.id, "")))
        if item.kind == "number":  # a random number first (it may be wrong), then sensible ones
            low, high = item.min if item.min is not None else 0, item.max
            sensible = [low, high if high is not None else low + 3, low + 1, *NUMBERS]
            sensible = [int(n) if float(n).is_integer() else n for n in sensible]
            options = [n for n in dict.fromkeys(sensible) if n not in tried] or [1]
            value: Any = options[0] if tried else self.rng.choice(NUMBERS)
            value = self.prefer.get(item.id, value) if not tried else value
            return self.attempt(item, value, Text(str(value)))
        if item.kind == "text":
            options = [t for t in TEXTS if t not in tried] or ["Test"]
            return self.attempt(item, options[0], Text(options[0]))
        if item.kind == "multi":
            chosen = self.prefer.get(item.id) or self.rng.sample(codes, min(len(codes), 2))
            if [c.code for c in item.choices if c.code in chosen] in tried:
                chosen = [c for c in codes if [c] not in tried][:1] or codes[:1]
            for code in sorted(set(chosen) ^ set(self.state.toggles)):  # from what is ticked now
                self.send(Press(encode(Op.TOGGLE, v, item.id, code)))
            return self.attempt(item, list(chosen), Press(encode(Op.DONE, v, item.id, "")))
        want = self.prefer.get(item.id)
        code = want if want in codes else self.rng.choice(codes)
        return self.attempt(item, code, Press(encode(Op.ANSWER, v, item.id, code)))

    def attempt(self, item: Item, value: Any, event: Any) -> list[Reply]:
        before = dict(self.state.answers)
        replies = self.send(event)
        again = [r for r in replies if r.ask == item.id]
        accepted = not again and (item.id in self.state.answers or self.record.completed)
        if isinstance(value, list):  # in the order of the list, as the engine stores it
            value = [c.code for c in item.choices if c.code in value] or None
        self.record.attempts.append(Attempt(item.id, value, accepted, before))
        return replies


def judge(flow: Flow, xform: XForm, rec: Record) -> list[str]:
    """Every disagreement between the chat and ODK's XForm, as a sentence."""
    found = [] if rec.completed else ["the chat did not finish"]
    for a in rec.attempts:
        if a.value is None:
            odk = not xform.required(a.item, a.before)
        else:
            odk = xform.valid(a.item, a.value, a.before)
        if odk != a.accepted:
            verdict = "took" if a.accepted else "refused"
            found.append(f"{a.item}: the chat {verdict} {a.value!r}, ODK would not")
    final = rec.answers
    items = list(flow.items)
    if not rec.completed and rec.asked:  # stuck (a form no one can finish): judge up to there
        items = items[: flow.index[rec.asked[-1]] + 1]
    for item in items:
        relevant = xform.relevant(item.id, final)
        offered = (
            xform.choices(item.id, final) if relevant and item.kind in ("single", "multi") else None
        )
        if offered == []:
            relevant = False  # a choice_filter that lets nothing through: nothing to ask
        shown = item.id in (rec.infos if item.kind == "info" else rec.asked)
        if shown != relevant:
            found.append(
                f"{item.id}: {'shown' if shown else 'not shown'}, ODK: relevant={relevant}"
            )
        elif shown and offered is not None and rec.shown.get(item.id) != offered:
            found.append(f"{item.id}: choices {rec.shown.get(item.id)}, ODK offers {offered}")
    return found
