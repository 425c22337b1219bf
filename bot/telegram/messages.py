"""Telegram-only texts: command descriptions (setMyCommands) and button notices."""

from __future__ import annotations

from dialogs.messages import N_

COMMANDS = (
    ("start", N_("Beginnen")),
    ("language", N_("Sprache ändern")),
    ("help", N_("Hilfe")),
    ("restart", N_("Von vorne beginnen")),
    ("mydata", N_("Meine Daten zeigen")),
    ("delete", N_("Meine Daten löschen")),
    ("stop", N_("Keine Einladungen mehr")),
)

ALREADY_ANSWERED = N_("Schon beantwortet.")
GROUPS_NOT_SUPPORTED = N_("Ich spreche nur in privaten Chats.")
