"""What web/ hands signaling: its settings and the hearings services it calls."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from hearings.services.access import Access
from hearings.services.control import Control
from hearings.services.room import Room
from hearings.services.scheduling import Scheduling
from signaling.errors import ConfigError
from signaling.quality import Thresholds

__all__ = [
    "REDIS_CHANNEL", "IceServers", "MediaAnswer", "MediaCandidate", "MediaHangup", "RoomServices",
    "ServicesSource", "SignalingConfig",
]

NAMESPACE = "/hearing"
SESSION_COOKIE = "yunting_session"


class MediaAnswer(Protocol):
    """The media package answers a participant's offer with its own peer's SDP."""

    def __call__(self, hearing_id: str, participant_id: str, sdp: str, *, ice_restart: bool
                 ) -> Awaitable[str]: ...


MediaCandidate = Callable[[str, str, str, str | None, int | None], Awaitable[None]]
# (hearing_id, identity, reason) → hang up that member's server peer: they left (their
# last connection is gone) or were removed. Idempotent; a member without a peer is a no-op.
MediaHangup = Callable[[str, str, str], Awaitable[None]]
# participant id (or identity) → the RTCIceServer list for that member's browser, with TURN
# credentials minted now: every snapshot (so every (re)connection) carries fresh ones.
IceServers = Callable[[str], list[dict[str, Any]]]


REDIS_CHANNEL = "yunting-signaling"  # the processes' shared channel (and its prefix)


@dataclass(frozen=True)
class SignalingConfig:
    allowed_origins: tuple[str, ...]
    redis_url: str | None = None  # None: in-process rooms and presence
    redis_channel: str = REDIS_CHANNEL
    max_message_bytes: int = 64_000
    max_sdp_bytes: int = 32_000
    rate_per_s: float = 20.0
    rate_burst: int = 60
    # Joins in progress at once per process: a join storm queues here rather than
    # exhausting the database pool (each join writes, and audit appends serialise).
    max_concurrent_joins: int = 8
    ping_interval_s: float = 25.0
    ping_timeout_s: float = 20.0
    # A process's presence entries count only while it heartbeats (Redis deployment):
    # it refreshes a key of this TTL every TTL / 4; silent this long, it is dead.
    process_ttl_s: float = 3.0
    quality: Thresholds = field(default_factory=Thresholds)
    ice_servers: IceServers | None = None  # None: snapshots carry no ICE servers

    def __post_init__(self) -> None:
        origins = tuple(self.allowed_origins)
        object.__setattr__(self, "allowed_origins", origins)
        if not origins or any(o == "*" or not o.startswith(("http://", "https://"))
                              for o in origins):
            raise ConfigError(f"'allowed_origins' must list http(s) origins, never '*' "
                              f"(got {list(origins)!r})")
        if self.max_sdp_bytes > self.max_message_bytes:
            raise ConfigError("'max_sdp_bytes' must not exceed 'max_message_bytes'")
        if self.max_concurrent_joins < 1:
            raise ConfigError("'max_concurrent_joins' must be at least 1")
        if not 0.5 <= self.process_ttl_s <= 60:
            raise ConfigError("'process_ttl_s' must be between 0.5 and 60 seconds")
        if self.rate_per_s <= 0 or self.rate_burst < 1:
            raise ConfigError("'rate_per_s' must be positive and 'rate_burst' at least 1")


@dataclass(frozen=True)
class RoomServices:
    access: Access
    control: Control
    scheduling: Scheduling
    room: Room


# The services themselves, or a callable that gives them once the app has started.
ServicesSource = RoomServices | Callable[[], RoomServices]
