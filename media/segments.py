"""Recording segments: received VP8/Opus packets muxed unchanged into crash-safe Matroska.

One participant's tracks go into `<archive>/<hearing>/<participant>/seg-00001.mkv`
with a JSON sidecar beside it. Clusters of ~1 s are flushed as they close, so a killed
writer leaves a playable file; the sidecar is rewritten about once a second for the
same reason. A new segment starts every `segment_seconds` at a video keyframe.

A segment whose writing failed (disk full) is still closed: its final sidecar describes
what the file really holds (`read_segment`, read back with PyAV) and why it ends early,
and is overwritten in place when the disk has no room for a new copy.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import struct
import time
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import av

from media.errors import SegmentWriteError
from media.participant import ParticipantInfo

__all__ = [
    "SIDECAR_VERSION",
    "SegmentContents",
    "SegmentSeries",
    "SegmentWriter",
    "TrackSpec",
    "read_segment",
    "segment_path",
    "vp8_dimensions",
    "write_sidecar",
]

SIDECAR_VERSION = 1
MUXER_OPTIONS = {"cluster_time_limit": "1000", "flush_packets": "1"}
_MS = Fraction(1, 1000)
_SIDECAR_INTERVAL = 1.0
_CODEC_NAMES = {"video/vp8": "vp8", "video/h264": "h264", "audio/opus": "opus"}
# OpusHead (RFC 7845 §5.1): version 1, stereo, pre-skip 0, 48 kHz, gain 0, mapping family 0.
_OPUS_HEAD = b"OpusHead" + struct.pack("<BBHIhB", 1, 2, 0, 48000, 0, 0)


@dataclass(frozen=True)
class TrackSpec:
    kind: str  # "audio" | "video"
    mime_type: str  # as negotiated, e.g. "video/VP8"
    clock_rate: int

    def __post_init__(self) -> None:
        if self.kind not in ("audio", "video"):
            raise ValueError(f"'kind' must be in ['audio', 'video'] (got {self.kind!r})")
        if self.mime_type.lower() not in _CODEC_NAMES:
            allowed = sorted(_CODEC_NAMES)
            raise ValueError(f"'mime_type' must be in {allowed} (got {self.mime_type!r})")


def segment_path(directory: Path, index: int) -> Path:
    return directory / f"seg-{index:05d}.mkv"


def vp8_dimensions(data: bytes) -> tuple[int, int] | None:
    """Width and height from a VP8 keyframe header (RFC 6386 §9.1), else None."""
    if len(data) < 10 or data[0] & 0x01 or data[3:6] != b"\x9d\x01\x2a":
        return None
    width, height = struct.unpack("<HH", data[6:10])
    return width & 0x3FFF, height & 0x3FFF


@dataclass(frozen=True)
class SegmentContents:
    """What a segment file holds, read back packet by packet (a cut tail is no error)."""

    duration: float  # seconds from the segment's start to its last readable packet
    packets: dict[str, int]  # per kind: "audio" | "video"
    keyframes: dict[str, int]
    bytes: dict[str, int]
    last: dict[str, float]  # per kind: seconds from the start to its last packet


def read_segment(path: Path) -> SegmentContents:
    """Count a segment's readable packets and find its last timestamp, with PyAV only."""
    packets: dict[str, int] = {}
    keyframes: dict[str, int] = {}
    sizes: dict[str, int] = {}
    last: dict[str, float] = {}
    try:
        with av.open(str(path)) as container:
            for packet in container.demux():
                if packet.pts is None or packet.time_base is None or not packet.size:
                    continue  # the demuxer's empty flush packet
                kind = packet.stream.type
                packets[kind] = packets.get(kind, 0) + 1
                keyframes[kind] = keyframes.get(kind, 0) + bool(packet.is_keyframe)
                sizes[kind] = sizes.get(kind, 0) + packet.size
                last[kind] = max(last.get(kind, 0.0), float(packet.pts * packet.time_base))
    except (OSError, av.FFmpegError):
        pass  # a truncated tail is expected after a crash or a full disk: keep what was read
    return SegmentContents(round(max(last.values(), default=0.0), 3), packets, keyframes,
                           sizes, last)


def write_sidecar(path: Path, body: dict[str, Any]) -> None:
    """Replace a sidecar atomically; on a full disk, overwrite the existing one in place.

    A sidecar is under 4 KiB: rewriting it in place needs no block the file does not
    already have, so the final state of a segment can be written when nothing else can.
    """
    data = json.dumps(body, ensure_ascii=False, indent=1).encode()
    temporary = path.with_suffix(".json.tmp")
    try:
        temporary.write_bytes(data)
        os.replace(temporary, path)
        return
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        if exc.errno not in (errno.ENOSPC, errno.EDQUOT) or not path.exists():
            raise
    with path.open("r+b") as stream:
        stream.write(data)
        stream.truncate()


