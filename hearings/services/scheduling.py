"""Service handlers for scheduling: courts, sites, cases, hearings, invitations, join links."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from hearings.domain.actors import Actor
from hearings.domain.cases import Case, CaseNumber
from hearings.domain.commands import (
    CreateCourt,
    CreateSite,
    InviteParticipant,
    IssueJoinLink,
    OpenCase,
    RevokeJoinLinks,
    ScheduleHearing,
)
from hearings.domain.courts import Court, Site
from hearings.domain.errors import Conflict, InvalidInput, PermissionDenied
from hearings.domain.hearing import Hearing, HearingKind
from hearings.domain.identity import utcnow
from hearings.domain.participants import Participant, Role
from hearings.domain.policy import court_filter, require
from hearings.domain.staff import StaffRole, StaffUser
from hearings.domain.tokens import issue_join_token
from hearings.services.kiosks import issue_kiosk_code
from hearings.services.ports import UnitOfWork

__all__ = ["SEAT_STAFF_ROLES", "IssuedLink", "Scheduling", "hearings_on"]

# A seat bound to a staff account must fit the account: that account's key signs for it.
SEAT_STAFF_ROLES: dict[Role, frozenset[StaffRole]] = {
    Role.JUDGE: frozenset({StaffRole.JUDGE}),
    Role.ASSESSOR: frozenset({StaffRole.JUDGE}),
    Role.CLERK: frozenset({StaffRole.CLERK}),
    Role.MEDIATOR: frozenset({StaffRole.MEDIATOR, StaffRole.JUDGE}),
}


@dataclass(frozen=True)
class IssuedLink:
    secret: str  # shown once: the join link and the code on the summons
    participant: Participant
    expires_at: datetime
    kiosk_code: str | None = None  # 8 digits for a kiosk of the participant's site, shown once


class Scheduling:
    def __init__(
        self, uow: Callable[[], UnitOfWork], *, link_lifetime: timedelta, court_tz: tzinfo
    ) -> None:
        self._uow = uow
        self._link_lifetime = link_lifetime
        self._court_tz = court_tz

    async def create_court(self, actor: Actor, cmd: CreateCourt) -> Court:
        require(actor, "court.create")
        async with self._uow() as uow:
            if await uow.courts.by_code(cmd.code) is not None:
                raise Conflict(f"a court with code {cmd.code!r} exists already")
            court = Court(name=cmd.name, code=cmd.code)
            uow.courts.add(court)
            await uow.audit.append(actor.label, "court.created", None,
                                   {"court_id": court.id, "name": court.name, "code": court.code})
            await uow.commit()
            return court

    async def courts(self, actor: Actor) -> list[Court]:
        require(actor, "court.list")
        only = court_filter(actor)
        async with self._uow() as uow:
            return [c for c in await uow.courts.list() if only in (None, c.id)]

    async def court_by_code(self, actor: Actor, code: str) -> Court | None:
        """The court with this code, among those the actor may list (None: no such court)."""
        require(actor, "court.list")
        only = court_filter(actor)
        async with self._uow() as uow:
            court = await uow.courts.by_code(code)
        return court if court is not None and only in (None, court.id) else None

    async def create_site(self, actor: Actor, cmd: CreateSite) -> Site:
        async with self._uow() as uow:
            await uow.courts.get(cmd.court_id)
            require(actor, "site.create", court_id=cmd.court_id)
            site = Site(court_id=cmd.court_id, name=cmd.name, kind=cmd.kind,
                        device_profile=cmd.device_profile)
            uow.sites.add(site)
            await uow.audit.append(actor.label, "site.created", None,
                                   {"site_id": site.id, "name": site.name, "kind": site.kind})
            await uow.commit()
            return site

    async def sites(self, actor: Actor, court_id: str) -> list[Site]:
        async with self._uow() as uow:
            court = await uow.courts.get(court_id)
            require(actor, "site.list", court_id=court.id)
            return await uow.sites.of_court(court.id)

    async def case(self, actor: Actor, case_id: str) -> tuple[Case, list[Hearing]]:
        """A case and its hearings."""
        async with self._uow() as uow:
            case = await uow.cases.get(case_id)
            require(actor, "case.read", court_id=case.court_id)
            return case, await uow.hearings.of_case(case.id)

    async def case_by_number(self, actor: Actor, number: str
                             ) -> tuple[Case, list[Hearing]] | None:
        """The case with this number and its hearings (None: no such case)."""
        async with self._uow() as uow:
            case = await uow.cases.by_number(number)
            if case is None:
                return None
            require(actor, "case.read", court_id=case.court_id)
            return case, await uow.hearings.of_case(case.id)

    async def open_case(self, actor: Actor, cmd: OpenCase) -> Case:
        async with self._uow() as uow:
            court = await uow.courts.get(cmd.court_id)
            require(actor, "case.open", court_id=court.id)
            if cmd.number is not None:
                number = str(CaseNumber.parse(cmd.number))
            else:
                if cmd.procedure is None:
                    raise InvalidInput("give either 'number' or 'procedure'")
                year = cmd.year or utcnow().year
                last = await uow.cases.last_sequence(court.code, year, cmd.procedure)
                number = str(CaseNumber(year, court.code, cmd.procedure, last + 1))
            if await uow.cases.by_number(number) is not None:
                raise Conflict(f"case {number} exists already")
            case = Case(court_id=court.id, number=number, case_type=cmd.case_type,
                        title=cmd.title)
            uow.cases.add(case)
            await uow.audit.append(actor.label, "case.opened", None,
                                   {"case_id": case.id, "number": case.number})
            await uow.commit()
            return case

    async def schedule_hearing(self, actor: Actor, cmd: ScheduleHearing) -> Hearing:
        async with self._uow() as uow:
            case = await uow.cases.get(cmd.case_id)
            require(actor, "hearing.schedule", court_id=case.court_id)
            if cmd.presiding_user_id is not None:
                judge = await uow.staff.get(cmd.presiding_user_id)
                if judge.court_id != case.court_id:
                    raise InvalidInput("the presiding judge belongs to another court")
                seat = Role.MEDIATOR if cmd.kind == HearingKind.MEDIATION else Role.JUDGE
                if judge.role not in SEAT_STAFF_ROLES[seat]:
                    raise InvalidInput(f"the presiding {seat.value} must be a staff account of "
                                       f"role {sorted(r.value for r in SEAT_STAFF_ROLES[seat])}"
                                       f" (got {judge.role.value!r})")
            hearing = Hearing(case_id=case.id, kind=cmd.kind, title=cmd.title,
                              scheduled_at=cmd.scheduled_at,
                              presiding_user_id=cmd.presiding_user_id)
            uow.hearings.add(hearing)
            await uow.audit.append(actor.label, "hearing.scheduled", hearing.id, {
                "case": case.number, "kind": hearing.kind,
                "scheduled_at": hearing.scheduled_at.isoformat()})
            await uow.commit()
            return hearing

    async def invite(self, actor: Actor, cmd: InviteParticipant) -> Participant:
        async with self._uow() as uow:
            hearing = await uow.hearings.get(cmd.hearing_id)
            court_id = await _court_of(uow, hearing)
            require(actor, "participant.invite", court_id=court_id, hearing=hearing)
            if cmd.site_id is not None:
                await uow.sites.get(cmd.site_id)
            if cmd.staff_user_id is not None:
                _check_seat(actor, cmd.role, await uow.staff.get(cmd.staff_user_id), court_id)
            participant = hearing.invite(cmd.name, cmd.role, site_id=cmd.site_id,
                                         staff_user_id=cmd.staff_user_id, minor=cmd.minor)
            await uow.audit.append(actor.label, "participant.invited", hearing.id, {
                "participant_id": participant.id, "name": participant.name,
                "role": participant.role, "site_id": participant.site_id,
                "staff_user_id": participant.staff_user_id,
                **({"minor": True} if participant.minor else {})})
            await uow.commit()
            return participant

    async def issue_join_link(self, actor: Actor, cmd: IssueJoinLink) -> IssuedLink:
        async with self._uow() as uow:
            hearing = await uow.hearings.get(cmd.hearing_id)
            require(actor, "join_link.issue", court_id=await _court_of(uow, hearing),
                    hearing=hearing)
            participant = hearing.participant(cmd.participant_id)
            if hearing.is_over:
                raise Conflict("the hearing is over: no new join links")
            secret, token = issue_join_token(hearing.id, participant.id, participant.role,
                                             valid_for=self._link_lifetime)
            uow.tokens.add(token)
            code = None
            if participant.site_id:  # comes to a clinic: a short code for its kiosk
                code, kiosk_code = issue_kiosk_code(token, participant.site_id)
                uow.kiosks.add_code(kiosk_code)
            await uow.audit.append(actor.label, "join_link.issued", hearing.id, {
                "participant_id": participant.id, "token_id": token.id,
                "expires_at": token.expires_at.isoformat(), "kiosk_code": code is not None})
            await uow.commit()
            return IssuedLink(secret, participant, token.expires_at, code)

    async def revoke_join_links(self, actor: Actor, cmd: RevokeJoinLinks) -> int:
        async with self._uow() as uow:
            hearing = await uow.hearings.get(cmd.hearing_id)
            require(actor, "join_link.revoke", court_id=await _court_of(uow, hearing),
                    hearing=hearing)
            participant = hearing.participant(cmd.participant_id)
            revoked = 0
            for token in await uow.tokens.of_participant(participant.id):
                if token.revoked_at is None:
                    token.revoke()
                    revoked += 1
            await uow.audit.append(actor.label, "join_link.revoked", hearing.id,
                                   {"participant_id": participant.id, "count": revoked})
            await uow.commit()
            return revoked

    async def hearings_of_day(self, actor: Actor, day: date) -> list[Hearing]:
        """The hearings scheduled on `day` as the court's calendar reckons it."""
        require(actor, "hearing.list")
        async with self._uow() as uow:
            return await hearings_on(uow, actor, day, self._court_tz)

    async def hearing(self, actor: Actor, hearing_id: str,
                      action: str | Callable[[Hearing], str] = "hearing.read") -> Hearing:
        """One hearing, if the policy lets `actor` do `action` to it (reading, by default;
        a callable names the action by the hearing, e.g. `policy.recording_action`)."""
        async with self._uow() as uow:
            hearing = await uow.hearings.get(hearing_id)
            name = action if isinstance(action, str) else action(hearing)
            require(actor, name, court_id=await _court_of(uow, hearing), hearing=hearing)
            return hearing


