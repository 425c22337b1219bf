"""System messages of the engine. German source texts in einfache Sprache; one idea each.

`N_` only marks a string for extraction (pybabel keyword); translation happens when the
runtime renders a reply in the person's language.
"""

from __future__ import annotations

from dialogs.io import Msg


def N_(msgid: str) -> Msg:
    return Msg(msgid)


def NP_(singular: str, plural: str) -> Msg:
    """A marked message with plural forms; its parameter `n` chooses the form."""
    return Msg(singular, plural=plural)


def NC_(context: str, msgid: str) -> Msg:
    """A marked message with a gettext context (for words that differ by use)."""
    return Msg(msgid, context)


class M:
    CHOOSE_LANGUAGE = N_("Bitte wähle deine Sprache.")
    HELP = N_(
        "Ich bin Wegweiser. Ich stelle dir kurze Fragen und zeige dir Hilfe in deiner Nähe.\n"
        "Alles ist freiwillig. Befehle: /start neu beginnen, /language Sprache ändern, "
        "/help Hilfe."
    )
    UNKNOWN_COMMAND = N_("Diesen Befehl kenne ich nicht. Schreib /help für eine Liste.")
    UNSUPPORTED = N_("Ich kann nur Text und Knöpfe lesen. Bitte antworte mit Text.")
    START_HINT = N_("Schreib /start, um zu beginnen.")
    FINISHED = N_("Du bist fertig. Danke! Schreib /start, um neu zu beginnen.")
    THANKS = N_("Danke für deine Antworten!")
    SUMMARY = N_("Das hast du geantwortet:")
    SUMMARY_LINE = N_("{question} – {answer}")
    SKIPPED = N_("(übersprungen)")
    FLOW_CHANGED = N_("Die Fragen wurden geändert. Bitte antworte auf diese Frage.")
    ALREADY_ANSWERED = N_("Diese Frage ist schon beantwortet. Hier ist die aktuelle Frage.")
    STALE_BUTTON = N_("Dieser Knopf gilt nicht mehr. Hier ist die aktuelle Frage.")
    REQUIRED = N_("Diese Frage brauche ich. Bitte antworte.")
    CHOOSE_AT_LEAST_ONE = N_("Bitte wähle mindestens eins aus.")
    MULTI_HINT = N_("Du kannst mehrere wählen. Dann drück auf „Fertig“.")
    DONE = N_("Fertig")
    SKIP = N_("Überspringen")
    NUMBER_HINT = N_("Bitte schreib eine Zahl von {min} bis {max}.")
    TEXT_HINT = N_("Bitte schreib kurz (höchstens {max} Zeichen).")
    NOT_UNDERSTOOD = N_("Das habe ich nicht verstanden. Bitte nutze die Knöpfe.")
    DID_YOU_MEAN = N_("Meinst du: {answer}?")
    NO_OTHER = N_("Nein, etwas anderes")
    NOT_A_NUMBER = N_("Bitte schreib nur eine Zahl.")
    OUT_OF_RANGE = N_("Die Zahl muss zwischen {min} und {max} liegen.")
    TEXT_TOO_LONG = N_("Das ist zu lang. Bitte höchstens {max} Zeichen.")
    MESSAGE_TOO_LONG = N_(
        "Deine Nachricht ist zu lang. Bitte schreib kürzer (höchstens {max} Zeichen)."
    )
    UNAVAILABLE = N_("Gerade gibt es eine Störung. Bitte versuch es gleich noch einmal.")

    # Typed words, "|"-separated; translators add their language's usual forms.
    YES_WORDS = NC_("@words:yes", "ja|jo|jep|ok|okay|klar|gerne")
    NO_WORDS = NC_("@words:no", "nein|nö|ne|nee|no")
    SKIP_WORDS = NC_("@words:skip", "überspringen|weiter|keine angabe|-")
