"""Docforge configuration: one frozen object the web layer builds from its settings."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

SigningBackend = Literal["dev", "pkcs12", "pkcs11"]
BACKENDS: tuple[str, ...] = ("dev", "pkcs12", "pkcs11")


class Secret:
    """A string that never shows up in repr/str (logs, tracebacks, settings dumps, error
    pages); compared in constant time. The one such class (web/settings.py uses it)."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and secrets.compare_digest(self._value, other._value)

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True)
class Pkcs12Source:
    path: Path
    passphrase: Secret | None = None


@dataclass(frozen=True)
class Pkcs11Source:
    module_path: Path
    token_label: str
    key_label: str
    pin: Secret | None = None


@dataclass(frozen=True)
class CaptureLimits:
    max_strokes: int = 200
    max_points: int = 20_000
    max_snapshot_bytes: int = 512 * 1024
    max_pad_size: int = 4096

    def __post_init__(self) -> None:
        for name in ("max_strokes", "max_points", "max_snapshot_bytes", "max_pad_size"):
            if getattr(self, name) <= 0:
                raise ValueError(f"'{name}' must be positive (got {getattr(self, name)!r})")


@dataclass(frozen=True)
class DocforgeConfig:
    """``pki_dir`` holds the development PKI (created on demand) and the CRL/trust roots.

    ``tsa_url`` None means the in-process development TSA. For ``pkcs12``/``pkcs11`` the
    court seal and signing service come from the matching sources; judges' and mediators'
    keys are looked up in ``judge_sources`` by the staff user id of the signer (the
    authenticated account, never a display name someone can type).
    """

    pki_dir: Path
    tsa_url: str | None = None
    signing_backend: SigningBackend = "dev"
    seal_source: Pkcs12Source | Pkcs11Source | None = None
    service_source: Pkcs12Source | Pkcs11Source | None = None
    judge_sources: dict[str, Pkcs12Source | Pkcs11Source] = field(default_factory=dict)  # user id
    capture_limits: CaptureLimits = field(default_factory=CaptureLimits)

    def __post_init__(self) -> None:
        if self.signing_backend not in BACKENDS:
            raise ValueError(
                f"'signing_backend' must be in {list(BACKENDS)} (got {self.signing_backend!r})"
            )
        if self.signing_backend != "dev" and (
            self.seal_source is None or self.service_source is None
        ):
            raise ValueError(
                f"'seal_source' and 'service_source' are required for backend "
                f"{self.signing_backend!r}"
            )
        if self.tsa_url is not None and not self.tsa_url.startswith(("http://", "https://")):
            raise ValueError(f"'tsa_url' must be an http(s) URL (got {self.tsa_url!r})")