async def hearings_on(uow: UnitOfWork, actor: Actor, day: date, court_tz: tzinfo
                      ) -> list[Hearing]:
    """The hearings of the actor's courts scheduled on `day` as the court's calendar reckons
    it (the caller asked the policy for `hearing.list`)."""
    start = datetime.combine(day, time.min, tzinfo=court_tz)
    return await uow.hearings.scheduled_between(start, start + timedelta(days=1),
                                                court_id=court_filter(actor))


async def _court_of(uow: UnitOfWork, hearing: Hearing) -> str:
    return (await uow.cases.get(hearing.case_id)).court_id


def _check_seat(actor: Actor, role: Role, user: StaffUser, court_id: str) -> None:
    """A seat bound to a staff account is signed for with that account's key: the account must
    be of this court and fit the seat, and nobody binds a judge's seat to themselves."""
    if role is Role.JUDGE and actor.kind == "staff" and actor.id == user.id:
        raise PermissionDenied("you may not bind a judge's seat to your own account")
    fits = SEAT_STAFF_ROLES.get(role, frozenset())
    if user.role not in fits:
        raise InvalidInput(f"a {role.value} seat cannot be bound to a staff account of role "
                           f"{user.role.value!r} (must be in {sorted(f.value for f in fits)})")
    if user.court_id != court_id:
        raise InvalidInput("the staff account bound to the seat belongs to another court")
