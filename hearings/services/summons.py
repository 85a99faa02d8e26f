"""Summoning a participant: the facts a summons (传票) or a notice to appear (出庭通知书)
prints, with a join link issued for it.

The join link in the summons' QR code is a credential (whoever holds it may enter the
hearing as that participant). So a summons is issued, never stored: each one mints a new
join link (audited as `summons.issued`, with the token's id, never the secret) and only
those who may issue join links may have one — the court's clerks and administrators
(policy `summons.issue`). Earlier links stay valid until they expire or are revoked.

Which document: 民事诉讼法 §139 summons the parties by 传票 and notifies everyone else by
通知书. Here a party (plaintiff, defendant, party) of a trial, a pre-trial hearing or a
sentencing gets a 传票; everyone else — witnesses, agents, interpreters, and parties of a
mediation or a confirmation review, who come voluntarily — a 出庭通知书.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from hearings.domain.actors import Actor
from hearings.domain.errors import Conflict, InvalidInput
from hearings.domain.hearing import Hearing, HearingKind
from hearings.domain.participants import Participant, Role
from hearings.domain.tokens import issue_join_token
from hearings.services.kiosks import issue_kiosk_code
from hearings.services.policy_checks import require_in
from hearings.services.ports import UnitOfWork

__all__ = ["SUMMONED_ROLES", "TRIAL_KINDS", "IssuedSummons", "Summonses", "summons_kind"]

SUMMONED_ROLES = frozenset({Role.PLAINTIFF, Role.DEFENDANT, Role.PARTY})
TRIAL_KINDS = frozenset({HearingKind.TRIAL, HearingKind.PRE_TRIAL, HearingKind.SENTENCING})


def summons_kind(hearing: Hearing, participant: Participant) -> str:
    """`summons` (传票) for a party of a trial; `appearance_notice` (出庭通知书) otherwise."""
    if participant.role in SUMMONED_ROLES and hearing.kind in TRIAL_KINDS:
        return "summons"
    return "appearance_notice"


@dataclass(frozen=True)
class IssuedSummons:
    kind: str  # summons | appearance_notice (docforge's kinds)
    court_name: str
    case_number: str
    case_title: str
    hearing: Hearing
    participant: Participant
    site_name: str | None  # the clinic or site the participant comes to; None: online
    secret: str  # the new join link's secret: printed once, in the PDF
    expires_at: datetime
    inquiry_code: str | None  # the case's public inquiry code, when the inquiry is open
    kiosk_code: str | None = None  # 8 digits for the kiosk of the participant's site


class Summonses:
    def __init__(self, uow: Callable[[], UnitOfWork], *, link_lifetime: timedelta) -> None:
        self._uow = uow
        self._link_lifetime = link_lifetime

    async def issue(self, actor: Actor, hearing_id: str, participant_id: str) -> IssuedSummons:
        async with self._uow() as uow:
            hearing = await uow.hearings.get(hearing_id)
            court_id = await require_in(uow, actor, "summons.issue", hearing)
            participant = hearing.participant(participant_id)
            if hearing.is_over:
                raise Conflict("the hearing is over: no summons")
            if participant.staff_user_id is not None:
                raise InvalidInput("a seat of a staff account is not summoned: staff sign in")
            case = await uow.cases.get(hearing.case_id)
            court = await uow.courts.get(court_id)
            site = await uow.sites.get(participant.site_id) if participant.site_id else None
            inquiry = await uow.inquiries.of_case(case.id)
            code = inquiry.code if inquiry is not None and inquiry.is_open(case) else None
            secret, token = issue_join_token(hearing.id, participant.id, participant.role,
                                             valid_for=self._link_lifetime)
            uow.tokens.add(token)
            kiosk_code = None
            if participant.site_id:  # comes to a clinic: a short code for its kiosk
                kiosk_code, kiosk_record = issue_kiosk_code(token, participant.site_id)
                uow.kiosks.add_code(kiosk_record)
            kind = summons_kind(hearing, participant)
            await uow.audit.append(actor.label, "summons.issued", hearing.id, {
                "participant_id": participant.id, "kind": kind, "token_id": token.id,
                "expires_at": token.expires_at.isoformat(), "inquiry": code is not None})
            await uow.commit()
            return IssuedSummons(kind, court.name, case.number, case.title, hearing,
                                 participant, site.name if site else None, secret,
                                 token.expires_at, code, kiosk_code)
