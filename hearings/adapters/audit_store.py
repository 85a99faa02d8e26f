"""The audit log in the database: appends chained under a lock, read back for verification."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from hearings.adapters import orm
from hearings.domain.audit import GENESIS, AuditEntry, chain

__all__ = ["SqlAuditLog", "read_chain"]

# Any constant will do; it names the one lock every process takes to append.
_APPEND_LOCK = 0x79756E74


class SqlAuditLog:
    def __init__(self, session: AsyncSession, key: bytes) -> None:
        self._session = session
        self._key = key

    async def append(
        self, actor: str, action: str, hearing_id: str | None, payload: dict[str, Any]
    ) -> AuditEntry:
        if self._session.bind.dialect.name == "postgresql":
            # Serialise appenders across processes until this transaction ends; on
            # SQLite the unit of work already holds the database's single writer lock.
            await self._session.execute(sa.select(sa.func.pg_advisory_xact_lock(_APPEND_LOCK)))
        last = (await self._session.execute(
            sa.select(orm.audit_log.c.seq, orm.audit_log.c.hash)
            .order_by(orm.audit_log.c.seq.desc()).limit(1))).first()
        entry = AuditEntry(
            seq=(last.seq + 1) if last else 1,
            actor=actor,
            action=action,
            hearing_id=hearing_id,
            payload=payload,
            prev_hash=last.hash if last else GENESIS,
        )
        self._session.add(chain(entry, self._key))
        await self._session.flush()
        return entry

    async def entries(self, hearing_id: str | None = None, *,
                      actions: Collection[str] | None = None) -> list[AuditEntry]:
        """The chain in order; only `hearing_id`'s, only `actions` when given (selected in
        SQL: the access log reads a few kinds out of the whole court's history)."""
        stmt = _chain(hearing_id)
        if actions is not None:
            stmt = stmt.where(orm.audit_log.c.action.in_(sorted(actions)))
        return list((await self._session.execute(stmt)).scalars().all())


async def read_chain(session: AsyncSession, hearing_id: str | None = None) -> list[AuditEntry]:
    return list((await session.execute(_chain(hearing_id))).scalars().all())


def _chain(hearing_id: str | None) -> sa.Select[tuple[AuditEntry]]:
    stmt = sa.select(AuditEntry).order_by(orm.audit_log.c.seq)
    if hearing_id is not None:
        stmt = stmt.where(orm.audit_log.c.hearing_id == hearing_id)
    return stmt
