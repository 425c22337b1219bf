"""Messages around the Erstberatung's flow items: offer lists, the consent screen, referral
notices, replies to a Servicestelle. (What the flow itself says is in its YAML; help after a
danger message is in care_messages.py.)

German source texts in einfache Sprache, one idea each; never a promise of faster or special
treatment. Offer titles, addresses and names are plain `str` parameters (shown as they are).
"""

from __future__ import annotations

from typing import ClassVar

from dialogs.io import Msg
from dialogs.messages import N_, NC_, NP_


class IM:
    # ---- offers
    OFFERS_AREA = N_("Thema: {area} ({page} von {pages})")
    OFFERS_AREA_NONE = N_("Für dieses Thema habe ich hier leider noch kein Angebot gefunden.")
    OFFERS_ASK = N_("Vielleicht geht das nicht für deinen Aufenthalt. Die Stelle sagt es dir.")
    OFFERS_NONE = N_("Ich habe leider keine Angebote gefunden.")
    OFFER_IN_TOWN = N_("{title} – in {town}")
    IN_GERMAN = N_("(auf Deutsch)")
    NEXT_AREA = N_("Nächstes Thema")
    PREVIOUS_AREA = N_("Thema davor")
    BACK_TO_LIST = N_("Zurück zur Liste")
    DETAILS_TITLE = N_("{title} – {provider}")
    DETAILS_ADDRESS = N_("Adresse: {value}")
    DETAILS_CONTACT = N_("Kontakt: {value}")
    DETAILS_HOURS = N_("Öffnungszeiten: {value}")
    DETAILS_LANGUAGES = N_("Sprachen: {value}")
    DETAILS_BRING = N_("Bitte mitbringen: {value}")
    DETAILS_COST = N_("Kosten: {value}")
    DETAILS_IN_TOWN = N_("{value} (in {town})")
    DETAILS_DIRECTIONS = N_("Anfahrt: {value}")
    DETAILS_GERMAN_FROM = N_("Deutsch: ab {level}")
    DETAILS_GERMAN_UP_TO = N_("Deutsch: bis {level}")
    DETAILS_GERMAN_RANGE = N_("Deutsch: {lo} bis {hi}")
    OFFER_GONE = N_("Dieses Angebot gibt es nicht mehr.")

    # ---- contact preference
    VIA_BOT = N_("Hier im Chat (ohne Telefonnummer)")
    BAD_PHONE = N_(
        "Das sieht nicht wie eine Telefonnummer aus. Bitte nur Ziffern, + und Leerzeichen."
    )
    BAD_EMAIL = N_("Das sieht nicht wie eine E-Mail-Adresse aus. Beispiel: name@beispiel.de")
    CONTACT_BUTTONS = N_("Bitte nutze die Knöpfe.")

    # ---- consent
    CONSENT_LINE = N_("{question} – {answer}")
    CONSENT_FIELDS = N_("Das sind deine Antworten zu: {fields}")
    CONSENT_MORE = N_("Alle Antworten zeigen")
    CONSENT_CONTACT = N_("So erreicht sie dich: {value}")
    CONSENT_KEEP = NP_(
        "Die Servicestelle bekommt nur diese Angaben. "
        "Sie werden {n} Tag nach dem Ende deiner Anfrage gelöscht.",
        "Die Servicestelle bekommt nur diese Angaben. "
        "Sie werden {n} Tage nach dem Ende deiner Anfrage gelöscht.",
    )
    CONSENT_QUESTION = N_("Bist du einverstanden?")

    # ---- lifecycle notices (from referrals/lifecycle.py)
    NOTE_IN_REVIEW = N_("{servicestelle} hat deine Anfrage gelesen und meldet sich bei dir.")
    NOTE_APPOINTMENT = N_("Du hast einen Termin bei {servicestelle}: {when}")
    NOTE_HANDED_ON = N_("{servicestelle} hat dich an {organisation} weitergeleitet.")
    NOTE_CLOSED = N_("Deine Anfrage bei {servicestelle} ist abgeschlossen.")
    NOTE_DECLINED = N_(
        "{servicestelle} kann deine Anfrage nicht übernehmen. Grund: {reason}\n"
        "Bitte wende dich an: {contact}"
    )
    RELAY = N_("Nachricht von {servicestelle}:\n{text}")
    REPLY = N_("Antworten")
    REPLY_ASK = N_("Schreib jetzt deine Antwort an {servicestelle}.")
    REPLY_SENT = N_("Deine Antwort ist bei {servicestelle}.")
    REPLY_CLOSED = N_("Diese Anfrage ist nicht mehr offen.")

    # ---- after the end: how far a referral is
    STATUS_LINE = N_("Deine Anfrage bei {servicestelle}: {status}")
    STATUS_BY_BOT = N_("Sie schreibt dir hier im Chat, meistens bis {by}.")
    STATUS_BY_PHONE = N_("Sie ruft dich an, meistens bis {by}.")
    STATUS_BY_EMAIL = N_("Sie schreibt dir eine E-Mail, meistens bis {by}.")
    STATUS_LATE = N_("Noch nichts gehört? Ruf dort an: {contact}")
    STATUS_ASK = N_("Fragen? Ruf dort an: {contact}. Oder schreib ihr hier eine Nachricht.")
    WRITE_TO = N_("Nachricht schreiben")

    # ---- /mydata
    MYDATA_REFERRAL = N_("Anfrage bei {servicestelle} (Stand: {status}, seit {date}):")

    # referral status words, as the person reads them in /mydata
    STATUS: ClassVar[dict[str, Msg]] = {
        "new": NC_("referral-status", "neu"),
        "in_review": NC_("referral-status", "wird gelesen"),
        "contacted": NC_("referral-status", "Kontakt aufgenommen"),
        "appointment": NC_("referral-status", "Termin"),
        "handed_on": NC_("referral-status", "weitergeleitet"),
        "closed": NC_("referral-status", "abgeschlossen"),
        "withdrawn": NC_("referral-status", "zurückgezogen"),
        "declined": NC_("referral-status", "abgelehnt"),
    }