@dataclass
class _StreamLog:
    spec: TrackSpec
    packets: int = 0
    keyframes: int = 0
    bytes: int = 0
    first_rtp: int | None = None
    last_rtp: int | None = None
    first_wall: float | None = None
    last_wall: float | None = None
    last_ms: int = -1

    def note(self, rtp: int, wall: float, size: int, key: bool) -> None:
        if self.first_rtp is None:
            self.first_rtp, self.first_wall = rtp, wall
        self.last_rtp, self.last_wall = rtp, wall
        self.packets += 1
        self.keyframes += key
        self.bytes += size

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.spec.kind,
            "codec": self.spec.mime_type,
            "clock_rate": self.spec.clock_rate,
            "packets": self.packets,
            "keyframes": self.keyframes,
            "bytes": self.bytes,
            "first_rtp_timestamp": self.first_rtp,
            "last_rtp_timestamp": self.last_rtp,
            "first_wall_clock": self.first_wall,
            "last_wall_clock": self.last_wall,
        }


@dataclass
class SegmentWriter:
    """One open `.mkv` segment and its sidecar. Not thread-safe: one writer thread owns it."""

    path: Path
    participant: ParticipantInfo
    index: int
    specs: list[TrackSpec]
    start_wall: float
    dimensions: tuple[int, int] = (640, 360)
    _logs: dict[str, _StreamLog] = field(default_factory=dict)
    _container: Any = None
    _streams: dict[str, Any] = field(default_factory=dict)
    _sidecar_due: float = 0.0
    # Each size the video had, from when (seconds into the segment, wall clock): Chromium
    # lowers a camera's resolution under CPU or bandwidth pressure, always at a keyframe.
    _resolutions: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None  # why the file ends early: the first failed write

    def open(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._container = av.open(str(self.path), "w", format="matroska", options=MUXER_OPTIONS)
            for spec in self.specs:
                self._streams[spec.kind] = self._add_stream(spec)
                self._logs[spec.kind] = _StreamLog(spec)
            info = self.participant
            self._container.metadata["title"] = f"{info.hearing_id}/{info.participant_id}"
            self._write_sidecar(complete=False)
        except (OSError, av.FFmpegError) as exc:
            if self._container is not None:
                with contextlib.suppress(OSError, av.FFmpegError):
                    self._container.close()
                self._container = None
            raise SegmentWriteError(f"cannot open segment {self.path}: {exc}") from exc

    def _add_stream(self, spec: TrackSpec) -> Any:
        codec = _CODEC_NAMES[spec.mime_type.lower()]
        if spec.kind == "video":
            stream = self._container.add_stream(codec, rate=30)
            stream.width, stream.height = self.dimensions
            stream.pix_fmt = "yuv420p"
        else:
            stream = self._container.add_stream(codec, rate=48000, layout="stereo")
            stream.codec_context.extradata = _OPUS_HEAD
        stream.time_base = _MS
        return stream

    def write(self, kind: str, packet: av.Packet, wall: float) -> None:
        """Mux one encoded packet; `wall` is the wall-clock time its first sample was captured."""
        log = self._logs.get(kind)
        if log is None:
            return
        rtp = int(packet.pts or 0)
        data_size = packet.size
        key = bool(packet.is_keyframe)
        # Matroska needs strictly increasing timestamps per track: arrival jitter must not
        # reorder what RTP already ordered.
        ms = max(round((wall - self.start_wall) * 1000), log.last_ms + 1, 0)
        log.last_ms = ms
        if key and log.spec.mime_type.lower() == "video/vp8":
            self._note_resolution(packet, ms, wall)
        packet.stream = self._streams[kind]
        packet.pts = packet.dts = ms
        packet.time_base = _MS
        try:
            self._container.mux(packet)
        except (OSError, av.FFmpegError) as exc:
            self.error = self.error or f"cannot write: {exc}"
            raise SegmentWriteError(f"cannot write to {self.path}: {exc}") from exc
        log.note(rtp, wall, data_size, key)
        now = time.monotonic()
        if now >= self._sidecar_due:
            self._sidecar_due = now + _SIDECAR_INTERVAL
            self._write_sidecar(complete=False)

    def _note_resolution(self, packet: av.Packet, ms: int, wall: float) -> None:
        size = vp8_dimensions(bytes(packet)) if packet.size >= 10 else None
        if size is None:
            return
        last = self._resolutions[-1] if self._resolutions else None
        if last is None or (last["width"], last["height"]) != size:
            self._resolutions.append({"at": ms / 1000, "wall_clock": wall,
                                      "width": size[0], "height": size[1]})

    @property
    def packets(self) -> int:
        return sum(log.packets for log in self._logs.values())

    def close(self) -> None:
        """Finish the file and write the final sidecar — also after a failed write, when the
        sidecar describes what the file holds and carries the `error`; a failed segment that
        holds no packet at all is removed, sidecar and all."""
        container, self._container = self._container, None
        if container is not None:
            try:
                container.close()
            except (OSError, av.FFmpegError) as exc:
                self.error = self.error or f"cannot finish: {exc}"
        if self.error is not None and not read_segment(self.path).packets:
            self.path.unlink(missing_ok=True)
            self.path.with_suffix(".json").unlink(missing_ok=True)
            return
        try:
            self._write_sidecar(complete=True)
        except OSError as exc:
            raise SegmentWriteError(f"cannot close segment {self.path}: {exc}") from exc

    def _write_sidecar(self, *, complete: bool) -> None:
        walls = [log.last_wall for log in self._logs.values() if log.last_wall is not None]
        end = max(walls, default=self.start_wall)
        duration = max((log.last_ms for log in self._logs.values()), default=-1) / 1000
        streams = [log.as_dict() for log in self._logs.values()]
        if complete and self.error is not None:
            found = read_segment(self.path)  # what reached the disk, not what was handed over
            duration, end = found.duration, self.start_wall + found.duration
            for stream in streams:
                kind = stream["kind"]
                stream.update(packets=found.packets.get(kind, 0),
                              keyframes=found.keyframes.get(kind, 0),
                              bytes=found.bytes.get(kind, 0))
                if kind in found.last:
                    stream["last_wall_clock"] = self.start_wall + found.last[kind]
        body = {
            "version": SIDECAR_VERSION,
            **self.participant.as_dict(),
            "segment_index": self.index,
            "file": self.path.name,
            "start_wall_clock": self.start_wall,
            "end_wall_clock": end,
            "duration": round(max(duration, 0.0), 3),
            "clock_source": "arrival",
            "complete": complete,
            **({"error": self.error} if complete and self.error is not None else {}),
            "streams": streams,
            **({"resolutions": list(self._resolutions)} if self._resolutions else {}),
        }
        write_sidecar(self.path.with_suffix(".json"), body)


class SegmentSeries:
    """A participant's successive segments: when to open, when to rotate, what to drop.

    A segment opens on the first video keyframe (audio waits for it up to
    `keyframe_wait` seconds, so a camera that never sends one cannot cost the audio),
    and rotates at the first keyframe after `request_rotation()`.
    """

    def __init__(
        self,
        directory: Path,
        participant: ParticipantInfo,
        specs: list[TrackSpec],
        *,
        first_index: int = 1,
        keyframe_wait: float = 2.0,
    ) -> None:
        self.directory = directory
        self.participant = participant
        self.specs = specs
        self.next_index = first_index
        self.keyframe_wait = keyframe_wait
        self.has_video = any(s.kind == "video" for s in specs)
        self.current: SegmentWriter | None = None
        self.closed: list[Path] = []
        self.rotation_pending = False
        self.dropped = 0
        self._video_started = False
        self._waiting_audio: list[tuple[av.Packet, float]] = []

    def request_rotation(self) -> None:
        self.rotation_pending = True

    def add(self, kind: str, packet: av.Packet, wall: float) -> None:
        key = kind == "video" and bool(packet.is_keyframe)
        if self.current is None:
            self._add_before_open(kind, packet, wall, key)
            return
        if self.rotation_pending and (key or (not self.has_video and kind == "audio")):
            self.finish()
            self._open(wall, packet if key else None)
        if kind == "video" and not self._video_started:
            if not key:
                self.dropped += 1
                return
            self._video_started = True
        self.current.write(kind, packet, wall)

    def _add_before_open(self, kind: str, packet: av.Packet, wall: float, key: bool) -> None:
        if kind == "video" and not key:
            self.dropped += 1
            return
        if kind == "audio" and self.has_video:
            self._waiting_audio.append((packet, wall))
            if wall - self._waiting_audio[0][1] < self.keyframe_wait:
                return
        waiting, self._waiting_audio = self._waiting_audio, []
        start = min([w for _, w in waiting] + [wall])
        self._open(start, packet if key else None)
        assert self.current is not None
        for audio, audio_wall in waiting:
            self.current.write("audio", audio, audio_wall)
        if kind == "video":
            self._video_started = True
            self.current.write(kind, packet, wall)
        elif not waiting:
            self.current.write(kind, packet, wall)

    def _open(self, start_wall: float, keyframe: av.Packet | None) -> None:
        dimensions = vp8_dimensions(bytes(keyframe)) if keyframe is not None else None
        writer = SegmentWriter(
            segment_path(self.directory, self.next_index), self.participant, self.next_index,
            self.specs, start_wall, dimensions or (640, 360),
        )
        writer.open()
        self.current = writer
        self.next_index += 1
        self.rotation_pending = False
        self._video_started = False

    def finish(self) -> Path | None:
        """Close the open segment, if any; the next packet opens a new one."""
        writer, self.current = self.current, None
        self._waiting_audio = []
        if writer is None:
            return None
        try:
            writer.close()
        finally:  # the file exists whatever became of its sidecar (unless it held nothing)
            if writer.path.exists():
                self.closed.append(writer.path)
        return writer.path
