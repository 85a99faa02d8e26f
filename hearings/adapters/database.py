"""The database: one async engine per process, SQLite by default, PostgreSQL in production."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session

from hearings.adapters import orm

__all__ = ["Database", "async_url", "ensure_sqlite_directory"]


def async_url(url: str) -> str:
    """Give a plain sqlite:// or postgresql:// URL its asyncio driver."""
    parsed = make_url(url)
    if parsed.drivername in ("sqlite", "sqlite+pysqlite"):
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    elif parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    return parsed.render_as_string(hide_password=False)


def ensure_sqlite_directory(url: str) -> None:
    """SQLite creates the file but not its folder: make the folder."""
    parsed = make_url(url)
    if parsed.drivername.startswith("sqlite") and parsed.database not in (None, "", ":memory:"):
        Path(str(parsed.database)).parent.mkdir(parents=True, exist_ok=True)


class Database:
    def __init__(self, url: str, *, echo: bool = False) -> None:
        orm.start_mappers()
        self.url = async_url(url)
        self.is_sqlite = self.url.startswith("sqlite")
        kwargs: dict[str, Any] = {"echo": echo}
        if self.is_sqlite:
            ensure_sqlite_directory(self.url)
        else:
            kwargs.update(pool_size=10, max_overflow=20, pool_pre_ping=True)
        self.engine: AsyncEngine = create_async_engine(self.url, **kwargs)
        if self.is_sqlite:
            sa.event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False,
                                           sync_session_class=_AggregateSession)
        # SQLite has a single writer: units of work take turns in this process rather
        # than failing with "database is locked". PostgreSQL needs no such lock.
        self.writer_lock: asyncio.Lock | None = asyncio.Lock() if self.is_sqlite else None

    async def create_all(self) -> None:
        async with self.engine.begin() as conn:
            await conn.run_sync(orm.metadata.create_all)

    async def drop_all(self) -> None:
        async with self.engine.begin() as conn:
            await conn.run_sync(orm.metadata.drop_all)

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(sa.text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()


class _AggregateSession(Session):
    """yunting's sessions: they keep an aggregate's version when only a member changed."""


sa.event.listen(_AggregateSession, "before_flush", orm.touch_aggregate_roots)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()
