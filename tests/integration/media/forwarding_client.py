"""A page's stand-in for forwarding tests: a real aiortc peer with one upstream and slots.

It sends a file's VP8/Opus as they are (or a live-encoded picture, which makes keyframes
only when asked: a PLI's effect is visible), offers `recvonly` sections as the page's
receive slots, and notes every frame the server sends on each slot, with the picture
size of each VP8 keyframe — each test publisher's picture has its own size, so a
subscriber's frames say whose they are.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path

import av
from aiortc import RTCBundlePolicy, RTCPeerConnection, RTCSessionDescription, VideoStreamTrack
from aiortc.contrib.media import MediaPlayer

from media import passthrough
from media.ice import ice_configuration
from media.participant import ParticipantInfo
from media.peers import MediaService


def vp8_size(data: bytes) -> tuple[int, int] | None:
    """A VP8 keyframe's picture size (RFC 6386 §9.1), None for an interframe."""
    if len(data) < 10 or data[0] & 0x01 or data[3:6] != b"\x9d\x01\x2a":
        return None
    return (int.from_bytes(data[6:8], "little") & 0x3FFF,
            int.from_bytes(data[8:10], "little") & 0x3FFF)


class LivePicture(VideoStreamTrack):
    """A 320×180 picture encoded by aiortc: keyframes at the start and on PLI only."""

    async def recv(self) -> av.VideoFrame:
        pts, time_base = await self.next_timestamp()
        frame = av.VideoFrame(width=320, height=180)
        for plane in frame.planes:
            plane.update(bytes(plane.buffer_size))
        frame.pts, frame.time_base = pts, time_base
        return frame


@dataclass
class Received:
    kind: str
    frames: int = 0
    bytes: int = 0
    keyframes: int = 0
    sizes: list[tuple[int, int]] = field(default_factory=list)  # of each keyframe
    first_keyframe: bool | None = None  # was the first frame on this slot a keyframe
    last_at: float = 0.0
    digests: set[str] = field(default_factory=set)  # SHA-256 of each frame (video)


class Page:
    def __init__(self, info: ParticipantInfo, source: Path | None = None, *,
                 live: bool = False, audio_slots: int = 3, video_slots: int = 3,
                 send_audio: bool = True) -> None:
        self.info = info
        configuration = ice_configuration([])
        configuration.bundlePolicy = RTCBundlePolicy.MAX_BUNDLE  # as browsers bundle
        self.pc = RTCPeerConnection(configuration)
        self.upstream_plis = 0
        if live:
            self.pc.addTransceiver(LivePicture(), direction="sendonly")
        elif source is not None:
            self.player = MediaPlayer(str(source), decode=False)
            if send_audio:  # without: a participant who never speaks
                self.pc.addTransceiver(self.player.audio, direction="sendonly")
            self.pc.addTransceiver(self.player.video, direction="sendonly")
        self.slots = [self.pc.addTransceiver("audio", direction="recvonly")
                      for _ in range(audio_slots)]
        self.slots += [self.pc.addTransceiver("video", direction="recvonly")
                       for _ in range(video_slots)]
        self.received: dict[str, Received] = {}
        self.answer = ""  # the server's answer, once joined

    async def join(self, service: MediaService) -> None:
        await self.pc.setLocalDescription(await self.pc.createOffer())
        for transceiver in self.slots:
            mid = str(transceiver.mid)
            self.received[mid] = Received(transceiver.kind)
            passthrough.enable(transceiver.receiver, sink=self._sink(mid))
        for sender in self.pc.getSenders():
            if sender.track is not None:
                original = sender._send_keyframe

                def counted(original=original) -> None:  # type: ignore[no-untyped-def]
                    self.upstream_plis += 1
                    original()

                sender._send_keyframe = counted  # type: ignore[method-assign]
        answer = await service.answer(self.info, self.pc.localDescription.sdp)
        self.answer = answer
        await self.pc.setRemoteDescription(RTCSessionDescription(answer, "answer"))

    def streams(self) -> dict[str, str]:
        """mid → the MediaStream (a=msid stream id) the server's answer puts it in."""
        found = {}
        for section in self.answer.split("\r\nm=")[1:]:
            lines = section.split("\r\n")
            mid = next((x[6:] for x in lines if x.startswith("a=mid:")), None)
            msid = next((x[7:].split(" ")[0] for x in lines if x.startswith("a=msid:")), None)
            if mid is not None and msid is not None:
                found[mid] = msid
        return found

    def _sink(self, mid: str):  # type: ignore[no-untyped-def]
        def sink(packet: av.Packet, mime_type: str) -> None:
            got = self.received[mid]
            data = bytes(packet)
            size = vp8_size(data) if got.kind == "video" else None
            if got.first_keyframe is None:
                got.first_keyframe = got.kind == "audio" or size is not None
            got.frames += 1
            got.bytes += len(data)
            got.last_at = time.monotonic()
            if got.kind == "video":
                got.digests.add(hashlib.sha256(data).hexdigest())
            if size is not None:
                got.keyframes += 1
                got.sizes.append(size)

        return sink

    def total(self, kind: str) -> int:
        return sum(r.frames for r in self.received.values() if r.kind == kind)

    def total_bytes(self, kind: str) -> int:
        return sum(r.bytes for r in self.received.values() if r.kind == kind)

    def sizes_seen(self) -> set[tuple[int, int]]:
        return {s for r in self.received.values() for s in r.sizes}

    async def ask_keyframe(self, mid: str) -> None:
        """A PLI from this page on one of its slots, as a browser sends after loss."""
        receiver = next(t.receiver for t in self.slots if t.mid == mid)
        for source in receiver.getSynchronizationSources():
            await receiver._send_rtcp_pli(source.source)

    async def close(self) -> None:
        await self.pc.close()


async def until(condition, seconds: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    """Wait for a condition (not a timing assertion: the test then checks what happened)."""
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        await asyncio.sleep(0.05)


def frame_digests(source: Path) -> set[str]:
    """SHA-256 of every video frame of a file, as its demuxer hands them out."""
    with av.open(str(source)) as container:
        return {hashlib.sha256(bytes(p)).hexdigest()
                for p in container.demux(video=0) if p.size}
