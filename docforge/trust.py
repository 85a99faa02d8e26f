"""Which certificates a verifier trusts, and where they came from (printed with every verdict).

Three sources, any combination: this installation's PKI directory (the court's own machine),
root certificates handed over as files (``--trust court-root.pem``: the defence, an appeal
court), and SHA-256 fingerprints of a root pinned on the command line, matched against the
self-signed certificates the evidence carries. Nothing else is ever trusted: no trust roots
means nothing verifies (fail closed).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from asn1crypto import cms, pem
from asn1crypto import crl as asn1_crl
from asn1crypto import x509 as asn1_x509

from .config import DocforgeConfig
from .errors import PKIError
from .pki import dev_pki_exists

__all__ = [
    "TrustRoots", "carried_certificates", "fingerprint", "installed_trust", "load_certificate",
    "normalise_fingerprint",
]


def fingerprint(certificate: asn1_x509.Certificate) -> str:
    """SHA-256 of the DER certificate, lower-case hex (what `openssl x509 -fingerprint
    -sha256` prints, without the colons)."""
    return hashlib.sha256(certificate.dump()).hexdigest()


def normalise_fingerprint(text: str) -> str:
    value = text.replace(":", "").replace(" ", "").strip().lower()
    if len(value) != 64 or any(c not in "0123456789abcdef" for c in value):
        raise PKIError(f"a root fingerprint is 64 hex digits of SHA-256 (got {text!r})")
    return value


def load_certificate(data: bytes, name: str) -> asn1_x509.Certificate:
    """One PEM or DER certificate; ``PKIError`` naming ``name`` if it is not one."""
    try:
        if pem.detect(data):
            _, _, data = pem.unarmor(data)
        certificate = asn1_x509.Certificate.load(data)
        certificate.native  # noqa: B018 — forces a full parse so garbage fails here
    except ValueError:
        raise PKIError(f"{name}: not a PEM or DER certificate") from None
    return certificate


@dataclass(frozen=True)
class TrustRoots:
    roots: tuple[asn1_x509.Certificate, ...] = ()
    crls: tuple[asn1_crl.CertificateList, ...] = ()
    # why each root is trusted, in the order of `roots`: "--trust court-root.pem", ...
    origins: tuple[str, ...] = ()
    # pinned fingerprints no carried certificate matched (reported, never trusted)
    unmatched_pins: tuple[str, ...] = field(default=())

    def __bool__(self) -> bool:
        return bool(self.roots)

    def plus(self, other: TrustRoots) -> TrustRoots:
        return TrustRoots(self.roots + other.roots, self.crls + other.crls,
                          self.origins + other.origins, self.unmatched_pins + other.unmatched_pins)

    def missing(self) -> str:
        """Why nothing is trusted (for a report that must fail)."""
        if self.unmatched_pins:
            return ("no trust roots: no certificate the evidence carries has the pinned "
                    f"fingerprint {', '.join(self.unmatched_pins)}")
        return ("no trust roots: nothing can be trusted (pass --trust COURT-ROOT.pem or "
                "--trust-fingerprint SHA256)")

    def describe(self) -> list[str]:
        """One line per root: its subject, its SHA-256 fingerprint and why it is trusted."""
        lines = [f"{_common_name(root)} (SHA-256 {fingerprint(root)}) from {origin}"
                 for root, origin in zip(self.roots, self.origins, strict=True)]
        lines += [f"pinned {pin}: no certificate carried by the evidence has this fingerprint"
                  for pin in self.unmatched_pins]
        return lines or ["none: pass --trust COURT-ROOT.pem or --trust-fingerprint SHA256"]

    @classmethod
    def from_files(cls, paths: Iterable[str | Path]) -> TrustRoots:
        roots, origins = [], []
        for path in paths:
            try:
                data = Path(path).read_bytes()
            except OSError as exc:
                raise PKIError(f"cannot read trust root {path}: {exc.strerror}") from None
            roots.append(load_certificate(data, str(path)))
            origins.append(f"--trust {path}")
        return cls(tuple(roots), (), tuple(origins))

    @classmethod
    def pinned(cls, pins: Sequence[str], carried: Iterable[asn1_x509.Certificate]) -> TrustRoots:
        """The self-signed certificates among ``carried`` whose fingerprint is pinned."""
        wanted = [normalise_fingerprint(p) for p in pins]
        by_print = {fingerprint(c): c for c in carried if c.self_signed in ("yes", "maybe")}
        found = [(by_print[p], p) for p in wanted if p in by_print]
        return cls(tuple(c for c, _ in found),
                   (), tuple(f"--trust-fingerprint {p}" for _, p in found),
                   tuple(p for p in wanted if p not in by_print))


def _common_name(certificate: asn1_x509.Certificate) -> str:
    return str(certificate.subject.native.get("common_name")
               or certificate.subject.human_friendly)


def installed_trust(config: DocforgeConfig) -> TrustRoots:
    """This installation's roots and CRLs (``DATA_DIR/pki``), read from files only: a verifier
    never creates a PKI (a new root would trust nothing that was signed) nor loads keys."""
    directory = config.pki_dir
    if config.signing_backend == "dev":
        if not dev_pki_exists(directory):
            return TrustRoots()
        root_files = [directory / "root.pem"]
    else:
        root_files = sorted(directory.glob("*.root.pem"))
    roots = tuple(load_certificate(p.read_bytes(), str(p)) for p in root_files)
    crls = []
    for path in sorted(directory.glob("*.crl")):
        try:
            crls.append(asn1_crl.CertificateList.load(path.read_bytes()))
            crls[-1].native  # noqa: B018 — a broken CRL is reported, not trusted blindly
        except (OSError, ValueError) as exc:
            raise PKIError(f"cannot read CRL {path}: {exc}") from None
    return TrustRoots(roots, tuple(crls), tuple(f"this installation ({p})" for p in root_files))


def carried_certificates(signed_data: cms.SignedData) -> list[asn1_x509.Certificate]:
    """The certificates a CMS SignedData carries (the signer's chain: candidates for a pin)."""
    return [choice.chosen for choice in signed_data["certificates"] or []
            if choice.name == "certificate"]
