"""Service handlers for hearings' recordings as the database knows them: the clerk's search
(which hearings have a recording, for whoever may read it), and the hearing's audit log as
the recording machinery reads it (when it was recording, who was interrupted; the evidence
package's extract) and writes it (a participant's gap and its end).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, tzinfo
from typing import Any

from hearings.domain.actors import SYSTEM, Actor
from hearings.domain.audit import AuditEntry
from hearings.domain.errors import InvalidInput, NotFound
from hearings.domain.hearing import Hearing
from hearings.domain.policy import may, recording_action, require
from hearings.domain.states import RecordingState
from hearings.services.ports import UnitOfWork
from hearings.services.scheduling import hearings_on

__all__ = ["Recordings"]


class Recordings:
    def __init__(self, uow: Callable[[], UnitOfWork], *, court_tz: tzinfo) -> None:
        self._uow = uow
        self._court_tz = court_tz

    async def search(self, actor: Actor, *, case_number: str | None, day: date | None,
                     party: str | None, archived: Sequence[str]) -> list[tuple[Hearing, str]]:
        """Hearings with a recording (state past standby, or a directory in the archive:
        `archived`, the hearing ids found there), with their case numbers; only those whose
        recording the actor may read (another court's, or trial material for a mediator, is
        left out)."""
        require(actor, "recording.search")
        if not (case_number or day or party):
            raise InvalidInput("give at least one of 'case_number', 'date' or 'party'")
        candidates: dict[str, Hearing] | None = None
        if day is not None:  # as Scheduling.hearings_of_day
            require(actor, "hearing.list")
            async with self._uow() as uow:
                of_day = await hearings_on(uow, actor, day, self._court_tz)
            candidates = {h.id: h for h in of_day}
        async with self._uow() as uow:
            if case_number:
                case = await uow.cases.by_number(case_number.strip())
                of_case = await uow.hearings.of_case(case.id) if case is not None else []
                ids = {h.id: h for h in of_case}
                candidates = ids if candidates is None else {
                    k: v for k, v in candidates.items() if k in ids}
            if candidates is None:  # party alone: the hearings that have an archive
                candidates = {}
                for hearing_id in archived:
                    try:
                        candidates[hearing_id] = await uow.hearings.get(hearing_id)
                    except NotFound:
                        continue
            recorded = set(archived)
            wanted = party.strip().casefold() if party else ""
            found = []
            for hearing in sorted(candidates.values(), key=lambda h: h.scheduled_at):
                if (hearing.recording_state is RecordingState.STANDBY
                        and hearing.id not in recorded):
                    continue
                if wanted and not any(wanted in p.name.casefold() for p in hearing.participants):
                    continue
                case = await uow.cases.get(hearing.case_id)
                if not may(actor, recording_action(hearing), court_id=case.court_id,
                           hearing=hearing):
                    continue
                found.append((hearing, case.number))
        return found

    async def entries(self, hearing_id: str) -> list[AuditEntry]:
        """The hearing's audit log, for the system: when it was being recorded, each
        participant's interruptions, the evidence package's extract (whoever asked for the
        package was allowed to)."""
        async with self._uow() as uow:
            return await uow.audit.entries(hearing_id)

    async def note(self, action: str, hearing_id: str, payload: dict[str, Any]) -> None:
        """The system's entry in the hearing's audit log (a participant's recording gap and
        its end): not a state change."""
        async with self._uow() as uow:
            await uow.audit.append(SYSTEM.label, action, hearing_id, payload)
            await uow.commit()
