"""Encoded frames on the receive side: aiortc's private receive seams, hooked in one place.

aiortc has no public API for received encoded frames. Each `RTCRtpReceiver` reassembles
frames in its jitter buffer on the event loop and puts each complete one, with its codec,
on a private `queue.Queue` (`_RTCRtpReceiver__decoder_queue`) that
`aiortc.rtcrtpreceiver.decoder_worker` drains on a thread of its own, asking the module
global `get_decoder(codec)` for a decoder. Two ways in:

* `enable(receiver, sink)` (the recorder's): the receiver's decoder queue is replaced,
  before it starts, by a `_FrameTap` whose `put()` turns each complete frame into an
  `av.Packet` and hands it, with the negotiated codec's mime type, to `sink` right there,
  on the event loop. No frame crosses to
  aiortc's decoder thread (which idles until the stop sentinel, then ends the track as
  before): that cross-thread wake-up per frame cost more than the muxing itself.
* `enable(receiver)` without a sink: `get_decoder` is replaced (once, explicitly) by a
  dispatcher handing a pass-through decoder to this receiver's decoder thread, so its
  track's `recv()` yields the encoded `av.Packet`s; other receivers keep aiortc's decoders.

The codec travels beside the packet, never in `packet.opaque`: PyAV keys opaque objects
by `id()`, so once the writer thread muxes one packet tagged with a mime-type string, every
other packet tagged with that same string reads `None`.

aiortc is pinned (==1.16.0); `check_seam()` fails loudly if an upgrade moves either seam.
"""

from __future__ import annotations

import inspect
import logging
import queue
import threading
import weakref
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import av
from aiortc import RTCRtpReceiver, rtcrtpreceiver
from aiortc.codecs.base import Decoder
from aiortc.jitterbuffer import JitterFrame
from aiortc.rtcrtpparameters import RTCRtpCodecParameters

from media.errors import PassthroughUnavailable

__all__ = [
    "EncodedPacketDecoder", "PacketSink", "check_seam", "enable", "install", "is_keyframe",
    "request_keyframe",
]

logger = logging.getLogger(__name__)

_THREAD_ATTRIBUTE = "_RTCRtpReceiver__decoder_thread"
_QUEUE_ATTRIBUTE = "_RTCRtpReceiver__decoder_queue"
# sink(packet, mime_type): called on the event loop; must be quick. The mime type is the
# codec aiortc depacketised the frame with, as negotiated (e.g. "video/VP8").
PacketSink = Callable[[av.Packet, str], None]
_enrolled: weakref.WeakKeyDictionary[threading.Thread, PacketSink | None] = (
    weakref.WeakKeyDictionary()
)
_enrolled_lock = threading.Lock()
_original_get_decoder: Callable[[RTCRtpCodecParameters], Decoder] | None = None


def is_keyframe(mime_type: str, data: bytes) -> bool:
    """Whether an encoded frame starts a decodable picture (audio frames always do)."""
    mime = mime_type.lower()
    if mime == "video/vp8":
        # RFC 6386 §9.1: bit 0 of the frame tag is 0 for a key frame.
        return bool(data) and not data[0] & 0x01
    if mime == "video/h264":
        return _h264_has_idr(data)
    return True


def _h264_has_idr(data: bytes) -> bool:
    index = data.find(b"\x00\x00\x01")
    while index != -1 and index + 3 < len(data):
        if data[index + 3] & 0x1F == 5:
            return True
        index = data.find(b"\x00\x00\x01", index + 3)
    return False


class EncodedPacketDecoder(Decoder):
    """A "decoder" that returns the encoded frame as an `av.Packet` with pts and keyframe flag."""

    def __init__(self, codec: RTCRtpCodecParameters, sink: PacketSink | None = None) -> None:
        self.mime_type = codec.mimeType
        self.time_base = Fraction(1, codec.clockRate)
        self.sink = sink

    def decode(self, encoded_frame: JitterFrame) -> list[Any]:
        packet = av.Packet(encoded_frame.data)
        packet.pts = packet.dts = encoded_frame.timestamp
        packet.time_base = self.time_base
        packet.is_keyframe = is_keyframe(self.mime_type, encoded_frame.data)
        if self.sink is not None:
            self.sink(packet, self.mime_type)
            return []
        return [packet]


class _FrameTap:
    """Stands in for a receiver's decoder queue: `put((codec, frame))` hands the frame to
    the sink at once (on the event loop, inside aiortc's RTP handler); the stop sentinel
    and `get()` go through a real queue, so aiortc's decoder thread still ends the track."""

    def __init__(self, sink: PacketSink) -> None:
        self._sink = sink
        self._stop: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._decoder: EncodedPacketDecoder | None = None
        self._payload_type: int | None = None

    def put(self, item: Any, block: bool = True, timeout: float | None = None) -> None:
        if item is None:
            self._stop.put(None)
            return
        codec, frame = item
        decoder = self._decoder
        if decoder is None or codec.payloadType != self._payload_type:
            decoder = self._decoder = EncodedPacketDecoder(codec, self._sink)
            self._payload_type = codec.payloadType
        try:
            decoder.decode(frame)
        except Exception:  # a sink's bug must not break aiortc's RTP handling
            logger.exception("encoded-frame sink failed")

    def get(self, block: bool = True, timeout: float | None = None) -> Any:
        return self._stop.get(block, timeout)


