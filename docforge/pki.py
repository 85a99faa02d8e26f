"""Development PKI: root CA, court seal, signing service, TSA, judges, and a CRL.

Every subject says 开发用 / DEVELOPMENT — NOT LEGALLY VALID. Keys and certificates are PEM
files under one directory; ``init_dev_pki`` is idempotent (it reuses what exists).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import stringprep
import threading
from dataclasses import dataclass
from pathlib import Path

from asn1crypto import crl as asn1_crl
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from .errors import PKIError

DEV_MARK = "开发用 DEVELOPMENT — NOT LEGALLY VALID"
CRL_URL = "http://127.0.0.1/docforge-dev.crl"  # never fetched: the CRL is handed to validators
_VALIDITY = dt.timedelta(days=3650)
_lock = threading.Lock()

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


@dataclass(frozen=True)
class Credential:
    """A certificate with its key, in both the cryptography and asn1crypto forms."""

    cert: x509.Certificate
    key: PrivateKey

    @property
    def asn1_cert(self) -> asn1_x509.Certificate:
        return asn1_x509.Certificate.load(self.cert.public_bytes(serialization.Encoding.DER))

    @property
    def asn1_key(self) -> asn1_keys.PrivateKeyInfo:
        der = self.key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        return asn1_keys.PrivateKeyInfo.load(der)

    @property
    def common_name(self) -> str:
        attrs = self.cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        return str(attrs[0].value) if attrs else ""


_UB_NAME = 64  # ub-common-name, ub-organizational-unit-name: UTF-8 bytes (RFC 5280)
_DEV_SUFFIX = "（开发用）"
_MISSING = "□"  # the mark Chinese print uses for a character it cannot show


def _name(common_name: str, role: str) -> x509.Name:
    """A subject that X.509 libraries accept for any name a court can enter.

    Attribute values are limited in bytes and asn1crypto refuses characters outside its
    Unicode 3.2 tables (CJK Extension C and later), controls and mixed-direction text: such
    characters become □ and long values end in …. The exact name is printed in the document
    and in the signature's /Name; ``serialNumber`` (SHA-256 of the exact name) tells two
    names apart whose certificate forms agree.
    """
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, f"yunting {DEV_MARK}"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, x509_text(role)),
            x509.NameAttribute(
                NameOID.COMMON_NAME, x509_text(common_name, suffix=_DEV_SUFFIX)
            ),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, name_digest(common_name)),
        ]
    )


def name_digest(name: str) -> str:
    """The stable identifier of an exact name (hex SHA-256 of its UTF-8)."""
    return hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()


def _accepted(value: str) -> bool:
    try:
        return bool(asn1_x509.Name.build({"common_name": value}).hashable)
    except ValueError:  # RFC 4518 preparation: unassigned, prohibited or bidi-mixed
        return False


def x509_text(value: str, *, suffix: str = "", limit: int = _UB_NAME) -> str:
    """``value`` + ``suffix`` in a form asn1crypto accepts, at most ``limit`` UTF-8 bytes."""
    text = "".join(c if c.isprintable() and _accepted(c) else _MISSING for c in value)
    if not _accepted(text + suffix):  # right-to-left letters mixed with left-to-right ones
        text = "".join(_MISSING if stringprep.in_table_d1(c) else c for c in text)
    room = limit - len(suffix.encode())
    if len(text.encode()) > room:
        while len(text.encode()) > room - len("…".encode()):
            text = text[:-1]
        text += "…"
    return text + suffix


def _write_pem(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(data)
    tmp.chmod(0o600)
    tmp.replace(path)


def _key_pem(key: PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


@dataclass(frozen=True)
class DevPKI:
    directory: Path
    root: Credential
    seal: Credential
    service: Credential
    tsa: Credential

    @property
    def crl_path(self) -> Path:
        return self.directory / "root.crl"

    @property
    def crl_der(self) -> bytes:
        return self.crl_path.read_bytes()

    @property
    def asn1_crl(self) -> asn1_crl.CertificateList:
        return asn1_crl.CertificateList.load(self.crl_der)

    def issue_person_cert(self, user_id: str, role: str, name: str) -> Credential:
        """A judge's/mediator's signing certificate, created once and reused by the signer's
        authenticated identity (user id + role); the name only goes into the subject, so
        someone named like a judge never gets the judge's key."""
        slug = hashlib.sha256(f"{role}\0{user_id}".encode()).hexdigest()[:16]
        return _load_or_issue(self.directory, f"person-{slug}", self.root, name, role, "person")


