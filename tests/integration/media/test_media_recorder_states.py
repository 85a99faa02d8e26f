"""The recorder follows the hearing's switch whatever its own state: media that returns
to a failed recorder while the hearing is paused is not recorded."""

from __future__ import annotations

import asyncio
import struct
import time
from pathlib import Path

import av

from media.participant import ParticipantInfo
from media.recorder import ParticipantRecorder, RecordingEvent
from media.segments import TrackSpec, read_segment

WHO = ParticipantInfo("h1", "p1", role="party")


def vp8(number: int) -> av.Packet:
    if number % 15 == 0:
        data = b"\x10\x02\x00\x9d\x01\x2a" + struct.pack("<HH", 640, 360) + b"\x00" * 40
    else:
        data = b"\x31\x02\x00" + b"\x00" * 40
    packet = av.Packet(data)
    packet.pts = number * 3000
    packet.is_keyframe = number % 15 == 0
    return packet


async def send(recorder: ParticipantRecorder, first: int, count: int) -> int:
    deliver = recorder.sink("video")
    for number in range(first, first + count):
        deliver(vp8(number), "video/VP8")
        await asyncio.sleep(1 / 30)
    return first + count


def packets(directory: Path) -> int:
    return sum(read_segment(s).packets.get("video", 0) for s in directory.glob("seg-*.mkv"))


async def test_media_returning_during_a_pause_is_not_recorded(tmp_path: Path) -> None:
    events: list[RecordingEvent] = []
    recorder = ParticipantRecorder(WHO, [TrackSpec("video", "video/VP8", 90000)], tmp_path,
                                   on_event=events.append, media_timeout=0.5)
    recorder.start()
    number = await send(recorder, 0, 30)
    await asyncio.sleep(1.5)  # the sender goes silent
    assert (recorder.state, recorder.reason) == ("failed", "media_timeout")
    recorder.pause()  # the judge pauses the hearing meanwhile
    await asyncio.sleep(0.3)
    recorded_before_pause = packets(tmp_path)
    number = await send(recorder, number, 30)  # media is back, the hearing still paused
    await asyncio.sleep(0.3)
    assert recorder.state != "recording"
    assert ("recording", "media_resumed") not in [(e.state, e.reason) for e in events]
    recorder.resume()
    number = await send(recorder, number, 30)
    assert recorder.state == "recording"
    await recorder.stop()
    # Nothing from the pause; the 30 frames after it (from their first keyframe) are.
    assert recorded_before_pause == 30
    assert 30 + 15 <= packets(tmp_path) <= 60


async def test_a_process_that_stood_still_is_not_a_media_timeout(tmp_path: Path) -> None:
    """A loaded machine stops the whole process for seconds; the packets sent meanwhile
    wait in the socket, unread. The watchdog waking first must not call the participant
    silent (a false gap in the evidence); a participant silent after it still is."""
    events: list[RecordingEvent] = []
    recorder = ParticipantRecorder(WHO, [TrackSpec("video", "video/VP8", 90000)], tmp_path,
                                   on_event=events.append, media_timeout=1.0)
    recorder.start()
    number = await send(recorder, 0, 20)
    time.sleep(2.5)  # noqa: ASYNC251 — the process stands still (the loop runs nothing)
    await asyncio.sleep(0)  # the watchdog's tick, due long ago, runs before the queued packets
    await asyncio.sleep(0.6)
    number = await send(recorder, number, 20)  # the queued packets, then the live ones
    assert ("failed", "media_timeout") not in [(e.state, e.reason) for e in events]
    assert recorder.state == "recording"
    await asyncio.sleep(2.0)  # now the participant is silent
    assert (recorder.state, recorder.reason) == ("failed", "media_timeout")
    await recorder.stop()
