"""Settings → the configuration objects of signaling, media and docforge."""

from __future__ import annotations

from typing import Any

from docforge.config import DocforgeConfig, Pkcs11Source, Pkcs12Source
from media.ice import TurnCredentials
from media.peers import MediaSettings
from signaling import SignalingConfig
from web.settings import Settings, SettingsError

__all__ = ["docforge_config", "ice_servers_for", "media_settings", "signaling_config",
           "turn_credentials"]


def signaling_config(settings: Settings) -> SignalingConfig:
    return SignalingConfig(
        allowed_origins=tuple(settings.origins),
        redis_url=settings.redis_url or None,
        max_message_bytes=settings.signaling_max_message_bytes,
        max_sdp_bytes=settings.signaling_max_sdp_bytes,
        rate_per_s=settings.signaling_rate_per_s,
        rate_burst=settings.signaling_rate_burst,
        ice_servers=(lambda user: ice_servers_for(settings, user)) if settings.turn_urls else None,
    )


def media_settings(settings: Settings) -> MediaSettings:
    return MediaSettings(
        archive_dir=settings.archive_dir,
        ice_servers=settings.ice_servers,
        ice_relay_only=settings.ice_relay_only,
        host_addresses=settings.ice_host_addresses,
        turn=turn_credentials(settings),
        udp_ports=((settings.ice_port_min, settings.ice_port_max)
                   if settings.ice_port_min else None),
        advertised_address=settings.ice_advertised_address,
        segment_seconds=settings.media_segment_seconds,
        media_timeout=settings.media_timeout,
        remb_floor_bps=settings.media_remb_floor_kbps * 1000,
    )


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


def docforge_config(settings: Settings) -> DocforgeConfig:
    backend = settings.signing_backend
    seal: Pkcs12Source | Pkcs11Source | None = None
    service: Pkcs12Source | Pkcs11Source | None = None
    if backend == "pkcs12":
        if settings.seal_pkcs12 is None or settings.service_pkcs12 is None:
            raise SettingsError("YUNTING_SIGNING_BACKEND=pkcs12 needs YUNTING_SEAL_PKCS12 and"
                                " YUNTING_SERVICE_PKCS12")
        passphrase = settings.pkcs12_passphrase
        seal = Pkcs12Source(settings.seal_pkcs12, passphrase)
        service = Pkcs12Source(settings.service_pkcs12, passphrase)
    elif backend == "pkcs11":
        if settings.pkcs11_module is None or not settings.pkcs11_token:
            raise SettingsError("YUNTING_SIGNING_BACKEND=pkcs11 needs YUNTING_PKCS11_MODULE and"
                                " YUNTING_PKCS11_TOKEN")
        pin = settings.pkcs11_pin
        seal = Pkcs11Source(settings.pkcs11_module, settings.pkcs11_token,
                            settings.pkcs11_seal_key or "seal", pin)
        service = Pkcs11Source(settings.pkcs11_module, settings.pkcs11_token,
                               settings.pkcs11_service_key or "service", pin)
    people: dict[str, Pkcs12Source | Pkcs11Source] = {}
    if backend != "dev" and settings.judge_pkcs12_dir is not None:
        # A judge's (or mediator's) own key, <staff user id>.p12: chosen by the authenticated
        # account that signs, never by a display name.
        passphrase = settings.pkcs12_passphrase
        people = {p.stem: Pkcs12Source(p, passphrase)
                  for p in sorted(settings.judge_pkcs12_dir.glob("*.p12"))}
    try:
        return DocforgeConfig(pki_dir=settings.pki_dir, tsa_url=settings.tsa_url or None,
                              signing_backend=backend,  # type: ignore[arg-type]
                              seal_source=seal, service_source=service, judge_sources=people)
    except ValueError as exc:
        raise SettingsError(str(exc)) from None
