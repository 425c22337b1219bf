"""Action items (`kind: action`, `action: <name>`): a step the flow asks the world to take.

An action emits a typed effect and waits for its result. The result's `outcome` becomes the
item's answer (so `when:` can branch on it, e.g. `stelle == none`), and its `keys` fill the
placeholders of later texts (e.g. "Deine Anfrage ist bei {servicestelle}.").
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Action:
    outcomes: tuple[str, ...]  # the first is the one assumed when nothing answers
    keys: tuple[str, ...]  # placeholders later texts may use


ACTIONS: dict[str, Action] = {
    # The person's town is not in the list: the Bündnis' general contact, or what exists.
    "general_contact": Action(
        ("none", "buendnis"), ("places", "servicestelle", "address", "contact")
    ),
    # Who would get a referral: the Servicestelle for the person's place, needs and languages.
    "find_servicestelle": Action(
        ("none", "found", "open"),
        ("servicestelle", "address", "contact", "retention_days"),
    ),
    # Create the referral the consent screen showed (needs a consent item with a recipient);
    # `by`: the date by which the Servicestelle usually gets in touch.
    "send_referral": Action(("failed", "sent"), ("servicestelle", "address", "contact", "by")),
}
