"""The REMB policy (media/bandwidth.py): the bitrate the server's peer tells a publisher
never goes below the floor, and above it is aiortc's estimate unchanged."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from aiortc import RTCPeerConnection
from aiortc.rate import RemoteBitrateEstimator

from media.bandwidth import DEFAULT_REMB_FLOOR_BPS, FlooredEstimator, floor_remb

SSRC = 0x1234
ESTIMATOR = "_RTCRtpReceiver__remote_bitrate_estimator"  # where aiortc keeps it


def _abs_send_time(seconds: float) -> int:
    return int(seconds * (1 << 18)) & 0xFFFFFF  # 6.18 fixed point, 24 bits


def _rembs(estimator: RemoteBitrateEstimator, *, packet_bytes: int, per_frame: int,
           seconds: float, backlog_ms: float = 0.0) -> Iterator[int]:
    """Frames at 30/s; with `backlog_ms`, each frame is stamped that much later than the one
    before (the event loop falling behind), until a second has passed and it catches up."""
    for frame in range(int(seconds * 30)):
        sent = frame / 30
        late = backlog_ms * (frame % 30)
        for n in range(per_frame):
            remb = estimator.add(arrival_time_ms=int(1000 + sent * 1000 + late + n),
                                 abs_send_time=_abs_send_time(sent + n / 1000),
                                 payload_size=packet_bytes, ssrc=SSRC)
            if remb is not None:
                assert remb[1] == [SSRC]
                yield remb[0]


def test_a_slow_or_starved_stream_is_never_told_less_than_the_floor() -> None:
    # ~120 kbit/s arriving later and later: aiortc alone keeps the publisher about there
    raw = list(_rembs(RemoteBitrateEstimator(), packet_bytes=500, per_frame=1, seconds=10,
                      backlog_ms=4))
    floored = list(_rembs(FlooredEstimator(DEFAULT_REMB_FLOOR_BPS), packet_bytes=500,
                          per_frame=1, seconds=10, backlog_ms=4))
    assert raw and min(raw) < DEFAULT_REMB_FLOOR_BPS  # what held the clinic at 320×180
    assert floored and min(floored) == DEFAULT_REMB_FLOOR_BPS


def test_above_the_floor_the_estimate_is_aiortcs() -> None:
    # ~1.4 Mbit/s on time: the estimate stays above the floor and passes unchanged
    raw = list(_rembs(RemoteBitrateEstimator(), packet_bytes=1200, per_frame=5, seconds=5))
    floored = list(_rembs(FlooredEstimator(DEFAULT_REMB_FLOOR_BPS), packet_bytes=1200,
                          per_frame=5, seconds=5))
    assert raw and min(raw) > DEFAULT_REMB_FLOOR_BPS
    assert floored == raw


async def test_a_video_receiver_gets_the_floored_estimator_and_an_audio_one_none() -> None:
    pc = RTCPeerConnection()
    try:
        video = pc.addTransceiver("video", direction="recvonly").receiver
        audio = pc.addTransceiver("audio", direction="recvonly").receiver
        assert floor_remb(video, 250_000) is True
        estimator = getattr(video, ESTIMATOR)
        assert isinstance(estimator, FlooredEstimator) and estimator.floor_bps == 250_000
        assert floor_remb(audio, 250_000) is False
        other = pc.addTransceiver("video", direction="recvonly").receiver
        assert floor_remb(other, 0) is False  # the floor off: aiortc's own
        kept = getattr(other, ESTIMATOR)
        assert type(kept) is RemoteBitrateEstimator
    finally:
        await pc.close()


@pytest.mark.parametrize("floor", [-1, 10_000_001])
def test_the_media_settings_refuse_a_floor_out_of_range(floor: int, tmp_path: object) -> None:
    from pathlib import Path

    from media.peers import MediaSettings

    with pytest.raises(ValueError, match="remb_floor_bps"):
        MediaSettings(archive_dir=Path(str(tmp_path)), remb_floor_bps=floor)
