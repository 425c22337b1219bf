"""Catalog bookkeeping for translators: coverage and review status per locale.

Review status lives in a translator comment on each entry, which Poedit and Weblate keep:
`# review: machine-draft` or `# review: reviewed` (optionally followed by who and when).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po

from wegweiser.i18n import LOCALE_ORDER, LOCALES_DIR

GOAL_LOCALES = LOCALE_ORDER[1:]  # every language but the German source
REVIEWED = "review: reviewed"


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
