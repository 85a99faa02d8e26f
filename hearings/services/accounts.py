"""Service handlers for staff accounts: an administrator creates, lists, resets, disables
and re-enables them; every user changes their own password.

Who may is the policy's (`staff.list`, `staff.manage`): a court's administrator manages
that court's staff, an administrator without a court manages everyone (and alone creates
accounts without a court). An administrator never sets a password: creating an account
or resetting one issues a one-time password, shown once, that only opens the change-
password form (`must_change_password`). Disabling ends the account's sessions at once:
its session rows are deleted in the same transaction, and `on_sessions_ended` (the web layer's)
then disconnects its open sockets. Every action is audited.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from hearings.domain.actors import Actor
from hearings.domain.errors import Conflict, InvalidInput, PermissionDenied
from hearings.domain.password_policy import check_password
from hearings.domain.policy import court_filter, require
from hearings.domain.staff import StaffRole, StaffUser
from hearings.domain.values import member
from hearings.services.access import CALLER, session_digest
from hearings.services.ports import PasswordHasher, UnitOfWork

__all__ = ["Accounts", "IssuedPassword", "NewAccount", "WrongPassword", "one_time_password"]

# No look-alikes (0/O, 1/l/I): the password is read off a screen and typed in.
_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def one_time_password() -> str:
    """Four groups of five: about 115 bits, typed once."""
    return "-".join("".join(secrets.choice(_ALPHABET) for _ in range(5)) for _ in range(4))


class WrongPassword(PermissionDenied):
    """The current password given to change it is wrong (the session stays: 403, not 401)."""

    code = "wrong_password"


@dataclass(frozen=True)
class NewAccount:
    username: str
    display_name: str
    role: StaffRole
    court_id: str | None = None
    on_duty: bool = False


@dataclass(frozen=True)
class IssuedPassword:
    """An account and its one-time password: shown once, stored only as a hash."""

    user: StaffUser
    password: str


async def _nobody(user_id: str) -> None:
    return None


def _from() -> dict[str, str]:
    """Where the request came from (the client's address behind a trusted proxy)."""
    caller = CALLER.get()
    return {"address": caller.address} if caller is not None else {}


class Accounts:
    def __init__(self, uow: Callable[[], UnitOfWork], passwords: PasswordHasher, *,
                 on_sessions_ended: Callable[[str], Awaitable[None]] = _nobody) -> None:
        self._uow = uow
        self._passwords = passwords
        self.on_sessions_ended = on_sessions_ended

    async def users(self, actor: Actor, court_id: str | None = None) -> list[StaffUser]:
        """The accounts the actor manages (of `court_id` when given)."""
        require(actor, "staff.list")
        only = court_filter(actor)
        if court_id is not None and only not in (None, court_id):
            raise PermissionDenied("staff.list: that belongs to another court")
        async with self._uow() as uow:
            return await uow.staff.listed(court_id or only)

    async def by_username(self, actor: Actor, username: str) -> StaffUser | None:
        """The account with this username, among those the actor manages (None: none)."""
        require(actor, "staff.list")
        only = court_filter(actor)
        async with self._uow() as uow:
            user = await uow.staff.by_username(username)
        return user if user is not None and only in (None, user.court_id) else None

    async def create(self, actor: Actor, account: NewAccount) -> IssuedPassword:
        role = member(StaffRole, account.role, "role")
        if account.court_id is None and role is not StaffRole.ADMIN:
            raise InvalidInput(f"a {role.value} belongs to a court: 'court_id' is required")
        require(actor, "staff.manage", court_id=account.court_id)
        password = one_time_password()
        password_hash = await asyncio.to_thread(self._passwords.hash, password)
        async with self._uow() as uow:
            if account.court_id is not None:
                await uow.courts.get(account.court_id)
            if await uow.staff.by_username(account.username) is not None:
                raise Conflict(f"user {account.username!r} exists already")
            user = StaffUser(username=account.username, display_name=account.display_name,
                             role=role, password_hash=password_hash,
                             court_id=account.court_id, on_duty=account.on_duty,
                             must_change_password=True)
            uow.staff.add(user)
            await uow.audit.append(actor.label, "staff.created", None, {
                "user_id": user.id, "username": user.username, "role": user.role,
                "court_id": user.court_id} | _from())
            await uow.commit()
            return IssuedPassword(user, password)

    async def reset_password(self, actor: Actor, user_id: str) -> IssuedPassword:
        """A new one-time password; the old one and every session of the account end."""
        password = one_time_password()
        password_hash = await asyncio.to_thread(self._passwords.hash, password)
        async with self._uow() as uow:
            user = await uow.staff.get(user_id)
            require(actor, "staff.manage", court_id=user.court_id)
            user.password_hash, user.must_change_password = password_hash, True
            ended = await self._end_sessions(uow, user)
            await uow.audit.append(actor.label, "staff.password_reset", None, {
                "user_id": user.id, "username": user.username, "sessions_ended": ended} | _from())
            await uow.commit()
        await self.on_sessions_ended(user_id)
        return IssuedPassword(user, password)

    async def disable(self, actor: Actor, user_id: str) -> StaffUser:
        """The account logs in no more; its sessions and open sockets end now."""
        if actor.kind == "staff" and actor.id == user_id:
            raise Conflict("you cannot disable your own account")
        async with self._uow() as uow:
            user = await uow.staff.get(user_id)
            require(actor, "staff.manage", court_id=user.court_id)
            user.active = False
            ended = await self._end_sessions(uow, user)
            await uow.audit.append(actor.label, "staff.disabled", None, {
                "user_id": user.id, "username": user.username, "sessions_ended": ended} | _from())
            await uow.commit()
        await self.on_sessions_ended(user_id)
        return user

    async def enable(self, actor: Actor, user_id: str) -> StaffUser:
        async with self._uow() as uow:
            user = await uow.staff.get(user_id)
            require(actor, "staff.manage", court_id=user.court_id)
            user.active = True
            await uow.audit.append(actor.label, "staff.enabled", None, {
                "user_id": user.id, "username": user.username} | _from())
            await uow.commit()
            return user

    async def change_password(self, actor: Actor, current: str, new: str, *,
                              session: str | None = None) -> StaffUser:
        """A user's own password: the current one proves it is them; the new one must pass
        the password policy and differ from it. The account's other sessions end (whoever
        else held one); `session`, the secret of the one that asked, is kept."""
        if actor.kind != "staff":
            raise PermissionDenied("only a staff account has a password")
        async with self._uow() as uow:
            user = await uow.staff.get(actor.id)
            if not await asyncio.to_thread(self._passwords.verify, user.password_hash, current):
                await uow.audit.append(actor.label, "staff.password_change_refused", None,
                                       {"user_id": user.id, "reason": "wrong_password"} | _from())
                await uow.commit()
                raise WrongPassword("the current password is wrong")
        check_password(new, username=user.username)
        if new == current:
            raise InvalidInput("the new password must differ from the current one")
        password_hash = await asyncio.to_thread(self._passwords.hash, new)
        async with self._uow() as uow:
            user = await uow.staff.get(actor.id)
            user.password_hash, user.must_change_password = password_hash, False
            kept = session_digest(session) if session else None
            others = [s for s in await uow.sessions.of_user(user.id) if s.digest != kept]
            for other in others:
                await uow.sessions.delete(other)
            await uow.audit.append(actor.label, "staff.password_changed", None,
                                   {"user_id": user.id, "username": user.username,
                                    "sessions_ended": len(others)} | _from())
            await uow.commit()
        if others:
            await self.on_sessions_ended(user.id)
        return user

    @staticmethod
    async def _end_sessions(uow: UnitOfWork, user: StaffUser) -> int:
        sessions = await uow.sessions.of_user(user.id)
        for session in sessions:
            await uow.sessions.delete(session)
        return len(sessions)
