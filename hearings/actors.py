"""Who is acting, and what each kind of actor may do (enforced in one place)."""

from __future__ import annotations

from dataclasses import dataclass

from hearings.errors import PermissionDenied
from hearings.hearing import Hearing, HearingKind
from hearings.participants import HOST_ROLES, Role
from hearings.staff import StaffRole, StaffUser

__all__ = [
    "SYSTEM", "Actor", "require_host", "require_scheduler", "require_staff", "require_viewer",
]


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


def require_scheduler(actor: Actor) -> None:
    """Clerks (and administrators) schedule hearings and invite participants."""
    if actor.kind == "system":
        return
    if actor.kind != "staff" or actor.staff_role not in (StaffRole.CLERK, StaffRole.ADMIN):
        raise PermissionDenied("only a clerk or an administrator may schedule and invite")


def require_staff(actor: Actor) -> None:
    if actor.kind not in ("staff", "system"):
        raise PermissionDenied("only court staff may do that")


def require_court(actor: Actor, court_id: str) -> None:
    """Staff act within their own court; an administrator without a court acts in all."""
    if actor.kind == "staff" and actor.court_id is not None and actor.court_id != court_id:
        raise PermissionDenied("that belongs to another court")


def require_host(actor: Actor, hearing: Hearing) -> None:
    """Only the presiding judge (or the mediator of a mediation) controls a hearing."""
    if actor.kind == "system":
        return
    if actor.kind == "staff" and actor.id == hearing.presiding_user_id:
        return
    # A judge seated by taking a judicial-confirmation application hosts the mediation too.
    if actor.kind == "staff" and any(p.staff_user_id == actor.id and p.role is Role.JUDGE
                                     and p.state.value != "removed" for p in hearing.participants):
        return
    in_room = actor.kind == "participant" and actor.hearing_id == hearing.id
    # A mediator hosts a mediation; only a judge hosts anything else.
    if in_room and actor.role in HOST_ROLES and (
        actor.role is Role.JUDGE or hearing.kind is HearingKind.MEDIATION
    ):
        return
    raise PermissionDenied("only the presiding judge of this hearing may do that")


def require_viewer(actor: Actor, hearing: Hearing) -> None:
    """Court staff see their court's hearings; a participant sees only their own."""
    if actor.kind == "system":
        return
    if actor.kind == "staff" and actor.staff_role is not None:
        return
    if actor.kind == "participant" and actor.hearing_id == hearing.id:
        return
    raise PermissionDenied("you may only see your own hearing")
