"""Catalog bookkeeping for translators: coverage and review status per locale.

Review status lives in a translator comment on each entry, which Poedit and Weblate keep:
`# review: machine-draft` or `# review: reviewed` (optionally followed by who and when).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po, write_po

from base.i18n import LOCALE_ORDER, LOCALES_DIR

GOAL_LOCALES = LOCALE_ORDER[1:]  # every language but the German source
REVIEWED = "review: reviewed"
IMPORTED = "review: imported from XLSForm"  # not reviewed yet


@dataclass(frozen=True)
class Status:
    locale: str
    total: int
    translated: int
    reviewed: int
    missing: int
    fuzzy: int


def po_path(locale: str, root: Path = LOCALES_DIR) -> Path:
    return root / locale / "LC_MESSAGES" / "messages.po"


def load(locale: str, root: Path = LOCALES_DIR) -> Catalog:
    with po_path(locale, root).open("rb") as f:
        return read_po(f, locale=locale)


def template(root: Path = LOCALES_DIR) -> Catalog:
    with (root / "messages.pot").open("rb") as f:
        return read_po(f)


def entries(catalog: Catalog) -> list[Message]:
    return [m for m in catalog if m.id]


def is_translated(m: Message) -> bool:
    strings = m.string if isinstance(m.string, tuple | list) else (m.string,)
    return all(s and s.strip() for s in strings) and not m.fuzzy


def is_reviewed(m: Message) -> bool:
    return any(c.strip().startswith(REVIEWED) for c in m.user_comments)


def status(locale: str, root: Path = LOCALES_DIR) -> Status:
    wanted = {
        (m.context, m.id if isinstance(m.id, str) else m.id[0]) for m in entries(template(root))
    }
    if not po_path(locale, root).exists():
        return Status(locale, len(wanted), 0, 0, len(wanted), 0)
    cat = load(locale, root)
    have = {(m.context, m.id if isinstance(m.id, str) else m.id[0]): m for m in entries(cat)}
    done = [have[k] for k in wanted if k in have and is_translated(have[k])]
    return Status(
        locale=locale,
        total=len(wanted),
        translated=len(done),
        reviewed=sum(1 for m in done if is_reviewed(m)),
        missing=len(wanted) - len(done),
        fuzzy=sum(1 for k in wanted if k in have and have[k].fuzzy),
    )


def table(root: Path = LOCALES_DIR) -> list[Status]:
    return [status(locale, root) for locale in GOAL_LOCALES]


def merge(
    locale: str,
    texts: Mapping[tuple[str, str], str],
    root: Path = LOCALES_DIR,
    comment: str = IMPORTED,
) -> tuple[int, int]:
    """Add or update entries {(msgctxt, msgid): msgstr} in a locale's catalog; a new or changed
    entry gets `comment` as its review status. Everything else (other entries, comments, the
    header, the order) stays. An entry whose translation is already the same is left alone,
    and an empty translation is never written. Returns (added, updated)."""
    cat = load(locale, root)
    added = updated = 0
    for (context, msgid), text in texts.items():
        if not msgid or not text.strip():
            continue
        m = cat.get(msgid, context=context)
        if m is None:
            cat.add(msgid, text, context=context, user_comments=[comment])
            added += 1
        elif not m.pluralizable and (m.string != text or m.fuzzy):
            m.string = text
            m.flags.discard("fuzzy")
            m.user_comments = [c for c in m.user_comments if not c.startswith("review:")]
            m.user_comments.append(comment)
            updated += 1
    if added or updated:
        out = BytesIO()
        write_po(out, cat, width=0)
        po_path(locale, root).write_bytes(out.getvalue())
    return added, updated
