"""Where signing keys come from: the development PKI, PKCS#12 files or a PKCS#11 token.

A ``SignerSource`` hands out pyHanko signers for the court seal, the signing service (which
signs on behalf of handwritten signers) and named judges/mediators, plus what validators need:
trust roots, CRLs and a timestamper.
"""

from __future__ import annotations

from typing import Any, Protocol

from asn1crypto import crl as asn1_crl
from asn1crypto import x509 as asn1_x509
from cryptography import x509

from .config import DocforgeConfig, Pkcs11Source, Pkcs12Source
from .errors import PKIError
from .pki import Credential, DevPKI, init_dev_pki
from .timestamps import dev_timestamper, http_timestamper


class SignerSource(Protocol):
    def seal_signer(self) -> Any: ...
    def service_signer(self) -> Any: ...
    def person_signer(self, user_id: str, role: str, name: str) -> Any: ...
    def court_encryption_cert(self) -> x509.Certificate: ...
    def trust_roots(self) -> list[asn1_x509.Certificate]: ...
    def crls(self) -> list[asn1_crl.CertificateList]: ...
    def timestamper(self) -> Any: ...


def simple_signer(credential: Credential, chain: list[asn1_x509.Certificate]) -> Any:
    from pyhanko.sign import signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    return signers.SimpleSigner(
        signing_cert=credential.asn1_cert,
        signing_key=credential.asn1_key,
        cert_registry=SimpleCertificateStore.from_certs(chain),
    )


class DevSignerSource:
    def __init__(self, pki: DevPKI, tsa_url: str | None = None) -> None:
        self.pki = pki
        self._tsa_url = tsa_url
        self._cache: dict[tuple[str, str], Any] = {}
        self._timestamper: Any = None

    def _signer(self, key: tuple[str, str], credential: Credential) -> Any:
        if key not in self._cache:
            self._cache[key] = simple_signer(credential, [self.pki.root.asn1_cert])
        return self._cache[key]

    def seal_signer(self) -> Any:
        return self._signer(("seal", ""), self.pki.seal)

    def service_signer(self) -> Any:
        return self._signer(("service", ""), self.pki.service)

    def person_signer(self, user_id: str, role: str, name: str) -> Any:
        """The key of `user_id` in `role`; `name` only goes into a new certificate's subject."""
        return self._signer((role, user_id), self.pki.issue_person_cert(user_id, role, name))

    def court_encryption_cert(self) -> x509.Certificate:
        return self.pki.seal.cert

    def trust_roots(self) -> list[asn1_x509.Certificate]:
        return [self.pki.root.asn1_cert]

    def crls(self) -> list[asn1_crl.CertificateList]:
        return [self.pki.asn1_crl]

    def timestamper(self) -> Any:
        # One per source: pyHanko caches a dummy token per timestamper for size estimation,
        # so a fresh one would cost an extra TSA round trip on every signature.
        if self._timestamper is None:
            self._timestamper = (
                http_timestamper(self._tsa_url) if self._tsa_url else dev_timestamper(self.pki)
            )
        return self._timestamper


def load_pkcs12_signer(source: Pkcs12Source) -> Any:
    from pyhanko.sign import signers

    passphrase = source.passphrase.reveal().encode() if source.passphrase else None
    signer = signers.SimpleSigner.load_pkcs12(str(source.path), passphrase=passphrase)
    if signer is None:  # pyHanko logs and returns None on a bad file or passphrase
        raise PKIError(f"cannot load PKCS#12 file {source.path.name} (bad file or passphrase?)")
    return signer


