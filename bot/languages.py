"""The language a device says it speaks (Telegram's `language_code`, a browser's
`Accept-Language`) → the locales Wegweiser has.

A phone set to Persian may belong to someone from Iran (Farsi) or Afghanistan (Dari): both are
offered and the person picks once. Region tags go to the base language (`pt-BR` → `pt`) unless
the region names one of our locales (`fa-AF` → Dari). Nothing here is stored but the locale.
"""

from __future__ import annotations

# Tags (lower case, `_` as `-`) with a meaning of their own; everything else by its base.
SPECIAL = {
    "fa": ("fa", "fa_AF"),  # Persian: Farsi or Dari, the person says which
    "fa-ir": ("fa",),
    "fa-af": ("fa_AF",),
    "prs": ("fa_AF",),  # ISO 639-3 Dari
    "pes": ("fa",),  # ISO 639-3 Iranian Persian
    "kmr": ("ku",),  # ISO 639-3 Kurmanji
    "ku-arab": ("ckb",),  # Kurdish in Arabic script is Sorani
    "ckb": ("ckb",),
    "pbu": ("ps",),
    "pbt": ("ps",),
}


def locales_for(tag: str | None, known: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """The locales of `known` one language tag may mean, best first; () when none fits."""
    if not tag:
        return ()
    key = tag.strip().replace("_", "-").lower()
    candidates = SPECIAL.get(key) or SPECIAL.get(key.split("-", 1)[0])
    if candidates is None:
        candidates = (key.split("-", 1)[0],)
    return tuple(c for c in candidates if c in known)


def accept_language(header: str | None) -> list[str]:
    """`Accept-Language` → its tags, most wanted first (q=0 and `*` left out)."""
    tags: list[tuple[float, int, str]] = []
    for n, part in enumerate((header or "").split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        if tag and tag != "*" and q > 0:
            tags.append((-q, n, tag.strip()))
    return [tag for _, _, tag in sorted(tags)]


def device_language(header: str | None, known: tuple[str, ...] | list[str]) -> str | None:
    """The first tag of an `Accept-Language` header that fits a locale, else its first tag
    (unknown: the default language), None without a header."""
    tags = accept_language(header)
    fitting = [t for t in tags if locales_for(t, known)]
    first = fitting or tags
    return first[0] if first else None
