"""Room bookkeeping: socket.io rooms per participant state, lists and snapshots, eviction.

Every operation addresses connections by sid through the socket.io manager, which
forwards enter/leave/emit/disconnect to the process that holds the sid (over Redis
when there are several). Which sids an identity has comes from `Presence`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

import socketio

from hearings.domain.actors import SYSTEM, Actor
from hearings.domain.hearing import Hearing
from hearings.domain.participants import Participant, Role
from hearings.domain.states import ParticipantState
from signaling.authz import Standing
from signaling.config import NAMESPACE, IceServers, MediaHangup, RoomServices, ServicesSource
from signaling.errors import SignalingError
from signaling.presence import Member, Presence, PresenceView, Routing
from signaling.quality import Quality
from signaling.ratelimit import TokenBucket

__all__ = ["Connection", "Hub", "Undeliverable", "rooms"]

log = logging.getLogger("yunting.signaling")
BROADCAST_DELAY_S = 0.03

_INSIDE = frozenset({ParticipantState.IN_HEARING, ParticipantState.IN_CONSULTATION})
_STAFF_ROLES = frozenset({Role.CLERK.value, Role.ASSESSOR.value})
MAIN_SIDE = "in"
QUALITY_FLUSH_S = 1.0
QUALITY_REFRESH_S = 30.0


class Undeliverable(SignalingError):
    """A relay that no process holding its addressee could receive (Redis away): refused."""

    code = "unavailable"


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
    def reach(hid: str, side: str, identity: str) -> str:
        """Where rtc messages to `identity` go from people on `side` of the wall.

        `side` is `in` (the hearing) or a consultation id. A connection is in exactly
        the room of the side it is on, and only while it may negotiate (inside, not
        an observer, not held): a message from one side can reach nobody on the
        other, whatever any cache says.
        """
        return f"r:{hid}:{side}:{identity}"

    @staticmethod
    def consulting(hid: str) -> str:
        """Everyone in any consultation of the hearing (for the standing check)."""
        return f"h:{hid}:consulting"


class QualityKeeper:
    """Connection quality kept in process; Redis hears of it in batches.

    A heartbeat whose class (good / poor / bad) differs from the last one this
    process saw for the person is shown to the judge at once; otherwise the judge
    is sent the figures (RTT, bitrate) again at most every `refresh_s`. The presence
    store (what a judge's snapshot on another process reads) gets every changed
    entry of this process in one round trip every `flush_s` (`flush()`, run by
    `run()`), never a write per heartbeat; snapshots from this process read the
    local copy.
    """

    def __init__(self, presence: Presence, *, flush_s: float = QUALITY_FLUSH_S,
                 refresh_s: float = QUALITY_REFRESH_S) -> None:
        self.presence = presence
        self.flush_s = flush_s
        self.refresh_s = refresh_s
        self._latest: dict[str, dict[str, Quality]] = {}
        self._shown: dict[tuple[str, str], float] = {}  # when the judge last got it
        self._dirty: dict[tuple[str, str], Quality] = {}
        self._lock = asyncio.Lock()

    def of(self, hid: str) -> dict[str, Quality]:
        return dict(self._latest.get(hid, {}))

    async def beat(self, hid: str, identity: str, quality: Quality) -> bool:
        """Record a heartbeat; True when the judge should be shown it now."""
        latest = self._latest.setdefault(hid, {})
        before = latest.get(identity)
        latest[identity] = quality
        key = (hid, identity)
        self._dirty[key] = quality
        if before is None or before.level is not quality.level:
            self._shown[key] = quality.at
            return True
        if quality.at - self._shown.get(key, 0.0) >= self.refresh_s:
            self._shown[key] = quality.at
            return True
        return False

    async def forget(self, hid: str, identity: str) -> None:
        key = (hid, identity)
        async with self._lock:  # after a flush in progress, never resurrected by it
            self._dirty.pop(key, None)
            self._shown.pop(key, None)
            latest = self._latest.get(hid)
            if latest is not None:
                latest.pop(identity, None)
                if not latest:
                    del self._latest[hid]
            await self.presence.drop_quality(hid, identity)

    async def flush(self) -> int:
        async with self._lock:
            rows, self._dirty = self._dirty, {}
            if rows:
                await self.presence.set_qualities([(h, i, q) for (h, i), q in rows.items()])
        return len(rows)

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.flush_s)
            try:
                await self.flush()
            except Exception:  # Redis away: the next flush tries again with newer figures
                log.exception("quality flush failed")


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
        self._local: dict[str, int] = {}  # connections of each hearing on this process
        self.quality = QualityKeeper(presence)
        self.media_hangup: MediaHangup | None = None
        # The namespace's re-announcement of one hearing's connections (set by Signaling).
        self.reannounce: Callable[[str], Awaitable[None]] | None = None
        self.ice_servers: IceServers | None = None
        # Told the participant list's sources after every change of it (web/ feeds the
        # media forwarder's audience from it: web/bridges/media_audience.py).
        self.on_roster: Callable[[str, Hearing, Routing], Awaitable[None]] | None = None
        # A page's audio-only choice for its media peer (hearing, identity, on).
        self.media_audio_only: Callable[[str, str, bool], Awaitable[None]] | None = None

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

    def hang_up(self, hid: str, identity: str, reason: str) -> None:
        """`identity` left or was removed: media hangs up their server peer at once (in the
        background) instead of waiting for its media timeout."""
        hangup = self.media_hangup
        if hangup is not None:
            async def run() -> None:
                await hangup(hid, identity, reason)

            self.spawn(run())

    async def reannounce_everywhere(self, hid: str) -> None:
        """Every process holding connections of `hid` writes them again (`reannounce`)."""
        ask = getattr(self.sio.manager, "ask_reannounce", None)
        if ask is not None:
            await ask(hid)
        if self.reannounce is not None:
            await self.reannounce(hid)

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

    def side(self, conn: Connection, cid: str | None) -> str | None:
        """The side of the wall this connection is on, from this process's own rooms.

        `cid` is the consultation the (cached) routing puts it in; None when the
        rooms and `cid` disagree (the cache is behind).
        """
        consulting = self.in_room(conn.sid, rooms.consulting(conn.hearing_id))
        if cid is None:
            return None if consulting else MAIN_SIDE
        if consulting and self.in_room(conn.sid, rooms.consultation(conn.hearing_id, cid)):
            return cid
        return None

    # -- which hearings this process carries -------------------------------------------
    async def open_hearing(self, hid: str) -> None:
        """A connection of `hid` arrives here: receive the hearing's traffic from now on."""
        self._local[hid] = self._local.get(hid, 0) + 1
        join = getattr(self.sio.manager, "join_hearing", None)
        if join is not None:
            try:
                await join(hid)
            except BaseException:
                await self.close_hearing(hid)
                raise

    async def close_hearing(self, hid: str) -> None:
        count = self._local.get(hid, 0) - 1
        if count > 0:
            self._local[hid] = count
        else:
            # Nobody of the hearing left here: no traffic, so no cache to keep fresh.
            self._local.pop(hid, None)
            self.presence.invalidate(hid)
        leave = getattr(self.sio.manager, "leave_hearing", None)
        if leave is not None:
            await leave(hid)

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
            await self._leave(sid, rooms.inside(hid))
        if member.observer:
            return
        if state == ParticipantState.IN_HEARING:
            await self._enter(sid, rooms.reach(hid, MAIN_SIDE, member.identity))
        elif state == ParticipantState.IN_CONSULTATION:
            found = await self.presence.consultation_of(hid, member.identity)
            if found is not None:
                await self._consult(sid, hid, member.identity, found["id"])
        else:
            await self._leave(sid, rooms.reach(hid, MAIN_SIDE, member.identity))

    async def place(self, hid: str, p: Participant, cid: str | None = None) -> None:
        """After a state change, move every live connection of `p`, on whichever process.

        `cid`: the consultation `p` has just entered (state `in_consultation`).
        """
        await self.presence.set_state(hid, p.id, p.state.value)
        negotiates = p.role is not Role.OBSERVER
        old_cid = None
        if p.state not in _INSIDE:
            found = await self.presence.consultation_of(hid, p.id)
            old_cid = found["id"] if found else None
        for a in await self.presence.attachments(hid, p.id):
            if a.held:
                continue
            if p.state in _INSIDE:
                await self._enter(a.sid, rooms.inside(hid))
            else:
                await self._leave(a.sid, rooms.inside(hid))
            if p.state is ParticipantState.IN_HEARING and negotiates:
                await self._enter(a.sid, rooms.reach(hid, MAIN_SIDE, p.id))
            else:  # leave one side before entering the other: never on both
                await self._leave(a.sid, rooms.reach(hid, MAIN_SIDE, p.id))
            if p.state is ParticipantState.IN_CONSULTATION and cid is not None:
                await self._consult(a.sid, hid, p.id, cid)
            if old_cid is not None:
                await self._unconsult(a.sid, hid, p.id, old_cid)
        await self.emit_person(hid, p.id, "participant.state", participant_entry(p, None))

    async def _consult(self, sid: str, hid: str, identity: str, cid: str) -> None:
        await self._enter(sid, rooms.consultation(hid, cid))
        await self._enter(sid, rooms.consulting(hid))
        await self._enter(sid, rooms.reach(hid, cid, identity))

    async def _unconsult(self, sid: str, hid: str, identity: str, cid: str) -> None:
        await self._leave(sid, rooms.reach(hid, cid, identity))
        await self._leave(sid, rooms.consultation(hid, cid))
        await self._leave(sid, rooms.consulting(hid))

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
                await self._unconsult(a.sid, hid, who, cid)
            await self.emit_person(hid, who, "consultation.ended", {"consultation_id": cid})
        for p in back:
            await self.place(hid, p)
        await self.broadcast(hid)

    async def _enter(self, sid: str, room: str) -> None:
        await self.sio.enter_room(sid, room, NAMESPACE)

    async def _leave(self, sid: str, room: str) -> None:
        await self.sio.leave_room(sid, room, NAMESPACE)

    # -- emitting --------------------------------------------------------------------
    async def emit(self, room: str, event: str, payload: dict[str, Any]) -> None:
        await self.sio.emit(event, payload, room=room, namespace=NAMESPACE)

    async def relay(self, room: str, event: str, payload: dict[str, Any]) -> None:
        """A message from one person to others: delivered, or refused — never lost silently.

        Members of `room` on this process get it directly. If there are none, it must
        reach another process through Redis: Redis's count of receivers must include
        a process besides this one (which is counted too while its listener is
        subscribed to the hearing: not yet, just after a Redis restart), else the
        sender is refused with `unavailable` (Redis away, or the other process not yet
        subscribed again after a Redis restart) and may send it again. A refused
        message was delivered to nobody, so sending it again makes no duplicate.
        """
        confirm = getattr(self.sio.manager, "emit_confirmed", None)
        if confirm is None or self.sio.manager.rooms.get(NAMESPACE, {}).get(room):
            await self.emit(room, event, payload)
            return
        # Redis counts this process too when it listens on the hearing's channel.
        listening = getattr(self.sio.manager, "listening", None)
        others_from = 2 if listening is None or listening(room) else 1
        if await confirm(event, payload, NAMESPACE, room) < others_from:
            raise Undeliverable("the message could not be delivered now (the server's "
                                "link to the other process is down); send it again")

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
        # The room first: every process's live connections are in it, whatever the
        # presence store says; then each connection by sid, the held ones too.
        await self.emit(rooms.everyone(hid), event, payload)
        for a in await self.presence.attachments(hid):
            if a.held:  # not in the hearing's rooms
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
        if self.on_roster is not None:
            await self.on_roster(hid, hearing, await self.presence.routing(hid, fresh=True))

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
                    # The judge's mute is the hearing's: inside a consultation the
                    # microphone is the party's own (handlers.self_mute).
                    "muted": own.muted if own and standing is not Standing.CONSULTING
                    else False,
                    "mute_locked": own.mute_locked if own and standing
                    is not Standing.CONSULTING else False},
            "participants": participant_list(hearing, view) if shown else [],
            "consultation": await self.presence.consultation_of(hid, me.identity),
            "at": time.time(),
        }
        if self.ice_servers is not None:  # fresh TURN credentials at every (re)connection
            snap["ice_servers"] = self.ice_servers(me.participant_id or me.identity)
        if staff:
            snap["quality"] = {k: q.to_json() for k, q in view.quality.items()} | {
                k: q.to_json() for k, q in self.quality.of(hid).items()}
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
