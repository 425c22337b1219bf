"""Property-based tests from the OpenAPI spec (schemathesis) on a seeded database, SQLite and
PostgreSQL, with valid and with schema-violating requests, and every check schemathesis has:
no server error; documented status codes, content types, headers and schemas; invalid input
refused; undeclared methods 405 with a true `Allow`; authentication not ignored. Authentication
is applied (gfs, servicestelle and admin tokens); without it everything is 401.

`positive_data_acceptance` holds too: a schema-valid request is accepted, or refused with a
status that says why the data could not be judged by its shape — 401/403 (not allowed, a wrong
current password), 404 (a reference to nothing there, or to another Bündnis' object), 409 (a
conflict: a code taken, a role and scope that do not fit, a month not over yet). Three
operations also answer 422 to valid shapes, as their descriptions say: the offer import judges
the file's rows, which no schema of a file can state, and adding or changing an offer checks
its ranges together (age_min ≤ age_max …), which no JSON schema can state either.

Bounded: a few examples per operation, derandomised, so the run is repeatable."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS as REGISTERED
from schemathesis.checks import load_all_checks
from schemathesis.config import SchemathesisConfig
from schemathesis.python.asgi import shutdown_lifespans
from sqlalchemy.pool import NullPool

from admin_api.app import create_app
from admin_api.deps import AuthConfig
from store.db import make_engine, sessions
from store.migrate import upgrade
from tests.admin_seed import Seed, seed, survey_config
from tests.conftest import drop_pg_database, new_pg_database, require_postgres

load_all_checks()
CHECKS = REGISTERED.get_all()
ACCEPTED = ["2xx", "401", "403", "404", "409", "429"]
CONFIG = SchemathesisConfig.from_dict(
    {
        "checks": {"positive_data_acceptance": {"expected-statuses": ACCEPTED}},
        "operations": [
            {
                "include-name": name,
                "checks": {"positive_data_acceptance": {"expected-statuses": [*ACCEPTED, "422"]}},
            }
            for name in (
                "POST /api/v1/offers/import",
                "POST /api/v1/offers",
                "PATCH /api/v1/offers/{offer_id}",
            )
        ],
    }
)


async def _seed(url: str) -> Seed:
    engine = make_engine(url, poolclass=NullPool)
    try:
        return await seed(sessions(engine))
    finally:
        await engine.dispose()


# PostgreSQL only: it enforces every column length, so a contract gap shows as a server error
# there (SQLite would store the value); once is enough for a contract, and it halves the time.
@pytest.fixture(scope="module", params=[pytest.param("postgres", marks=pytest.mark.postgres)])
def seeded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Any, Seed]]:
    name = None
    if request.param == "sqlite":
        path: Path = tmp_path_factory.mktemp("schemathesis") / "api.db"
        url = f"sqlite+aiosqlite:///{path}"
    else:
        require_postgres(request)
        name, url = new_pg_database()
    upgrade(url)
    data = asyncio.run(_seed(url))
    # The ASGI client runs the app on an event loop of its own: the engine's pooled connections
    # belong to that loop, so they are closed there, when the app's lifespan ends (schemathesis
    # ends it after each test; the pool starts again with the next request).
    engine = make_engine(url)
    # thousands of requests from one address in seconds: the pace (tested on its own in
    # test_admin_limits.py) would answer most of them 429 instead of what is being checked
    unpaced = AuthConfig(
        ip_max_failures=10_000, pace_per_credential=1_000_000, pace_per_address=1_000_000
    )
    app = create_app(engine, sessions(engine), unpaced, survey_config())

    @contextlib.asynccontextmanager
    async def lifespan(_app: object) -> AsyncIterator[None]:
        yield
        await engine.dispose()

    app.router.lifespan_context = lifespan
    yield app, data
    shutdown_lifespans()
    if name:
        drop_pg_database(name)


SETTINGS = settings(
    max_examples=8,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.explicit, Phase.generate],
)


PARTS = 3  # every operation is in one part: shorter tests, which parallel workers share better


@pytest.mark.parametrize("part", range(PARTS))
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_api_conforms_to_its_schema(
    seeded: tuple[Any, Seed], mode: GenerationMode, part: int
) -> None:
    app, data = seeded
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=CONFIG)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 25
    assert len(CHECKS) >= 12
    failures: list[str] = []
    for operation in operations[part::PARTS]:

        @SETTINGS
        @given(case=operation.as_strategy(generation_mode=mode))
        def run(case: Any) -> None:
            for role in ("gfs", "servicestelle", "admin"):  # admin last: widest changes
                case.call_and_validate(
                    headers={"Authorization": f"Bearer {data.token[role]}"}, checks=CHECKS
                )

        try:
            run()
        except Unsatisfiable:  # nothing to violate (no parameters, no body): nothing to send
            assert mode is GenerationMode.NEGATIVE, operation.label
        except (Exception, BaseExceptionGroup) as e:  # collected: one run reports them all
            failures.append(f"{operation.label}: {type(e).__name__}: {str(e)[:1500]}")
    assert not failures, "\n\n".join(failures)


def test_api_conforms_in_sequences_of_calls(seeded: tuple[Any, Seed]) -> None:
    """The stateful phase: calls chained by the links schemathesis finds (an id created by
    one call is read, changed and deleted by the next), as the admin, with the same checks."""
    app, data = seeded
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=CONFIG)
    headers = {"Authorization": f"Bearer {data.token['admin']}"}
    made: list[str] = []

    class Calls(schema.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            made.append(f"{case.method} {case.path}")
            return {"headers": headers}

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            case.validate_response(response, checks=CHECKS, headers=headers)

    Calls.run(
        settings=settings(
            max_examples=15,
            stateful_step_count=6,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
            phases=[Phase.generate],
        )
    )
    assert len(made) >= 30, made
    assert len(set(made)) >= 10, sorted(set(made))  # not one call over and over
