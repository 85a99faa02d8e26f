"""Who is acting, and how an actor stands to a hearing (host, mediator).

What each actor may do is one table: hearings/domain/policy.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from hearings.domain.errors import PermissionDenied
from hearings.domain.hearing import Hearing, HearingKind
from hearings.domain.participants import HOST_ROLES, Role
from hearings.domain.staff import StaffRole, StaffUser
from hearings.domain.states import ParticipantState

__all__ = ["SYSTEM", "Actor", "is_host", "is_mediator", "require_host", "require_staff"]


@dataclass(frozen=True)
class Actor:
    """A logged-in staff user, a participant holding a join token, or the system itself."""

    kind: str  # staff | participant | system
    id: str
    name: str
    staff_role: StaffRole | None = None
    court_id: str | None = None
    hearing_id: str | None = None  # participants act in exactly one hearing
    role: Role | None = None

    @property
    def label(self) -> str:
        return f"{self.kind}:{self.id}"

    @classmethod
    def participant(cls, participant_id: str, name: str, hearing_id: str, role: Role) -> Actor:
        return cls("participant", participant_id, name, hearing_id=hearing_id, role=role)


    @classmethod
    def staff(cls, user: StaffUser) -> Actor:
        return cls("staff", user.id, user.display_name, staff_role=user.role,
                   court_id=user.court_id)


SYSTEM = Actor("system", "yunting", "yunting")


def require_staff(actor: Actor) -> None:
    if actor.kind not in ("staff", "system"):
        raise PermissionDenied("only court staff may do that")


def is_host(actor: Actor, hearing: Hearing) -> bool:
    """The presiding judge, a judge seated by taking a judicial-confirmation application, or
    in the room a judge (or, in a mediation, a mediator) by join token."""
    if actor.kind == "system":
        return True
    if actor.kind == "staff":
        return actor.id == hearing.presiding_user_id or any(
            p.staff_user_id == actor.id and p.role is Role.JUDGE
            and p.state is not ParticipantState.REMOVED for p in hearing.participants)
    return (actor.kind == "participant" and actor.hearing_id == hearing.id
            and actor.role in HOST_ROLES
            and (actor.role is Role.JUDGE or hearing.kind is HearingKind.MEDIATION))


def is_mediator(actor: Actor, hearing: Hearing) -> bool:
    """The mediator of a mediation: by staff session (presiding or seated) or join token."""
    if hearing.kind is not HearingKind.MEDIATION:
        return False
    if actor.kind == "system":
        return True
    if actor.kind == "staff":
        return actor.id == hearing.presiding_user_id or any(
            p.staff_user_id == actor.id and p.role is Role.MEDIATOR
            and p.state is not ParticipantState.REMOVED for p in hearing.participants)
    return (actor.kind == "participant" and actor.hearing_id == hearing.id
            and actor.role is Role.MEDIATOR)


def require_host(actor: Actor, hearing: Hearing) -> None:
    """Only the host controls a hearing (the full table is hearings/domain/policy.py)."""
    if not is_host(actor, hearing):
        raise PermissionDenied("only the presiding judge of this hearing may do that")
