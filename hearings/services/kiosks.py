"""Clinic kiosks and the short kiosk code (issue 18.1).

A kiosk is enrolled by the court to one site: a device credential (160 random bits shown
once, only its SHA-256 stored; revocable). A participant who comes to a site gets, with
each join link, an 8-digit kiosk code bound to the participant, the hearing and the site.

The code opens the hearing only
  - on a kiosk enrolled to that participant's site and not revoked,
  - on the hearing's day in the court's time zone,
  - while neither the kiosk nor the code is locked out: refused tries are counted per
    kiosk and per code with the join codes' machinery (`hearings.services.access.Refusals`, the
    caller's), the refusal that reaches the limit locks the key and writes the one audit
    row of that lockout (`kiosk_code.locked`) — never one per try.
A redeemed code mints a fresh join token for the participant that expires at the end of
that day: the kiosk then joins exactly like a long code (the long link stays for phones).

8 digits hash to a space small enough to enumerate: the stored digest only keeps the code
out of plain sight; the kiosk binding, the day and the lockouts are what protect it.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, tzinfo

from hearings.domain.actors import Actor
from hearings.domain.errors import InvalidInput, NotFound, TokenRefused
from hearings.domain.identity import new_id, utcnow
from hearings.domain.policy import require
from hearings.domain.tokens import JoinToken, issue_join_token
from hearings.services.access import CALLER, Admission, Caller, TooManyAttempts
from hearings.services.ports import UnitOfWork

__all__ = ["CODE_DIGITS", "Kiosk", "KioskCode", "Kiosks", "is_kiosk_code", "issue_kiosk_code",
           "kiosk_digest"]

CODE_DIGITS = 8


@dataclass(eq=False)
class Kiosk:
    site_id: str
    label: str
    digest: str
    revoked_at: datetime | None = None
    id: str = field(default_factory=new_id)
    created_at: datetime = field(default_factory=utcnow)

    def revoke(self) -> None:
        if self.revoked_at is None:
            self.revoked_at = utcnow()


@dataclass(eq=False)
class KioskCode:
    hearing_id: str
    participant_id: str
    site_id: str
    token_id: str  # the join token issued with it: revoking the links revokes the code
    digest: str
    id: str = field(default_factory=new_id)
    created_at: datetime = field(default_factory=utcnow)


def kiosk_digest(secret: str) -> str:
    return hashlib.sha256(secret.strip().encode()).hexdigest()


def _code_digest(code: str) -> str:
    return hashlib.sha256(f"kiosk-code:{code}".encode()).hexdigest()


def is_kiosk_code(text: str) -> bool:
    cleaned = text.replace(" ", "").replace("-", "")
    return len(cleaned) == CODE_DIGITS and cleaned.isascii() and cleaned.isdigit()


def issue_kiosk_code(token: JoinToken, site_id: str) -> tuple[str, KioskCode]:
    """Return the code (shown once, printed on the summons) and its record, bound to the
    join token issued with it."""
    code = f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"
    return code, KioskCode(token.hearing_id, token.participant_id, site_id, token.id,
                           _code_digest(code))


@dataclass(frozen=True)
class Redeemed:
    secret: str  # a fresh join secret, valid until the end of the hearing's day
    admission: Admission


class Kiosks:
    def __init__(self, uow: Callable[[], UnitOfWork], *, court_tz: tzinfo) -> None:
        self._uow, self._tz = uow, court_tz

    async def enroll(self, actor: Actor, site_id: str, label: str) -> tuple[str, Kiosk]:
        label = label.strip()
        if not 1 <= len(label) <= 100:
            raise InvalidInput("a kiosk's label has 1 to 100 characters")
        async with self._uow() as uow:
            site = await uow.sites.get(site_id)
            require(actor, "kiosk.enroll", court_id=site.court_id)
            secret = secrets.token_urlsafe(32)
            kiosk = Kiosk(site.id, label, kiosk_digest(secret))
            uow.kiosks.add(kiosk)
            await uow.audit.append(actor.label, "kiosk.enrolled", None,
                                   {"kiosk_id": kiosk.id, "site_id": site.id})
            await uow.commit()
            return secret, kiosk

    async def of_site(self, actor: Actor, site_id: str) -> list[Kiosk]:
        async with self._uow() as uow:
            site = await uow.sites.get(site_id)
            require(actor, "kiosk.list", court_id=site.court_id)
            return await uow.kiosks.of_site(site.id)

    async def revoke(self, actor: Actor, kiosk_id: str) -> Kiosk:
        async with self._uow() as uow:
            kiosk = await uow.kiosks.get(kiosk_id)
            site = await uow.sites.get(kiosk.site_id)
            require(actor, "kiosk.revoke", court_id=site.court_id)
            if kiosk.revoked_at is None:
                kiosk.revoke()
                await uow.audit.append(actor.label, "kiosk.revoked", None,
                                       {"kiosk_id": kiosk.id, "site_id": site.id})
                await uow.commit()
            return kiosk

    async def kiosk(self, secret: str | None) -> Kiosk | None:
        """The enrolled, unrevoked kiosk holding `secret`; None for any other browser."""
        if not secret or len(secret) > 100:
            return None
        async with self._uow() as uow:
            kiosk = await uow.kiosks.by_digest(kiosk_digest(secret))
        return kiosk if kiosk is not None and kiosk.revoked_at is None else None

    async def redeem(self, kiosk_secret: str | None, code: str, *,
                     now: datetime | None = None) -> Redeemed:
        """Exchange a short code typed at a kiosk for a join secret of that day."""
        code = code.replace(" ", "").replace("-", "")
        if not is_kiosk_code(code):
            raise InvalidInput("a kiosk code has 8 digits")
        kiosk = await self.kiosk(kiosk_secret)
        if kiosk is None:
            raise TokenRefused("unknown_token")  # the digits open nothing elsewhere
        caller = CALLER.get()
        digest = _code_digest(code)
        keys = [f"kiosk:{kiosk.id}", f"kiosk-code:{digest}"]
        if caller is not None:
            wait = max([await caller.refusals.blocked_for(k) for k in keys])
            if wait > 0:
                raise TooManyAttempts(wait)
        now = now or utcnow()
        async with self._uow() as uow:
            try:
                match = next((c for c in await uow.kiosks.codes_by_digest(digest)
                              if c.site_id == kiosk.site_id), None)
                if match is None:
                    raise TokenRefused("unknown_token")
                hearing = await uow.hearings.get(match.hearing_id)
                day = hearing.scheduled_at.astimezone(self._tz).date()
                if now.astimezone(self._tz).date() != day:
                    raise TokenRefused("token_expired")  # or not yet valid
                if hearing.is_over:
                    raise TokenRefused("hearing_closed")
                participant = hearing.participant(match.participant_id)
                if not any(t.id == match.token_id and t.revoked_at is None
                           for t in await uow.tokens.of_participant(participant.id)):
                    raise TokenRefused("revoked")
            except (TokenRefused, NotFound) as refused:
                await self._refused(uow, caller, kiosk, keys)
                if isinstance(refused, NotFound):
                    raise TokenRefused("unknown_token") from None
                raise
            end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=self._tz)
            secret, token = issue_join_token(hearing.id, participant.id, participant.role,
                                             valid_for=end - now)
            uow.tokens.add(token)
            await uow.audit.append(f"kiosk:{kiosk.id}", "kiosk_code.redeemed", hearing.id,
                                   {"participant_id": participant.id, "token_id": token.id})
            await uow.commit()
            return Redeemed(secret, Admission(hearing, participant, token))

    async def _refused(self, uow: UnitOfWork, caller: Caller | None, kiosk: Kiosk,
                       keys: list[str]) -> None:
        """Count the refusal per kiosk and per code; audit only the try that locks one."""
        if caller is None:
            return
        locked = [(key, tally) for key in keys
                  if (tally := await caller.refusals.refused(key)).locked_for > 0]
        if locked:
            await uow.audit.append(f"kiosk:{kiosk.id}", "kiosk_code.locked", None, {
                "kiosk_id": kiosk.id, "site_id": kiosk.site_id, "address": caller.address,
                "locked": [key.split(":")[0] for key, _ in locked],
                "count": max(t.count for _, t in locked),
                "locked_for": round(max(t.locked_for for _, t in locked))})
            await uow.commit()
