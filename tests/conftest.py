"""Fixtures shared by every test: databases (SQLite and the real PostgreSQL) and services
(wired by tests/wiring.py, as the product wires them)."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from hearings.adapters.database import Database
from tests.contract import check_answers, take_problems
from tests.wiring import AUDIT_KEY as AUDIT_KEY  # tests import the key from here
from tests.wiring import settle, wire
from web.app import runtime
from web.app.application import MIDDLEWARES
from web.app.bootstrap import Services

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
POSTGRES_ADMIN_URL = os.environ.get(
    "YUNTING_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("YUNTING_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")

runtime.install()  # as `yunting` does: no cancellation lost in asyncio.wait_for

# Every answer of the API held to its OpenAPI document (tests/contract.py); 0 turns it off.
CHECK_ANSWERS = os.environ.get("YUNTING_TEST_CHECK_ANSWERS", "1") == "1"
if CHECK_ANSWERS:
    MIDDLEWARES.insert(0, check_answers)


@pytest.fixture(autouse=True)
def answers_as_documented() -> Iterator[None]:
    take_problems()
    yield
    problems = take_problems()
    assert not problems, "answers the OpenAPI document does not describe:\n" + "\n".join(
        dict.fromkeys(problems))


def unavailable(what: str, why: str) -> None:
    """Skip on a laptop without the service; in CI a missing service is a failure."""
    if IN_CI:
        pytest.fail(f"{what} is required in CI but unavailable: {why}")
    pytest.skip(f"{what} unavailable: {why}")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh database on the real PostgreSQL server for this test session."""
    import asyncpg

    name = f"yunting_test_{secrets.token_hex(4)}"
    admin = POSTGRES_ADMIN_URL

    async def execute(sql: str) -> None:
        conn = await asyncpg.connect(admin, timeout=5)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    def run(sql: str) -> None:
        # A fresh loop on a thread of its own: this fixture may be first requested
        # from inside a running test loop.
        with ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, execute(sql)).result()

    try:
        run(f'CREATE DATABASE "{name}"')
    except (OSError, asyncpg.PostgresError) as exc:
        unavailable("PostgreSQL", str(exc))
    base = admin.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database(request: pytest.FixtureRequest, tmp_path: object) -> AsyncIterator[Database]:
    if request.param == "sqlite":
        db = Database(f"sqlite:///{tmp_path}/yunting.sqlite3")
    else:
        db = Database(request.getfixturevalue("postgres_url"))
    await db.drop_all()
    await db.create_all()
    yield db
    await settle()
    await db.drop_all()
    await db.dispose()


@pytest.fixture
async def services(database: Database) -> AsyncIterator[Services]:
    yield wire(database)
    await settle()  # a freeze begun at a close ends before the database does
