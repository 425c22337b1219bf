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
    CHANGE_LANGUAGE = N_("Sprache ändern")
    HELP = N_(
        "Ich bin Wegweiser. Ich stelle dir kurze Fragen und zeige dir Hilfe in deiner Nähe.\n"
        "Alles ist freiwillig. Befehle: /start neu beginnen, /language Sprache ändern, "
        "/help Hilfe."
    )
    UNKNOWN_COMMAND = N_("Diesen Befehl kenne ich nicht. Schreib /help für eine Liste.")
    UNSUPPORTED = N_("Ich kann nur Text und Knöpfe lesen. Bitte antworte mit Text.")
    START_HINT = N_("Schreib /start, um zu beginnen.")
    FINISHED = N_("Du bist fertig. Danke! Schreib /start, um neu zu beginnen.")
    NEXT_FLOW = N_(
        "Möchtest du jetzt Hilfe in deiner Nähe finden? Ich zeige dir passende Angebote."
    )
    NEXT_FLOW_YES = N_("Ja, Hilfe finden")
    START_AGAIN = N_("Neu beginnen")
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
    NUMBER_HINT_FROM = N_("Bitte schreib eine Zahl ab {min}.")
    NUMBER_HINT_UP_TO = N_("Bitte schreib eine Zahl bis {max}.")
    NUMBER_HINT_ANY = N_("Bitte schreib eine Zahl.")
    TEXT_HINT = N_("Bitte schreib kurz (höchstens {max} Zeichen).")
    NOT_UNDERSTOOD = N_("Das habe ich nicht verstanden. Bitte nutze die Knöpfe.")
    DID_YOU_MEAN = N_("Meinst du: {answer}?")
    NO_OTHER = N_("Nein, etwas anderes")
    NOT_A_NUMBER = N_("Bitte schreib nur eine Zahl.")
    OUT_OF_RANGE = N_("Die Zahl muss zwischen {min} und {max} liegen.")
    TOO_SMALL = N_("Die Zahl muss mindestens {min} sein.")
    TOO_BIG = N_("Die Zahl darf höchstens {max} sein.")
    CONSTRAINT = N_("Diese Antwort passt hier nicht. Bitte versuch es noch einmal.")
    TEXT_TOO_LONG = N_("Das ist zu lang. Bitte höchstens {max} Zeichen.")
    MESSAGE_TOO_LONG = N_(
        "Deine Nachricht ist zu lang. Bitte schreib kürzer (höchstens {max} Zeichen)."
    )
    UNAVAILABLE = N_("Gerade gibt es eine Störung. Bitte versuch es gleich noch einmal.")
    CONTINUE = N_("Weiter")
    BACK = N_("Zurück")
    NO_BACK = N_("Das ist die erste Frage. Davor gibt es nichts.")
    EARLIER_ANSWER = N_("Deine Antwort vorher: {answer}")
    KEEP = N_("✓ {answer}")
    CONFIRM_RESTART = N_("Alles löschen und neu anfangen?")
    RESTART_YES = N_("Ja, neu anfangen")
    CONFIRM_DELETE = N_(
        "Alles über dich löschen? Offene Anfragen bei einer Servicestelle werden zurückgezogen."
    )
    DELETE_YES = N_("Ja, alles löschen")
    CONFIRM_END = N_("Dann lösche ich deine Antworten. Wirklich beenden?")
    END_YES = N_("Ja, beenden")
    CONFIRM_NO = N_("Nein, weitermachen")
    NOTHING_DELETED = N_("Gut. Nichts wurde gelöscht.")

    # Typed words, "|"-separated; translators add their language's usual forms.
    YES_WORDS = NC_("@words:yes", "ja|jo|jep|ok|okay|klar|gerne")
    NO_WORDS = NC_("@words:no", "nein|nö|ne|nee|no")
    SKIP_WORDS = NC_("@words:skip", "überspringen|weiter|keine angabe|-")
    BACK_WORDS = NC_("@words:back", "zurück|zurueck|zurük|back")


class PM:
    """About the person's own data: /mydata, /delete, /stop, /help."""

    MYDATA_INTRO = N_("Das habe ich über dich gespeichert:")
    MYDATA_LANGUAGE = N_("Sprache: {language}")
    MYDATA_NO_LANGUAGE = N_("Sprache: noch nicht gewählt")
    MYDATA_QUESTION = N_("Aktuelle Frage: {question}")
    MYDATA_NO_QUESTION = N_("Aktuelle Frage: keine")
    MYDATA_ANSWERS = N_("Deine Antworten bis jetzt:")
    MYDATA_NO_ANSWERS = N_("Antworten: keine")
    MYDATA_SOURCE = N_("Du bist gekommen über: {source}")
    MYDATA_NO_SOURCE = N_("Woher du kommst: weiß ich nicht")
    MYDATA_INVITATIONS_ON = N_("Einladungen: ja")
    MYDATA_INVITATIONS_OFF = N_("Einladungen: nein")
    MYDATA_ANONYMOUS = N_(
        "Fertige Fragebögen speichere ich ohne deinen Namen. Sie gehören nicht mehr zu dir."
    )
    MYDATA_HOW_TO_DELETE = N_("Mit /delete löschst du alles.")
    DELETED = N_("Ich habe alles über dich gelöscht. Schreib /start, wenn du neu beginnen willst.")
    STOPPED = N_(
        "Gut. Ich schicke dir keine Einladungen mehr. Du kannst mir trotzdem immer schreiben."
    )
    DATA_HELP = N_(
        "Deine Daten: /mydata zeigt, was ich speichere. /delete löscht alles. "
        "/stop: keine Einladungen mehr."
    )
