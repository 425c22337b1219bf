"""SQLAlchemy models, grouped by the three data spaces of the privacy model (DESIGN.md).

(a) conversation state — keyed by a channel pseudonym; expires after inactivity.
(b) survey responses — random id, flow version, submission *date*, answer codes (packed
    into one row per response); no pseudonym and no foreign key into (a).
(c) referrals — personal data, only after consent; deleted on withdrawal and after retention.

One module per group (`catalogue`, `conversations`, `surveys`, `referrals`, `aggregates`,
`staff`); importing this package registers every table on `Base.metadata` (Alembic's env does).
"""

from __future__ import annotations

from store.models.aggregates import IntakeNeedCount, OfferGap, SafetyCount
from store.models.base import NAMING, Base, today, utcnow
from store.models.catalogue import (
    AccessOverride,
    Buendnis,
    EntryPoint,
    Gemeinde,
    Offer,
    OfferText,
    Servicestelle,
)
from store.models.conversations import Conversation, InboundSeen, OutboxMessage
from store.models.referrals import Referral, ReferralEvent
from store.models.staff import ApiToken, AuditEntry, StaffSession, StaffUser
from store.models.surveys import (
    ParticipationMarker,
    SurveyCode,
    SurveyDropout,
    SurveyLayout,
    SurveyResponse,
    SurveyTextAnswer,
    SurveyWave,
)

__all__ = [
    "NAMING",
    "AccessOverride",
    "ApiToken",
    "AuditEntry",
    "Base",
    "Buendnis",
    "Conversation",
    "EntryPoint",
    "Gemeinde",
    "InboundSeen",
    "IntakeNeedCount",
    "Offer",
    "OfferGap",
    "OfferText",
    "OutboxMessage",
    "ParticipationMarker",
    "Referral",
    "ReferralEvent",
    "SafetyCount",
    "Servicestelle",
    "StaffSession",
    "StaffUser",
    "SurveyCode",
    "SurveyDropout",
    "SurveyLayout",
    "SurveyResponse",
    "SurveyTextAnswer",
    "SurveyWave",
    "today",
    "utcnow",
]
