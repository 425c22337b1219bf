"""Import an XLSForm (the KoBoToolbox/ODK survey format) as a Wegweiser survey flow (YAML).

The workbook is read by pyxform, exactly as ODK and KoBo read it (dialogs/xlsform_book.py):
every header spelling, language column, setting and type alias pyxform knows. Questions keep
ODK's meaning (dialogs/xlsform_items.py): relevant (a group's too), constraint, required
(also as an expression), choice_filter, hints, messages, defaults, `or_other`, `${q}` in
labels; expressions stay ODK's own and are evaluated with ODK's rules (dialogs/xpath.py).

What a chat cannot ask is refused, one line per root cause naming its cell and grouped:
`survey!E24 (type): 'geopoint': locations are not asked in a chat`. With `skip_unsupported`
the rest is imported and everything left out is listed, including what depended on it. The
result passes every check the running bot applies before it is returned.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from dialogs.loader import read_flow
from dialogs.registry import check_flow
from dialogs.xlsform_book import Book, Cell, ReadError, read_book
from dialogs.xlsform_items import Converter, Draft, Group, Issue
from dialogs.xlsform_text import DEFAULT, Languages, languages, locale_of

FLOW_ID = re.compile(r"[^a-z0-9_-]+")
MAX_LINES = 20  # a refusal an operator reads to the end
MAX_CELLS = 6


class XLSFormError(Exception):
    """The form cannot be imported; `problems` are the lines to show, one per root cause."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class Imported:
    flow_id: str
    yaml_text: str
    notes: list[str] = field(default_factory=list)  # what was left out, for the operator
    # locale -> {(msgctxt, source msgid): translation}; empty cells are left out
    translations: dict[str, dict[tuple[str, str], str]] = field(default_factory=dict)
    left_out: list[str] = field(default_factory=list)  # `--skip-unsupported`: what and why


def supported_locale(code: str, locales: Sequence[str], source: str = "de") -> str | None:
    """`ar`, `fa-AF`, `FA_af`, `Arabic (ar)` → one of `locales`; None for the source language
    and languages we do not have."""
    found = locale_of(code, locales)
    return None if found == source else found


def grouped(issues: Iterable[Issue], prefix: str = "") -> list[str]:
    """One line per (sheet, column, message), the cells listed; at most MAX_LINES lines."""
    groups: dict[tuple[str, str, str], tuple[list[Cell], list[str]]] = {}
    for issue in issues:
        key = (issue.cell.sheet, issue.cell.column, issue.message)
        cells, subjects = groups.setdefault(key, ([], []))
        if issue.cell not in cells:
            cells.append(issue.cell)
        if issue.subject and issue.subject not in subjects:
            subjects.append(issue.subject)
    lines = []
    order = sorted(groups.items(), key=lambda kv: (kv[0][0] != "survey", _first_row(kv[1][0])))
    for (sheet, column, message), (cells, subjects) in order:
        shown = [f"{c.letter or '?'}{c.row}" for c in cells if c.row is not None][:MAX_CELLS]
        more = len(cells) - len(shown)
        where = f"{sheet}!{', '.join(shown)}" if shown else sheet
        if more > 0 and shown:
            where += f" and {more} more"
        about = f"{', '.join(subjects)}: " if subjects else ""
        lines.append(f"{prefix}{where} ({column}): {about}{message}")
    if len(lines) > MAX_LINES:
        rest = len(lines) - (MAX_LINES - 1)
        lines = [*lines[: MAX_LINES - 1], f"{prefix}… and {rest} more kinds of problems"]
    return lines


def _first_row(cells: list[Cell]) -> int:
    return min((c.row for c in cells if c.row is not None), default=0)


def _flow_id(book: Book, default_id: str) -> str:
    given = book.settings.get("form_id") or book.settings.get("id_string") or default_id
    flow_id = FLOW_ID.sub("-", str(given).lower()).strip("-")[:64]
    return flow_id or FLOW_ID.sub("-", default_id.lower()).strip("-") or "xlsform"