def load_pkcs11_signer(source: Pkcs11Source) -> Any:
    """The key (and its certificate, by the same label) on a PKCS#11 token.

    EC keys sign with the token's raw ECDSA mechanism over a digest pyHanko computes:
    CKM_ECDSA is the one EC mechanism every token has (SoftHSM 2.6, many HSMs and
    smart cards lack CKM_ECDSA_SHA256). The token's other certificates (the chain) are
    pulled so that the signature carries it. Tested against SoftHSM2.
    """
    from pyhanko.sign import pkcs11

    try:
        session = _pkcs11_session(source)
        signer = pkcs11.PKCS11Signer(session, key_label=source.key_label,
                                     cert_label=source.key_label, other_certs_to_pull=None)
        algorithm = signer.signing_cert.public_key.algorithm
    except Exception as exc:  # python-pkcs11 raises its own hierarchy, often without text
        raise PKIError(f"cannot load key {source.key_label!r} from PKCS#11 token "
                       f"{source.token_label!r}: {type(exc).__name__} {exc}") from exc
    signer.use_raw_mechanism = algorithm == "ec"
    return signer


def _pkcs11_session(source: Pkcs11Source) -> Any:
    from pkcs11.exceptions import UserAlreadyLoggedIn
    from pyhanko.sign import pkcs11

    def open_session(pin: str | None) -> Any:
        return pkcs11.open_pkcs11_session(
            str(source.module_path), token_criteria=pkcs11.TokenCriteria(label=source.token_label),
            user_pin=pin)

    try:
        return open_session(source.pin.reveal() if source.pin else None)
    except UserAlreadyLoggedIn:
        # PKCS#11 logs in the application, not a session: the seal and the signing service
        # on one token share the login the first of them made.
        return open_session(None)


def load_signer(source: Pkcs12Source | Pkcs11Source) -> Any:
    if isinstance(source, Pkcs12Source):
        return load_pkcs12_signer(source)
    return load_pkcs11_signer(source)


class ProductionSignerSource:
    """PKCS#12/PKCS#11 keys; trust roots and CRLs are PEM/DER files in ``config.pki_dir``."""

    def __init__(self, config: DocforgeConfig) -> None:
        if config.seal_source is None or config.service_source is None or not config.tsa_url:
            raise PKIError("production signing needs seal_source, service_source and tsa_url")
        self.config = config
        self._seal = load_signer(config.seal_source)
        self._service = load_signer(config.service_source)
        self._timestamper: Any = None

    def seal_signer(self) -> Any:
        return self._seal

    def service_signer(self) -> Any:
        return self._service

    def person_signer(self, user_id: str, role: str, name: str) -> Any:
        """The key configured for the staff account `user_id` (never looked up by name)."""
        source = self.config.judge_sources.get(user_id)
        if source is None:
            raise PKIError(f"no signing key configured for {role} {name!r} "
                           f"(staff user {user_id!r})")
        return load_signer(source)

    def court_encryption_cert(self) -> x509.Certificate:
        der = self._seal.signing_cert.dump()
        return x509.load_der_x509_certificate(der)

    def trust_roots(self) -> list[asn1_x509.Certificate]:
        from pyhanko.keys import load_cert_from_pemder

        return [
            load_cert_from_pemder(str(p)) for p in sorted(self.config.pki_dir.glob("*.root.pem"))
        ]

    def crls(self) -> list[asn1_crl.CertificateList]:
        return [
            asn1_crl.CertificateList.load(p.read_bytes()) for p in self.config.pki_dir.glob("*.crl")
        ]

    def timestamper(self) -> Any:
        if self._timestamper is None:
            assert self.config.tsa_url is not None
            self._timestamper = http_timestamper(self.config.tsa_url)
        return self._timestamper


def signer_source(config: DocforgeConfig) -> SignerSource:
    if config.signing_backend == "dev":
        return DevSignerSource(init_dev_pki(config.pki_dir), config.tsa_url)
    return ProductionSignerSource(config)


def validation_context(source: SignerSource, **kwargs: Any) -> Any:
    from pyhanko_certvalidator import ValidationContext

    return ValidationContext(
        trust_roots=source.trust_roots(), crls=source.crls(), allow_fetching=False, **kwargs
    )
