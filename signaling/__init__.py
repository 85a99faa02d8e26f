"""Real-time signaling for hearings: socket.io namespace, wire messages, presence.

`create_signaling(config, services, media_answer=...)` builds it; `attach(app)` mounts
it on web/'s aiohttp application; `publish(...)` pushes events into a hearing.
"""

from __future__ import annotations

from signaling.authz import TABLE, Standing
from signaling.collector import tune_collector
from signaling.config import (
    NAMESPACE,
    SESSION_COOKIE,
    MediaAnswer,
    MediaCandidate,
    MediaHangup,
    RoomServices,
    ServicesSource,
    SignalingConfig,
)
from signaling.errors import SignalingError
from signaling.quality import Level, Thresholds, classify
from signaling.server import Signaling

__all__ = [
    "NAMESPACE",
    "SESSION_COOKIE",
    "TABLE",
    "Level",
    "MediaAnswer",
    "MediaCandidate",
    "MediaHangup",
    "RoomServices",
    "ServicesSource",
    "Signaling",
    "SignalingConfig",
    "SignalingError",
    "Standing",
    "Thresholds",
    "classify",
    "create_signaling",
    "tune_collector",
]


def create_signaling(
    config: SignalingConfig,
    services: ServicesSource,
    *,
    media_answer: MediaAnswer | None = None,
    media_candidate: MediaCandidate | None = None,
    media_hangup: MediaHangup | None = None,
) -> Signaling:
    return Signaling(config, services, media_answer=media_answer,
                     media_candidate=media_candidate, media_hangup=media_hangup)
