"""The hearing records (笔录) repository."""

from __future__ import annotations

from hearings.adapters import orm
from hearings.adapters.repositories import _Repo
from hearings.hearing_record import HearingRecord

__all__ = ["RecordRepo"]


class RecordRepo(_Repo[HearingRecord]):
    model, noun = HearingRecord, "hearing record"

    async def of_hearing(self, hearing_id: str) -> HearingRecord | None:
        return await self._one(orm.hearing_records.c.hearing_id == hearing_id)
