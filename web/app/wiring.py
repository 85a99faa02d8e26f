"""Settings → the configuration objects of signaling, media and docforge."""

from __future__ import annotations

from docforge.config import DocforgeConfig, Pkcs11Source, Pkcs12Source
from media.peers import MediaSettings
from signaling import SignalingConfig
from web.bridges.turn import ice_servers_for, turn_credentials
from web.settings import Settings, SettingsError

__all__ = ["docforge_config", "media_settings", "signaling_config"]


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
