"""Service handlers for getting in: staff login and sessions, join tokens for participants."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from hearings.actors import Actor
from hearings.commands import CreateStaffUser
from hearings.errors import Conflict, InvalidInput, NotFound, TokenRefused, Unauthenticated
from hearings.hearing import Hearing
from hearings.participants import Participant
from hearings.ports import PasswordHasher, UnitOfWork
from hearings.staff import StaffRole, StaffSession, StaffUser
from hearings.tokens import JoinToken, secret_digest

__all__ = ["Access", "Admission", "LoggedIn"]


@dataclass(frozen=True)
class LoggedIn:
    secret: str  # the cookie value; only its digest is stored
    session: StaffSession
    user: StaffUser


@dataclass(frozen=True)
class Admission:
    """What a valid join token opens: one participant of one hearing."""

    hearing: Hearing
    participant: Participant
    token: JoinToken

    @property
    def actor(self) -> Actor:
        p = self.participant
        return Actor.participant(p.id, p.name, self.hearing.id, p.role)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class Access:
    def __init__(
        self, uow: Callable[[], UnitOfWork], passwords: PasswordHasher, *, session_hours: float
    ) -> None:
        self._uow = uow
        self._passwords = passwords
        self._session_hours = session_hours

    async def create_staff_user(self, actor: Actor, cmd: CreateStaffUser) -> StaffUser:
        if actor.kind != "system" and actor.staff_role is not StaffRole.ADMIN:
            raise Unauthenticated("only an administrator may create staff accounts")
        if len(cmd.password) < 10:
            raise InvalidInput("'password' must have at least 10 characters")
        password_hash = await asyncio.to_thread(self._passwords.hash, cmd.password)
        async with self._uow() as uow:
            if await uow.staff.by_username(cmd.username) is not None:
                raise Conflict(f"user {cmd.username!r} exists already")
            user = StaffUser(username=cmd.username, display_name=cmd.display_name,
                             role=cmd.role, password_hash=password_hash,
                             court_id=cmd.court_id, on_duty=cmd.on_duty)
            uow.staff.add(user)
            await uow.audit.append(actor.label, "staff.created", None,
                                   {"user_id": user.id, "username": user.username,
                                    "role": user.role})
            await uow.commit()
            return user

    async def login(self, username: str, password: str) -> LoggedIn:
        async with self._uow() as uow:
            user = await uow.staff.by_username(username)
            # Argon2 is deliberately slow: keep it off the event loop.
            valid = user is not None and await asyncio.to_thread(
                self._passwords.verify, user.password_hash, password)
            if user is None or not valid:
                await uow.audit.append(f"anonymous:{username[:64]}", "staff.login_failed",
                                       None, {"username": username[:64]})
                await uow.commit()
                raise Unauthenticated("wrong username or password")
            secret = secrets.token_urlsafe(32)
            session = StaffSession(user_id=user.id, digest=_digest(secret),
                                   csrf_token=StaffSession.new_csrf_token(),
                                   expires_at=StaffSession.lifetime(self._session_hours))
            uow.sessions.add(session)
            await uow.audit.append(f"staff:{user.id}", "staff.login", None,
                                   {"username": user.username})
            await uow.commit()
            return LoggedIn(secret, session, user)

    async def session(self, secret: str) -> tuple[StaffSession, StaffUser]:
        async with self._uow() as uow:
            session = await uow.sessions.by_digest(_digest(secret))
            if session is None or session.expired():
                raise Unauthenticated("not logged in (or the session expired)")
            return session, await uow.staff.get(session.user_id)

    async def logout(self, secret: str) -> None:
        async with self._uow() as uow:
            session = await uow.sessions.by_digest(_digest(secret))
            if session is not None:
                await uow.sessions.delete(session)
                await uow.audit.append(f"staff:{session.user_id}", "staff.logout", None, {})
                await uow.commit()

    async def admit_token(self, secret: str, hearing_id: str | None = None, *,
                          allow_closed: bool = False) -> Admission:
        """Check a join token for `hearing_id` (or its own hearing); audit every refusal.

        `allow_closed` admits it after the hearing has closed too (reading the hearing's
        documents, signing its record) — never into the room.
        """
        try:
            digest = secret_digest(secret)
        except InvalidInput:
            digest = None
        async with self._uow() as uow:
            token = await uow.tokens.by_digest(digest) if digest else None
            try:
                if token is None:
                    raise TokenRefused("unknown_token")
                target = hearing_id or token.hearing_id
                try:
                    hearing = await uow.hearings.get(target)
                except NotFound:
                    raise TokenRefused("wrong_hearing") from None
                token.check(target, hearing_over=hearing.is_over and not allow_closed)
            except TokenRefused as refused:
                await uow.audit.append(
                    f"token:{token.id}" if token else "anonymous", "token.refused",
                    hearing_id or (token.hearing_id if token else None),
                    {"reason": refused.code, "token_hearing": token and token.hearing_id})
                await uow.commit()
                raise
            return Admission(hearing, hearing.participant(token.participant_id), token)
