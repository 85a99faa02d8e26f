"""Server peers: the aiortc peer that answers each participant's offer and records them.

`MediaService` is what the signaling layer calls (`answer`, `close_participant`,
`pause`, `resume`, `stop`); it keeps one `HearingRecording` per hearing and one
`ServerPeer` per participant. A participant's peer failing or closing only touches
that participant's recording.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import av
from aiortc import (
    RTCBundlePolicy,
    RTCPeerConnection,
    RTCRtpReceiver,
    RTCRtpTransceiver,
    RTCSessionDescription,
)
from aiortc.exceptions import OperationError
from aiortc.sdp import SessionDescription

from media import consent, passthrough
from media.bandwidth import DEFAULT_REMB_FLOOR_BPS, floor_remb
from media.bundle import add_bundled_candidates
from media.errors import NegotiationError
from media.forwarding import DEFAULT_LAST_N, Forwarder, OnSlots, SlotMap
from media.forwarding_audience import Audience
from media.forwarding_track import ForwardedTrack
from media.ice import HostAddresses, TurnCredentials, ice_configuration
from media.participant import ParticipantInfo
from media.recorder import OnRecordingEvent, ParticipantRecorder, RecordingEvent, RecordingState
from media.recovery import next_segment_index, recover_participant
from media.segments import TrackSpec

__all__ = ["HearingRecording", "MediaService", "MediaSettings", "ServerPeer"]

logger = logging.getLogger(__name__)
MAX_OFFER_BYTES = 64_000
_RECORDABLE = ("video/vp8", "video/rtx", "audio/opus")


@dataclass(frozen=True)
class MediaSettings:
    archive_dir: Path
    ice_servers: tuple[dict[str, Any], ...] = ()
    ice_relay_only: bool = False
    host_addresses: tuple[str, ...] = ()  # empty: aioice's own interface discovery
    turn: TurnCredentials | None = None  # each server peer gets credentials of its own
    udp_ports: tuple[int, int] | None = None  # host candidates' port range (None: any)
    advertised_address: str = ""  # announced in host candidates instead of the bound one
    segment_seconds: float = 600.0
    media_timeout: float = 3.0
    last_n: int = DEFAULT_LAST_N  # videos forwarded besides the presiding judge's
    remb_floor_bps: int = DEFAULT_REMB_FLOOR_BPS  # media/bandwidth.py; 0: aiortc's REMB as is

    def __post_init__(self) -> None:
        if not 0 <= self.last_n <= 16:
            raise ValueError(f"'last_n' must be in [0, 16] (got {self.last_n})")
        if self.segment_seconds < 1:
            raise ValueError(f"'segment_seconds' must be >= 1 (got {self.segment_seconds})")
        if not 0.5 <= self.media_timeout <= 60:
            raise ValueError(f"'media_timeout' must be in [0.5, 60] s (got {self.media_timeout})")
        if not 0 <= self.remb_floor_bps <= 10_000_000:
            raise ValueError(f"'remb_floor_bps' must be in [0, 10000000] (got "
                             f"{self.remb_floor_bps})")


def negotiated_tracks(answer_sdp: str) -> list[TrackSpec]:
    """The codec each received m-line will carry: the first non-RTX codec of our answer."""
    specs: list[TrackSpec] = []
    for media in SessionDescription.parse(answer_sdp).media:
        if media.kind not in ("audio", "video") or media.direction not in ("recvonly", "sendrecv"):
            continue
        codecs = [c for c in media.rtp.codecs if c.name.lower() != "rtx"]
        if codecs and not any(s.kind == media.kind for s in specs):
            specs.append(TrackSpec(media.kind, codecs[0].mimeType, codecs[0].clockRate))
    return specs


def _sending_kinds(offer_sdp: str) -> list[str]:
    """The media an offer would send, as aiortc reads it (a section without direction sends)."""
    try:
        media = SessionDescription.parse(offer_sdp).media
    except (ValueError, KeyError, IndexError, TypeError, AssertionError):
        return ["unreadable media"]
    return [m.kind for m in media
            if m.kind in ("audio", "video") and m.direction in (None, "sendrecv", "sendonly")]


def _prefer_recordable_codecs(transceiver: RTCRtpTransceiver) -> None:
    """Answer VP8/Opus only: what the segment writer stores without transcoding."""
    capabilities = RTCRtpReceiver.getCapabilities(transceiver.kind)
    if capabilities is None:
        return
    wanted = [c for c in capabilities.codecs if c.mimeType.lower() in _RECORDABLE]
    if any(c.mimeType.lower() != "video/rtx" for c in wanted):
        transceiver.setCodecPreferences(wanted)


class ServerPeer:
    """One participant's `RTCPeerConnection`, answering their offer and feeding a recorder."""

    def __init__(self, participant: ParticipantInfo, settings: MediaSettings) -> None:
        self.participant = participant
        self.settings = settings
        configuration = ice_configuration(settings.ice_servers, relay_only=settings.ice_relay_only,
                                          turn=settings.turn,
                                          user=f"server-{participant.participant_id}")
        # One transport for every section: aiortc's "balanced" bundling leaves a second
        # video section on the first one's transport, which BUNDLE then discards.
        configuration.bundlePolicy = RTCBundlePolicy.MAX_BUNDLE
        self.pc = RTCPeerConnection(configuration)
        self.recorder: ParticipantRecorder | None = None
        self.slots: list[ForwardedTrack] = []  # what the server sends this participant
        self.publishes: frozenset[str] = frozenset()  # the kinds it sends the server
        self.receive_video = True  # False: audio-only receive (the participant's choice)
        self.private = False  # in a consultation or outside: not recorded
        self.forwarder: Forwarder | None = None
        self.closed = asyncio.Event()
        self._closing = False  # our own close(), not a lost connection
        self.lost = False  # the connection failed or was closed under us (not by `close`)
        self._hang_up: asyncio.Task[None] | None = None
        self._probe: asyncio.Task[None] | None = None
        self._slot_transceivers: list[RTCRtpTransceiver] = []

    async def answer(self, offer_sdp: str, on_event: OnRecordingEvent,
                     forwarder: Forwarder | None = None) -> str:
        """Answer the page's offer: its sending sections are its upstream (recorded and
        forwarded), each of its `recvonly` sections a send slot of the forwarder."""
        if not isinstance(offer_sdp, str) or not offer_sdp.startswith("v=0"):
            raise NegotiationError("offer must be an SDP string starting with 'v=0'")
        if len(offer_sdp) > MAX_OFFER_BYTES:
            raise NegotiationError(f"offer larger than {MAX_OFFER_BYTES} bytes")
        if not self.participant.may_publish and _sending_kinds(offer_sdp):
            await self._refuse_non_publisher(offer_sdp)
        self.forwarder = forwarder
        self.pc.on("connectionstatechange", self._connection_changed)
        try:
            await self.pc.setRemoteDescription(RTCSessionDescription(offer_sdp, "offer"))
            await add_bundled_candidates(self.pc, offer_sdp)  # Chromium's, in section one
            for transceiver in self.pc.getTransceivers():
                _prefer_recordable_codecs(transceiver)
                if transceiver._offerDirection == "sendonly":  # the page only receives here
                    self._add_slot(transceiver)
                else:
                    passthrough.enable(transceiver.receiver, sink=self._sink(transceiver.kind))
                    floor_remb(transceiver.receiver, self.settings.remb_floor_bps)
            await self.pc.setLocalDescription(await self.pc.createAnswer())
        # aiortc.sdp signals malformed SDP with bare asserts as well as ValueError (and a
        # section without a direction only fails when the answer is made).
        except (
            ValueError, KeyError, IndexError, TypeError, AssertionError, OperationError
        ) as exc:
            await self.pc.close()
            raise NegotiationError(f"cannot use this offer: {exc}") from exc
        specs = negotiated_tracks(self.pc.localDescription.sdp)
        if not specs and not self.slots:
            await self.pc.close()
            raise NegotiationError("offer sends no audio or video the server can record")
        for track, transceiver in zip(self.slots, self._slot_transceivers, strict=True):
            track.mid = transceiver.mid
        self.publishes = frozenset(spec.kind for spec in specs)
        if specs:
            # Recovery reads (and may rewrite) every earlier segment with PyAV: off the loop.
            await asyncio.to_thread(recover_participant, self._directory)
            self.recorder = self._recorder(specs, on_event)
        return str(self.pc.localDescription.sdp)

    def _add_slot(self, transceiver: RTCRtpTransceiver) -> None:
        """A send slot: a forwarded track on a sendonly transceiver (no encoder runs)."""
        forwarder = self.forwarder

        def want_keyframe(publisher: str) -> None:
            if forwarder is not None:
                forwarder.want_keyframe(publisher)

        track = ForwardedTrack(transceiver.kind, want_keyframe)
        # Audio slot n and video slot n form one MediaStream in the answer (a=msid): the
        # subscriber's Chromium synchronises one audio and one video stream per MediaStream
        # (its sync group), and aiortc gives every sender of a connection the same one, so
        # no forwarded picture was kept in step with its sound. The forwarder puts a
        # publisher's audio beside its video (media/forwarding.py `_place`). aiortc 1.x
        # has no public setter for a sender's stream id (pinned; see pyproject.toml).
        index = sum(1 for t in self.slots if t.kind == transceiver.kind)
        transceiver.sender._stream_id = f"slot-{index}"
        transceiver.direction = "sendonly"
        transceiver.sender.replaceTrack(track)
        track.attach(transceiver.sender)
        self.slots.append(track)
        self._slot_transceivers.append(transceiver)

    def sync_recording(self, hearing_state: RecordingState) -> None:
        """Record while the hearing records and this participant is not private."""
        recorder = self.recorder
        if recorder is None or hearing_state not in ("recording", "paused"):
            return
        if hearing_state == "recording" and not self.private:
            recorder.start()
        elif hearing_state == "paused" and not self.private and recorder.state == "standby":
            recorder.start()  # its watchdog runs, as for everyone in a paused hearing
            recorder.pause()
        else:
            recorder.pause()

    async def _refuse_non_publisher(self, offer_sdp: str) -> NoReturn:
        """An observer's peer is never answered: no transport, no receiver, no recorder.

        Signaling refuses an observer's publishing offer already; this holds even for an
        offer that slips past it (the server peer has nothing to send an observer either).
        """
        info = self.participant
        await self.pc.close()
        sending = _sending_kinds(offer_sdp)
        if sending:
            logger.warning("participant %s of hearing %s (role %r) may not publish but offered "
                           "to send %s; refused", info.participant_id, info.hearing_id,
                           info.role, ", ".join(sending))
        raise NegotiationError(f"a participant whose role is {info.role!r} does not publish: "
                               f"the server's media peer takes nothing from it")

    def _sink(self, kind: str) -> passthrough.PacketSink:
        """Late-bound: receivers are enrolled before the answer says which codecs they carry."""
        deliver: passthrough.PacketSink | None = None

        publisher = self.participant.participant_id

        def sink(packet: av.Packet, mime_type: str) -> None:
            nonlocal deliver
            if self.forwarder is not None:  # first: the recorder's writer takes the packet
                self.forwarder.frame(publisher, kind, packet, mime_type)
            if deliver is None:
                if self.recorder is None:
                    return
                deliver = self.recorder.sink(kind)
            deliver(packet, mime_type)

        return sink

    @property
    def _directory(self) -> Path:
        info = self.participant
        return self.settings.archive_dir / info.hearing_id / info.participant_id

    def _recorder(self, specs: list[TrackSpec], on_event: OnRecordingEvent) -> ParticipantRecorder:
        """The earlier segments are recovered already: numbering continues after them."""
        info, directory = self.participant, self._directory

        def on_recording_event(event: RecordingEvent) -> None:
            """A media timeout: is it the connection? (See `_check_connection`.)"""
            on_event(event)
            if event.state == "failed" and event.reason == "media_timeout" and (
                    self._probe is None or self._probe.done()):
                self._probe = asyncio.ensure_future(self._check_connection())

        return ParticipantRecorder(
            info, specs, directory, on_event=on_recording_event,
            request_keyframe=self.request_keyframe,
            segment_seconds=self.settings.segment_seconds,
            media_timeout=self.settings.media_timeout,
            first_index=next_segment_index(directory),
        )

    async def request_keyframe(self) -> None:
        for transceiver in self.pc.getTransceivers():
            if transceiver.kind == "video" and transceiver._offerDirection != "sendonly":
                if not transceiver.receiver.getSynchronizationSources():
                    logger.info("keyframe for %s asked before any of its video arrived",
                                self.participant.participant_id)
                await passthrough.request_keyframe(transceiver.receiver)

    def _connection_changed(self) -> None:
        state = self.pc.connectionState
        logger.info("peer %s connection %s", self.participant.participant_id, state)
        if state not in ("failed", "closed"):
            return
        self.closed.set()
        self._lose(f"server peer {state}")

    async def _check_connection(self) -> None:
        """No media: is the participant's side still there? (aioice would take ~30 s.)"""
        if not self.lost and not self._closing and not await consent.still_answers(self.pc):
            self._lose("no answer to a consent check")

    def _lose(self, detail: str) -> None:
        """Lost under us (aioice: "Consent to send expired"; closed by a fault; a consent
        check unanswered): the recording is failed with that reason and this peer hung up,
        so that the page's new offer is answered by a fresh peer as the same participant's
        next segment."""
        if self._closing or self.lost or (self.recorder is None and not self.slots):
            return  # ours, or a refused offer's
        self.lost = True
        logger.warning("peer %s of hearing %s lost its connection (%s)",
                       self.participant.participant_id, self.participant.hearing_id, detail)
        if self.recorder is not None:
            self.recorder.connection_lost(detail)
        if self.pc.connectionState != "closed" and self._hang_up is None:
            self._hang_up = asyncio.ensure_future(self.pc.close())

    async def close(self, reason: str = "participant_left") -> None:
        self._closing = True
        if self.recorder is not None:
            await self.recorder.stop(reason)
        await self.pc.close()
        for task in (self._hang_up, self._probe):
            if task is not None:
                with contextlib.suppress(Exception):
                    await task
        self.closed.set()


