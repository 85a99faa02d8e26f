"""One send slot of a subscriber's server peer: encoded frames of one publisher at a time.

A `ForwardedTrack` is the track of one of aiortc's `RTCRtpSender`s. Its `recv()` returns
`EncodedFrame`s — not `av.Frame`s — so the sender takes its pre-encoded path
(`encoder.pack()`: VP8 payload descriptors / Opus as it is, no encoding). The sender
numbers the RTP packets itself (its own SSRC, sequence numbers and random timestamp
origin), so what the subscriber sees is one continuous stream whoever feeds the slot:

* timestamps are rewritten onto the slot's own timeline: the publisher's RTP timestamp
  deltas are kept while the source stays; at a change of source (or after a gap) the
  timeline advances by the wall-clock time that passed;
* after a change of source (and at the start) a video slot waits for a keyframe, and
  asks the publisher for one at once (`want_keyframe(source)`) — and again every 0.5 s
  while only interframes come (a request sent before the publisher's connection was up, or
  a keyframe lost on the way) — so a new subscriber decodes within a round trip plus one
  frame;
* the subscriber's PLI/FIR reaches the sender's `_send_keyframe`, which only sets a flag
  for its encoder (unused on this path): `attach(sender)` points it at the publisher.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

from aiortc import MediaStreamTrack, RTCRtpSender
from aiortc.mediastreams import MediaStreamError

__all__ = ["CLOCK_RATES", "EncodedFrame", "ForwardedTrack"]

logger = logging.getLogger(__name__)
CLOCK_RATES = {"audio": 48000, "video": 90000}
_QUEUE = {"audio": 50, "video": 30}  # ~1 s: a sender this far behind starts over
_WRAP = 1 << 32
_ASK_AGAIN_S = 0.5  # while waiting for a keyframe, ask the publisher again this often
_MAX_STEP_S = 5.0  # a publisher's timestamp jump beyond this is treated as a gap

WantKeyframe = Callable[[str], None]


@dataclass(frozen=True)
class EncodedFrame:
    """What aiortc's encoders `pack()`: the bytes, `pts` and `time_base` of an `av.Packet`."""

    data: bytes
    pts: int
    time_base: Fraction

    def __bytes__(self) -> bytes:
        return self.data


class ForwardedTrack(MediaStreamTrack):
    def __init__(self, kind: str, want_keyframe: WantKeyframe) -> None:
        super().__init__()
        self.kind = kind
        self.clock_rate = CLOCK_RATES[kind]
        self._time_base = Fraction(1, self.clock_rate)
        self._want = want_keyframe
        self._queue: asyncio.Queue[EncodedFrame] = asyncio.Queue(_QUEUE[kind])
        self.source: str | None = None
        self.mid: str | None = None
        self.enabled = True  # False: the subscriber asked not to receive this kind
        self.frames = 0  # forwarded so far (benchmarks, tests)
        self._awaiting_keyframe = kind == "video"
        self._out = 0
        self._last_in: int | None = None
        self._last_wall: float | None = None
        self._asked_at = 0.0

    def attach(self, sender: RTCRtpSender) -> None:
        """The subscriber's PLI/FIR on this sender asks the current publisher for a keyframe."""
        sender._send_keyframe = self.keyframe_wanted  # type: ignore[method-assign]

    def switch(self, source: str | None) -> bool:
        """Feed this slot from `source` (None: nothing). True if that changed anything."""
        if source == self.source:
            return False
        self.source = source
        self._last_in = None
        self._awaiting_keyframe = self.kind == "video"
        while not self._queue.empty():
            self._queue.get_nowait()
        if source is not None and self.kind == "video":
            self._asked_at = time.monotonic()
            self._want(source)
        return True

    def keyframe_wanted(self) -> None:
        if self.source is not None and self.kind == "video":
            self._want(self.source)

    def feed(self, source: str, data: bytes, pts: int, keyframe: bool) -> None:
        """A publisher's complete frame, with its RTP timestamp (on the event loop)."""
        if source != self.source or not self.enabled or self.readyState != "live":
            return
        now = time.monotonic()
        if self._awaiting_keyframe:
            if not keyframe:  # the one asked for was lost (or the ask went unheard): again
                if now - self._asked_at >= _ASK_AGAIN_S:
                    self._asked_at = now
                    self._want(source)
                return
            self._awaiting_keyframe = False
            logger.info("slot %s starts %s's video at a keyframe", self.mid, source)
        self._out += self._step(pts, now)
        self._last_in, self._last_wall = pts, now
        if self._queue.full():  # the leg cannot keep up: start again from a keyframe
            while not self._queue.empty():
                self._queue.get_nowait()
            if self.kind == "video":
                self._awaiting_keyframe = True
                self._want(source)
                return
        self._queue.put_nowait(EncodedFrame(data, self._out, self._time_base))
        self.frames += 1

    def _step(self, pts: int, now: float) -> int:
        """How far the slot's timeline moves for this frame (in its clock's ticks)."""
        elapsed = max(1, round((now - self._last_wall) * self.clock_rate)) \
            if self._last_wall is not None else 0
        if self._last_in is None:  # a new source (or the first frame): wall-clock time
            return elapsed
        delta = (pts - self._last_in) % _WRAP
        if delta >= _WRAP // 2:  # earlier than the last one: late; keep the order
            return 1
        if delta > _MAX_STEP_S * self.clock_rate:
            return elapsed
        return delta

    async def recv(self) -> EncodedFrame:  # type: ignore[override]
        if self.readyState != "live":
            raise MediaStreamError
        return await self._queue.get()

    def set_enabled(self, enabled: bool) -> None:
        if enabled == self.enabled:
            return
        self.enabled = enabled
        if enabled:
            self._awaiting_keyframe = self.kind == "video"
            self._last_in = None
            self.keyframe_wanted()
        else:
            while not self._queue.empty():
                self._queue.get_nowait()
