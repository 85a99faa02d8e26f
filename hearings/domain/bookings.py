"""e+ clinic bookings (法官e站, issue 18 item 4): a judge's or mediator's published slots and
the bookings a clinic makes in them.

A judge or mediator publishes a `Slot`: a time of their day, the services they offer in it.
A clinic's attendant (at the clinic's enrolled kiosk, or a clerk on the telephone) books one
`Service` in a free slot for a villager: the booking is a hearing of kind `consultation`
(its own case in the court's consultation register, 咨), with the villager as a party at the
clinic's site — a join link and an 8-digit kiosk code — and the slot's judge or mediator
presiding. A slot takes one booking: the `bookings.slot_id` column is unique, so of two
clinics racing for one slot exactly one gets it and the other a 409, on SQLite and on
PostgreSQL alike. A mediation-guidance booking becomes a mediation with one action (a
`mediation` hearing in the same case, the same villager and the host as mediator).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from hearings.domain.errors import InvalidInput
from hearings.domain.identity import new_id, utcnow
from hearings.domain.values import member

__all__ = ["MAX_SLOT_MINUTES", "Booking", "Service", "Slot", "parse_services"]

MAX_SLOT_MINUTES = 240
MAX_AHEAD = timedelta(days=366)


class Service(StrEnum):
    LEGAL_ADVICE = "legal_advice"  # 法律咨询
    MEDIATION_GUIDANCE = "mediation_guidance"  # 调解指导
    FILING_HELP = "filing_help"  # 立案帮助


def parse_services(value: object) -> str:
    """The services a slot offers, as stored: members of `Service`, comma-joined, sorted."""
    if not isinstance(value, list) or not value or len(value) > len(Service):
        raise InvalidInput(f"'services' must be a non-empty list of {[s.value for s in Service]}")
    return ",".join(sorted({member(Service, s, "services").value for s in value}))


@dataclass(eq=False)
class Slot:
    court_id: str
    host_user_id: str  # the judge or mediator who sees the bookings and presides
    starts_at: datetime
    ends_at: datetime
    services: str  # comma-joined Service values (parse_services)
    withdrawn_at: datetime | None = None
    id: str = field(default_factory=new_id)
    created_at: datetime = field(default_factory=utcnow)

    def __post_init__(self) -> None:
        if self.starts_at.tzinfo is None or self.ends_at.tzinfo is None:
            raise InvalidInput("a slot's times must carry a time zone")
        if not self.starts_at < self.ends_at <= self.starts_at + timedelta(
                minutes=MAX_SLOT_MINUTES):
            raise InvalidInput(f"a slot lasts 1 to {MAX_SLOT_MINUTES} minutes")

    @property
    def offered(self) -> frozenset[Service]:
        return frozenset(Service(s) for s in self.services.split(",") if s)

    def check_bookable(self, service: Service, now: datetime) -> None:
        if self.withdrawn_at is not None:
            raise InvalidInput("this slot was withdrawn")
        if self.ends_at <= now:
            raise InvalidInput("this slot is over")
        if service not in self.offered:
            raise InvalidInput(f"this slot offers {sorted(self.offered)}, not {service.value!r}")


@dataclass(eq=False)
class Booking:
    slot_id: str
    hearing_id: str  # the consultation hearing
    site_id: str  # the clinic the villager comes to
    service: Service
    person_name: str
    participant_id: str  # the villager's seat in the consultation
    booked_by: str  # actor label: kiosk:<id> or staff:<id>
    mediation_hearing_id: str | None = None  # once turned into a mediation
    id: str = field(default_factory=new_id)
    created_at: datetime = field(default_factory=utcnow)

    def __post_init__(self) -> None:
        self.service = member(Service, self.service, "service")