class _Import:
    def __init__(self, book: Book, lang: Languages, flow_id: str, skip: bool) -> None:
        self.book, self.lang, self.flow_id, self.skip = book, lang, flow_id, skip
        self.conv = Converter(book, lang, flow_id)
        self.drafts: list[Draft] = []
        self.under: dict[str, list[Group]] = {}  # item id -> its groups
        self.groups: list[Group] = []
        self.left: list[Issue] = []  # --skip-unsupported: what was left out and why

    def convert(self) -> None:
        self.conv.assign_ids()
        stack: list[tuple[tuple[str, ...], Group]] = []
        for el, path in self.conv.elements():
            while stack and stack[-1][0] != path[: len(stack[-1][0])]:
                stack.pop()
            parents = [g for p, g in stack if path[: len(p)] == p]
            if el.get("type") == "group":
                group = self.conv.group(el, parents)
                self.groups.append(group)
                stack.append(((*path, str(el.get("name"))), group))
                continue
            draft = self.conv.draft(el, parents)
            self.drafts.append(draft)
            self.under[draft.id] = parents

    def roots(self) -> list[Issue]:
        """Decide what stays; return the root causes of everything that cannot."""
        roots: list[Issue] = [g.issue for g in self.groups if g.issue is not None]
        roots += [i for d in self.drafts for i in d.issues]
        needed = {n for d in self.drafts if d.optional is None for n in d.reads}
        for d in self.drafts:
            if d.optional is not None and d.name in needed and not d.issues:  # feeds logic
                message = "used by later questions, but a chat does not compute it"
                d.issues.append(Issue(self.book.survey.cell(d.row, "type"), message, d.subject))
                roots.append(d.issues[-1])
        out = {d.id for d in self.drafts if d.issues or d.optional is not None}
        out |= {d.id for d in self.drafts if any(g.issue for g in self.under[d.id])}
        gone = set(self.conv.inside)  # XLSForm names that are not there to be read
        changed = True
        while changed:  # whatever reads something left out is left out too
            gone |= {d.name for d in self.drafts if d.id in out}
            changed = False
            for d in self.drafts:
                if d.id not in out and (d.reads & gone or d.reads - set(self.conv.kinds)):
                    out.add(d.id)
                    changed = True
        self.out = out
        return roots

    def kept(self) -> list[Draft]:
        return [d for d in self.drafts if d.id not in self.out]

    def leave_out(self) -> None:
        for d in self.drafts:
            if d.optional is not None and not d.issues:
                cell = self.book.survey.cell(d.row, "type")
                self.left.append(Issue(cell, d.optional, d.subject))
            elif d.issues:
                self.left.extend(d.issues)
            elif d.id in self.out:
                cell = self.book.survey.cell(d.row, "name")
                in_group = any(g.issue for g in self.under[d.id])
                why = (
                    "its group is left out"
                    if in_group
                    else "depends on a question that is left out"
                )
                self.left.append(Issue(cell, why))
        self.left += [g.issue for g in self.groups if g.issue is not None]

    def document(self, drafts: list[Draft]) -> dict[str, Any]:
        title = str(self.book.form.get("title") or self.flow_id)
        return {"id": self.flow_id, "title": title, "kind": "survey",
                "items": [d.doc for d in drafts]}  # fmt: skip

    def validate(self, doc: dict[str, Any]) -> tuple[str, list[tuple[str | None, str]]]:
        """The YAML text and what the loader and the registry say about it."""
        text = "# Imported from an XLSForm. Texts are source strings (gettext msgids).\n"
        text += yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=100)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"{self.flow_id}.yaml"
            path.write_text(text, encoding="utf-8")
            flow, _, problems = read_flow(path)
            if flow is not None:
                problems = check_flow(flow)
        return text, [(p.item, _bare(p.message, p.item)) for p in problems]


