"""What a person reads after a danger message: acknowledgement, help lines, the urgent contact,
a pause. German source texts in einfache Sprache, warm and short; never a promise the help
lines or the Servicestelle cannot keep. Names and numbers are plain parameters."""

from __future__ import annotations

from typing import ClassVar

from dialogs.io import Msg
from dialogs.messages import N_, NC_


class HM:
    # ---- first the person, then the numbers (one acknowledgement per category)
    ACK: ClassVar[dict[str, Msg]] = {
        "emergency": N_("Das klingt nach einem Notfall. Bitte ruf sofort an:"),
        "self_harm": N_(
            "Das klingt sehr schwer. Danke, dass du es mir schreibst. Du bist nicht allein. "
            "Hier hören dir Menschen zu:"
        ),
        "home_violence": N_(
            "Das klingt ernst. Gewalt ist nie in Ordnung, und du bist nicht schuld. "
            "Du bist nicht allein. Hier bekommst du Hilfe:"
        ),
        "sexual_violence": N_(
            "Das klingt sehr ernst. Du bist nicht schuld an dem, was passiert ist. "
            "Du bist nicht allein. Hier bekommst du Hilfe:"
        ),
        "threat": N_(
            "Das klingt ernst. Du hast ein Recht auf Schutz. Du bist nicht allein. "
            "Hier bekommst du Hilfe:"
        ),
    }
    LINE = N_("• {name}: {number}. {what}")
    IN_YOUR_LANGUAGE = N_("Auch in deiner Sprache.")
    JUGENDAMT = N_(
        "• Jugendamt, {name}: {contact}. Es hilft sofort, wenn du zu Hause nicht sicher bist."
    )
    JUGENDAMT_ANYWHERE = N_(
        "• Das Jugendamt deiner Stadt hilft sofort, wenn du zu Hause nicht sicher bist. "
        "Nachts hilft dir die Polizei (110) weiter."
    )
    U16 = N_(
        "Du bist unter 16. Darum gebe ich nichts an eine Servicestelle weiter. "
        "Das Jugendamt und die Nummer gegen Kummer helfen dir direkt."
    )
    URGENT_OFFER = N_(
        "Wenn du möchtest, meldet sich {servicestelle} bald hier im Chat bei dir. "
        "Drück dafür auf „Bitte meldet euch bei mir“."
    )
    GO_ON = N_(
        "Du kannst hier weiterschreiben. Wenn du magst, machen wir danach mit den Fragen weiter. "
        "Du kannst auch eine Pause machen."
    )
    AFTER_END = N_("Du kannst mir jederzeit schreiben. Mit /start fängst du neu an.")
    LISTEN = N_(
        "Ich lese mit. Ich bin nur ein Programm und kann nicht wie ein Mensch antworten. "
        "Bei den Nummern oben hört dir ein Mensch zu."
    )

    # ---- buttons under the question while the help is on screen
    PAUSE = N_("Pause")
    PAUSED = N_("Gut, wir machen Pause. Ich bin da. Schreib mir, wenn du weitermachen willst.")
    BACK_AGAIN = N_("Schön, dass du wieder da bist. Hier ist die Frage von vorhin.")
    URGENT = N_("Bitte meldet euch bei mir")

    # ---- the urgent contact: only with consent, never for under 16s
    ASK_16 = N_("Bist du 16 oder älter?")
    YES_16 = N_("Ja, 16 oder älter")
    NO_16 = N_("Nein, jünger")
    CONSENT = N_("Das geht an {servicestelle}, damit sie sich bald bei dir meldet:")
    CONSENT_TOPIC = N_("Dringend: {topic}")
    CONSENT_LANGUAGE = N_("Sprache: {language}")
    CONSENT_VIA_CHAT = N_("So erreicht sie dich: hier im Chat")
    CONSENT_OPEN = N_(
        "Du hast schon eine Anfrage bei {servicestelle}. Soll ich dort sagen, dass es jetzt "
        "dringend ist ({topic})? Sie meldet sich dann hier im Chat."
    )
    CONSENT_NO_TEXT = N_("Was du geschrieben hast, gebe ich nicht weiter.")
    FIELD_TOPIC = N_("Anliegen")  # the urgent referral's one field, as the Servicestelle reads it
    YES = N_("Ja, bitte melden")
    NO = N_("Nein, lieber nicht")
    SENT = N_(
        "Danke. {servicestelle} weiß jetzt, dass es dringend ist, und meldet sich hier im Chat, "
        "so bald es geht. Wenn du in Gefahr bist: 110 oder 112."
    )
    FAILED = N_("Das hat leider nicht geklappt. Bitte ruf eine der Nummern oben an.")
    NOT_SENT = N_("Gut. Ich habe nichts weitergegeben.")
    NO_STELLE = N_(
        "Für deine Stadt kenne ich leider noch keine Servicestelle. "
        "Bitte ruf eine der Nummern oben an."
    )

    # what the danger is about, as the consent screen names it
    TOPIC: ClassVar[dict[str, Msg]] = {
        "emergency": NC_("danger-topic", "ein Notfall"),
        "self_harm": NC_("danger-topic", "Gedanken, mir etwas anzutun"),
        "home_violence": NC_("danger-topic", "Gewalt zu Hause"),
        "sexual_violence": NC_("danger-topic", "sexuelle Gewalt"),
        "threat": NC_("danger-topic", "Bedrohung oder Gewalt"),
    }
