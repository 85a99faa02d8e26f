"""The bookings repository: published slots and the bookings made in them."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from hearings.adapters import orm
from hearings.adapters.repositories import _Repo
from hearings.domain.bookings import Booking, Slot
from hearings.domain.errors import NotFound

__all__ = ["BookingRepo"]


class BookingRepo(_Repo[Booking]):
    model, noun = Booking, "booking"

    def add_slot(self, slot: Slot) -> None:
        self._session.add(slot)

    async def slot(self, slot_id: str) -> Slot:
        found = await self._session.get(Slot, slot_id) if isinstance(slot_id, str) else None
        if found is None:
            raise NotFound("slot", slot_id)
        return found

    async def slots_between(self, court_id: str, start: datetime, end: datetime,
                            host_user_id: str | None = None) -> list[Slot]:
        t = orm.booking_slots
        stmt = sa.select(Slot).where(t.c.court_id == court_id, t.c.starts_at >= start,
                                     t.c.starts_at < end)
        if host_user_id is not None:
            stmt = stmt.where(t.c.host_user_id == host_user_id)
        result = await self._session.execute(stmt.order_by(t.c.starts_at, t.c.id))
        return list(result.scalars().all())

    async def of_slots(self, slot_ids: list[str]) -> list[Booking]:
        if not slot_ids:
            return []
        return await self._all(sa.select(Booking).where(orm.bookings.c.slot_id.in_(slot_ids)))

    async def of_slot(self, slot_id: str) -> Booking | None:
        return await self._one(orm.bookings.c.slot_id == slot_id)
