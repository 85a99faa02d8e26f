"""One handler per client event: call the hearings service, then tell the right rooms.

Reached only through `namespace.py`, after size, rate, schema and authorization
checks. State changes go to `hearings` (database + audit); presence-only things
(quality, hands, consultation requests) go to `Presence`. Messages from one person
to another (rtc relays, chat) go through `Hub.relay`: delivered, or refused with
`unavailable` when no process holding the addressee could receive them.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any

from hearings.domain.commands import ChangeHearing, ChangeParticipant, ChangeRecording
from hearings.domain.errors import IllegalTransition, InvalidInput, NotFound
from hearings.domain.states import HearingState, ParticipantState
from hearings.services.room import check_consultation_pair
from signaling import messages as m
from signaling.authz import Standing, may_address
from signaling.config import (
    NAMESPACE,
    MediaAnswer,
    MediaCandidate,
    RoomServices,
    SignalingConfig,
)
from signaling.errors import MessageInvalid, MessageTooLarge, NotAllowed
from signaling.hub import Connection, Hub, rooms
from signaling.quality import Quality, classify
from signaling.sdp import parse_sdp

__all__ = ["Handlers"]

Result = dict[str, Any]
Handler = Callable[[Connection, Any, Standing, str], Awaitable[Result]]
_LISTED = frozenset({ParticipantState.IN_HEARING.value, ParticipantState.IN_CONSULTATION.value})


class Handlers:
    def __init__(self, hub: Hub, config: SignalingConfig, media_answer: MediaAnswer | None,
                 media_candidate: MediaCandidate | None) -> None:
        self.hub = hub
        self.config = config
        self.media_answer = media_answer
        self.media_candidate = media_candidate
        self.table: dict[str, Handler] = {
            "snapshot.request": self.snapshot,
            "hearing.control": self.hearing_control,
            "recording.control": self.recording_control,
            "lobby.admit": self._participant("admit"),
            "lobby.deny": self._participant("deny"),
            "lobby.send_back": self._participant("send_back"),
            "participant.remove": self._participant("remove"),
            "witness.call": self.witness,
            "witness.dismiss": self.witness,
            "participant.mute": self.mute,
            "self.mute": self.self_mute,
            "session.resolve": self.resolve,
            "consultation.request": self.consult_request,
            "consultation.accept": self.consult_accept,
            "consultation.reject": self.consult_reject,
            "consultation.leave": self.consult_leave,
            "hand.raise": self.hand,
            "hand.lower": self.hand,
            "hand.clear": self.hand_clear,
            "chat.send": self.chat,
            "chat.reply": self.chat_reply,
            "help.request": self.help,
            "heartbeat": self.heartbeat,
            "rtc.offer": self.rtc_sdp,
            "rtc.answer": self.rtc_sdp,
            "rtc.candidate": self.rtc_candidate,
            "media.audio_only": self.media_audio_only,
        }

    @property
    def s(self) -> RoomServices:
        return self.hub.services

    async def snapshot(self, conn: Connection, msg: m.Empty, st: Standing, event: str
                          ) -> Result:
        snap = await self.hub.snapshot(conn)
        await self.hub.emit(conn.sid, "snapshot", snap)
        return {}

    async def hearing_control(self, conn: Connection, msg: m.HearingControl, st: Standing,
                              event: str) -> Result:
        # The room hears of it from the bus after the commit, as it does of a change made
        # over REST (signaling/follow.py): `hearing.state`, and at close `hearing.closed`.
        hearing = await self.s.control.change_hearing(
            conn.actor, ChangeHearing(conn.hearing_id, msg.action, msg.reason))
        return {"state": hearing.state.value}

    async def recording_control(self, conn: Connection, msg: m.RecordingControl, st: Standing,
                                event: str) -> Result:
        """The judge pauses or resumes the recording without pausing the hearing.

        Everyone is told through the recording's own event (`recording.state`, published
        by whoever follows the domain's `RecordingChanged`), not from here.
        """
        hid = conn.hearing_id
        if msg.action == "resume":
            # Recording follows the hearing: it resumes only while the hearing is in session.
            hearing = await self.s.scheduling.hearing(conn.actor, hid)
            if hearing.state is not HearingState.IN_SESSION:
                raise IllegalTransition(
                    "recording", f"paused while the hearing is {hearing.state.value}", "resume")
        hearing = await self.s.control.change_recording(conn.actor,
                                                        ChangeRecording(hid, msg.action))
        return {"recording_state": hearing.recording_state.value}

    def _participant(self, action: str) -> Handler:
        async def handle(conn: Connection, msg: m.ParticipantCommand, st: Standing, event: str
                          ) -> Result:
            # The room is told through the participant's own event (`ParticipantChanged`,
            # followed by signaling/follow.py), as when the change comes over REST.
            p = await self.s.control.change_participant(
                conn.actor, ChangeParticipant(conn.hearing_id, msg.participant_id, action))
            return {"state": p.state.value}

        return handle

    async def witness(self, conn: Connection, msg: m.ParticipantCommand, st: Standing,
                      event: str) -> Result:
        room, hid = self.s.room, conn.hearing_id
        if event == "witness.call":
            p = await room.call_witness(conn.actor, hid, msg.participant_id)
        else:
            p = await room.dismiss_witness(conn.actor, hid, msg.participant_id)
        return {"state": p.state.value}

    async def mute(self, conn: Connection, msg: m.MuteCommand, st: Standing, event: str
                          ) -> Result:
        p = await self.s.control.set_mute(conn.actor, conn.hearing_id, msg.participant_id,
                                          muted=msg.muted, locked=msg.locked)
        return {"muted": p.muted, "locked": p.mute_locked}

    async def self_mute(self, conn: Connection, msg: m.SelfMute, st: Standing, event: str
                          ) -> Result:
        pid = conn.member.participant_id
        if pid is None:
            raise NotAllowed("you have no seat in this hearing, so no microphone to mute")
        if st is Standing.CONSULTING:
            # A private consultation is not the court's: its microphone is the party's own
            # and the judge's mute (kept for the hearing, even when locked) does not apply.
            return {"muted": msg.muted, "locked": False}
        p = await self.s.control.set_mute(conn.actor, conn.hearing_id, pid, muted=msg.muted,
                                          locked=False)
        return {"muted": p.muted, "locked": p.mute_locked}

    async def resolve(self, conn: Connection, msg: m.SessionResolve, st: Standing, event: str
                          ) -> Result:
        hid = conn.hearing_id
        attached = await self.hub.presence.attachments(hid, msg.identity)
        keep = next((a for a in attached if a.sid == msg.keep), None)
        if keep is None:
            raise InvalidInput(f"{msg.identity!r} has no connection {msg.keep!r}")
        for a in attached:
            if a.sid != keep.sid:
                await self.hub.emit(a.sid, "session.replaced", {"kept": keep.sid})
                await self.hub.sio.disconnect(a.sid, NAMESPACE)
        await self.s.room.duplicate_connection(conn.actor, hid, msg.identity, keep.sid)
        if keep.held:
            await self.hub.promote(hid, keep.sid, msg.identity)
        return {"kept": keep.sid}

    async def consult_request(self, conn: Connection, msg: m.ConsultationRequest, st: Standing,
                              event: str) -> Result:
        hid, me = conn.hearing_id, conn.member
        hearing = await self.s.scheduling.hearing(conn.actor, hid)
        target = hearing.participant(msg.participant_id)
        check_consultation_pair(hearing.participant(str(me.participant_id)), target)
        request_id = secrets.token_hex(8)
        await self.hub.presence.put_request(hid, request_id, {"from": me.identity,
                                                              "to": target.id})
        await self.hub.emit_person(hid, target.id, "consultation.requested", {
            "request_id": request_id, "from": {"id": me.identity, "name": me.name,
                                               "role": me.role}})
        return {"request_id": request_id}

    async def _take(self, conn: Connection, request_id: str) -> dict[str, Any]:
        request = await self.hub.presence.take_request(conn.hearing_id, request_id)
        if request is None or request["to"] != conn.member.identity:
            raise NotFound("consultation request", request_id)
        return request

    async def consult_accept(self, conn: Connection, msg: m.ConsultationAnswer, st: Standing,
                             event: str) -> Result:
        hid = conn.hearing_id
        request = await self._take(conn, msg.request_id)
        people = await self.s.room.start_consultation(conn.actor, hid, request["from"],
                                                      conn.member.identity)
        cid = msg.request_id
        await self.hub.presence.put_consultation(hid, cid, [p.id for p in people])
        for p in people:
            await self.hub.place(hid, p, cid)
        await self.hub.emit(rooms.consultation(hid, cid), "consultation.started", {
            "consultation_id": cid, "participants": [p.id for p in people]})
        await self.hub.broadcast(hid)
        return {"consultation_id": cid}

    async def consult_reject(self, conn: Connection, msg: m.ConsultationAnswer, st: Standing,
                             event: str) -> Result:
        request = await self._take(conn, msg.request_id)
        await self.hub.emit_person(conn.hearing_id, request["from"], "consultation.rejected", {
            "request_id": msg.request_id, "by": conn.member.identity})
        return {}

    async def consult_leave(self, conn: Connection, msg: m.Empty, st: Standing, event: str
                          ) -> Result:
        await self.hub.end_consultation(conn.hearing_id, conn.member.identity, conn.actor)
        return {}

    async def hand(self, conn: Connection, msg: m.Empty, st: Standing, event: str
                          ) -> Result:
        raised = event == "hand.raise"
        return await self._set_hand(conn.hearing_id, conn.member.identity, raised)

    async def hand_clear(self, conn: Connection, msg: m.HandClear, st: Standing, event: str
                          ) -> Result:
        return await self._set_hand(conn.hearing_id, msg.participant_id, False)

    async def _set_hand(self, hid: str, identity: str, raised: bool) -> Result:
        await self.hub.presence.set_hand(hid, identity, raised)
        await self.hub.emit(rooms.inside(hid), "hand", {"participant_id": identity,
                                                        "raised": raised})
        return {"raised": raised}

    def _said(self, conn: Connection, text: str, to: str | None) -> dict[str, Any]:
        me = conn.member
        return {"from": {"id": me.identity, "name": me.name, "role": me.role},
                "to": to, "text": text, "at": time.time()}

    async def chat(self, conn: Connection, msg: m.ChatSend, st: Standing, event: str
                          ) -> Result:
        said = self._said(conn, msg.text, None)
        await self.hub.relay(rooms.staff(conn.hearing_id), "chat.message", said)
        await self.hub.emit_person(conn.hearing_id, conn.member.identity, "chat.message", said)
        return {}

    async def chat_reply(self, conn: Connection, msg: m.ChatReply, st: Standing, event: str
                          ) -> Result:
        said = self._said(conn, msg.text, msg.to)
        await self.hub.relay(rooms.person(conn.hearing_id, msg.to), "chat.message", said)
        await self.hub.emit(rooms.staff(conn.hearing_id), "chat.message", said)
        return {}

    async def help(self, conn: Connection, msg: m.HelpRequest, st: Standing, event: str
                          ) -> Result:
        await self.s.room.request_help(conn.actor, conn.hearing_id, msg.text)
        await self.hub.emit(rooms.staff(conn.hearing_id), "help.requested",
                            self._said(conn, msg.text or "", None))
        return {}

    async def heartbeat(self, conn: Connection, msg: m.Heartbeat, st: Standing, event: str
                          ) -> Result:
        # Presence only: 2,000 clients beating every few seconds must not write the database.
        level = classify(msg.loss_pct, self.config.quality)
        quality = Quality(level, msg.loss_pct, msg.rtt_ms, msg.bitrate_kbps, time.time())
        hid, identity = conn.hearing_id, conn.member.identity
        # Kept in process: Redis and the judge hear at once only of a change of class.
        if await self.hub.quality.beat(hid, identity, quality) and not conn.member.observer:
            await self.hub.emit(rooms.staff(hid), "quality",
                                {"participant_id": identity} | quality.to_json())
        return {"level": level.value}

    async def rtc_sdp(self, conn: Connection, msg: m.RtcSdp, st: Standing, event: str
                          ) -> Result:
        size = len(msg.sdp.encode())
        if size > self.config.max_sdp_bytes:
            raise MessageTooLarge(f"'sdp' must be at most {self.config.max_sdp_bytes} bytes "
                                  f"(got {size})")
        description = parse_sdp(msg.sdp)
        if st is Standing.OBSERVER and description.publishes():
            raise NotAllowed("an observer may only receive: every media section must be "
                             "recvonly or inactive")
        if msg.to == m.MEDIA_PEER:
            return await self._to_media(conn, event, msg, st)
        room = await self._route(conn, msg.to, st)
        await self.hub.relay(room, event, {
            "from": conn.member.identity, "sdp": msg.sdp, "ice_restart": msg.ice_restart})
        return {}

    async def _to_media(self, conn: Connection, event: str, msg: m.RtcSdp, st: Standing
                        ) -> Result:
        may_address(st, target_is_media=True, same_room=True)
        if event != "rtc.offer":
            raise MessageInvalid("the server's media peer only answers offers")
        if self.media_answer is None:
            raise NotAllowed("this server has no media peer")
        answer = await self.media_answer(conn.hearing_id, conn.member.identity, msg.sdp,
                                         ice_restart=msg.ice_restart)
        await self.hub.emit(conn.sid, "rtc.answer", {"from": m.MEDIA_PEER, "sdp": answer,
                                                     "ice_restart": msg.ice_restart})
        return {}

    async def media_audio_only(self, conn: Connection, msg: m.MediaAudioOnly, st: Standing,
                               event: str) -> Result:
        """The page's own choice: no video sent to it, its camera off the wire (issue 15)."""
        choose = self.hub.media_audio_only
        if choose is None:
            raise NotAllowed("this server has no media peer")
        await choose(conn.hearing_id, conn.member.identity, msg.on)
        return {"on": msg.on}

    async def rtc_candidate(self, conn: Connection, msg: m.RtcCandidate, st: Standing,
                            event: str) -> Result:
        payload = {"from": conn.member.identity, "candidate": msg.candidate,
                   "sdp_mid": msg.sdp_mid, "sdp_mline_index": msg.sdp_mline_index}
        if msg.to == m.MEDIA_PEER:
            may_address(st, target_is_media=True, same_room=True)
            if self.media_candidate is not None:
                await self.media_candidate(conn.hearing_id, conn.member.identity,
                                           msg.candidate, msg.sdp_mid, msg.sdp_mline_index)
            return {}
        room = await self._route(conn, msg.to, st)
        await self.hub.relay(room, "rtc.candidate", payload)
        return {}

    async def _route(self, conn: Connection, target: str, st: Standing) -> str:
        """A peer-to-peer message: both inside, neither an observer, same side of the wall.

        No Redis round trip: the routing comes from this process's cache (dropped on
        every change, here or on another process). The answer is the room to emit
        to, named for the target and the sender's side as this process's own rooms
        say: whatever the cache says, a message reaches only the target's
        connections on the sender's side of the wall.
        """
        hid, me = conn.hearing_id, conn.member.identity
        routing = await self.hub.presence.routing(hid)
        side = self.hub.side(conn, routing.consultation.get(me))
        if side is None:  # the cache is behind this connection's rooms
            routing = await self.hub.presence.routing(hid, fresh=True)
            side = self.hub.side(conn, routing.consultation.get(me))
        member = routing.members.get(target)
        if member is None or member.observer or routing.states.get(target) not in _LISTED:
            raise NotAllowed(f"{target!r} is not in the hearing")
        may_address(st, target_is_media=False,
                    same_room=side is not None
                    and routing.consultation.get(me) == routing.consultation.get(target))
        return rooms.reach(hid, str(side), target)

