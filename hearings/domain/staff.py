"""Court staff who log in: clerks, judges, mediators, administrators, and their sessions."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from hearings.domain.errors import InvalidInput
from hearings.domain.identity import new_id, utcnow
from hearings.domain.values import member, text

__all__ = ["StaffRole", "StaffSession", "StaffUser"]


class StaffRole(StrEnum):
    ADMIN = "admin"
    CLERK = "clerk"
    JUDGE = "judge"
    MEDIATOR = "mediator"


@dataclass(eq=False)
class StaffUser:
    username: str
    display_name: str
    role: StaffRole
    password_hash: str
    court_id: str | None = None
    # A judge on the court's duty roster takes judicial-confirmation applications.
    on_duty: bool = False
    # A disabled account logs in no more, and its sessions are ended when it is disabled.
    active: bool = True
    # Set by an administrator's reset: the one-time password only opens the change form.
    must_change_password: bool = False
    id: str = field(default_factory=new_id)

    def __post_init__(self) -> None:
        self.username = text(self.username, "username", max_length=64)
        if not self.username.isascii() or " " in self.username:
            raise InvalidInput(f"'username' must be ASCII without spaces (got {self.username!r})")
        self.display_name = text(self.display_name, "display_name")
        self.role = member(StaffRole, self.role, "role")


@dataclass(eq=False)
class StaffSession:
    """A logged-in browser; only the digest of its cookie value is stored."""

    user_id: str
    digest: str
    csrf_token: str
    expires_at: datetime
    id: str = field(default_factory=new_id)

    @staticmethod
    def new_csrf_token() -> str:
        return secrets.token_urlsafe(32)

    def expired(self, now: datetime | None = None) -> bool:
        return (now or utcnow()) >= self.expires_at

    @staticmethod
    def lifetime(hours: float) -> datetime:
        return utcnow() + timedelta(hours=hours)
