"""A login must not tell which usernames exist by how long it takes (issue 11: 761 ms for
a wrong password, 17 ms for an unknown user): an unknown username is checked against a
dummy hash by the same hasher, so both paths do the same slow work."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from hearings.adapters.database import Database
from hearings.adapters.unit_of_work import SqlUnitOfWork
from hearings.domain.actors import SYSTEM
from hearings.domain.commands import CreateCourt, CreateStaffUser
from hearings.domain.errors import Unauthenticated
from hearings.services.access import Access
from hearings.services.scheduling import Scheduling
from tests.conftest import AUDIT_KEY


class CountingPasswords:
    """The PasswordHasher port, counting its calls (no Argon2: the count is the point)."""

    def __init__(self) -> None:
        self.hashed = 0
        self.verified: list[str] = []

    def hash(self, password: str) -> str:
        self.hashed += 1
        return f"fake${password}"

    def verify(self, password_hash: str, password: str) -> bool:
        self.verified.append(password_hash)
        return password_hash == f"fake${password}"


async def _access(database: Database) -> tuple[Access, CountingPasswords]:
    def uow() -> SqlUnitOfWork:
        return SqlUnitOfWork(database, AUDIT_KEY)

    passwords = CountingPasswords()
    access = Access(uow, passwords, session_hours=8)
    court = await Scheduling(uow, link_lifetime=timedelta(days=7),
                             court_tz=ZoneInfo("Asia/Shanghai")).create_court(
        SYSTEM, CreateCourt("重庆市渝北区人民法院", "渝0001"))
    await access.create_staff_user(SYSTEM, CreateStaffUser(
        "wangfang", "书记员王芳", "clerk", "clerk-password-1", court.id))  # type: ignore[arg-type]
    return access, passwords


async def test_an_unknown_username_is_verified_like_a_wrong_password(
        database: Database) -> None:
    access, passwords = await _access(database)
    with pytest.raises(Unauthenticated):
        await access.login("wangfang", "wrong-password")
    assert passwords.verified == ["fake$clerk-password-1"]
    for attempt in range(3):
        passwords.verified.clear()
        with pytest.raises(Unauthenticated) as refused:
            await access.login(f"nobody{attempt}", "wrong-password")
        assert len(passwords.verified) == 1  # the same one slow check
        assert passwords.verified[0] != "fake$wrong-password"  # a dummy nobody can match
        assert refused.value.message == "wrong username or password"
    assert passwords.hashed == 2  # the account, and one dummy made once for all unknowns
    logged = await access.login("wangfang", "clerk-password-1")
    assert logged.user.username == "wangfang"
