"""Texts a young person reads around survey waves. German source, einfache Sprache.

Here (not in `bot/`) so that store/waves.py can queue invitations for the admin API without
importing the bot; `bot/survey/messages.py` re-exports `SM`."""

from __future__ import annotations

from dialogs.messages import N_


class SM:
    WAVE_NOT_OPEN = N_("Diese Befragung ist gerade nicht offen. Danke für dein Interesse!")
    WAVE_CLOSED = N_("Diese Befragung ist schon beendet. Danke für dein Interesse!")
    WAVE_UNAVAILABLE = N_("Diese Befragung geht gerade nicht. Bitte versuch es später.")
    ALREADY_TAKEN_PART = N_("Du hast bei dieser Befragung schon mitgemacht. Danke!")
    NOT_STORED = N_("Deine Antworten wurden nicht gespeichert.")
    INVITATION = N_(
        "Es gibt eine neue Befragung. Sie ist anonym und freiwillig.\n"
        "Mitmachen: schreib /start {code}"
    )
