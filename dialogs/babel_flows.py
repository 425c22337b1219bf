"""Babel extraction method for flow YAML files (`pybabel extract -F babel.cfg`).

Collects question texts, choice labels and typed-answer synonyms, each with the context
`<flow>:<item>` (synonyms: `<flow>:<item>:<code>`) that the runtime looks them up with.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from typing import IO, Any

from dialogs.model import Flow


def synonym_msgid(label: str, synonyms: tuple[str, ...]) -> str:
    """Typed forms of one choice, "|"-separated; translators add their language's forms."""
    return "|".join(synonyms) if synonyms else label


def flow_messages(flow: Flow) -> Iterator[tuple[int, str, str, str]]:
    """(line, context, msgid, comment) for every translatable text of a flow."""
    for item in flow.items:
        ctx = flow.context(item.id)
        if item.text:  # action items have none
            yield item.line, ctx, item.text, f"{item.kind} question {item.id}"
        if item.field:
            yield item.line, ctx, item.field, f"short name of {item.id} (consent screen, /mydata)"
        for text, what in (
            (item.hint, "hint"),
            (item.constraint_message, "message when an answer does not fit"),
            (item.required_message, "message when the question is skipped"),
        ):
            if text:
                yield item.line, ctx, text, f"{what} of {item.id}"
        if item.kind in ("yesno", "consent"):
            for choice in item.choices:
                yield item.line, ctx, choice.label, f"answer {choice.code}"
            continue
        for choice in item.choices:
            yield item.line, ctx, choice.label, f"answer {choice.code}"
            yield (
                item.line,
                f"{ctx}:{choice.code}",
                synonym_msgid(choice.label, choice.synonyms),
                f"typed forms of answer {choice.code}, separated by |",
            )


def extract(
    fileobj: IO[bytes],
    keywords: Collection[str],
    comment_tags: Collection[str],
    options: dict[str, Any],
) -> Iterator[tuple[int, str, tuple[str, str], list[str]]]:
    """Babel's extractor signature; keywords, tags and options do not apply to flows."""
    from dialogs.loader import load_flow

    flow = load_flow(fileobj.name)
    for line, ctx, msgid, comment in flow_messages(flow):
        yield line, "pgettext", (ctx, msgid), [comment]