@dataclass
class HearingRecording:
    """A hearing's participants, its recording switch (standby until `start`) and its
    forwarder (which routes nothing until the web layer gives it an audience)."""

    hearing_id: str
    state: RecordingState = "standby"
    peers: dict[str, ServerPeer] = field(default_factory=dict)
    forwarder: Forwarder = field(init=False)
    last_n: int = DEFAULT_LAST_N
    on_slots: OnSlots | None = None

    def __post_init__(self) -> None:
        self.forwarder = Forwarder(self.hearing_id, self.peers,
                                   last_n=self.last_n, on_slots=self.on_slots)

    def recorders(self) -> list[ParticipantRecorder]:
        return [p.recorder for p in self.peers.values() if p.recorder is not None]

    def private(self, participant_id: str) -> bool:
        """Not recorded: the audience puts them in a consultation or outside. Without an
        audience (no web layer telling: tools, tests) everyone who publishes is recorded."""
        audience = self.forwarder.audience
        return audience is not None and not audience.recorded(participant_id)

    def sync_recordings(self) -> None:
        for pid, peer in self.peers.items():
            peer.private = self.private(pid)
            peer.sync_recording(self.state)


class MediaService:
    """Entry point for signaling: answers offers, forwards media, drives the recordings.

    All methods take and return JSON-able values, so a media worker in another process can
    serve them (the interface: `answer`, `close_participant`, `set_audience`,
    `set_audio_only`, `start`, `pause`, `resume`, `stop`, `states`, `participant`).
    `on_recording_event(RecordingEvent)` is called on the event loop for every state
    change of every participant's recording (recording, paused, stopped, failed);
    `on_slots(hearing_id, participant_id, slots)` whenever the publishers a participant's
    send slots carry change (`{"audio": {mid: publisher id}, "video": {...}}`, media ids).
    """

    def __init__(self, settings: MediaSettings, on_recording_event: OnRecordingEvent,
                 on_slots: OnSlots | None = None) -> None:
        self.settings = settings
        self._on_event = on_recording_event
        self.on_slots = on_slots
        self._hearings: dict[str, HearingRecording] = {}
        self._host_addresses = HostAddresses(settings.host_addresses, ports=settings.udp_ports,
                                             advertised=settings.advertised_address)
        self._opened = False

    async def __aenter__(self) -> MediaService:
        self.open()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def open(self) -> None:
        """Install process-wide hooks (host addresses, encoded-frame seam); idempotent."""
        if not self._opened:
            self._host_addresses.install()
            passthrough.install()
            consent.install()
            self._opened = True

    async def close(self) -> None:
        for hearing_id in list(self._hearings):
            await self.stop(hearing_id)
        if self._opened:
            self._host_addresses.uninstall()
            self._opened = False

    def hearing(self, hearing_id: str) -> HearingRecording:
        hearing = self._hearings.get(hearing_id)
        if hearing is None:
            hearing = self._hearings[hearing_id] = HearingRecording(
                hearing_id, last_n=self.settings.last_n, on_slots=self._slots_changed)
        return hearing

    def _slots_changed(self, hearing_id: str, participant_id: str, slots: SlotMap) -> None:
        if self.on_slots is not None:
            self.on_slots(hearing_id, participant_id, slots)

    def participant(self, hearing_id: str, participant_id: str) -> ParticipantInfo | None:
        """Who a participant's recording belongs to (name, role) while they have a peer."""
        hearing = self._hearings.get(hearing_id)
        peer = hearing.peers.get(participant_id) if hearing else None
        return peer.participant if peer is not None else None

    def states(self, hearing_id: str) -> dict[str, RecordingState]:
        return {pid: r.state for pid, r in self._recorders(hearing_id)}

    def slots(self, hearing_id: str, participant_id: str) -> SlotMap:
        """Which publisher each of the participant's send slots carries now."""
        return self.hearing(hearing_id).forwarder.slots_of(participant_id)

    async def answer(self, participant: ParticipantInfo, offer_sdp: str) -> str:
        """Answer a participant's offer; a previous peer of the same participant is closed."""
        self.open()
        hearing = self.hearing(participant.hearing_id)
        pid = participant.participant_id
        seat = hearing.forwarder.audience.seat(pid) if hearing.forwarder.audience else None
        if seat is not None and seat.removed:
            raise NegotiationError("this participant was removed from the hearing")
        previous = hearing.peers.pop(pid, None)
        if previous is not None:
            await previous.close("reconnected")
            hearing.forwarder.forget(pid)
        peer = ServerPeer(participant, self.settings)
        answer_sdp = await peer.answer(offer_sdp, self._on_event, hearing.forwarder)
        hearing.peers[pid] = peer
        peer.private = hearing.private(pid)
        peer.sync_recording(hearing.state)
        hearing.forwarder.assign()
        return answer_sdp

    async def close_participant(self, hearing_id: str, participant_id: str) -> None:
        hearing = self._hearings.get(hearing_id)
        peer = hearing.peers.pop(participant_id, None) if hearing else None
        if peer is not None:
            assert hearing is not None
            hearing.forwarder.forget(participant_id)
            await peer.close("participant_left")

    async def set_audience(self, hearing_id: str,
                           audience: Audience | Mapping[str, Any]) -> None:
        """The room's rules changed (admitted, sent back, consulting, muted, removed…):
        forwarding and recording follow now; a removed participant's peer is hung up."""
        if not isinstance(audience, Audience):
            audience = Audience.from_json(audience)
        hearing = self.hearing(hearing_id)
        hearing.forwarder.audience = audience
        hearing.sync_recordings()
        hearing.forwarder.assign()
        removed = [pid for pid in hearing.peers
                   if (seat := audience.seat(pid)) is not None and seat.removed]
        for pid in removed:
            await self.close_participant(hearing_id, pid)

    def set_audio_only(self, hearing_id: str, participant_id: str, on: bool) -> None:
        """The participant's own choice: audio only. The forwarder sends it no video, and
        its camera's silence upstream is no recording failure (the page sends none)."""
        hearing = self._hearings.get(hearing_id)
        peer = hearing.peers.get(participant_id) if hearing else None
        if peer is None:
            return
        assert hearing is not None
        if peer.recorder is not None:
            peer.recorder.excuse("video", on)
        if peer.receive_video == (not on):
            return
        peer.receive_video = not on
        hearing.forwarder.assign()

    def start(self, hearing_id: str) -> None:
        hearing = self.hearing(hearing_id)
        hearing.state = "recording"
        hearing.sync_recordings()

    def pause(self, hearing_id: str) -> None:
        hearing = self.hearing(hearing_id)
        if hearing.state == "recording":
            hearing.state = "paused"
            hearing.sync_recordings()

    def resume(self, hearing_id: str) -> None:
        hearing = self.hearing(hearing_id)
        if hearing.state == "paused":
            hearing.state = "recording"
            hearing.sync_recordings()

    async def stop(self, hearing_id: str) -> None:
        """Hearing closed: finish every segment and hang up every server peer."""
        hearing = self._hearings.pop(hearing_id, None)
        if hearing is None:
            return
        hearing.state = "stopped"
        await asyncio.gather(*(peer.close("hearing_stopped") for peer in hearing.peers.values()))

    def _recorders(self, hearing_id: str) -> list[tuple[str, ParticipantRecorder]]:
        hearing = self._hearings.get(hearing_id)
        if hearing is None:
            return []
        return [(pid, p.recorder) for pid, p in hearing.peers.items() if p.recorder is not None]
