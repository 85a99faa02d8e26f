"""The encoded-frame seam into aiortc's receiver: fails loudly if an aiortc upgrade moves it."""

from __future__ import annotations

import asyncio
import inspect
import threading
from pathlib import Path

import aiortc
import av
from aiortc import RTCPeerConnection, RTCRtpReceiver, RTCSessionDescription, rtcrtpreceiver
from aiortc.mediastreams import MediaStreamTrack

from media import passthrough
from media.ice import ice_configuration, pinned_host_addresses
from tests.integration.media.streams import Sender


def test_aiortc_still_has_the_seam() -> None:
    assert aiortc.__version__ == "1.16.0", "re-check media/passthrough.py against this aiortc"
    assert list(inspect.signature(rtcrtpreceiver.get_decoder).parameters) == ["codec"]
    assert "get_decoder" in rtcrtpreceiver.decoder_worker.__code__.co_names
    # The frame tap's seam: the receiver's private decoder queue, filled by its RTP handler
    # and handed to decoder_worker as its input queue.
    assert "_RTCRtpReceiver__decoder_queue" in RTCRtpReceiver._handle_rtp_packet.__code__.co_names
    assert list(inspect.signature(rtcrtpreceiver.decoder_worker).parameters)[:2] == ["loop", "input_q"]
    passthrough.check_seam()
    passthrough.install()
    passthrough.install()  # idempotent
    assert rtcrtpreceiver.get_decoder is passthrough._dispatch


def test_vp8_keyframe_flag() -> None:
    assert passthrough.is_keyframe("video/VP8", b"\x10\x02\x00\x9d\x01\x2a")
    assert not passthrough.is_keyframe("video/VP8", b"\x31\x02\x00")
    assert passthrough.is_keyframe("audio/opus", b"\x01")


async def receive(source: Path, *, encoded: bool, count: int) -> list[object]:
    sender = Sender(source)
    receiver = RTCPeerConnection(ice_configuration([]))
    tracks: list[MediaStreamTrack] = []
    receiver.on("track", tracks.append)
    await receiver.setRemoteDescription(RTCSessionDescription(await sender.offer(), "offer"))
    if encoded:
        for transceiver in receiver.getTransceivers():
            passthrough.enable(transceiver.receiver)
    await receiver.setLocalDescription(await receiver.createAnswer())
    await sender.accept(receiver.localDescription.sdp)
    video = next(t for t in tracks if t.kind == "video")
    items = [await asyncio.wait_for(video.recv(), 10) for _ in range(count)]
    await receiver.close()
    await sender.close()
    return items


async def test_real_vp8_stream_yields_packets_that_decode_to_the_sent_size(source_webm: Path) -> None:
    with pinned_host_addresses(["127.0.0.1"]):
        packets = await receive(source_webm, encoded=True, count=60)
        # A peer not enrolled in the same process keeps aiortc's decoding.
        decoded = await receive(source_webm, encoded=False, count=3)
    assert all(isinstance(p, av.Packet) for p in packets)
    assert all(isinstance(f, av.VideoFrame) for f in decoded)
    assert packets[0].is_keyframe  # type: ignore[attr-defined]
    pts = [p.pts for p in packets]  # type: ignore[attr-defined]
    assert pts == sorted(pts) and pts[0] == 0
    codec = av.CodecContext.create("vp8", "r")
    frames = [f for p in packets for f in codec.decode(p)]  # type: ignore[arg-type]
    assert len(frames) >= 59
    assert (frames[0].width, frames[0].height) == (640, 360)


async def test_the_frame_tap_hands_packets_to_the_sink_on_the_event_loop(source_webm: Path) -> None:
    """enable(receiver, sink): frames go to the sink as they complete, on the loop's thread,
    never through aiortc's decoder thread; closing still ends the track."""
    got: list[tuple[av.Packet, str, threading.Thread]] = []
    with pinned_host_addresses(["127.0.0.1"]):
        sender = Sender(source_webm)
        receiver = RTCPeerConnection(ice_configuration([]))
        tracks: list[MediaStreamTrack] = []
        receiver.on("track", tracks.append)
        await receiver.setRemoteDescription(RTCSessionDescription(await sender.offer(), "offer"))
        for transceiver in receiver.getTransceivers():
            if transceiver.kind == "video":
                passthrough.enable(transceiver.receiver,
                                   sink=lambda p, mime: got.append((p, mime, threading.current_thread())))
                assert isinstance(transceiver.receiver._RTCRtpReceiver__decoder_queue,  # type: ignore[attr-defined]
                                  passthrough._FrameTap)
        await receiver.setLocalDescription(await receiver.createAnswer())
        await sender.accept(receiver.localDescription.sdp)
        for _ in range(100):
            if len(got) >= 30:
                break
            await asyncio.sleep(0.1)
        tapped = next(t.receiver for t in receiver.getTransceivers() if t.kind == "video")
        thread = tapped._RTCRtpReceiver__decoder_thread  # type: ignore[attr-defined]
        assert thread.is_alive()  # aiortc's decoder thread idles on the tap's stop queue
        await receiver.close()
        await sender.close()
    assert len(got) >= 30
    assert {thread for _, _, thread in got} == {threading.main_thread()}
    assert {mime for _, mime, _ in got} == {"video/VP8"}
    packets = [p for p, _, _ in got]
    assert packets[0].is_keyframe
    assert [p.pts for p in packets] == sorted(p.pts for p in packets)
    codec = av.CodecContext.create("vp8", "r")
    assert sum(len(codec.decode(p)) for p in packets) >= len(packets) - 1
    assert not thread.is_alive()  # the stop sentinel still reached it: the track ended