def _build_cert(
    subject: x509.Name, key: PrivateKey, issuer: Credential | None, kind: str
) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    issuer_name = issuer.cert.subject if issuer else subject
    signing_key = issuer.key if issuer else key
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + _VALIDITY)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
    )
    if issuer is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()), False
        ).add_extension(
            x509.CRLDistributionPoints(
                [
                    x509.DistributionPoint(
                        [x509.UniformResourceIdentifier(CRL_URL)], None, None, None
                    )
                ]
            ),
            False,
        )
    is_ca = kind == "root"
    builder = builder.add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), True)
    builder = builder.add_extension(
        x509.KeyUsage(
            digital_signature=True,
            content_commitment=kind in ("person", "seal", "service"),
            key_encipherment=False,
            data_encipherment=False,
            key_agreement=kind == "seal",  # the court seal key also receives biometric records
            key_cert_sign=is_ca,
            crl_sign=is_ca,
            encipher_only=False,
            decipher_only=False,
        ),
        True,
    )
    if kind == "tsa":
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), True
        )
    return builder.sign(signing_key, hashes.SHA256())


def _load_or_issue(
    directory: Path, stem: str, issuer: Credential | None, cn: str, role: str, kind: str
) -> Credential:
    cert_path, key_path = directory / f"{stem}.pem", directory / f"{stem}.key"
    with _lock:
        if cert_path.exists() and key_path.exists():
            return _read_credential(cert_path, key_path)
        key: PrivateKey = (
            rsa.generate_private_key(65537, 2048)  # DummyTimeStamper signs with RSA only
            if kind == "tsa"
            else ec.generate_private_key(ec.SECP256R1())
        )
        cert = _build_cert(_name(cn, role), key, issuer, kind)
        _write_pem(key_path, _key_pem(key))
        _write_pem(cert_path, cert.public_bytes(serialization.Encoding.PEM))
        return Credential(cert, key)


def _read_credential(cert_path: Path, key_path: Path) -> Credential:
    try:
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    except (OSError, ValueError) as exc:
        raise PKIError(f"cannot read {cert_path.name}/{key_path.name}: {exc}") from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise PKIError(f"{key_path.name}: unsupported key type {type(key).__name__}")
    return Credential(cert, key)


def _write_crl(directory: Path, root: Credential) -> None:
    path = directory / "root.crl"
    if path.exists():
        return
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    crl = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(root.cert.subject)
        .last_update(now)
        .next_update(now + _VALIDITY)
        .add_extension(x509.CRLNumber(1), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root.key.public_key()), False
        )
        .sign(root.key, hashes.SHA256())
    )
    _write_pem(path, crl.public_bytes(serialization.Encoding.DER))


def dev_pki_exists(directory: Path | str) -> bool:
    directory = Path(directory)
    names = ("root", "seal", "service", "tsa")
    return (directory / "root.crl").exists() and all(
        (directory / f"{n}.pem").exists() and (directory / f"{n}.key").exists() for n in names
    )


def init_dev_pki(directory: Path | str) -> DevPKI:
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    root = _load_or_issue(directory, "root", None, "云庭开发根证书 yunting dev root", "CA", "root")
    seal = _load_or_issue(directory, "seal", root, "法院电子印章 court seal", "court seal", "seal")
    service = _load_or_issue(
        directory, "service", root, "手写签名服务 signing service", "signing service", "service"
    )
    tsa = _load_or_issue(directory, "tsa", root, "时间戳服务 dev TSA", "TSA", "tsa")
    _write_crl(directory, root)
    return DevPKI(directory, root, seal, service, tsa)
