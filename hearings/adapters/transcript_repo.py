"""The transcripts (笔录) and plea statements (认罪认罚具结书) repositories."""

from __future__ import annotations

import sqlalchemy as sa

from hearings.adapters import orm
from hearings.adapters.repositories import _Repo
from hearings.domain.plea import PleaStatement
from hearings.domain.transcript import Transcript

__all__ = ["PleaRepo", "TranscriptRepo"]


class TranscriptRepo(_Repo[Transcript]):
    model, noun = Transcript, "hearing transcript"

    async def of_hearing(self, hearing_id: str) -> Transcript | None:
        return await self._one(orm.hearing_records.c.hearing_id == hearing_id)


class PleaRepo(_Repo[PleaStatement]):
    model, noun = PleaStatement, "plea statement"

    async def of_hearing(self, hearing_id: str) -> PleaStatement | None:
        """The hearing's latest draft (the one signed, or out for signature, or given up)."""
        t = orm.plea_statements
        result = await self._session.execute(
            sa.select(PleaStatement).where(t.c.hearing_id == hearing_id)
            .order_by(t.c.created_at.desc(), t.c.id.desc()).limit(1))
        return result.scalars().first()
