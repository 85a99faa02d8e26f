"""Service handlers for getting in: staff login and sessions, join tokens for participants.

Join codes are guessed from somewhere: the web layer names the `Caller` (the client's
address, and where its refused tries are counted) for the length of a request or a
socket.io connect. `limit` unknown codes in a window lock that address out
(`TooManyAttempts`) before any code is looked up; the audit log gets the window's
first refusal and, when the lockout starts, one summary with the count — never a row
per try.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Protocol

from hearings.domain.actors import Actor
from hearings.domain.commands import CreateStaffUser
from hearings.domain.errors import (
    Conflict,
    HearingsError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    TokenRefused,
    Unauthenticated,
)
from hearings.domain.hearing import Hearing
from hearings.domain.participants import Participant
from hearings.domain.staff import StaffRole, StaffSession, StaffUser
from hearings.domain.tokens import JoinToken, secret_digest
from hearings.services.ports import PasswordHasher, UnitOfWork

__all__ = ["CALLER", "Access", "Admission", "Caller", "LoggedIn", "PasswordChangeRequired",
           "Refusals", "Tally", "TooManyAttempts", "session_digest"]


class PasswordChangeRequired(PermissionDenied):
    """The password is a one-time one (a reset): it opens only the change-password form."""

    code = "password_change_required"

    def __init__(self) -> None:
        super().__init__("change your one-time password first")


class TooManyAttempts(HearingsError):
    """Too many refused tries from one address: wait `retry_after` seconds."""

    code = "too_many_attempts"

    def __init__(self, retry_after: float) -> None:
        super().__init__("too many refused join codes from this address; try again later")
        self.retry_after = retry_after


@dataclass(frozen=True)
class Tally:
    count: int  # refusals of the key in the current window, this one included
    locked_for: float  # > 0 only for the refusal that reached the limit: seconds locked


class Refusals(Protocol):
    """Refused tries counted per key in a window (web.http.throttle: in process or in Redis)."""

    async def blocked_for(self, key: str) -> float:
        """Seconds until `key` may try again; 0 when it may."""

    async def refused(self, key: str) -> Tally: ...


@dataclass(frozen=True)
class Caller:
    """Who is trying a code: the client's address, and where its refusals are counted."""

    address: str
    refusals: Refusals

    @property
    def key(self) -> str:
        return f"code:{self.address}"


# Set by the web layer around each request (and so each socket.io connect); None in the
# CLI and in tests of the services alone, where every refusal is audited on its own.
CALLER: ContextVar[Caller | None] = ContextVar("yunting_caller", default=None)


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


def _address() -> dict[str, str]:
    """The client's address for the audit log, when a request names its caller."""
    caller = CALLER.get()
    return {"address": caller.address} if caller is not None else {}


def session_digest(secret: str) -> str:
    """What is stored of a session cookie's value."""
    return hashlib.sha256(secret.encode()).hexdigest()


class Access:
    def __init__(
        self, uow: Callable[[], UnitOfWork], passwords: PasswordHasher, *, session_hours: float
    ) -> None:
        self._uow = uow
        self._passwords = passwords
        self._session_hours = session_hours
        self._dummy_hash: str | None = None

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
            # Argon2 is deliberately slow: keep it off the event loop. An unknown username
            # is checked against a dummy hash, so that it takes as long as a wrong password
            # (the time must not tell which usernames exist).
            stored = user.password_hash if user is not None else await self._dummy()
            valid = await asyncio.to_thread(self._passwords.verify, stored, password)
            if user is None or not valid:
                await uow.audit.append(f"anonymous:{username[:64]}", "staff.login_failed",
                                       None, {"username": username[:64]} | _address())
                await uow.commit()
                raise Unauthenticated("wrong username or password")
            if not user.active:
                await uow.audit.append(f"staff:{user.id}", "staff.login_refused", None,
                                       {"username": user.username, "reason": "disabled"}
                                       | _address())
                await uow.commit()
                raise Unauthenticated("this account is disabled")
            secret = secrets.token_urlsafe(32)
            session = StaffSession(user_id=user.id, digest=session_digest(secret),
                                   csrf_token=StaffSession.new_csrf_token(),
                                   expires_at=StaffSession.lifetime(self._session_hours))
            uow.sessions.add(session)
            await uow.audit.append(f"staff:{user.id}", "staff.login", None,
                                   {"username": user.username} | _address())
            await uow.commit()
            return LoggedIn(secret, session, user)

    async def _dummy(self) -> str:
        """A hash of a password nobody knows, made by the same hasher (same cost)."""
        if self._dummy_hash is None:
            self._dummy_hash = await asyncio.to_thread(
                self._passwords.hash, secrets.token_urlsafe(32))
        return self._dummy_hash

    async def session(self, secret: str, *, changing_password: bool = False
                      ) -> tuple[StaffSession, StaffUser]:
        """The session and its user. A user whose password was reset must change it first:
        until then the session opens nothing else (`changing_password` for the paths
        that do that: who am I, change password, log out)."""
        async with self._uow() as uow:
            session = await uow.sessions.by_digest(session_digest(secret))
            if session is None or session.expired():
                raise Unauthenticated("not logged in (or the session expired)")
            user = await uow.staff.get(session.user_id)
            if not user.active:  # its sessions were deleted when it was disabled
                raise Unauthenticated("this account is disabled")
            if user.must_change_password and not changing_password:
                raise PasswordChangeRequired()
            return session, user

    async def logout(self, secret: str) -> None:
        async with self._uow() as uow:
            session = await uow.sessions.by_digest(session_digest(secret))
            if session is not None:
                await uow.sessions.delete(session)
                await uow.audit.append(f"staff:{session.user_id}", "staff.logout", None, {})
                await uow.commit()

    async def admit_token(self, secret: str, hearing_id: str | None = None, *,
                          allow_closed: bool = False) -> Admission:
        """Check a join token for `hearing_id` (or its own hearing); audit refusals.

        `allow_closed` admits it after the hearing has closed too (reading the hearing's
        documents, signing its transcript) — never into the room. A caller's address that
        was refused too often is turned away before the token is even looked up.
        """
        caller = CALLER.get()
        if caller is not None:
            wait = await caller.refusals.blocked_for(caller.key)
            if wait > 0:
                raise TooManyAttempts(wait)
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
                await self._audit_refusal(uow, caller, token, hearing_id, refused)
                raise
            return Admission(hearing, hearing.participant(token.participant_id), token)

    async def _audit_refusal(self, uow: UnitOfWork, caller: Caller | None,
                             token: JoinToken | None, hearing_id: str | None,
                             refused: TokenRefused) -> None:
        """One row per window: its first refusal, then a summary with the count.

        Unknown codes are guesses, tallied per address; the refusal that reaches the
        limit locks the address out. A real token refused (another hearing, expired,
        closed) is no guess: it is tallied per token, for the audit only.
        """
        details: dict[str, object] = {"reason": refused.code,
                                      "token_hearing": token and token.hearing_id}
        if caller is not None:
            key = caller.key if token is None else f"token:{token.id}"
            tally = await caller.refusals.refused(key)
            if tally.count > 1 and tally.locked_for <= 0:
                return
            details |= {"address": caller.address, "count": tally.count}
            if token is None and tally.locked_for > 0:
                details["locked_for"] = round(tally.locked_for)
        await uow.audit.append(
            f"token:{token.id}" if token else "anonymous", "token.refused",
            hearing_id or (token.hearing_id if token else None), details)
        await uow.commit()
