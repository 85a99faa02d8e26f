"""Service handlers of e+ clinic bookings (hearings/domain/bookings.py): publish a slot, see the
free slots of a day, book one (a clerk, or a clinic's enrolled kiosk), see the day's
bookings, turn a mediation-guidance booking into a mediation.

Who may do what is the access policy's (`booking.*` in hearings/domain/policy.py); a kiosk is no
staff actor: it books by its device credential (the digest of an enrolled, unrevoked
kiosk), for its own site, in its court's slots — as it lets a villager join by a code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from hearings.domain.actors import Actor
from hearings.domain.bookings import (
    MAX_AHEAD,
    MAX_SLOT_MINUTES,
    Booking,
    Service,
    Slot,
    parse_services,
)
from hearings.domain.cases import Case, CaseNumber, CaseType
from hearings.domain.courts import Site
from hearings.domain.errors import Conflict, InvalidInput, PermissionDenied
from hearings.domain.hearing import Hearing, HearingKind
from hearings.domain.identity import utcnow
from hearings.domain.participants import Role
from hearings.domain.policy import require
from hearings.domain.staff import StaffRole
from hearings.domain.tokens import issue_join_token
from hearings.domain.values import member, text
from hearings.services.kiosks import Kiosk, issue_kiosk_code, kiosk_digest
from hearings.services.notifications import INVITATION, by_channel, notice
from hearings.services.ports import UnitOfWork

__all__ = ["Booked", "Bookings", "DaySlot"]

REGISTER = "咨"  # the consultation register (hearings/domain/cases.py)
HOSTS = frozenset({StaffRole.JUDGE, StaffRole.MEDIATOR})
SERVICE_TITLES = {Service.LEGAL_ADVICE: "法律咨询", Service.MEDIATION_GUIDANCE: "调解指导",
                  Service.FILING_HELP: "立案帮助"}


@dataclass(frozen=True)
class Booked:
    booking: Booking
    hearing: Hearing
    case_number: str
    secret: str  # the villager's join link, shown once
    kiosk_code: str  # the 8 digits for the clinic's kiosk, shown once
    expires_at: datetime


@dataclass(frozen=True)
class DaySlot:
    slot: Slot
    booking: Booking | None


class Bookings:
    def __init__(self, uow: Callable[[], UnitOfWork], *, court_tz: tzinfo,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self._uow, self._tz, self._clock = uow, court_tz, clock

    async def publish(self, actor: Actor, starts_at: datetime, minutes: object,
                      services: object, host_user_id: str | None = None) -> Slot:
        """A judge or mediator publishes a slot of theirs (a clerk, for one of the court)."""
        if not isinstance(minutes, int) or isinstance(minutes, bool):
            raise InvalidInput("'minutes' must be a whole number")
        if not 1 <= minutes <= MAX_SLOT_MINUTES:  # before any date arithmetic can overflow
            raise InvalidInput(f"a slot lasts 1 to {MAX_SLOT_MINUTES} minutes")
        offered = parse_services(services)
        now = self._clock()
        if not now < starts_at < now + MAX_AHEAD:
            raise InvalidInput("a slot starts in the future, within a year")
        async with self._uow() as uow:
            host = await uow.staff.get(host_user_id or actor.id)
            if actor.kind == "staff" and actor.staff_role in HOSTS and host.id != actor.id:
                raise PermissionDenied("judges and mediators publish their own slots")
            require(actor, "booking.publish", court_id=host.court_id)
            if host.role not in HOSTS or host.court_id is None or not host.active:
                raise InvalidInput("a slot belongs to an active judge or mediator of the court")
            slot = Slot(host.court_id, host.id, starts_at,
                        starts_at + timedelta(minutes=minutes), offered)
            mine = await uow.bookings.slots_between(
                host.court_id, starts_at - timedelta(days=1), slot.ends_at, host.id)
            if any(s.withdrawn_at is None and s.starts_at < slot.ends_at
                   and slot.starts_at < s.ends_at for s in mine):
                raise Conflict("this slot overlaps another slot of the same host")
            uow.bookings.add_slot(slot)
            await uow.audit.append(actor.label, "booking.slot_published", None, {
                "slot_id": slot.id, "host_user_id": host.id,
                "starts_at": slot.starts_at.isoformat(), "services": offered})
            await uow.commit()
            return slot

    async def day(self, actor: Actor, day: date, *, mine: bool | None = None
                  ) -> list[DaySlot]:
        """The day's slots with their bookings: a judge's or mediator's own, a clerk's for
        the whole court (or their own with `mine`)."""
        if actor.kind != "staff" or actor.court_id is None:
            raise PermissionDenied("booking.list: staff of a court only")
        require(actor, "booking.list", court_id=actor.court_id)
        own = mine if mine is not None else actor.staff_role in HOSTS
        async with self._uow() as uow:
            return await self._day(uow, actor.court_id, day, actor.id if own else None)

    async def free_at_kiosk(self, kiosk_secret: str | None, day: date) -> tuple[Kiosk, Site,
                                                                                list[DaySlot]]:
        """What the clinic's kiosk may book on `day`: its court's slots, free ones only."""
        async with self._uow() as uow:
            kiosk, site = await _kiosk(uow, kiosk_secret)
            now = self._clock()
            slots = [s for s in await self._day(uow, site.court_id, day, None)
                     if s.booking is None and s.slot.withdrawn_at is None
                     and s.slot.ends_at > now]
            return kiosk, site, slots

    async def book(self, actor: Actor, slot_id: str, service: object, name: object,
                   site_id: str, email: object = None, consent: object = False) -> Booked:
        """A clerk books a service for a villager at a clinic (by telephone)."""
        async with self._uow() as uow:
            slot = await uow.bookings.slot(slot_id)
            require(actor, "booking.make", court_id=slot.court_id)
            site = await uow.sites.get(site_id)
            return await self._book(uow, actor.label, slot, site, service, name, email,
                                    consent)

    async def book_at_kiosk(self, kiosk_secret: str | None, slot_id: str, service: object,
                            name: object, email: object = None, consent: object = False
                            ) -> Booked:
        """The villager (or the clinic's attendant) books at the clinic's enrolled kiosk."""
        async with self._uow() as uow:
            kiosk, site = await _kiosk(uow, kiosk_secret)
            slot = await uow.bookings.slot(slot_id)
            return await self._book(uow, f"kiosk:{kiosk.id}", slot, site, service, name,
                                    email, consent)

    async def _book(self, uow: UnitOfWork, by: str, slot: Slot, site: Site, service: object,
                    name: object, email: object, consent: object) -> Booked:
        wanted = member(Service, service, "service")
        person = text(name, "name")
        if not isinstance(consent, bool):
            raise InvalidInput("consent_electronic_service must be true or false")
        now = self._clock()
        slot.check_bookable(wanted, now)
        if site.court_id != slot.court_id:
            raise InvalidInput("the clinic belongs to another court than the slot")
        court = await uow.courts.get(slot.court_id)
        # the court's row lock (case numbers) also queues racing bookings on PostgreSQL
        year = slot.starts_at.astimezone(self._tz).year
        last = await uow.cases.last_sequence(court.code, year, REGISTER)
        if await uow.bookings.of_slot(slot.id) is not None:
            raise Conflict("this slot is booked already")
        host = await uow.staff.get(slot.host_user_id)
        title = f"{SERVICE_TITLES[wanted]} {person}"
        case = Case(court_id=court.id, number=str(CaseNumber(year, court.code, REGISTER, last + 1)),
                    case_type=CaseType.CONSULTATION, title=title)
        hearing = Hearing(case_id=case.id, kind=HearingKind.CONSULTATION, title=title,
                          scheduled_at=slot.starts_at, presiding_user_id=host.id)
        seat = Role.JUDGE if host.role is StaffRole.JUDGE else Role.MEDIATOR
        hearing.invite(host.display_name, seat, staff_user_id=host.id)
        villager = hearing.invite(person, Role.PARTY, site_id=site.id)
        if email not in (None, ""):
            villager.set_contact(email, consent)
        secret, token = issue_join_token(hearing.id, villager.id, villager.role,
                                         valid_for=slot.ends_at + timedelta(days=1) - now)
        code, kiosk_code = issue_kiosk_code(token, site.id)
        booking = Booking(slot.id, hearing.id, site.id, wanted, person, villager.id, by)
        # rows are written in the order their references need (each query flushes)
        uow.cases.add(case)
        await uow.cases.by_number(case.number)
        uow.hearings.add(hearing)
        await uow.hearings.get(hearing.id)
        uow.tokens.add(token)
        uow.kiosks.add_code(kiosk_code)
        uow.bookings.add(booking)
        for note in by_channel(notice(INVITATION, hearing, villager, case.number, self._tz),
                               villager):
            uow.outbox.add(note)
        await uow.audit.append(by, "booking.made", hearing.id, {
            "booking_id": booking.id, "slot_id": slot.id, "service": wanted.value,
            "site_id": site.id, "case": case.number, "participant_id": villager.id,
            "token_id": token.id, "email": villager.email is not None})
        await uow.commit()  # a racing booking of the slot: unique slot_id → Conflict (409)
        return Booked(booking, hearing, case.number, secret, code, token.expires_at)

    async def to_mediation(self, actor: Actor, booking_id: str) -> Hearing:
        """One action: a mediation-guidance booking becomes a mediation in the same case,
        the villager a party at the same clinic, the host the mediator."""
        async with self._uow() as uow:
            booking = await uow.bookings.get(booking_id)
            consultation = await uow.hearings.get(booking.hearing_id)
            case = await uow.cases.get(consultation.case_id)
            require(actor, "booking.convert", court_id=case.court_id, hearing=consultation)
            if booking.service is not Service.MEDIATION_GUIDANCE:
                raise InvalidInput("only a mediation-guidance booking becomes a mediation")
            if booking.mediation_hearing_id is not None:
                raise Conflict("this booking was turned into a mediation already")
            host = await uow.staff.get(consultation.presiding_user_id or "")
            villager = consultation.participant(booking.participant_id)
            when = max(consultation.scheduled_at, self._clock())
            mediation = Hearing(case_id=case.id, kind=HearingKind.MEDIATION,
                                title=f"调解 {booking.person_name}", scheduled_at=when,
                                presiding_user_id=host.id)
            mediation.invite(host.display_name, Role.MEDIATOR, staff_user_id=host.id)
            party = mediation.invite(villager.name, Role.PARTY, site_id=villager.site_id)
            party.set_contact(villager.email, villager.consent_electronic_service,
                              villager.mobile)
            uow.hearings.add(mediation)
            await uow.hearings.get(mediation.id)  # written before what refers to it
            booking.mediation_hearing_id = mediation.id
            for note in by_channel(notice(INVITATION, mediation, party, case.number,
                                          self._tz), party):
                uow.outbox.add(note)
            await uow.audit.append(actor.label, "booking.mediation", mediation.id, {
                "booking_id": booking.id, "consultation_id": consultation.id,
                "participant_id": party.id})
            await uow.commit()
            return mediation

    async def _day(self, uow: UnitOfWork, court_id: str, day: date,
                   host_user_id: str | None) -> list[DaySlot]:
        start = datetime.combine(day, time.min, tzinfo=self._tz).astimezone(UTC)
        slots = await uow.bookings.slots_between(court_id, start, start + timedelta(days=1),
                                                 host_user_id)
        booked = {b.slot_id: b for b in await uow.bookings.of_slots([s.id for s in slots])}
        return [DaySlot(s, booked.get(s.id)) for s in slots]


async def _kiosk(uow: UnitOfWork, secret: str | None) -> tuple[Kiosk, Site]:
    kiosk = None
    if secret and len(secret) <= 100:
        kiosk = await uow.kiosks.by_digest(kiosk_digest(secret))
    if kiosk is None or kiosk.revoked_at is not None:
        raise PermissionDenied("only an enrolled kiosk of a clinic books here")
    return kiosk, await uow.sites.get(kiosk.site_id)
