"""The access log: who read which recording or document of a court, when, from where, why.

Every staff read of a recording (streamed, packaged, verified) or of a signed document is
already in the audit log with the actor, the client's address and the reason the reader
gave; this reads those entries back for one court, filtered by case, person and a range of
court-time dates. The policy's `access_log.read` decides who may (the court's clerks and
administrators; an administrator without a court, every court's), and reading the access
log is itself audited (`access_log.read`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hearings.domain.actors import Actor
from hearings.domain.audit import AuditEntry
from hearings.domain.errors import NotFound
from hearings.domain.policy import require
from hearings.services.access import CALLER
from hearings.services.ports import UnitOfWork

__all__ = ["ACCESS_ACTIONS", "AccessEntry", "AccessFilter", "AccessLog", "AccessPage"]

# The audited reads of evidence (web/http/api/recordings.py, hearings/services/documents.py).
ACCESS_ACTIONS = frozenset({"recording.streamed", "recording.packaged", "recording.verified",
                            "document.read"})


@dataclass(frozen=True)
class AccessFilter:
    case: str | None = None  # a case number (exact) or a case id
    person: str | None = None  # part of a name or username, or a staff id
    since: date | None = None  # court-time dates, both inclusive
    until: date | None = None

    def as_json(self) -> dict[str, Any]:
        return {"case": self.case, "person": self.person,
                "since": self.since.isoformat() if self.since else None,
                "until": self.until.isoformat() if self.until else None}


@dataclass(frozen=True)
class AccessEntry:
    seq: int
    at: datetime
    action: str
    actor: str  # the audit label, e.g. staff:<id>
    person: str  # the reader's name (their username in brackets), or the label
    role: str | None
    hearing_id: str | None
    case_id: str | None
    case_number: str | None
    target: str  # the file of a recording, or the kind and id of a document
    address: str | None
    reason: str | None

    def as_json(self) -> dict[str, Any]:
        return {"seq": self.seq, "at": self.at.isoformat(), "action": self.action,
                "actor": self.actor, "person": self.person, "role": self.role,
                "hearing_id": self.hearing_id, "case_id": self.case_id,
                "case_number": self.case_number, "target": self.target,
                "address": self.address, "reason": self.reason}


@dataclass(frozen=True)
class AccessPage:
    total: int
    offset: int
    limit: int
    entries: list[AccessEntry]


@dataclass(frozen=True)
class _Case:
    id: str
    number: str
    court_id: str


@dataclass(frozen=True)
class _Person:
    name: str
    username: str | None
    role: str | None


def _target(entry: AuditEntry) -> str:
    payload = entry.payload
    if entry.action == "document.read":
        return f"{payload.get('kind', 'document')} {payload.get('document_id', '')}".strip()
    if entry.action == "recording.streamed":
        return str(payload.get("file", "recording"))
    return entry.action.removeprefix("recording.")  # packaged, verified: the whole recording


class AccessLog:
    def __init__(self, uow: Callable[[], UnitOfWork], *, court_tz: ZoneInfo) -> None:
        self._uow = uow
        self._tz = court_tz

    async def read(self, actor: Actor, court_id: str, query: AccessFilter, *,
                   offset: int = 0, limit: int = 100, audit_as: str = "json") -> AccessPage:
        """The court's access entries matching `query`, newest first; audited."""
        require(actor, "access_log.read", court_id=court_id)
        if query.since and query.until and query.since > query.until:
            raise ValueError("'since' is after 'until'")
        start = (datetime.combine(query.since, time(), self._tz) if query.since else None)
        end = (datetime.combine(query.until + timedelta(days=1), time(), self._tz)
               if query.until else None)
        async with self._uow() as uow:
            await uow.courts.get(court_id)  # 404 for a court that does not exist
            found: list[AccessEntry] = []
            cases: dict[str, _Case | None] = {}
            people: dict[str, _Person] = {}
            for entry in await uow.audit.entries(actions=ACCESS_ACTIONS):
                if entry.hearing_id is None:
                    continue
                if (start and entry.at < start) or (end and entry.at >= end):
                    continue
                case = await self._case(uow, cases, entry.hearing_id)
                if case is None or case.court_id != court_id:
                    continue
                if query.case and query.case not in (case.id, case.number):
                    continue
                person = await self._person(uow, people, entry.actor)
                if query.person and not _matches(query.person, entry.actor, person):
                    continue
                reason = entry.payload.get("reason")
                address = entry.payload.get("address")
                found.append(AccessEntry(
                    entry.seq, entry.at, entry.action, entry.actor,
                    person.name if person.username is None
                    else f"{person.name} ({person.username})",
                    person.role, entry.hearing_id, case.id, case.number, _target(entry),
                    address if isinstance(address, str) else None,
                    reason if isinstance(reason, str) else None))
            found.reverse()
            page = found[offset:offset + limit]
            caller = CALLER.get()
            await uow.audit.append(actor.label, "access_log.read", None, {
                "court_id": court_id, "filter": query.as_json(), "as": audit_as,
                "entries": len(found)} | ({"address": caller.address} if caller else {}))
            await uow.commit()
        return AccessPage(len(found), offset, limit, page)

    @staticmethod
    async def _case(uow: UnitOfWork, cache: dict[str, _Case | None], hearing_id: str
                    ) -> _Case | None:
        if hearing_id not in cache:
            try:
                hearing = await uow.hearings.get(hearing_id)
                case = await uow.cases.get(hearing.case_id)
                cache[hearing_id] = _Case(case.id, case.number, case.court_id)
            except NotFound:
                cache[hearing_id] = None
        return cache[hearing_id]

    @staticmethod
    async def _person(uow: UnitOfWork, cache: dict[str, _Person], label: str) -> _Person:
        if label not in cache:
            kind, _, ident = label.partition(":")
            person = _Person(label, None, None)
            if kind == "staff":
                try:
                    user = await uow.staff.get(ident)
                    person = _Person(user.display_name, user.username, user.role.value)
                except NotFound:
                    pass
            cache[label] = person
        return cache[label]


def _matches(term: str, label: str, person: _Person) -> bool:
    needle = term.casefold()
    return (term == label or term == label.partition(":")[2]
            or needle in person.name.casefold()
            or (person.username is not None and needle in person.username.casefold()))
