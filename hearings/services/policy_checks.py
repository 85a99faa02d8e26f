"""The policy asked about a hearing: its court is its case's, read in the unit of work — the
one check of hearings/domain/policy.py that needs the database, so it lives with the services."""

from __future__ import annotations

from hearings.domain.actors import Actor
from hearings.domain.hearing import Hearing
from hearings.domain.policy import require
from hearings.services.ports import UnitOfWork


async def require_in(uow: UnitOfWork, actor: Actor, action: str, hearing: Hearing) -> str:
    """`require` for an action on `hearing`, whose court is its case's; returns the court."""
    court_id = (await uow.cases.get(hearing.case_id)).court_id
    require(actor, action, court_id=court_id, hearing=hearing)
    return court_id
