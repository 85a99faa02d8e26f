"""Room bookkeeping: socket.io rooms per participant state, lists and snapshots, eviction.

Every operation addresses connections by sid through the socket.io manager, which
forwards enter/leave/emit/disconnect to the process that holds the sid (over Redis
when there are several). Which sids an identity has comes from `Presence`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

import socketio

from hearings.actors import SYSTEM, Actor
from hearings.hearing import Hearing
from hearings.participants import Participant, Role
from hearings.states import ParticipantState
from signaling.authz import Standing
from signaling.config import NAMESPACE, RoomServices, ServicesSource
from signaling.presence import Member, Presence, PresenceView
from signaling.ratelimit import TokenBucket

__all__ = ["Connection", "Hub", "rooms"]

log = logging.getLogger("yunting.signaling")
BROADCAST_DELAY_S = 0.03

_INSIDE = frozenset({ParticipantState.IN_HEARING, ParticipantState.IN_CONSULTATION})
_STAFF_ROLES = frozenset({Role.CLERK.value, Role.ASSESSOR.value})


class rooms:
    @staticmethod
    def everyone(hid: str) -> str:
        return f"h:{hid}"

    @staticmethod
    def inside(hid: str) -> str:
        return f"h:{hid}:in"

    @staticmethod
    def staff(hid: str) -> str:
        return f"h:{hid}:staff"

    @staticmethod
    def person(hid: str, identity: str) -> str:
        return f"p:{hid}:{identity}"

    @staticmethod
    def consultation(hid: str, cid: str) -> str:
        return f"c:{hid}:{cid}"

    @staticmethod
    def consulting(hid: str) -> str:
        """Everyone in any consultation of the hearing (for the standing check)."""
        return f"h:{hid}:consulting"


@dataclass
class Connection:
    """What this process knows about one of its own sockets (never shared state)."""

    sid: str
    hearing_id: str
    member: Member
    actor: Actor
    bucket: TokenBucket


class Hub:
    def __init__(self, sio: socketio.AsyncServer, services: ServicesSource, presence: Presence
                 ) -> None:
        self.sio = sio
        self._services = services
        self.presence = presence
        self.tasks: set[asyncio.Task[None]] = set()
        self._pending: set[str] = set()

    @property
    def services(self) -> RoomServices:
        # web/ opens the database (and so the services) when the app starts, after
        # signaling was attached: it may hand in a callable resolved on first use.
        if callable(self._services):
            self._services = self._services()
        return self._services

    def spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        """Run work after the current handler returns (and its ack is sent)."""
        task = asyncio.ensure_future(coro)
        self.tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("signaling task failed", exc_info=task.exception())

    async def drain(self) -> None:
        """Wait for background work (tests, shutdown)."""
        while self.tasks:
            await asyncio.gather(*list(self.tasks), return_exceptions=True)

    # -- standing -------------------------------------------------------------------
    def standing(self, conn: Connection) -> Standing:
        """Derived from this process's rooms, which other processes update by sid."""
        m, hid = conn.member, conn.hearing_id
        if not self.in_room(conn.sid, rooms.person(hid, m.identity)):
            return Standing.HELD
        if m.observer:
            return Standing.OBSERVER
        if m.host:
            return Standing.HOST
        if m.participant_id is None or m.role in _STAFF_ROLES:
            return Standing.STAFF
        if self.in_room(conn.sid, rooms.consulting(hid)):
            return Standing.CONSULTING
        if self.in_room(conn.sid, rooms.inside(hid)):
            return Standing.PARTY
        return Standing.WAITING

    def in_room(self, sid: str, room: str) -> bool:
        # The manager's room map directly: `sio.rooms(sid)` scans every room of the
        # namespace, which at 2,000 connections cost more than the relay itself.
        members = self.sio.manager.rooms.get(NAMESPACE, {}).get(room)
        return members is not None and sid in members

    # -- placing connections in rooms ------------------------------------------------
    async def seat(self, sid: str, hid: str, member: Member, state: str) -> None:
        """Put one (not held) connection in the rooms its member's state calls for."""
        await self._enter(sid, rooms.everyone(hid))
        await self._enter(sid, rooms.person(hid, member.identity))
        if member.host or member.participant_id is None or member.role in _STAFF_ROLES:
            await self._enter(sid, rooms.staff(hid))
        if state in _INSIDE:
            await self._enter(sid, rooms.inside(hid))
        else:
            await self.sio.leave_room(sid, rooms.inside(hid), NAMESPACE)

    async def place(self, hid: str, p: Participant) -> None:
        """After a state change, move every live connection of `p`, on whichever process."""
        await self.presence.set_state(hid, p.id, p.state.value)
        for a in await self.presence.attachments(hid, p.id):
            if not a.held:
                if p.state in _INSIDE:
                    await self._enter(a.sid, rooms.inside(hid))
                else:
                    await self.sio.leave_room(a.sid, rooms.inside(hid), NAMESPACE)
        await self.emit_person(hid, p.id, "participant.state", participant_entry(p, None))

    async def promote(self, hid: str, sid: str, identity: str) -> None:
        """A held connection becomes the member's live one (the judge chose it, or it is alone)."""
        view = await self.presence.view(hid)
        member = view.members.get(identity)
        if member is None:
            return
        await self.presence.set_held(hid, sid, identity, False)
        state = (await self.presence.routing(hid)).states.get(identity, "waiting")
        await self.seat(sid, hid, member, state)
        await self.emit(sid, "session.active", {"identity": identity})

    async def join_consultation(self, hid: str, identity: str, cid: str) -> None:
        for a in await self.presence.attachments(hid, identity):
            if not a.held:
                await self._enter(a.sid, rooms.consultation(hid, cid))
                await self._enter(a.sid, rooms.consulting(hid))

    async def end_consultation(self, hid: str, identity: str, actor: Actor) -> None:
        """`identity` leaves (or dropped): the consultation ends for everyone in it."""
        found = await self.presence.consultation_of(hid, identity)
        if found is None:
            return
        cid = found["id"]
        members = await self.presence.end_consultation(hid, cid)
        if not members:
            return  # another process ended it first
        back = await self.services.room.end_consultation(actor, hid, members)
        for who in members:
            for a in await self.presence.attachments(hid, who):
                await self.sio.leave_room(a.sid, rooms.consultation(hid, cid), NAMESPACE)
                await self.sio.leave_room(a.sid, rooms.consulting(hid), NAMESPACE)
            await self.emit_person(hid, who, "consultation.ended", {"consultation_id": cid})
        for p in back:
            await self.place(hid, p)
        await self.broadcast(hid)

    async def _enter(self, sid: str, room: str) -> None:
        await self.sio.enter_room(sid, room, NAMESPACE)

    # -- emitting --------------------------------------------------------------------
    async def emit(self, room: str, event: str, payload: dict[str, Any]) -> None:
        await self.sio.emit(event, payload, room=room, namespace=NAMESPACE)

    async def emit_person(self, hid: str, identity: str, event: str, payload: dict[str, Any]
                          ) -> None:
        await self.emit(rooms.person(hid, identity), event, payload)

    async def evict(self, hid: str, identity: str, event: str, payload: dict[str, Any]) -> None:
        """Tell every connection of `identity` why, then disconnect them on every process."""
        await self.emit_person(hid, identity, event, payload)
        for a in await self.presence.attachments(hid, identity):
            if a.held:  # a held connection is not in the person room: tell it directly
                await self.emit(a.sid, event, payload)
            await self.sio.disconnect(a.sid, NAMESPACE)

    async def evict_all(self, hid: str, event: str, payload: dict[str, Any], *,
                        delay: float = 0.0) -> None:
        await asyncio.sleep(delay)
        for a in await self.presence.attachments(hid):
            await self.emit(a.sid, event, payload)
            await self.sio.disconnect(a.sid, NAMESPACE)

    async def broadcast(self, hid: str) -> None:
        """Everyone inside gets the participant list all processes agree on.

        Coalesced per hearing: a burst of changes (ten people joining at 9:00) costs
        one database read and one emit, sent a moment after the first change.
        """
        if hid in self._pending:
            return
        self._pending.add(hid)
        self.spawn(self._broadcast(hid))

    async def _broadcast(self, hid: str) -> None:
        await asyncio.sleep(BROADCAST_DELAY_S)
        self._pending.discard(hid)
        hearing = await self.services.scheduling.hearing(SYSTEM, hid)
        view = await self.presence.view(hid)
        entries = participant_list(hearing, view)
        await self.emit(rooms.inside(hid), "participants", {"participants": entries})
        await self.emit(rooms.staff(hid), "lobby", {"waiting": [
            e for e in entries if e["state"] == ParticipantState.WAITING.value]})

    async def snapshot(self, conn: Connection, hearing: Hearing | None = None
                       ) -> dict[str, Any]:
        hid = conn.hearing_id
        hearing = hearing or await self.services.scheduling.hearing(SYSTEM, hid)
        view = await self.presence.view(hid)
        standing = self.standing(conn)
        me = conn.member
        own = (hearing.participant(me.participant_id) if me.participant_id else None)
        shown = standing not in (Standing.WAITING, Standing.HELD)
        staff = standing in (Standing.HOST, Standing.STAFF)
        snap: dict[str, Any] = {
            "hearing": hearing_entry(hearing),
            "you": {"identity": me.identity, "participant_id": me.participant_id,
                    "name": me.name, "role": me.role, "standing": standing.value,
                    "state": own.state.value if own else None,
                    "muted": own.muted if own else False,
                    "mute_locked": own.mute_locked if own else False},
            "participants": participant_list(hearing, view) if shown else [],
            "consultation": await self.presence.consultation_of(hid, me.identity),
            "at": time.time(),
        }
        if staff:
            snap["quality"] = {k: q.to_json() for k, q in view.quality.items()}
            snap["duplicates"] = duplicates(view)
        return snap


def hearing_entry(h: Hearing) -> dict[str, Any]:
    return {"id": h.id, "title": h.title, "kind": h.kind.value, "state": h.state.value,
            "recording_state": h.recording_state.value, "suspend_reason": h.suspend_reason}


def participant_entry(p: Participant, view: PresenceView | None) -> dict[str, Any]:
    entry: dict[str, Any] = {"id": p.id, "name": p.name, "role": p.role.value,
                             "state": p.state.value, "muted": p.muted,
                             "mute_locked": p.mute_locked}
    if view is not None:
        entry["online"] = view.online(p.id)
        entry["hand"] = p.id in view.hands
    return entry


def participant_list(hearing: Hearing, view: PresenceView) -> list[dict[str, Any]]:
    # A public observer never appears in the list.
    return [participant_entry(p, view) for p in hearing.participants
            if p.role is not Role.OBSERVER]


def duplicates(view: PresenceView) -> list[dict[str, Any]]:
    by_identity: dict[str, list[dict[str, Any]]] = {}
    for a in view.attachments:
        by_identity.setdefault(a.identity, []).append({"sid": a.sid, "held": a.held})
    return [{"identity": i, "connections": c} for i, c in by_identity.items() if len(c) > 1]
