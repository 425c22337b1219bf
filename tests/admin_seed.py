"""A seeded tenancy for admin API tests: Bündnis A (own) and B (foreign), each with a Gemeinde,
Servicestellen and an offer; one account and one token per role."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from admin_api.app import create_app
from admin_api.deps import AuthConfig
from admin_api.security import create_token, hash_password
from entries.points import Links
from store.db import make_engine, sessions
from store.models import (
    AuditEntry,
    Buendnis,
    Conversation,
    EntryPoint,
    Gemeinde,
    Offer,
    Referral,
    ReferralEvent,
    Servicestelle,
    StaffUser,
    SurveyWave,
)
from surveys.service import SurveyConfig

PASSWORD = "correct horse battery staple"


@dataclass
class Seed:
    buendnis: dict[str, int] = field(default_factory=dict)  # "A", "B"
    gemeinde: dict[str, int] = field(default_factory=dict)
    stelle: dict[str, int] = field(default_factory=dict)  # "A" (own), "A2" (sibling), "B"
    offer: dict[str, int] = field(default_factory=dict)
    user: dict[str, int] = field(default_factory=dict)  # admin, gfs, gfs_b, servicestelle, ss_b
    token: dict[str, str] = field(default_factory=dict)  # role -> plain bearer token
    token_id: dict[str, int] = field(default_factory=dict)
    email: dict[str, str] = field(default_factory=dict)
    referral: dict[str, int] = field(default_factory=dict)  # per Servicestelle key: "A", "A2", "B"
    wave: dict[str, int] = field(default_factory=dict)  # an open survey wave per Bündnis


GOAL = "Ausbildung als Koch in Moers"  # a shared answer: personal data in the tests


def shared_answers(gemeinde_id: int, needs: tuple[str, ...] = ("sprache", "arbeit")) -> dict:
    """`referral.shared` as referrals/effects.py writes it (German texts, role, raw value)."""
    return {
        "answers": [
            {
                "item": "gemeinde",
                "role": "gemeinde",
                "question": "Stadt",
                "answer": "Gemeinde",
                "value": f"g{gemeinde_id}",
            },
            {
                "item": "needs",
                "role": "needs",
                "question": "Hilfe bei",
                "answer": ", ".join(needs),
                "value": list(needs),
            },
            {"item": "goal", "role": None, "question": "Ziel", "answer": GOAL, "value": GOAL},
        ]
    }


async def add_wave(s: AsyncSession, buendnis_id: int, *, status: str = "draft") -> SurveyWave:
    """A wave of the survey flow with its start code (as surveys.waves.create makes it)."""
    wave = SurveyWave(
        buendnis_id=buendnis_id,
        flow_id="befragung-lebenslage",
        flow_version="seed",
        title="Testwelle",
        status=status,
    )
    s.add(wave)
    await s.flush()
    code = f"welle-{secrets.token_hex(4)}"
    s.add(EntryPoint(code=code, buendnis_id=buendnis_id, flow_id=wave.flow_id, wave_id=wave.id))
    await s.flush()
    return wave


async def add_referral(
    s: AsyncSession,
    buendnis_id: int,
    servicestelle_id: int,
    gemeinde_id: int,
    *,
    status: str = "new",
    needs: tuple[str, ...] = ("sprache", "arbeit"),
    reachable: bool = True,
) -> Referral:
    """A consented referral with a web-chat conversation the relay can reach."""
    conv_id = None
    if reachable:
        conv = Conversation(
            pseudonym=secrets.token_hex(16), channel="web", address="a1", locale="ar"
        )
        s.add(conv)
        await s.flush()
        conv_id = conv.id
    ref = Referral(
        buendnis_id=buendnis_id,
        servicestelle_id=servicestelle_id,
        conversation_id=conv_id,
        status=status,
        locale="ar",
        shared=shared_answers(gemeinde_id, needs),
        contact_via="phone",
        contact_value="0151 2345678",
    )
    s.add(ref)
    await s.flush()
    s.add(
        ReferralEvent(
            referral_id=ref.id,
            kind="transition",
            actor="person",
            to_status="new",
            note="consent given",
        )
    )
    await s.flush()
    return ref


async def seed(factory: async_sessionmaker[AsyncSession]) -> Seed:
    out = Seed()
    password_hash = hash_password(PASSWORD)
    async with factory() as s, s.begin():
        for key in ("A", "B"):
            b = Buendnis(code=f"buendnis-{key.lower()}", name=f"Bündnis {key}")
            s.add(b)
            await s.flush()
            out.buendnis[key] = b.id
            g = Gemeinde(buendnis_id=b.id, name=f"Gemeinde {key}", kreis=None)
            s.add(g)
            await s.flush()
            out.gemeinde[key] = g.id
            o = Offer(
                buendnis_id=b.id,
                title=f"Sprachkurs {key}",
                provider="VHS",
                category="Sprache",
                need_areas=["Sprache"],
                keywords=["Deutsch"],
                last_checked=dt.date(2020, 1, 1),
            )
            s.add(o)
            await s.flush()
            out.offer[key] = o.id
        for key, b in (("A", "A"), ("A2", "A"), ("B", "B")):
            st = Servicestelle(buendnis_id=out.buendnis[b], name=f"Servicestelle {key}")
            s.add(st)
            await s.flush()
            out.stelle[key] = st.id
        for key, b in (("A", "A"), ("A2", "A"), ("B", "B")):
            ref = await add_referral(s, out.buendnis[b], out.stelle[key], out.gemeinde[b])
            out.referral[key] = ref.id
        for key in ("A", "B"):
            out.wave[key] = (await add_wave(s, out.buendnis[key], status="open")).id
        accounts = {
            "admin": ("admin", None, None),
            "gfs": ("gfs", out.buendnis["A"], None),
            "gfs_b": ("gfs", out.buendnis["B"], None),
            "servicestelle": ("servicestelle", out.buendnis["A"], out.stelle["A"]),
            "ss_b": ("servicestelle", out.buendnis["B"], out.stelle["B"]),
        }
        for name, (role, b_id, st_id) in accounts.items():
            email = f"{name}@example.org"
            u = StaffUser(
                email=email,
                password_hash=password_hash,
                role=role,
                buendnis_id=b_id,
                servicestelle_id=st_id,
            )
            s.add(u)
            await s.flush()
            out.user[name] = u.id
            out.email[name] = email
            token, plain = await create_token(s, u, expires_days=30, label="tests")
            out.token[name] = plain
            out.token_id[name] = token.id
    return out


async def audit_count(factory: async_sessionmaker[AsyncSession]) -> int:
    async with factory() as s:
        return await s.scalar(select(func.count()).select_from(AuditEntry)) or 0


async def audit_entries(factory: async_sessionmaker[AsyncSession]) -> list[AuditEntry]:
    async with factory() as s:
        return list(await s.scalars(select(AuditEntry).order_by(AuditEntry.id)))


@dataclass
class Api:
    client: httpx.AsyncClient
    sessions: async_sessionmaker[AsyncSession]
    seed: Seed

    def auth(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.seed.token[role]}"} if role != "anon" else {}


def make_client(app: object) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)  # type: ignore[arg-type]
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


SECRET = b"t" * 40


def survey_config() -> SurveyConfig:
    """The project's flows and a fixed secret, as `wegweiser serve` would pass them."""
    from base.settings import Settings
    from dialogs.registry import load_registry

    return SurveyConfig(load_registry(Settings.model_fields["flows_dir"].default), SECRET, "de")


def build(db_url: str, config: AuthConfig | None = None) -> tuple[object, object]:
    engine = make_engine(db_url)
    links = Links("WegweiserTestBot", "https://wegweiser.example")
    return engine, create_app(engine, sessions(engine), config, survey_config(), links)
