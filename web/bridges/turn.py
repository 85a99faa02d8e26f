"""TURN for browsers and the server's peers: coturn's REST credentials (a shared secret,
time-limited usernames) minted from the settings, and the RTCIceServer list a page hands out."""

from __future__ import annotations

from typing import Any

from media.ice import TurnCredentials
from web.settings import Settings, SettingsError

__all__ = ["IceServers", "ice_servers_for", "turn_credentials"]


def turn_credentials(settings: Settings) -> TurnCredentials | None:
    """The TURN servers and coturn's shared secret, or None without TURN."""
    if not settings.turn_urls or settings.turn_secret is None:
        return None
    try:
        return TurnCredentials(settings.turn_urls, settings.turn_secret.reveal(),
                               settings.turn_ttl_seconds)
    except ValueError as exc:
        raise SettingsError(f"YUNTING_TURN_*: {exc}") from None


def ice_servers_for(settings: Settings, user: str) -> list[dict[str, Any]]:
    """The RTCIceServer list a page hands its browser: the STUN servers and, with TURN,
    credentials minted now for this participant (username `expiry:user`), which coturn
    refuses after YUNTING_TURN_TTL_SECONDS. A page rendered again (or a socket that
    reconnects and gets a new snapshot) gets new ones; none is ever static."""
    servers = [dict(server) for server in settings.ice_servers]
    turn = turn_credentials(settings)
    if turn is not None:
        servers.append(turn.issue(user))
    return servers


class IceServers:
    """`ice_servers_for` bound to the settings: what the pages hand out (web.keys.ICE_SERVERS),
    so that they need not import a bridge."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def for_user(self, user: str) -> list[dict[str, Any]]:
        return ice_servers_for(self.settings, user)
