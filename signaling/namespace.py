"""The /hearing socket.io namespace: connect, disconnect, and the gate every event passes.

The gate, in order: rate limit (a flood disconnects), size, schema, authorization
table, handler. Any refusal after the rate limit is an `error` event (and the ack),
and the connection stays.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import socketio

from hearings.domain.actors import SYSTEM
from hearings.domain.errors import HearingsError
from hearings.domain.hearing import Hearing
from hearings.domain.states import ParticipantState
from signaling import messages
from signaling.authz import Standing, authorise
from signaling.config import NAMESPACE, SignalingConfig
from signaling.entry import Entrant, Refused, enter
from signaling.errors import MessageInvalid, MessageTooLarge, SignalingError
from signaling.handlers import Handlers
from signaling.hub import Connection, Hub
from signaling.presence import Member
from signaling.ratelimit import TokenBucket

__all__ = ["HearingNamespace"]

log = logging.getLogger("yunting.signaling")


class HearingNamespace(socketio.AsyncNamespace):
    def __init__(self, hub: Hub, handlers: Handlers, config: SignalingConfig) -> None:
        super().__init__(NAMESPACE)
        self.hub = hub
        self.handlers = handlers
        self.config = config
        self.connections: dict[str, Connection] = {}
        self._joining = asyncio.Semaphore(config.max_concurrent_joins)

    async def trigger_event(self, event: str, *args: Any) -> Any:
        if event == "connect":
            return await self.connect(args[0], args[1], args[2] if len(args) > 2 else None)
        if event == "disconnect":
            return await self.disconnect(args[0])
        sid, payload = args[0], args[1:]
        conn = self.connections.get(sid)
        if conn is None:
            return None
        if not conn.bucket.take():
            await self._fail(sid, event, "rate_limited", "too many messages: disconnected")
            await self.hub.sio.disconnect(sid, NAMESPACE)
            return None
        try:
            return {"ok": True} | await self._gate(conn, event, payload)
        except (SignalingError, HearingsError) as exc:
            return await self._fail(sid, event, exc.code, exc.message)
        except Exception:
            # Redis or the database failed under us: the client gets an error event
            # (never silence) and may retry; the details go to the log only.
            log.exception("%s from %s failed", event, sid)
            return await self._fail(sid, event, "unavailable",
                                    "the server could not handle this now; retry")

    async def _gate(self, conn: Connection, event: str, payload: tuple[Any, ...]
                    ) -> dict[str, Any]:
        if len(payload) > 1:
            raise MessageInvalid("send one payload object per event")
        data = payload[0] if payload else None
        size = messages.measure(data)
        if size > self.config.max_message_bytes:
            raise MessageTooLarge(f"a message must be at most {self.config.max_message_bytes} "
                                  f"bytes (got {size})")
        msg = messages.parse(event, data)
        standing = self.hub.standing(conn)
        authorise(event, standing)
        return await self.handlers.table[event](conn, msg, standing, event)

    async def _fail(self, sid: str, event: str, code: str, message: str) -> dict[str, Any]:
        error = {"event": event[:64] if isinstance(event, str) else None, "code": code,
                 "message": message}
        await self.hub.emit(sid, "error", error)
        return {"ok": False, "error": error}

    async def connect(self, sid: str, environ: dict[str, Any], auth: object) -> None:
        try:
            async with self._joining:
                await self._connect(sid, environ, auth)
        except Refused as refused:
            raise socketio.exceptions.ConnectionRefusedError(
                refused.message, {"code": refused.code}) from None
        except HearingsError as exc:
            raise socketio.exceptions.ConnectionRefusedError(
                exc.message, {"code": exc.code}) from None
        except Exception:
            # A database timeout under a join storm, say: the client may retry.
            log.exception("connection %s failed", sid)
            self.connections.pop(sid, None)
            raise socketio.exceptions.ConnectionRefusedError(
                "the server could not take the connection now; retry",
                {"code": "unavailable"}) from None

    async def _connect(self, sid: str, environ: dict[str, Any], auth: object) -> None:
        entrant = await enter(self.hub.services, environ, auth)
        hid = entrant.hearing.id
        # Receive the hearing's traffic before anyone can learn of this connection.
        await self.hub.open_hearing(hid)
        try:
            await self._seat(sid, entrant)
        except BaseException:
            self.connections.pop(sid, None)
            await self.hub.close_hearing(hid)
            raise

    async def _seat(self, sid: str, entrant: Entrant) -> None:
        hid, member, hearing = entrant.hearing.id, entrant.member, entrant.hearing
        state = "in_hearing"
        if member.participant_id is not None:
            hearing = await self.hub.services.room.arrive(entrant.actor, hid,
                                                          member.participant_id)
            state = hearing.participant(member.participant_id).state.value
        presence = self.hub.presence
        # A twin on a process that does not answer (killed, its key not yet expired) does
        # not hold this one back.
        live = await presence.confirmed(
            [a for a in await presence.attachments(hid, member.identity) if not a.held])
        held = bool(live)
        await presence.attach(hid, member, sid, held=held)
        await presence.set_state(hid, member.identity, state)
        self.connections[sid] = Connection(
            sid, hid, member, entrant.actor,
            TokenBucket(self.config.rate_per_s, self.config.rate_burst))
        if not held:
            await self.hub.seat(sid, hid, member, state)
        # The client learns it is connected only after this handler returns, so what
        # it must receive (snapshot, lists) is sent from a task that runs afterwards.
        self._spawn(self._welcome(sid, held, hearing))

    async def _welcome(self, sid: str, held: bool, hearing: Hearing) -> None:
        conn = self.connections.get(sid)
        if conn is None:
            return
        await asyncio.sleep(0)
        hid, member = conn.hearing_id, conn.member
        if held:
            await self.hub.services.room.duplicate_connection(conn.actor, hid, member.identity)
            await self.hub.emit(sid, "session.held", {"identity": member.identity})
            attached = await self.hub.presence.attachments(hid, member.identity)
            await self.hub.emit(f"h:{hid}:staff", "session.duplicate", {
                "identity": member.identity, "name": member.name,
                "connections": [{"sid": a.sid, "held": a.held} for a in attached]})
        await self.hub.emit(sid, "snapshot", await self.hub.snapshot(conn, hearing))
        if not held:
            await self.hub.broadcast(hid)

    async def disconnect(self, sid: str) -> None:
        conn = self.connections.pop(sid, None)
        if conn is None:
            return
        hid = conn.hearing_id
        try:
            await self._disconnect(conn, sid)
        finally:
            await self.hub.close_hearing(hid)

    async def _disconnect(self, conn: Connection, sid: str) -> None:
        hid, identity = conn.hearing_id, conn.member.identity
        presence = self.hub.presence
        await presence.detach(hid, sid)
        remaining = await presence.attachments(hid, identity)
        if any(not a.held for a in remaining):
            return
        if remaining:  # only held connections are left: the oldest one takes over
            await self.hub.promote(hid, remaining[0].sid, identity)
            await self.hub.broadcast(hid)
            return
        await self._depart(conn.hearing_id, conn.member)

    async def _depart(self, hid: str, member: Member) -> None:
        """The member's last connection is gone: participant state → disconnected."""
        if await self.hub.presence.attachments(hid, member.identity):
            return  # it reconnected meanwhile (perhaps on another process)
        try:
            await self.hub.end_consultation(hid, member.identity, SYSTEM)
        except HearingsError:
            raise
        except Exception as exc:  # the database is away: the departure below still waits
            log.warning("consultation of %s not ended: %s", member.identity, exc)
        await self.hub.presence.forget(hid, member.identity)
        await self.hub.quality.forget(hid, member.identity)
        self.hub.hang_up(hid, member.identity, "participant_left")
        if member.participant_id is None:
            await self.hub.broadcast(hid)
            return
        room, presence = self.hub.services.room, self.hub.presence

        async def recorded(p: Any) -> None:
            await presence.set_state(hid, p.id, p.state.value)
            await self.hub.broadcast(hid)

        async def still_gone() -> bool:
            return not await presence.attachments(hid, member.identity)

        try:
            p = await room.depart(hid, member.participant_id)
        except HearingsError:
            raise
        except Exception as exc:  # the database is away: the departure waits for it
            log.warning("departure of %s deferred: %s", member.participant_id, exc)
            room.depart_when_possible(hid, member.participant_id,
                                      still_gone=still_gone, recorded=recorded)
            return
        await recorded(p)
        if not await still_gone():
            # They came back while this ran (on another process, say) and what we wiped
            # and stored may be theirs: whoever holds them writes them again, and their
            # arrival again if the database now says disconnected.
            log.info("%s came back during their departure from %s", member.identity, hid)
            await self.hub.reannounce_everywhere(hid)

    async def reannounce(self, hearing_id: str | None = None) -> None:
        """The presence store lost what it held (a Redis restart): write again this
        process's live connections, and their members' states from the database, then
        send every hearing here its lists again. Each process announces its own.
        `hearing_id`: that hearing only (a departure raced with a reconnection)."""
        by_hearing: dict[str, list[Connection]] = {}
        for conn in list(self.connections.values()):
            if hearing_id is None or conn.hearing_id == hearing_id:
                by_hearing.setdefault(conn.hearing_id, []).append(conn)
        for hid, conns in by_hearing.items():
            hearing = await self.hub.services.scheduling.hearing(SYSTEM, hid)
            states = {}
            for c in conns:
                pid = c.member.participant_id
                if pid is None:
                    states[c.member.identity] = "in_hearing"
                    continue
                if hearing.participant(pid).state is ParticipantState.DISCONNECTED:
                    # This process was silent past its TTL (frozen), and another one
                    # reconciled its members as gone: they are back, as on a reconnection.
                    try:
                        hearing = await self.hub.services.room.arrive(c.actor, hid, pid)
                    except HearingsError as exc:
                        log.info("%s not back in %s: %s", pid, hid, exc)
                states[c.member.identity] = hearing.participant(pid).state.value
            await self.hub.presence.announce(
                hid, [(c.member, c.sid, self.hub.standing(c) is Standing.HELD)
                      for c in conns if c.sid in self.connections], states)
            await self.hub.broadcast(hid)
        log.warning("presence re-announced: %d connections in %d hearings",
                 sum(map(len, by_hearing.values())), len(by_hearing))

    async def remember(self) -> None:
        """Keep a copy of the presence store's hands, requests and consultations of the
        hearings this process holds (re-announced with the connections after a loss)."""
        await self.hub.presence.remember({c.hearing_id for c in self.connections.values()})

    async def reap(self) -> None:
        """Reconcile the end of processes that stopped heartbeating (killed, frozen): each
        of their members with no connection left on a live process departs, as if its last
        connection had closed. One process does it for each dead one (a claim in the
        presence store); a failure leaves it to the next attempt after the claim expires."""
        presence = self.hub.presence
        for process in await presence.dead_processes():
            held = await presence.claim_dead(process)
            if held is None:
                continue
            for hid, member in held:
                try:
                    await self._depart(hid, member)
                except HearingsError as exc:  # the hearing is gone, say: nothing to do
                    log.info("departure of %s from %s not applied: %s", member.identity,
                             hid, exc)
            await presence.release_dead(process)
            log.warning("process %s stopped: %d of its members reconciled", process, len(held))

    async def promote_orphans(self) -> None:
        """A held connection whose live one was on a process that died takes over."""
        for conn in list(self.connections.values()):
            if self.hub.standing(conn) is not Standing.HELD:
                continue
            hid, identity = conn.hearing_id, conn.member.identity
            attached = await self.hub.presence.attachments(hid, identity)
            first_held = next((a.sid for a in attached if a.held), None)
            if first_held == conn.sid and not await self.hub.presence.confirmed(
                    [a for a in attached if not a.held]):
                await self.hub.promote(hid, conn.sid, identity)
                await self.hub.broadcast(hid)

    def _spawn(self, coro: Any) -> None:
        self.hub.spawn(coro)

    async def drain(self) -> None:
        """Wait for the background work of connects and disconnects (tests, shutdown)."""
        await self.hub.drain()
