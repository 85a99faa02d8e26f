"""The court's duty desk for judicial confirmation: the roster of duty judges, the queue of
open applications as the consoles list it, and the figures. (The application's life
cycle: hearings/services/confirmations.py.)"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from datetime import datetime
from typing import Any

from hearings.domain.actors import Actor
from hearings.domain.confirmation import (
    ApplicationState,
    DutyRoster,
    DutyShift,
    JudicialConfirmation,
)
from hearings.domain.errors import InvalidInput, PermissionDenied
from hearings.domain.policy import require
from hearings.domain.staff import StaffRole
from hearings.services.mediations import parties_of
from hearings.services.ports import UnitOfWork

__all__ = ["DutyDesk", "court_of", "duty_roster", "queue_entry"]

_OPEN = (ApplicationState.QUEUED.value, ApplicationState.TAKEN.value)


class DutyDesk:
    def __init__(self, uow: Callable[[], UnitOfWork]) -> None:
        self._uow = uow

    async def roster(self, court_id: str) -> DutyRoster:
        async with self._uow() as uow:
            return await duty_roster(uow, court_id)

    async def add_shift(self, actor: Actor, court_id: str, judge_user_id: str,
                        starts_at: datetime, ends_at: datetime | None) -> DutyShift:
        async with self._uow() as uow:
            await uow.courts.get(court_id)
            require(actor, "confirmation.roster", court_id=court_id)
            judge = await uow.staff.get(judge_user_id)
            if judge.role is not StaffRole.JUDGE or judge.court_id != court_id:
                raise PermissionDenied(f"{judge.display_name} is not a judge of this court")
            shift = DutyShift(court_id, judge.id, starts_at, ends_at)
            uow.roster.add(shift)
            await uow.audit.append(actor.label, "roster.shift_added", None, {
                "court_id": court_id, "judge_user_id": judge.id,
                "starts_at": starts_at.isoformat(),
                "ends_at": ends_at.isoformat() if ends_at else None})
            await uow.commit()
            return shift

    async def queue(self, actor: Actor, court_id: str | None = None) -> list[dict[str, Any]]:
        """The court's open applications (`court_id`: only for an admin without a court)."""
        court_id = court_of(actor, court_id)
        require(actor, "confirmation.queue", court_id=court_id)
        async with self._uow() as uow:
            apps = await uow.confirmations.of_court(court_id, _OPEN)
            return [await queue_entry(uow, a) for a in apps]

    async def stats(self, actor: Actor, court_id: str | None = None) -> dict[str, Any]:
        court_id = court_of(actor, court_id)
        require(actor, "confirmation.stats", court_id=court_id)
        async with self._uow() as uow:
            done = await uow.confirmations.delivered(court_id)
        apply_s = [(a.delivered_at - a.applied_at).total_seconds() for a in done
                   if a.delivered_at]
        system_ms = [a.decide_to_delivered_ms for a in done if a.decide_to_delivered_ms is not None]
        return {"count": len(done),
                "median_apply_to_delivery_s": statistics.median(apply_s) if apply_s else None,
                "median_decide_to_delivery_ms": (statistics.median(system_ms)
                                                 if system_ms else None)}


async def duty_roster(uow: UnitOfWork, court_id: str) -> DutyRoster:
    return DutyRoster(court_id, tuple(await uow.roster.of_court(court_id)),
                      frozenset(await uow.roster.standing(court_id)))


async def queue_entry(uow: UnitOfWork, app: JudicialConfirmation) -> dict[str, Any]:
    hearing = await uow.hearings.get(app.mediation_hearing_id)
    return app.queue_entry([p.name for p in parties_of(hearing)])


def court_of(actor: Actor, court_id: str | None) -> str:
    """The court a per-court list is about: the actor's own; an administrator without a
    court names one."""
    if actor.court_id is not None:
        return actor.court_id
    if court_id is None:
        raise InvalidInput("'court_id' is required: you belong to no court")
    return court_id