_KEY_COLUMNS = {"relevant": "relevant", "constraint": "constraint", "required_if": "required",
                "choice_filter": "choice_filter", "default": "default"}  # fmt: skip


def _issue(book: Book, draft: Draft | None, message: str) -> Issue:
    """A problem of the whole flow at the cell it comes from: the column its key names."""
    key = message.split(":", 1)[0].split(" ", 1)[0]
    column = _KEY_COLUMNS.get(key, "name")
    return Issue(book.survey.cell(draft.row if draft else None, column), message)


def _bare(message: str, item: str | None) -> str:
    prefix = f"item '{item}': "
    return message[len(prefix) :] if item and message.startswith(prefix) else message


def import_xlsform(
    data: bytes,
    *,
    locales: Sequence[str],
    default_id: str = "xlsform",
    suffix: str | None = None,
    skip_unsupported: bool = False,
) -> Imported:
    """The flow for an XLSForm; XLSFormError lists the root causes when it cannot be made."""
    try:
        book = read_book(data, suffix)
    except ReadError as e:
        raise XLSFormError([f"pyxform refuses the form: {e}"]) from None
    flow_id = _flow_id(book, default_id)
    default_language = str(book.form.get("default_language") or DEFAULT)
    plain = "label" in book.survey.columns.values()  # a label column without a language
    lang = languages(book.form, default_language, plain, locales)
    job = _Import(book, lang, flow_id, skip_unsupported)
    job.convert()
    roots = job.roots()
    if roots and not skip_unsupported:
        raise XLSFormError(grouped(roots))
    for _ in range(3):  # checks of the whole flow; with skipping, drop what fails and retry
        kept = job.kept()
        if not kept:
            raise XLSFormError([*grouped(roots), "survey: no question left to import"])
        text, problems = job.validate(job.document(kept))
        if not problems:
            break
        by_id = {d.id: d for d in kept}
        issues = [_issue(job.book, by_id.get(i or ""), m) for i, m in problems]
        if not skip_unsupported or any(i not in by_id for i, _ in problems):
            raise XLSFormError(grouped(issues))
        for (item_id, _), issue in zip(problems, issues, strict=True):
            by_id[item_id or ""].issues.append(issue)
        roots = job.roots()
    else:
        raise XLSFormError(grouped(issues))
    job.leave_out()
    return _result(job, kept, text)


def _result(job: _Import, kept: list[Draft], text: str) -> Imported:
    lang = job.lang
    notes: list[str] = []
    if lang.source_locale != "de":
        shown = "the unnamed label column" if lang.source == DEFAULT else lang.source
        notes.append(
            f"no German column: the flow's source texts are {shown}; German speakers see them "
            "until a German form is imported"
        )
    if lang.unknown:
        notes.append(
            f"languages without a Wegweiser locale, not imported: {', '.join(lang.unknown)}"
        )
    if job.conv.media:
        notes.append("images, audio and video in labels are not shown in a chat")
    translations: dict[str, dict[tuple[str, str], str]] = {}
    for d in kept:
        context = f"{job.flow_id}:{d.id}"
        for msgid, by_locale in d.texts:
            for loc, translated in by_locale.items():
                if translated != msgid:
                    translations.setdefault(loc, {})[(context, msgid)] = translated
    left = grouped(job.left, "left out: ")
    return Imported(job.flow_id, text, [*notes, *left], translations, left)


def import_file(
    path: Path,
    *,
    locales: Sequence[str],
    default_id: str | None = None,
    skip_unsupported: bool = False,
) -> Imported:
    try:
        data = path.read_bytes()
    except OSError as e:
        raise XLSFormError([f"cannot read {path}: {e.strerror or e}"]) from None
    return import_xlsform(
        data,
        locales=locales,
        default_id=default_id or path.stem.lower(),
        suffix=path.suffix.lower() or None,
        skip_unsupported=skip_unsupported,
    )
