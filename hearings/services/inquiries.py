"""Service handlers of One Case, One Code: staff see and switch a case's inquiry and set the
parties' digits; anyone with a code and a party's last 4 digits learns the stage.

A public inquiry refuses every miss alike (`InquiryRefused`) after the same work: the code
is looked up, the case and its digests are read — a dummy's when there is no case — and
the digits are compared against at least one digest. Misses are tallied per code (5 in a
fixed 15-minute window lock the code, whether or not it exists, so the lock tells nothing
either); the audit log gets the window's first miss and one summary when the lock starts,
and for answers the window's first one per code and a summary at the same count.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime

from hearings.domain.actors import Actor
from hearings.domain.cases import Case
from hearings.domain.confirmation import JudicialConfirmation
from hearings.domain.errors import InvalidInput, NotFound
from hearings.domain.identity import utcnow
from hearings.domain.inquiry import (
    CaseInquiry,
    FactorKind,
    InquiryFactor,
    InquiryRefused,
    Progress,
    factor_digest,
    last4,
    matches,
    normalize_code,
    progress_of,
)
from hearings.domain.mediation import Mediation
from hearings.domain.policy import require
from hearings.services.access import CALLER, Refusals, TooManyAttempts
from hearings.services.ports import UnitOfWork

__all__ = ["INQUIRY_LIMIT", "INQUIRY_WINDOW_SECONDS", "Inquiries", "InquiryLocked"]

INQUIRY_LIMIT = 5  # misses per code ...
INQUIRY_WINDOW_SECONDS = 15 * 60.0  # ... in this window lock it until the window ends
_NOBODY = "0" * 32  # the case id whose digests a miss reads: there is none
_DUMMY_DIGEST = factor_digest(_NOBODY, "----")


class InquiryLocked(TooManyAttempts):
    """Too many misses for one inquiry code: it answers nothing until `retry_after`."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(retry_after)
        self.message = "too many wrong tries for this code; try again later"
        self.args = (self.message,)


