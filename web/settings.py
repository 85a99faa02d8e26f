"""Settings: one frozen object built from YUNTING_* environment variables (and an optional .env).

Every variable is listed in README.md. Secrets are wrapped in `Secret`, whose repr
and str never show the value.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from dotenv import dotenv_values

from docforge.config import Secret

__all__ = ["Secret", "Settings", "SettingsError"]


_PASSWORD_IN_URL = re.compile(r"(://[^:/@]*:)[^@]*@")


class SettingsError(ValueError):
    pass


def _bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise SettingsError(f"expected true or false (got {text!r})")


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8080
    public_url: str = "http://127.0.0.1:8080"
    data_dir: Path = Path("var")
    database_url: str = ""  # empty: SQLite file under data_dir
    redis_url: str = ""  # empty: in-process signaling
    archive_dir: Path = Path()  # empty: data_dir/archive
    ice_servers: tuple[dict[str, Any], ...] = ()
    ice_host_addresses: tuple[str, ...] = ()  # empty: every interface (aioice's default)
    ice_relay_only: bool = False
    # TURN (coturn, use-auth-secret): each join gets credentials that expire; none is static.
    turn_urls: tuple[str, ...] = ()  # empty: no TURN server
    turn_secret: Secret | None = None  # coturn's static-auth-secret
    turn_ttl_seconds: float = 3600.0
    # The server's media peer: host candidates on these UDP ports, announcing this address.
    ice_port_min: int = 0  # 0: any port
    ice_port_max: int = 0
    ice_advertised_address: str = ""  # empty: the bound address
    allowed_origins: tuple[str, ...] = ()  # empty: public_url only
    court_timezone: str = "Asia/Shanghai"
    join_link_days: float = 14.0
    session_hours: float = 10.0
    cookie_secure: bool | None = None  # None: secure when public_url is https
    audit_key: Secret | None = None  # None: generated once into data_dir/audit.key
    max_request_bytes: int = 1_000_000
    max_upload_bytes: int = 20_000_000  # a scan for the e-file, streamed to disk (413 above)
    # Work after the close and the clerks' e-files (web/bridges/jobs.py): "inline" in this process,
    # "queue" on Redis for `yunting jobs` workers; empty: the queue when Redis is configured.
    jobs: str = ""
    jobs_namespace: str = "yt-jobs"  # the queue's Redis keys
    jobs_heartbeat_seconds: float = 60.0  # a worker silent this long is dead: its job moves on
    max_json_items: int = 20_000  # per list or object; a signature's points are the longest
    log_level: str = "INFO"
    login_max_failures: int = 5  # per username and per client address, within the window
    login_window_seconds: float = 300.0
    # Reverse proxies whose X-Forwarded-For/-Proto are believed (addresses or CIDRs).
    trusted_proxies: tuple[str, ...] = ()  # empty: the peer's address is the client's
    # Signaling (socket.io): limits per connection.
    signaling_max_message_bytes: int = 64_000
    signaling_max_sdp_bytes: int = 32_000
    signaling_rate_per_s: float = 20.0
    signaling_rate_burst: int = 60
    # Media: the server's peers and recorder.
    media_enabled: bool = True
    media_segment_seconds: float = 600.0
    media_timeout: float = 3.0
    # The least REMB the server's peer sends a publisher (media/bandwidth.py); 0: aiortc's.
    media_remb_floor_kbps: int = 300
    # Media workers (`yunting media`): with Redis, each hearing's media is placed on one.
    media_workers: bool = False  # false: the web process hosts the media peers itself
    media_worker_ttl_seconds: float = 2.0  # a worker silent this long is lost; its hearings move
    # Documents: signing keys and timestamps (dev: a development PKI under data_dir/pki).
    signing_backend: str = "dev"  # dev | pkcs12 | pkcs11
    tsa_url: str = ""  # empty: the built-in development timestamping service
    seal_pkcs12: Path | None = None
    service_pkcs12: Path | None = None
    pkcs12_passphrase: Secret | None = None
    judge_pkcs12_dir: Path | None = None  # <staff user id>.p12 per judge or mediator
    pkcs11_module: Path | None = None
    pkcs11_token: str = ""
    pkcs11_seal_key: str = ""
    pkcs11_service_key: str = ""
    pkcs11_pin: Secret | None = None
    # Notifying parties outside the room: an HTTP gateway (SMS/e-mail), or none (outbox only).
    notify_webhook_url: str = ""  # empty: notifications wait in the outbox table
    notify_webhook_token: Secret | None = None  # sent as "Authorization: Bearer ..."
    notify_interval_seconds: float = 10.0
    notify_backoff_seconds: float = 30.0  # a failed send waits this ×2^(n-1) (+ jitter)
    notify_max_attempts: int = 8  # then the notification is undelivered until a clerk resends
    # Electronic service by e-mail (web/bridges/mail.py): the court's mail relay, or none.
    smtp_host: str = ""  # empty: no e-mail; notifications go to the gateway only
    smtp_port: int = 587
    smtp_user: str = ""
    smtp_password: Secret | None = None
    smtp_from: str = "noreply@yunting.invalid"
    smtp_starttls: bool = True
    _source: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, env_file: str | Path | None = ".env"
    ) -> Settings:
        values: dict[str, str] = {}
        if env_file and Path(env_file).is_file():
            values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
        values.update(os.environ if environ is None else environ)
        kwargs: dict[str, Any] = {}
        for f in fields(cls):
            key = "YUNTING_" + f.name.upper()
            if f.name.startswith("_") or key not in values:
                continue
            try:
                kwargs[f.name] = _convert(f.name, values[key])
            except (ValueError, json.JSONDecodeError) as exc:
                raise SettingsError(f"{key}: {exc}") from None
        return cls(**kwargs)

    def __post_init__(self) -> None:
        data_dir = Path(self.data_dir).resolve()
        object.__setattr__(self, "data_dir", data_dir)
        if not str(self.archive_dir) or str(self.archive_dir) == ".":
            object.__setattr__(self, "archive_dir", data_dir / "archive")
        if not self.database_url:
            object.__setattr__(self, "database_url", f"sqlite:///{data_dir / 'yunting.sqlite3'}")
        for server in self.ice_servers:
            if not isinstance(server, dict) or "urls" not in server:
                raise SettingsError(f"each ICE server needs 'urls' (got {server!r})")
            urls = [server["urls"]] if isinstance(server["urls"], str) else server["urls"]
            if {"username", "credential"} & set(server) or any(
                    str(u).startswith("turn") for u in urls):
                raise SettingsError(
                    "YUNTING_ICE_SERVERS lists STUN servers only: a TURN credential there would "
                    "be copied from every page; use YUNTING_TURN_URLS and YUNTING_TURN_SECRET")
        if self.turn_urls and self.turn_secret is None:
            raise SettingsError("YUNTING_TURN_URLS needs YUNTING_TURN_SECRET")
        if self.ice_relay_only and not self.turn_urls:
            raise SettingsError("YUNTING_ICE_RELAY_ONLY needs YUNTING_TURN_URLS")
        if (self.ice_port_min or self.ice_port_max) and not (
                1024 <= self.ice_port_min <= self.ice_port_max <= 65535):
            raise SettingsError("YUNTING_ICE_PORT_MIN..YUNTING_ICE_PORT_MAX must be a UDP port "
                                f"range in 1024-65535 (got {self.ice_port_min}-"
                                f"{self.ice_port_max})")
        if self.signing_backend not in ("dev", "pkcs12", "pkcs11"):
            raise SettingsError("YUNTING_SIGNING_BACKEND must be dev, pkcs12 or pkcs11"
                                f" (got {self.signing_backend!r})")
        for proxy in self.trusted_proxies:
            try:
                ipaddress.ip_network(proxy, strict=False)
            except ValueError:
                raise SettingsError("YUNTING_TRUSTED_PROXIES: not an address or CIDR "
                                    f"(got {proxy!r})") from None
        if self.jobs not in ("", "inline", "queue"):
            raise SettingsError(f"YUNTING_JOBS must be inline or queue (got {self.jobs!r})")
        if self.jobs == "queue" and not self.redis_url:
            raise SettingsError("YUNTING_JOBS=queue needs YUNTING_REDIS_URL")
        if self.media_workers and not self.redis_url:
            raise SettingsError("YUNTING_MEDIA_WORKERS needs YUNTING_REDIS_URL (the workers' "
                                "registry and relay)")
        if not 0.5 <= self.media_worker_ttl_seconds <= 30:
            raise SettingsError("YUNTING_MEDIA_WORKER_TTL_SECONDS must be in [0.5, 30] "
                                f"(got {self.media_worker_ttl_seconds})")
        if not 0 <= self.media_remb_floor_kbps <= 10_000:
            raise SettingsError("YUNTING_MEDIA_REMB_FLOOR_KBPS must be in [0, 10000] "
                                f"(got {self.media_remb_floor_kbps})")
        if not 0 < self.port < 65536:
            raise SettingsError(f"YUNTING_PORT must be a TCP port (got {self.port})")

    def __repr__(self) -> str:
        shown = []
        for f in fields(self):
            if f.name.startswith("_"):
                continue
            value = getattr(self, f.name)
            if f.name in ("database_url", "redis_url"):
                value = _PASSWORD_IN_URL.sub(r"\1***@", value)
            elif f.name == "ice_servers":
                value = tuple({k: ("***" if k == "credential" else v) for k, v in server.items()}
                              for server in value)
            shown.append(f"{f.name}={value!r}")
        return f"Settings({', '.join(shown)})"

    @property
    def jobs_queued(self) -> bool:
        """Jobs go to the Redis queue (else they run in this process, as `make run` does)."""
        return self.jobs == "queue" or (self.jobs == "" and bool(self.redis_url))

    @property
    def origins(self) -> list[str]:
        return list(self.allowed_origins) or [self.public_url.rstrip("/")]

    @property
    def secure_cookies(self) -> bool:
        if self.cookie_secure is not None:
            return self.cookie_secure
        return self.public_url.startswith("https://")

    @property
    def pki_dir(self) -> Path:
        return self.data_dir / "pki"

    def audit_key_bytes(self) -> bytes:
        """The audit HMAC key: from settings, or generated once beside the database."""
        if self.audit_key is not None:
            return self.audit_key.reveal().encode()
        path = self.data_dir / "audit.key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32))
        return path.read_text().strip().encode()


_LISTS = ("ice_host_addresses", "allowed_origins", "trusted_proxies", "turn_urls")


def _convert(name: str, raw: str) -> Any:
    """Parse one variable by the type its field declares."""
    kind = {f.name: str(f.type) for f in fields(Settings)}[name]
    optional = kind.endswith("| None")
    if optional and raw.strip() == "":
        return None
    kind = kind.removesuffix(" | None")
    if name == "ice_servers":
        parsed = json.loads(raw) if raw.strip() else []
        if not isinstance(parsed, list):
            raise SettingsError("must be a JSON list of {urls, username, credential}")
        return tuple(parsed)
    if name in _LISTS:
        return tuple(part.strip() for part in raw.split(",") if part.strip())
    parse: dict[str, Any] = {"int": int, "float": float, "bool": _bool, "Path": Path,
                             "Secret": Secret}
    return parse.get(kind, str)(raw)
