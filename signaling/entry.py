"""Getting into a hearing's namespace: a join token, or a staff session (auth or cookie).

Every refusal carries a reason and is audited: token refusals by `Access.admit_token`,
the rest here through `Room.refuse_connection`. Tokens are throttled per client address
by `Access.admit_token` too (the caller is named by the web layer around the engine.io
request that carries the connect): an address refused too often gets
`too_many_attempts`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie
from typing import Any

from hearings.domain.actors import Actor, require_host
from hearings.domain.errors import HearingsError, PermissionDenied, TokenRefused
from hearings.domain.hearing import Hearing
from hearings.domain.participants import Role
from hearings.domain.staff import StaffRole
from hearings.domain.states import ParticipantState
from hearings.services.access import TooManyAttempts
from signaling.config import SESSION_COOKIE, RoomServices
from signaling.errors import SignalingError
from signaling.presence import Member

__all__ = ["Entrant", "Refused", "enter"]

_ID = re.compile(r"^[A-Za-z0-9_-]{1,80}\Z")


class Refused(SignalingError):
    """A connection is refused; `code` is the reason the client receives."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Entrant:
    hearing: Hearing
    actor: Actor
    member: Member


async def enter(services: RoomServices, environ: dict[str, Any], auth: object) -> Entrant:
    if auth is not None and not isinstance(auth, dict):
        raise Refused("invalid_auth", "auth must be an object")
    data: dict[str, Any] = auth or {}
    hearing_id = data.get("hearing_id")
    if hearing_id is not None and (not isinstance(hearing_id, str) or not _ID.match(hearing_id)):
        raise Refused("invalid_auth", "'hearing_id' must be an id")
    token = data.get("token")
    if isinstance(token, str) and token:
        return await _by_token(services, token, hearing_id)
    secret = data.get("session") or _cookie(environ)
    if not isinstance(secret, str) or not secret:
        await services.room.refuse_connection("anonymous", hearing_id, "unauthenticated")
        raise Refused("unauthenticated", "give a join token or log in")
    if hearing_id is None:
        raise Refused("invalid_auth", "'hearing_id' is required with a staff session")
    return await _by_session(services, secret, hearing_id)


async def _by_token(services: RoomServices, token: str, hearing_id: str | None) -> Entrant:
    try:
        admission = await services.access.admit_token(token, hearing_id)
    except (TokenRefused, TooManyAttempts) as refused:  # already audited by Access
        raise Refused(refused.code, refused.message) from None
    p, hearing = admission.participant, admission.hearing
    if p.state is ParticipantState.REMOVED:
        await services.room.refuse_connection(admission.actor.label, hearing.id, "revoked")
        raise Refused("revoked", "you were removed from this hearing")
    actor = admission.actor
    member = Member(p.id, p.name, p.role.value, p.id, _hosts(actor, hearing),
                    p.role is Role.OBSERVER)
    return Entrant(hearing, actor, member)


async def _by_session(services: RoomServices, secret: str, hearing_id: str) -> Entrant:
    try:
        _, user = await services.access.session(secret)
    except HearingsError:
        await services.room.refuse_connection("anonymous", hearing_id, "unauthenticated")
        raise Refused("unauthenticated", "not logged in (or the session expired)") from None
    actor = Actor.staff(user)
    try:
        hearing = await services.scheduling.hearing(actor, hearing_id)
    except HearingsError:
        await services.room.refuse_connection(actor.label, hearing_id, "wrong_hearing")
        raise Refused("wrong_hearing", "no such hearing") from None
    if hearing.is_over:
        await services.room.refuse_connection(actor.label, hearing.id, "hearing_closed")
        raise Refused("hearing_closed", "the hearing is over")
    seat = next((p for p in hearing.participants if p.staff_user_id == user.id
                 and p.state is not ParticipantState.REMOVED), None)
    host = _hosts(actor, hearing)
    # Staff without a seat may watch only if they run the court's hearings.
    if seat is None and not host and user.role not in (StaffRole.CLERK, StaffRole.ADMIN):
        await services.room.refuse_connection(actor.label, hearing.id, "forbidden")
        raise Refused("forbidden", "you have no seat in this hearing")
    if seat is not None:
        member = Member(seat.id, seat.name, seat.role.value, seat.id, host, False)
    else:
        role = Role.JUDGE.value if host else Role.CLERK.value
        member = Member(f"staff:{user.id}", user.display_name, role, None, host, False)
    return Entrant(hearing, actor, member)


def _hosts(actor: Actor, hearing: Hearing) -> bool:
    try:
        require_host(actor, hearing)
    except PermissionDenied:
        return False
    return True


def _cookie(environ: dict[str, Any]) -> str | None:
    raw = environ.get("HTTP_COOKIE")
    if not raw:
        return None
    try:
        jar = SimpleCookie(raw)
    except CookieError:
        return None
    morsel = jar.get(SESSION_COOKIE)
    return morsel.value if morsel else None
