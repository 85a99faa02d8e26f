"""What the server's media peer tells a publisher it may send: the REMB policy.

Each publisher's browser sends one upstream to its server peer, which records it and
forwards it as it came (no transcoding, no simulcast in aiortc): every subscriber gets the
publisher's one encoding, so the publisher's rate is the room's. Its ceiling is the REMB the
server peer sends back (Chromium's target is the least of its own loss-based estimate and the
REMB), computed by aiortc's delay-based estimator from the arrival times of the publisher's
packets.

aiortc stamps those arrivals in Python, after the datagram has waited in the event loop
behind everything else the media process does (30 forwarded streams, six recordings). A busy
process then looks like a growing network queue: the estimator reports overuse, sets its
estimate to 0.85 × the incoming rate and climbs back by a few kbit/s a second — the publisher
spirals down to what it was just sending (bench/field_uplink.py: a clinic behind a 1 Mbit/s
uplink held at 26–61 kbit/s, 320×180, while its link stood idle).

The policy: the REMB sent never goes below `floor_bps` (300 kbit/s by default, Chromium's
own start rate: 640×360 VP8 at 20 fps). Above the floor the estimator's picture stands; below
it only the publisher's own loss-based estimate takes it lower, i.e. a real congested link
(tbf drops, 4G loss), never the server's own busyness. Zero turns the floor off (aiortc's
estimate as it is).
"""

from __future__ import annotations

from typing import Any

from aiortc import RTCRtpReceiver
from aiortc.rate import RemoteBitrateEstimator

__all__ = ["DEFAULT_REMB_FLOOR_BPS", "FlooredEstimator", "floor_remb"]

DEFAULT_REMB_FLOOR_BPS = 300_000
_ESTIMATOR = "_RTCRtpReceiver__remote_bitrate_estimator"  # aiortc 1.x, video receivers


class FlooredEstimator(RemoteBitrateEstimator):
    """aiortc's estimator, whose REMB never says less than `floor_bps`."""

    def __init__(self, floor_bps: int) -> None:
        super().__init__()
        self.floor_bps = floor_bps

    def add(self, arrival_time_ms: int, abs_send_time: int, payload_size: int, ssrc: int
            ) -> tuple[int, list[int]] | None:
        remb = super().add(arrival_time_ms=arrival_time_ms, abs_send_time=abs_send_time,
                           payload_size=payload_size, ssrc=ssrc)
        if remb is None:
            return None
        bitrate, ssrcs = remb
        return max(bitrate, self.floor_bps), ssrcs


def floor_remb(receiver: RTCRtpReceiver, floor_bps: int) -> bool:
    """Give a video receiver the floored estimator (before its first packet); False when
    there is nothing to floor (an audio receiver has no estimator, or the floor is 0)."""
    current: Any = getattr(receiver, _ESTIMATOR, None)
    if floor_bps <= 0 or not isinstance(current, RemoteBitrateEstimator):
        return False
    setattr(receiver, _ESTIMATOR, FlooredEstimator(floor_bps))
    return True
