"""TURN REST credentials (coturn `use-auth-secret`): minted per user with an expiry, the
password an HMAC of the username; pages and snapshots carry them, never a static one."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from media.errors import IceConfigurationError
from media.ice import TurnCredentials, ice_configuration
from web.app.wiring import media_settings, signaling_config
from web.bridges.turn import ice_servers_for
from web.settings import Settings

SECRET = "s3cret-shared-with-coturn"


def test_username_is_expiry_and_user_and_password_is_hmac_sha1() -> None:
    turn = TurnCredentials(("turn:turn.court.example:3478?transport=udp",), SECRET, 3600)
    issued = turn.issue("p-42", now=1_700_000_000)
    assert issued["username"] == "1700003600:p-42"
    expected = base64.b64encode(hmac.new(SECRET.encode(), b"1700003600:p-42",
                                         hashlib.sha1).digest()).decode()
    assert issued["credential"] == expected
    assert issued["urls"] == ["turn:turn.court.example:3478?transport=udp"]
    # a staff identity's ':' cannot shift coturn's expiry:user split
    assert turn.issue("staff:7", now=0)["username"] == "3600:staff-7"
    assert SECRET not in repr(turn)


@pytest.mark.parametrize(("urls", "secret", "ttl"), [
    (("stun:x:3478",), SECRET, 3600), (("turn:x",), "short", 3600), (("turn:x",), SECRET, 5),
])
def test_bad_turn_configuration_is_refused(urls: tuple[str, ...], secret: str, ttl: float) -> None:
    with pytest.raises(IceConfigurationError):
        TurnCredentials(urls, secret, ttl)


def test_pages_and_the_server_peer_get_fresh_credentials_of_their_own() -> None:
    settings = Settings.from_env({
        "YUNTING_ICE_SERVERS": '[{"urls": "stun:stun.court.example:3478"}]',
        "YUNTING_TURN_URLS": "turn:t.example:3478?transport=udp,turns:t.example:5349?transport=tcp",
        "YUNTING_TURN_SECRET": SECRET, "YUNTING_TURN_TTL_SECONDS": "600",
        "YUNTING_ICE_RELAY_ONLY": "true",
        "YUNTING_ICE_PORT_MIN": "50000", "YUNTING_ICE_PORT_MAX": "50099",
        "YUNTING_ICE_ADVERTISED_ADDRESS": "203.0.113.7",
    }, env_file=None)
    stun, turn = ice_servers_for(settings, "participant-1")
    assert stun == {"urls": "stun:stun.court.example:3478"}
    expiry, user = turn["username"].split(":")
    assert user == "participant-1" and int(expiry) > 0
    assert turn["urls"][1] == "turns:t.example:5349?transport=tcp"
    assert SECRET not in repr(settings)
    media = media_settings(settings)
    assert media.udp_ports == (50000, 50099) and media.advertised_address == "203.0.113.7"
    assert media.turn is not None
    config = ice_configuration(media.ice_servers, relay_only=True, turn=media.turn, user="p-1")
    assert config.iceServers is not None and config.iceServers[1].username.endswith(":p-1")
    # every snapshot (so every reconnection) carries new credentials
    snapshot_servers = signaling_config(settings).ice_servers
    assert snapshot_servers is not None and snapshot_servers("p-2")[1]["username"].endswith(":p-2")


def test_without_turn_pages_get_the_stun_list_only() -> None:
    settings = Settings.from_env({}, env_file=None)
    assert ice_servers_for(settings, "p") == []
    assert signaling_config(settings).ice_servers is None
