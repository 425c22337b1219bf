"""Texts of the web chat page and of its API refusals. German msgids, translated per locale.

They are rendered on the server (into the page, or into an error answer) in the person's
language, with the same fallback chain as the conversation.
"""

from __future__ import annotations

from dialogs.messages import N_


class W:
    TITLE = N_("Wegweiser – Chat")
    INTRO = N_("Schreib mir oder drück auf die Knöpfe. Alles ist freiwillig.")
    LOG_LABEL = N_("Nachrichten")
    INPUT_LABEL = N_("Deine Nachricht")
    PLACEHOLDER = N_("Schreib hier …")
    SEND = N_("Senden")
    LANGUAGE = N_("Sprache")
    RESTART = N_("Neu beginnen")
    RECONNECTING = N_("Verbindung unterbrochen. Neuer Versuch …")
    NOSCRIPT = N_("Dieser Chat braucht JavaScript. Bitte schalte es ein.")
    PRIVACY = N_("Kein Login. Dein Browser merkt sich nur eine zufällige Nummer für diesen Chat.")

    # Refusals of the API (shown in the chat as a note)
    EMPTY = N_("Deine Nachricht ist leer. Bitte schreib etwas.")
    BAD_TOKEN = N_("Dieser Chat ist abgelaufen. Wir beginnen neu.")
    BAD_BUTTON = N_("Dieser Knopf gilt nicht. Bitte nutze die Knöpfe im Chat.")
    BAD_REQUEST = N_("Das konnte ich nicht lesen. Bitte lade die Seite neu.")
    TOO_MANY = N_("Das waren zu viele Nachrichten. Bitte warte kurz.")
    UNKNOWN_LANGUAGE = N_("Diese Sprache kenne ich nicht.")
