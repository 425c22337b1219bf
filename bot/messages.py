"""Messages of the channel layer (commands about a person's data, flood control).

German source texts in einfache Sprache; translated when the runtime renders the reply.
"""

from __future__ import annotations

from dialogs.messages import N_


class CM:
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
    SLOW_DOWN = N_("Das sind gerade sehr viele Nachrichten. Bitte warte kurz.")
