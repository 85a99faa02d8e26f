"""Rescheduling a hearing that has not begun, and telling its participants (issue 18.2).

The clerk moves the hearing to another time; each participant with an e-mail address and
consent to electronic service gets a rescheduling notice through the outbox, with a join
link minted when it is sent (hearings/services/notifications.py). The participants' kiosk codes
follow the
new day by themselves (they are checked against the hearing's day); reminders follow the
new time (their keys name it).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, tzinfo

from hearings.domain.actors import Actor
from hearings.domain.errors import Conflict, InvalidInput
from hearings.domain.hearing import Hearing, check_scheduled_at
from hearings.domain.identity import utcnow
from hearings.domain.policy import require
from hearings.domain.states import HearingState
from hearings.services.notifications import RESCHEDULED, by_channel, notice
from hearings.services.ports import UnitOfWork

__all__ = ["Rescheduling"]


class Rescheduling:
    def __init__(self, uow: Callable[[], UnitOfWork], *, court_tz: tzinfo,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self._uow, self._tz, self._clock = uow, court_tz, clock

    async def reschedule(self, actor: Actor, hearing_id: str, when: datetime
                         ) -> tuple[Hearing, int]:
        """Move the hearing to `when`; returns it and how many notices were written."""
        check_scheduled_at(when)
        if when <= self._clock():
            raise InvalidInput("a hearing is rescheduled to a time in the future")
        async with self._uow() as uow:
            hearing = await uow.hearings.get(hearing_id)
            case = await uow.cases.get(hearing.case_id)
            require(actor, "hearing.schedule", court_id=case.court_id, hearing=hearing)
            if hearing.state is not HearingState.SCHEDULED:
                raise Conflict("only a hearing that has not opened yet is rescheduled")
            before = hearing.scheduled_at
            if when == before:
                return hearing, 0
            hearing.scheduled_at = when
            notes = [n for p in hearing.participants
                     if p.reachable and p.staff_user_id is None
                     for n in by_channel(notice(RESCHEDULED, hearing, p, case.number,
                                                self._tz), p)]
            known = await uow.outbox.known_keys([n.dedupe_key or "" for n in notes])
            notes = [n for n in notes if n.dedupe_key not in known]
            for note in notes:
                uow.outbox.add(note)
            await uow.audit.append(actor.label, "hearing.rescheduled", hearing.id, {
                "from": before.isoformat(), "to": when.isoformat(),
                "notices": [n.id for n in notes]})
            await uow.commit()
            return hearing, len(notes)
