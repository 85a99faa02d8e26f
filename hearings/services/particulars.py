"""Service handlers for what pages and the API show beside a hearing: its case and the sites
of its participants, a court and its judges, the hearing's audit trail — and the audit
entry of a staff member's read. Each read asks the policy first (`hearings/domain/policy.py`), so
no page or route opens a unit of work of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hearings.domain.actors import Actor
from hearings.domain.audit import AuditEntry
from hearings.domain.cases import Case
from hearings.domain.courts import Court, Site
from hearings.domain.hearing import Hearing
from hearings.domain.policy import require
from hearings.domain.staff import StaffRole, StaffUser
from hearings.services.ports import UnitOfWork

__all__ = ["Particulars", "Setting"]


@dataclass(frozen=True)
class Setting:
    """A hearing with its case and where each participant sits (site id → site)."""

    hearing: Hearing
    case: Case
    sites: dict[str, Site]

    def site_of(self, participant_id: str) -> Site | None:
        site_id = self.hearing.participant(participant_id).site_id
        return self.sites.get(site_id) if site_id else None


class Particulars:
    def __init__(self, uow: Callable[[], UnitOfWork]) -> None:
        self._uow = uow

    async def setting(self, actor: Actor, hearing_id: str) -> Setting:
        """The hearing, its case and its participants' sites, for whoever may read it."""
        async with self._uow() as uow:
            hearing = await uow.hearings.get(hearing_id)
            case = await uow.cases.get(hearing.case_id)
            require(actor, "hearing.read", court_id=case.court_id, hearing=hearing)
            ids = {p.site_id for p in hearing.participants if p.site_id}
            return Setting(hearing, case, {i: await uow.sites.get(i) for i in ids})

    async def court(self, actor: Actor, court_id: str, action: str) -> Court:
        """A court, for an actor the policy lets do `action` there."""
        async with self._uow() as uow:
            court = await uow.courts.get(court_id)
            require(actor, action, court_id=court.id)
            return court

    async def judges(self, actor: Actor, court_id: str) -> list[StaffUser]:
        """The court's judges, to choose the presiding one from (those who schedule)."""
        async with self._uow() as uow:
            require(actor, "hearing.schedule", court_id=court_id)
            return await uow.staff.of_court(court_id, StaffRole.JUDGE)

    async def trail(self, actor: Actor, hearing_id: str,
                    action: str | Callable[[Hearing], str]) -> list[AuditEntry]:
        """The hearing's audit entries, if the policy lets `actor` do `action` to it (a
        callable names the action by the hearing, e.g. `policy.recording_action`)."""
        async with self._uow() as uow:
            hearing = await uow.hearings.get(hearing_id)
            case = await uow.cases.get(hearing.case_id)
            name = action if isinstance(action, str) else action(hearing)
            require(actor, name, court_id=case.court_id, hearing=hearing)
            return await uow.audit.entries(hearing.id)

    async def note_read(self, actor: Actor, action: str, hearing_id: str | None,
                        payload: dict[str, Any]) -> None:
        """Audit a read the caller was allowed (a recording searched, streamed, verified,
        packaged): who, what, from where and why, for the access log."""
        async with self._uow() as uow:
            await uow.audit.append(actor.label, action, hearing_id,
                                   {k: v for k, v in payload.items() if v is not None})
            await uow.commit()
