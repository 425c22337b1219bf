"""Messages of the Erstberatung after its questions: offers, referral, consent, safety.

German source texts in einfache Sprache, one idea each; never a promise of faster or special
treatment. Offer titles, addresses and names are plain `str` parameters (shown as they are).
"""

from __future__ import annotations

from typing import ClassVar

from dialogs.io import Msg
from dialogs.messages import N_, NC_, NP_


class IM:
    # ---- offers
    OFFERS_INTRO = N_(
        "Hier sind Angebote, die vielleicht für dich passen. "
        "Die Servicestelle prüft die Einzelheiten mit dir."
    )
    OFFERS_AREA = N_("Thema: {area} ({page} von {pages})")
    OFFERS_AREA_NONE = N_("Für dieses Thema habe ich hier leider noch kein Angebot gefunden.")
    OFFERS_ASK = N_("Vielleicht geht das nicht für deinen Aufenthalt. Die Stelle sagt es dir.")
    OFFERS_NONE = N_("Ich habe leider keine Angebote gefunden.")
    NEXT_AREA = N_("Nächstes Thema")
    PREVIOUS_AREA = N_("Thema davor")
    BACK = N_("Zurück")
    DETAILS_TITLE = N_("{title} – {provider}")
    DETAILS_ADDRESS = N_("Adresse: {value}")
    DETAILS_CONTACT = N_("Kontakt: {value}")
    DETAILS_HOURS = N_("Öffnungszeiten: {value}")
    DETAILS_LANGUAGES = N_("Sprachen: {value}")
    DETAILS_BRING = N_("Bitte mitbringen: {value}")
    DETAILS_COST = N_("Kosten: {value}")
    DETAILS_CHECK = N_("Das ist vielleicht für dich. Die Servicestelle prüft die Einzelheiten.")
    OFFER_GONE = N_("Dieses Angebot gibt es nicht mehr.")

    # ---- what next
    WHAT_NEXT = N_("Möchtest du, dass eine Servicestelle sich bei dir meldet?")
    REFER_YES = N_("Ja, bitte melden")
    SHOW_OFFERS = N_("Angebote zeigen")
    FINISH = N_("Nein, fertig")
    FINISHED = N_(
        "Alles klar. Deine Antworten habe ich jetzt gelöscht. "
        "Schreib /start, wenn du wieder Fragen hast."
    )
    NO_SERVICESTELLE = N_(
        "Für deine Stadt kenne ich leider noch keine Servicestelle. "
        "Deine Antworten habe ich gelöscht."
    )
    UNDER_16 = N_(
        "Du bist unter 16. Darum kann ich dich nicht an eine Servicestelle weitergeben. "
        "Du kannst dich aber selbst dort melden:"
    )
    DIRECT_CONTACT = N_("{name}\n{address}\n{contact}")

    # ---- contact preference
    CONTACT_HOW = N_("Wie soll die Servicestelle dich erreichen?")
    VIA_BOT = N_("Hier im Chat (ohne Telefonnummer)")
    VIA_PHONE = N_("Per Telefon")
    VIA_EMAIL = N_("Per E-Mail")
    ASK_PHONE = N_("Bitte schreib deine Telefonnummer.")
    ASK_EMAIL = N_("Bitte schreib deine E-Mail-Adresse.")
    BAD_PHONE = N_(
        "Das sieht nicht wie eine Telefonnummer aus. Bitte nur Ziffern, + und Leerzeichen."
    )
    BAD_EMAIL = N_("Das sieht nicht wie eine E-Mail-Adresse aus. Beispiel: name@beispiel.de")
    CONTACT_BUTTONS = N_("Bitte nutze die Knöpfe.")

    # ---- consent
    CONSENT_HEAD = N_("Diese Angaben gehen an: {servicestelle}")
    CONSENT_LINE = N_("{question} – {answer}")
    CONSENT_CONTACT = N_("So erreicht sie dich: {value}")
    CONSENT_KEEP = NP_(
        "Die Servicestelle bekommt nur diese Angaben. "
        "Sie werden {n} Tag nach dem Ende deiner Anfrage gelöscht.",
        "Die Servicestelle bekommt nur diese Angaben. "
        "Sie werden {n} Tage nach dem Ende deiner Anfrage gelöscht.",
    )
    CONSENT_WITHDRAW = N_(
        "Du kannst jederzeit /delete schreiben. Dann werden deine Angaben sofort gelöscht."
    )
    CONSENT_QUESTION = N_("Bist du einverstanden?")
    CONSENT_YES = N_("Ja, ich bin einverstanden")
    CONSENT_NO = N_("Nein")
    CONSENT_REFUSED = N_("Okay. Es wurde nichts weitergegeben. Deine Antworten habe ich gelöscht.")
    REFERRAL_SENT = N_(
        "Danke. Deine Anfrage ist bei {servicestelle}. Die Servicestelle meldet sich bei dir."
    )
    ALREADY_OPEN = N_("Du hast schon eine offene Anfrage bei {servicestelle}.")

    # ---- lifecycle notices (from store/referrals.py)
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

    # ---- /mydata, /delete
    MYDATA_NONE = N_("Über dich ist nichts gespeichert außer diesem Chat.")
    MYDATA_CHAT = N_("Dieser Chat: deine Sprache und die Frage, bei der du bist.")
    MYDATA_INTAKE = N_("Deine Antworten aus der Erstberatung (noch nicht weitergegeben).")
    MYDATA_REFERRAL = N_("Anfrage bei {servicestelle} (Stand: {status}, seit {date}):")

    # ---- safety
    SAFETY = N_(
        "Bist du in Gefahr? Ruf sofort 112 an (kostenlos).\n"
        "Telefonseelsorge, Tag und Nacht: 0800 111 0 111 oder 0800 111 0 222.\n"
        "Hilfetelefon Gewalt gegen Frauen: 116 016.\n"
        "Du kannst danach hier weiterschreiben."
    )

    # short names of the Erstberatung questions, for the consent screen and /mydata
    FIELDS: ClassVar[dict[str, Msg]] = {
        "gemeinde": NC_("consent-field", "Stadt"),
        "age": NC_("consent-field", "Alter"),
        "status": NC_("consent-field", "Aufenthalt"),
        "languages": NC_("consent-field", "Sprachen"),
        "german": NC_("consent-field", "Deutsch"),
        "interpreter": NC_("consent-field", "Übersetzung nötig"),
        "needs": NC_("consent-field", "Hilfe bei"),
        "sprache_course": NC_("consent-field", "Deutschkurs"),
        "sprache_level": NC_("consent-field", "Deutsch-Niveau"),
        "schule_goal": NC_("consent-field", "Schulabschluss (Ziel)"),
        "schule_abroad": NC_("consent-field", "Schulabschluss im Herkunftsland"),
        "ausbildung_kind": NC_("consent-field", "Ausbildung oder Studium"),
        "arbeit_permit": NC_("consent-field", "Arbeit erlaubt"),
        "arbeit_now": NC_("consent-field", "Arbeit jetzt"),
        "beratung_first": NC_("consent-field", "Schon bei einer Beratung"),
        "aufenthalt_topic": NC_("consent-field", "Frage zum Aufenthalt"),
        "wohnen_now": NC_("consent-field", "Wohnen jetzt"),
        "gesundheit_topic": NC_("consent-field", "Gesundheit"),
        "familie_children": NC_("consent-field", "Kinder"),
        "familie_care": NC_("consent-field", "Platz in Kita oder Schule gesucht"),
        "geld_topic": NC_("consent-field", "Geld"),
        "freizeit_topic": NC_("consent-field", "Freizeit"),
        "mobilitaet_topic": NC_("consent-field", "Mobilität"),
        "helpers": NC_("consent-field", "Hilft schon"),
        "goal": NC_("consent-field", "Dein Ziel"),
    }

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