class Inquiries:
    def __init__(self, uow: Callable[[], UnitOfWork], refusals: Refusals | None = None, *,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self._uow = uow
        self._refusals = refusals  # None: no lockout, every query audited on its own
        self._clock = clock

    async def of_case(self, actor: Actor, case_id: str) -> tuple[Case, CaseInquiry]:
        """The case's inquiry, made when first asked for (every case has one)."""
        async with self._uow() as uow:
            case = await uow.cases.get(case_id)
            require(actor, "case.read", court_id=case.court_id)
            inquiry = await uow.inquiries.of_case(case.id)
            if inquiry is None:
                inquiry = CaseInquiry(case.id)
                uow.inquiries.add(inquiry)
                await uow.audit.append(actor.label, "inquiry.created", None,
                                       {"case_id": case.id})
                await uow.commit()
            return case, inquiry

    async def configure(self, actor: Actor, case_id: str, *, enabled: bool | None = None,
                        juvenile: bool | None = None) -> tuple[Case, CaseInquiry]:
        """Turn the inquiry on or off, or mark the case juvenile (None: leave as it is)."""
        await self.of_case(actor, case_id)
        async with self._uow() as uow:
            case = await uow.cases.get(case_id)
            require(actor, "case.inquiry", court_id=case.court_id)
            inquiry = await uow.inquiries.of_case(case.id)
            assert inquiry is not None
            if enabled is not None:
                inquiry.enabled = enabled
            if juvenile is not None:
                case.juvenile = juvenile
            await uow.audit.append(actor.label, "inquiry.configured", None, {
                "case_id": case.id, "enabled": inquiry.enabled, "juvenile": case.juvenile})
            await uow.commit()
            return case, inquiry

    async def set_digits(self, actor: Actor, case_id: str, participant_id: str, *,
                         id_number_last4: str | None = None, phone_last4: str | None = None
                         ) -> list[FactorKind]:
        """Store (a digest of) a party's last 4 digits; "" forgets them. Returns the kinds
        the party now has."""
        given = {FactorKind.ID_NUMBER: id_number_last4, FactorKind.PHONE: phone_last4}
        async with self._uow() as uow:
            case = await uow.cases.get(case_id)
            require(actor, "case.inquiry", court_id=case.court_id)
            seated = {p.id for h in await uow.hearings.of_case(case.id) for p in h.participants}
            if participant_id not in seated:
                raise NotFound("participant", participant_id)
            for kind, value in given.items():
                if value is None:
                    continue
                factor = await uow.inquiries.factor(participant_id, kind)
                if value == "":
                    if factor is not None:
                        await uow.inquiries.drop_factor(factor)
                    continue
                digest = factor_digest(case.id, last4(value, f"{kind.value}_last4"))
                if factor is None:
                    uow.inquiries.add_factor(InquiryFactor(case.id, participant_id, kind,
                                                           digest))
                else:
                    factor.digest = digest
            await uow.audit.append(actor.label, "inquiry.digits_set", None, {
                "case_id": case.id, "participant_id": participant_id,
                "kinds": sorted(k.value for k, v in given.items() if v is not None)})
            await uow.commit()
            kinds = [f.kind for f in await uow.inquiries.factors(case.id)
                     if f.participant_id == participant_id]
            return sorted(kinds)

    async def set_digits_at(self, actor: Actor, hearing_id: str, participant_id: str, *,
                            id_number_last4: str | None = None,
                            phone_last4: str | None = None) -> list[FactorKind]:
        """`set_digits` for a participant just invited to `hearing_id` (its case's)."""
        async with self._uow() as uow:
            case_id = (await uow.hearings.get(hearing_id)).case_id
        return await self.set_digits(actor, case_id, participant_id,
                                     id_number_last4=id_number_last4, phone_last4=phone_last4)

    async def ask(self, code: object, digits: object) -> Progress:
        """The stage and next date of the case whose code and party's digits these are."""
        normal = normalize_code(code)
        key = "inquiry:" + hashlib.sha256((normal or repr(code)[:80]).encode()).hexdigest()[:32]
        if self._refusals is not None:
            wait = await self._refusals.blocked_for(key)
            if wait > 0:
                raise InquiryLocked(wait)
        try:
            typed = last4(digits, "digits")
        except InvalidInput:
            typed = "----"  # matches no digest, but is compared all the same
        async with self._uow() as uow:
            inquiry = await uow.inquiries.by_code(normal) if normal else None
            case_id = inquiry.case_id if inquiry is not None else _NOBODY
            case = await _case_or_none(uow, case_id)
            digests = [f.digest for f in await uow.inquiries.factors(case_id)]
            right = matches(typed, case_id, digests or [_DUMMY_DIGEST]) and bool(digests)
            open_ = inquiry is not None and case is not None and inquiry.is_open(case)
            if not (right and open_) or case is None:
                await self._audit(uow, key, "inquiry.refused", case.id if case else None,
                                  refused=True)
                raise InquiryRefused()
            progress = await self._progress(uow, case)
            await self._audit(uow, key, "inquiry.answered", case.id, refused=False)
            return progress

    async def _progress(self, uow: UnitOfWork, case: Case) -> Progress:
        hearings = await uow.hearings.of_case(case.id)
        mediations: list[Mediation] = []
        confirmations: list[JudicialConfirmation] = []
        for hearing in hearings:
            mediation = await uow.mediations.of_hearing(hearing.id)
            if mediation is not None:
                mediations.append(mediation)
            confirmations += await uow.confirmations.of_hearing(hearing.id)
        return progress_of(hearings, mediations, confirmations, self._clock())

    async def _audit(self, uow: UnitOfWork, key: str, action: str, case_id: str | None, *,
                     refused: bool) -> None:
        """One row per code and window: the first query, then a summary at the limit."""
        caller = CALLER.get()
        details: dict[str, object] = {"case_id": case_id}
        if caller is not None:
            details["address"] = caller.address
        if self._refusals is not None:
            # Answers are counted under their own key: they never lock the code.
            tally = await self._refusals.refused(key if refused else key + ":answered")
            reached = tally.locked_for > 0
            if tally.count > 1 and not reached:
                return
            details["count"] = tally.count
            if reached and refused:
                details["locked_for"] = round(tally.locked_for)
        await uow.audit.append("anonymous", action, None, details)
        await uow.commit()


async def _case_or_none(uow: UnitOfWork, case_id: str) -> Case | None:
    try:
        return await uow.cases.get(case_id)
    except NotFound:
        return None
