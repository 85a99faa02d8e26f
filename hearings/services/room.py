"""Service handlers for being in the room: arriving and leaving, witnesses, consultations, help.

Signaling calls these (never the repositories): each is one unit of work that
changes participant state through the state table and appends the audit entry,
in the same shape `Control.change_participant` writes.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from hearings.domain.actors import SYSTEM, Actor
from hearings.domain.errors import HearingsError, InvalidInput, PermissionDenied
from hearings.domain.events import ParticipantChanged
from hearings.domain.hearing import Hearing
from hearings.domain.participants import Participant, Role
from hearings.domain.states import ParticipantState
from hearings.services.confirmations import record_judge_arrival
from hearings.services.policy_checks import require_in
from hearings.services.ports import UnitOfWork
from hearings.services.retry import retried

__all__ = ["CLIENT_ROLES", "COUNSEL_ROLES", "DEPARTURE_RETRY", "Room"]

log = logging.getLogger("yunting.hearings")

_P = ParticipantState
# A consultation is between counsel and the party they represent; the judge is never in one.
COUNSEL_ROLES = frozenset({Role.DEFENCE_LAWYER, Role.AGENT_AD_LITEM})
CLIENT_ROLES = frozenset({Role.DEFENDANT, Role.PLAINTIFF, Role.PARTY})
_PRESENT = frozenset({_P.JOINING, _P.WAITING, _P.IN_HEARING, _P.IN_CONSULTATION})
# A departure the database did not take (an outage) is tried again: first wait, cap of the
# doubling wait, and how long before it is given up (logged) — longer than any outage a
# hearing would sit through.
DEPARTURE_RETRY = (0.5, 10.0, 900.0)


class Room:
    def __init__(self, uow: Callable[[], UnitOfWork]) -> None:
        self._uow = uow
        self._departures: dict[tuple[str, str], asyncio.Task[None]] = {}

    @retried
    async def arrive(self, actor: Actor, hearing_id: str, participant_id: str) -> Hearing:
        """A participant's connection is up: invited → lobby, disconnected → back where they were.

        Returns the hearing as it is now, so that the caller can describe it without
        reading it again.

        Court staff and public observers go straight in (observers are admitted by
        the system: they only receive, and the judge does not vet the public gallery).
        A departure still waiting for the database is called off: the arrival wins.
        """
        self._call_off_departure(hearing_id, participant_id)
        async with self._uow() as uow:
            hearing = await uow.hearings.get(hearing_id)
            p = hearing.participant(participant_id)
            _require_self(actor, p)
            steps: list[tuple[str, Actor]] = []
            if p.state is _P.INVITED:
                steps = [("connect", actor), ("enter_lobby", actor)]
            elif p.state is _P.JOINING:
                steps = [("enter_lobby", actor)]
            elif p.state is _P.DISCONNECTED:
                steps = [("rejoin", actor)]
            for action, by in steps:
                await self._apply(uow, hearing, p, action, by)
            if p.state is _P.WAITING and (p.goes_straight_in or p.role is Role.OBSERVER):
                await self._apply(uow, hearing, p, "admit", SYSTEM)
            await record_judge_arrival(uow, hearing, p)
            await uow.commit()
            return hearing

    @retried
    async def depart(self, hearing_id: str, participant_id: str) -> Participant:
        """The last connection of a participant went away (observed by the system)."""
        async with self._uow() as uow:
            hearing = await uow.hearings.get(hearing_id)
            p = hearing.participant(participant_id)
            if p.state in _PRESENT and not hearing.is_over:
                await self._apply(uow, hearing, p, "drop", SYSTEM)
                await uow.commit()
            return p

    def depart_when_possible(
        self, hearing_id: str, participant_id: str, *,
        still_gone: Callable[[], Awaitable[bool]],
        recorded: Callable[[Participant], Awaitable[None]],
    ) -> None:
        """`depart` failed for want of the database: try it again in the background,
        with a doubling wait, until the database takes it.

        One task per participant; an arrival calls it off (this process), and
        `still_gone` is asked before each attempt (a reconnection on another process).
        `depart` drops only a present participant, so the drop is audited once however
        often it is tried. `recorded` gets the participant once it is stored.
        """
        self._call_off_departure(hearing_id, participant_id)
        key = (hearing_id, participant_id)
        task = asyncio.ensure_future(
            self._depart_until_stored(hearing_id, participant_id, still_gone, recorded))
        self._departures[key] = task

        def done(t: asyncio.Task[None]) -> None:
            if self._departures.get(key) is t:
                del self._departures[key]
            if not t.cancelled() and t.exception() is not None:
                log.error("departure of %s not recorded", participant_id,
                          exc_info=t.exception())

        task.add_done_callback(done)

    def pending_departures(self) -> list[asyncio.Task[None]]:
        return list(self._departures.values())

    def _call_off_departure(self, hearing_id: str, participant_id: str) -> None:
        task = self._departures.pop((hearing_id, participant_id), None)
        if task is not None:
            task.cancel()

    async def _depart_until_stored(
        self, hearing_id: str, participant_id: str,
        still_gone: Callable[[], Awaitable[bool]],
        recorded: Callable[[Participant], Awaitable[None]],
    ) -> None:
        delay, cap, patience = DEPARTURE_RETRY
        give_up = time.monotonic() + patience
        while True:
            await asyncio.sleep(delay)
            try:
                if not await still_gone():
                    return  # they came back: the arrival decides their state
                p = await self.depart(hearing_id, participant_id)
            except HearingsError:
                raise  # a decision (no such hearing, ...), not an outage
            except Exception as exc:  # the database (or presence) is not back yet
                if time.monotonic() > give_up:
                    log.error("departure of %s in hearing %s given up: %s",
                              participant_id, hearing_id, exc)
                    return
                log.warning("departure of %s waits for the database: %s", participant_id, exc)
                delay = min(delay * 2, cap)
                continue
            await recorded(p)
            return

    async def call_witness(self, actor: Actor, hearing_id: str, participant_id: str
                           ) -> Participant:
        return await self._witness(actor, hearing_id, participant_id, "admit")

    async def dismiss_witness(self, actor: Actor, hearing_id: str, participant_id: str
                              ) -> Participant:
        """The witness has testified: back to the lobby (they may be recalled)."""
        return await self._witness(actor, hearing_id, participant_id, "send_back")

    async def _witness(self, actor: Actor, hearing_id: str, participant_id: str, action: str
                       ) -> Participant:
        async with self._uow() as uow:
            hearing = await uow.hearings.get(hearing_id)
            await require_in(uow, actor, "participant.control", hearing)
            p = hearing.participant(participant_id)
            if p.role is not Role.WITNESS:
                raise InvalidInput(f"participant {p.id!r} is a {p.role.value}, not a witness")
            await self._apply(uow, hearing, p, action, actor,
                              audit_as="witness.called" if action == "admit"
                              else "witness.dismissed")
            uow.record(ParticipantChanged.of(
                p, "witness.call" if action == "admit" else "witness.dismiss", actor.name))
            await uow.commit()
            return p

    async def start_consultation(
        self, actor: Actor, hearing_id: str, requester_id: str, target_id: str
    ) -> list[Participant]:
        """The target accepted: both step into a private room (`actor` is the target)."""
        async with self._uow() as uow:
            hearing = await uow.hearings.get(hearing_id)
            requester, target = (hearing.participant(requester_id),
                                 hearing.participant(target_id))
            _require_self(actor, target)
            check_consultation_pair(requester, target)
            for p in (requester, target):
                if p.state is not _P.IN_HEARING:
                    raise InvalidInput(f"{p.name} is {p.state.value}, not in the hearing")
            for p in (requester, target):
                p.apply("enter_consultation")
            await uow.audit.append(actor.label, "consultation.started", hearing.id,
                                   {"participants": [requester.id, target.id]})
            await uow.commit()
            return [requester, target]

    async def end_consultation(
        self, actor: Actor, hearing_id: str, participant_ids: list[str]
    ) -> list[Participant]:
        """Everyone in the consultation returns to the hearing."""
        async with self._uow() as uow:
            hearing = await uow.hearings.get(hearing_id)
            people = [hearing.participant(pid) for pid in participant_ids]
            if actor.kind != "system" and actor.id not in participant_ids:
                raise PermissionDenied("only a member of the consultation may end it")
            back = [p for p in people if p.state is _P.IN_CONSULTATION]
            for p in back:
                p.apply("leave_consultation")
            await uow.audit.append(actor.label, "consultation.ended", hearing.id,
                                   {"participants": [p.id for p in back]})
            await uow.commit()
            return back

    async def request_help(self, actor: Actor, hearing_id: str, text: str | None) -> None:
        async with self._uow() as uow:
            await uow.audit.append(actor.label, "participant.help_requested", hearing_id,
                                   {"text": (text or "")[:500]})
            await uow.commit()

    async def refuse_connection(self, who: str, hearing_id: str | None, reason: str) -> None:
        """A signaling connection was refused for a reason the token check did not audit."""
        async with self._uow() as uow:
            await uow.audit.append(who, "signaling.refused", hearing_id, {"reason": reason})
            await uow.commit()

    async def duplicate_connection(self, actor: Actor, hearing_id: str, identity: str,
                                   decision: str | None = None) -> None:
        """A second connection of one identity appeared, or the judge decided which stays."""
        async with self._uow() as uow:
            action = "signaling.duplicate_resolved" if decision else "signaling.duplicate"
            payload = {"identity": identity}
            if decision:
                payload["kept"] = decision
            await uow.audit.append(actor.label, action, hearing_id, payload)
            await uow.commit()

    @staticmethod
    async def _apply(uow: UnitOfWork, hearing: Hearing, p: Participant, action: str, by: Actor,
                     *, audit_as: str | None = None) -> None:
        if action == "drop":
            p.drop()
        elif action == "rejoin":
            p.rejoin()
        else:
            p.apply(action)
        await uow.audit.append(by.label, audit_as or f"participant.{action}", hearing.id, {
            "participant_id": p.id, "role": p.role, "state": p.state})


def check_consultation_pair(a: Participant, b: Participant) -> None:
    roles = {a.role, b.role}
    if a.id == b.id or not (roles & COUNSEL_ROLES and roles & CLIENT_ROLES):
        raise PermissionDenied("a consultation is between counsel and their client")


def _require_self(actor: Actor, p: Participant) -> None:
    if actor.kind == "system":
        return
    if actor.kind == "participant" and actor.id == p.id:
        return
    if actor.kind == "staff" and p.staff_user_id == actor.id:
        return
    raise PermissionDenied("only the participant themself may do that")