def check_seam() -> None:
    """Raise `PassthroughUnavailable` unless aiortc still has the shape this module hooks."""
    worker = getattr(rtcrtpreceiver, "decoder_worker", None)
    get_decoder = getattr(rtcrtpreceiver, "get_decoder", None)
    if worker is None or get_decoder is None:
        raise PassthroughUnavailable("aiortc.rtcrtpreceiver lost decoder_worker/get_decoder")
    if "get_decoder" not in worker.__code__.co_names:
        raise PassthroughUnavailable("decoder_worker no longer calls the module's get_decoder")
    if list(inspect.signature(get_decoder).parameters) != ["codec"]:
        signature = inspect.signature(get_decoder)
        raise PassthroughUnavailable(f"get_decoder signature changed: {signature}")
    if not callable(getattr(RTCRtpReceiver, "_send_rtcp_pli", None)):
        raise PassthroughUnavailable("RTCRtpReceiver._send_rtcp_pli is gone: no keyframe requests")
    if "decode" not in Decoder.__abstractmethods__:
        raise PassthroughUnavailable("aiortc's Decoder ABC no longer has decode()")
    for method in ("__init__", "receive", "_handle_rtp_packet"):
        code = getattr(RTCRtpReceiver, method).__code__
        if _QUEUE_ATTRIBUTE not in code.co_names:
            raise PassthroughUnavailable(f"RTCRtpReceiver.{method} no longer uses its "
                                         "decoder queue: the frame tap would see nothing")
    if "put" not in RTCRtpReceiver._handle_rtp_packet.__code__.co_names:
        raise PassthroughUnavailable("RTCRtpReceiver no longer put()s complete frames")
    if list(inspect.signature(worker).parameters)[:2] != ["loop", "input_q"]:
        raise PassthroughUnavailable("decoder_worker no longer takes the decoder queue second")


def _dispatch(codec: RTCRtpCodecParameters) -> Decoder:
    thread = threading.current_thread()
    with _enrolled_lock:
        enrolled = thread in _enrolled
        sink = _enrolled.get(thread)
    if enrolled:
        return EncodedPacketDecoder(codec, sink)
    assert _original_get_decoder is not None
    return _original_get_decoder(codec)


def install() -> None:
    """Replace `aiortc.rtcrtpreceiver.get_decoder` with the dispatcher. Idempotent."""
    global _original_get_decoder
    check_seam()
    if rtcrtpreceiver.get_decoder is _dispatch:
        return
    _original_get_decoder = rtcrtpreceiver.get_decoder
    rtcrtpreceiver.get_decoder = _dispatch


def enable(receiver: RTCRtpReceiver, sink: PacketSink | None = None) -> None:
    """Make this receiver deliver encoded `av.Packet`s instead of decoded frames.

    With `sink`, `sink(packet, mime_type)` is called on the event loop as each frame completes (the
    frame tap) and the track yields nothing; without one, its track's `recv()` yields the
    packets (through the `get_decoder` dispatcher on the decoder thread).

    Call before the receiver starts (e.g. right after `setRemoteDescription`): the tap
    must be in place before `receive()` hands the queue to the decoder thread, and that
    thread is enrolled as soon as `receive()` creates it, before any RTP packet can be
    handled, because `receive()` does not yield between the two.
    """
    check_seam()
    if getattr(receiver, _THREAD_ATTRIBUTE, None) is not None:
        raise PassthroughUnavailable("receiver already started: enable passthrough before it runs")
    if sink is not None:
        if not isinstance(getattr(receiver, _QUEUE_ATTRIBUTE, None), queue.Queue):
            raise PassthroughUnavailable("RTCRtpReceiver no longer keeps a decoder queue.Queue")
        setattr(receiver, _QUEUE_ATTRIBUTE, _FrameTap(sink))
        return
    install()
    original_receive = receiver.receive

    async def receive(parameters: Any) -> None:
        await original_receive(parameters)
        thread = getattr(receiver, _THREAD_ATTRIBUTE, None)
        if not isinstance(thread, threading.Thread):
            raise PassthroughUnavailable("RTCRtpReceiver no longer keeps its decoder thread")
        with _enrolled_lock:
            _enrolled[thread] = sink

    receiver.receive = receive  # type: ignore[method-assign]


async def request_keyframe(receiver: RTCRtpReceiver) -> None:
    """Send a PLI for every source this receiver currently hears (aiortc's private sender)."""
    for source in receiver.getSynchronizationSources():
        await receiver._send_rtcp_pli(source.source)
