"""The login lockout under concurrency, one answer for every refusal, argon2 off the loop.

The lockout tests count verifications and hash cheaply (tests/conftest.py); the rehash and the
event-loop tests use the production argon2 parameters."""

from __future__ import annotations

import asyncio
import time

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select, update

from admin_api import security, sessions
from admin_api.security import needs_rehash
from store.models import AuditEntry, StaffSession, StaffUser
from tests.admin_seed import PASSWORD, Api

LOGIN = "/api/v1/auth/login"
MAX_FAILURES = 5  # the admin_api fixture's


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Every argon2 verification: True for a stored hash, False for the dummy."""
    seen: list[bool] = []
    real = sessions.verify_off_loop  # argon2 itself runs in a hashing process

    async def counting(password_hash: str | None, password: str) -> bool:
        seen.append(password_hash is not None)
        return await real(password_hash, password)

    monkeypatch.setattr(sessions, "verify_off_loop", counting)
    return seen


async def attempt(api: Api, email: str, password: str) -> tuple[int, dict]:
    r = await api.client.post(LOGIN, json={"email": email, "password": password})
    return r.status_code, r.json()


async def test_a_burst_of_wrong_passwords_checks_at_most_n(admin_api: Api, checks: list[bool]):
    api = admin_api
    email = api.seed.email["gfs"]
    answers = await asyncio.gather(*(attempt(api, email, f"guess {i}") for i in range(40)))
    assert {status for status, _ in answers} == {401}
    assert len({str(body) for _, body in answers}) == 1  # one answer for all of them
    assert checks.count(True) == MAX_FAILURES  # not one more password was tried
    assert len(checks) == 40  # the others were verified against the dummy: the same work
    async with api.sessions() as s:
        user = await s.get(StaffUser, api.seed.user["gfs"])
        assert user is not None and user.locked_until is not None
        locks = list(await s.scalars(select(AuditEntry).where(AuditEntry.action == "lock")))
        assert len(locks) == 1

    # locked: a burst with the right password in it checks nothing and lets nobody in
    checks.clear()
    burst = [attempt(api, email, f"guess {i}") for i in range(10)]
    burst.insert(5, attempt(api, email, PASSWORD))
    answers = await asyncio.gather(*burst)
    assert {status for status, _ in answers} == {401}
    assert checks == [False] * 11


async def test_unknown_wrong_and_locked_look_alike(admin_api: Api, checks: list[bool]):
    api = admin_api
    email = api.seed.email["servicestelle"]
    unknown = await attempt(api, "nobody@example.org", "whatever whatever")
    wrong = await attempt(api, email, "whatever whatever")
    assert checks == [False, True]
    for _ in range(MAX_FAILURES - 1):
        await attempt(api, email, "whatever whatever")
    checks.clear()
    locked = await attempt(api, email, PASSWORD)
    assert unknown == wrong == locked
    assert locked[0] == 401 and locked[1]["error"]["code"] == "invalid_credentials"
    assert checks == [False]  # one verification each time, whatever the account


async def test_an_account_disabled_while_its_password_is_checked_is_refused(
    admin_api: Api, monkeypatch: pytest.MonkeyPatch
):
    api = admin_api
    user_id = api.seed.user["gfs"]
    real = sessions.verify_off_loop

    async def disabled_meanwhile(password_hash: str | None, password: str) -> bool:
        async with api.sessions() as s, s.begin():
            await s.execute(update(StaffUser).where(StaffUser.id == user_id).values(active=False))
        return await real(password_hash, password)

    monkeypatch.setattr(sessions, "verify_off_loop", disabled_meanwhile)
    status, body = await attempt(api, api.seed.email["gfs"], PASSWORD)
    assert status == 401 and body["error"]["code"] == "invalid_credentials"
    async with api.sessions() as s:
        opened = await s.scalar(
            select(func.count()).select_from(StaffSession).where(StaffSession.user_id == user_id)
        )
        logins = await s.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "login")
        )
        user = await s.get(StaffUser, user_id)
    assert opened == 0 and logins == 0
    assert user is not None and user.failed_logins == 1  # the claim counted; nothing cleared it


@pytest.mark.usefixtures("real_argon2")  # before `admin_api`: the seed hashes for real
async def test_a_login_with_old_hash_parameters_rehashes(admin_api: Api):
    api = admin_api
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    async with api.sessions() as s, s.begin():
        await s.execute(
            update(StaffUser).where(StaffUser.id == api.seed.user["gfs"]).values(password_hash=weak)
        )
    assert needs_rehash(weak)
    assert (await attempt(api, api.seed.email["gfs"], PASSWORD))[0] == 200
    async with api.sessions() as s:
        user = await s.get(StaffUser, api.seed.user["gfs"])
        assert user is not None and user.password_hash != weak
        assert not needs_rehash(user.password_hash)
    assert (await attempt(api, api.seed.email["gfs"], PASSWORD))[0] == 200


async def test_a_right_password_below_todays_rules_logs_in_and_keeps_its_old_hash(admin_api: Api):
    api = admin_api
    short = "kurz"  # set before the rules; hashed with older parameters
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(short)
    async with api.sessions() as s, s.begin():
        await s.execute(
            update(StaffUser).where(StaffUser.id == api.seed.user["gfs"]).values(password_hash=weak)
        )
    assert (await attempt(api, api.seed.email["gfs"], short))[0] == 200
    async with api.sessions() as s:
        user = await s.get(StaffUser, api.seed.user["gfs"])
        assert user is not None and user.password_hash == weak and user.failed_logins == 0


@pytest.mark.usefixtures("real_argon2")  # before `admin_api`: the seed hashes for real
async def test_health_answers_during_a_login_burst(admin_api: Api):
    """argon2 runs in hashing processes: the event loop keeps answering meanwhile, during 20
    concurrent logins."""
    api = admin_api
    await security.hashing.warm()  # as `wegweiser serve` does at start, not during the burst
    emails = [api.seed.email[n] for n in ("admin", "gfs", "gfs_b", "servicestelle", "ss_b")]
    burst = asyncio.gather(*(attempt(api, emails[i % 5], f"wrong {i}") for i in range(20)))
    task = asyncio.ensure_future(burst)
    latencies: list[float] = []
    while not task.done():
        start = time.perf_counter()
        assert (await api.client.get("/health")).status_code == 200
        latencies.append(time.perf_counter() - start)
        await asyncio.sleep(0.01)
    assert {status for status, _ in await task} == {401}
    assert len(latencies) >= 3, latencies
    assert max(latencies) < 1.5, max(latencies)  # on the event loop it was 2-5 s; load-tolerant


async def test_a_burst_of_logins_passes_a_gate(admin_api: Api, monkeypatch: pytest.MonkeyPatch):
    """At most `HASHING_WORKERS + 1` logins claim an attempt and check a password at once; the
    rest of the burst waits at the gate, holding no database connection."""
    api = admin_api
    inside = 0
    most = 0
    real = sessions.claim_attempt

    async def counting(*args: object, **kwargs: object) -> object:
        nonlocal inside, most
        inside += 1
        most = max(most, inside)
        try:
            await asyncio.sleep(0.02)  # the whole burst has arrived by now
            return await real(*args, **kwargs)  # type: ignore[arg-type]
        finally:
            inside -= 1

    monkeypatch.setattr(sessions, "claim_attempt", counting)
    emails = [api.seed.email[n] for n in ("admin", "gfs", "gfs_b", "servicestelle", "ss_b")]
    answers = await asyncio.gather(*(attempt(api, emails[i % 5], f"wrong {i}") for i in range(12)))
    assert {status for status, _ in answers} == {401}
    assert most == security.HASHING_WORKERS + 1, most
