"""A loopback sender for media tests: aiortc playing a pre-encoded file without re-encoding."""

from __future__ import annotations

import subprocess
from pathlib import Path

import av
import imageio_ffmpeg
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.contrib.media import MediaPlayer

from media.ice import ice_configuration
from media.participant import ParticipantInfo
from media.segments import SegmentSeries, TrackSpec


def make_source(path: Path, seconds: float = 20, size: str = "640x360") -> Path:
    if path.exists():
        return path
    subprocess.run(
        [
            imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error",
            "-f", "lavfi", "-i", f"testsrc=size={size}:rate=30",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
            "-t", str(seconds), "-c:v", "libvpx", "-b:v", "500k", "-g", "30",
            "-deadline", "realtime", "-cpu-used", "8",
            "-c:a", "libopus", "-ac", "2", str(path),
        ],
        check=True,
    )
    return path


class Sender:
    """A participant's browser stand-in: sends a file's VP8/Opus packets over loopback."""

    def __init__(self, source: Path, *, audio: bool = True, video: bool = True) -> None:
        self.player = MediaPlayer(str(source), decode=False)
        self.pc = RTCPeerConnection(ice_configuration([]))
        if audio and self.player.audio:
            self.pc.addTrack(self.player.audio)
        if video and self.player.video:
            self.pc.addTrack(self.player.video)

    async def offer(self) -> str:
        await self.pc.setLocalDescription(await self.pc.createOffer())
        return str(self.pc.localDescription.sdp)

    async def accept(self, answer_sdp: str) -> None:
        await self.pc.setRemoteDescription(RTCSessionDescription(answer_sdp, "answer"))

    def stop_media(self) -> None:
        """Stop sending without closing the peer: what a frozen camera looks like."""
        for sender in self.pc.getSenders():
            if sender.track is not None:
                sender.track.stop()

    async def close(self) -> None:
        await self.pc.close()


def count_frames(path: Path) -> dict[str, int]:
    """Decoded frames per stream kind, using PyAV (the test of "playable")."""
    counts = {"video": 0, "audio": 0}
    with av.open(str(path)) as container:
        for frame in container.decode(*container.streams):
            kind = "video" if isinstance(frame, av.VideoFrame) else "audio"
            counts[kind] += 1
    return counts


def remux_as_segments(
    source: Path, archive: Path, participant: ParticipantInfo, *, start_wall: float,
    seconds: float, segment_seconds: float | None = None, first_index: int = 1,
) -> list[Path]:
    """Write a file's packets as if received live (fast, no network): for composer/package tests."""
    specs = [TrackSpec("video", "video/VP8", 90000), TrackSpec("audio", "audio/opus", 48000)]
    directory = archive / participant.hearing_id / participant.participant_id
    series = SegmentSeries(directory, participant, specs, first_index=first_index)
    opened = start_wall
    with av.open(str(source)) as container:
        for packet in container.demux():
            if packet.pts is None or packet.time_base is None:
                continue
            offset = float(packet.pts * packet.time_base)
            if offset > seconds:
                break
            kind = packet.stream.type
            wall = start_wall + offset
            if segment_seconds and wall - opened >= segment_seconds and not series.rotation_pending:
                series.request_rotation()
                opened = wall
            copy = av.Packet(bytes(packet))
            copy.pts = round(offset * (90000 if kind == "video" else 48000))
            copy.is_keyframe = packet.is_keyframe
            series.add(kind, copy, wall)
    series.finish()
    return series.closed
