"""Alembic's migrations build exactly the schema the ORM maps, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from hearings.adapters.database import Database
from hearings.adapters.migrate import upgrade
from hearings.adapters.orm import metadata


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/migrated.sqlite3"
    url: str = request.getfixturevalue("postgres_url")
    db = Database(url)

    async def reset() -> None:
        await db.drop_all()
        async with db.engine.begin() as conn:
            await conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
        await db.dispose()

    asyncio.run(reset())
    return url


def test_migrations_match_the_mapped_schema(empty_database_url: str) -> None:
    upgrade(empty_database_url)
    upgrade(empty_database_url)  # idempotent

    async def diff() -> list[object]:
        db = Database(empty_database_url)
        try:
            async with db.engine.connect() as conn:
                return await conn.run_sync(
                    lambda sync: compare_metadata(
                        MigrationContext.configure(sync, opts={"compare_type": False}), metadata))
        finally:
            await db.dispose()

    assert asyncio.run(diff()) == []
