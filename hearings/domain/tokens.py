"""Join tokens: 160 random bits bound to one hearing, participant and role.

The same secret serves as the join link (/join/<secret>) and as the code printed
on a summons and typed at a kiosk, so it is grouped in fours of Crockford base32
(no I, L, O, U) and read back case-insensitively without dashes. Only its
SHA-256 is stored: a database leak does not hand out working links.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from hearings.domain.errors import InvalidInput, TokenRefused
from hearings.domain.identity import new_id, utcnow
from hearings.domain.participants import Role

__all__ = ["JoinToken", "issue_join_token", "normalise_secret", "secret_digest"]

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_SECRET_BYTES = 20  # 160 bits, 32 symbols
_ALIASES = str.maketrans({"I": "1", "L": "1", "O": "0"})


def _encode(raw: bytes) -> str:
    number = int.from_bytes(raw, "big")
    symbols = []
    for _ in range(len(raw) * 8 // 5):
        number, digit = divmod(number, 32)
        symbols.append(_ALPHABET[digit])
    return "".join(reversed(symbols))


def normalise_secret(secret: str) -> str:
    cleaned = secret.replace("-", "").replace(" ", "").upper().translate(_ALIASES)
    if len(cleaned) != 32 or any(c not in _ALPHABET for c in cleaned):
        raise InvalidInput("a join code has 32 letters and digits (dashes optional)")
    return cleaned


def secret_digest(secret: str) -> str:
    return hashlib.sha256(normalise_secret(secret).encode()).hexdigest()


@dataclass(eq=False)
class JoinToken:
    hearing_id: str
    participant_id: str
    role: Role
    digest: str
    expires_at: datetime
    revoked_at: datetime | None = None
    id: str = field(default_factory=new_id)
    created_at: datetime = field(default_factory=utcnow)

    def check(self, hearing_id: str, *, hearing_over: bool, now: datetime | None = None) -> None:
        """Raise `TokenRefused` unless this token may open `hearing_id` now."""
        now = now or utcnow()
        if self.revoked_at is not None:
            raise TokenRefused("revoked")
        if now >= self.expires_at:
            raise TokenRefused("token_expired")
        if hearing_id != self.hearing_id:
            raise TokenRefused("wrong_hearing")
        if hearing_over:
            raise TokenRefused("hearing_closed")

    def revoke(self) -> None:
        if self.revoked_at is None:
            self.revoked_at = utcnow()


def issue_join_token(
    hearing_id: str, participant_id: str, role: Role, *, valid_for: timedelta
) -> tuple[str, JoinToken]:
    """Return the secret (shown once, never stored) and the token record."""
    raw = _encode(secrets.token_bytes(_SECRET_BYTES))
    secret = "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))
    token = JoinToken(
        hearing_id=hearing_id,
        participant_id=participant_id,
        role=role,
        digest=secret_digest(secret),
        expires_at=utcnow() + valid_for,
    )
    return secret, token
