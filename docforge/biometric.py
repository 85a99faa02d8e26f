"""Biometric capture records: bound to the document hash, encrypted to the court.

Encryption is ECIES-style because the court seal key is EC P-256: an ephemeral ECDH key,
HKDF-SHA256 → AES-256-GCM key, with the binding header (signer, field, document SHA-256) as
associated data so neither can be swapped without breaking decryption. Only the court's key
opens the stroke data and the camera snapshot; the header stays readable for verifiers.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import os
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .capture import SignatureCapture, parse_capture
from .config import CaptureLimits
from .errors import BiometricRecordError

SCHEME = "ECDH-ES-P256+HKDF-SHA256+A256GCM"
_INFO = b"yunting docforge biometric record v1"


@dataclass(frozen=True)
class SignerIdentity:
    name: str
    role: str
    id_number: str | None = None


@dataclass(frozen=True)
class BiometricRecord:
    """What the court recovers: capture + the binding it was sealed with."""

    field: str
    signer: SignerIdentity
    document_sha256: str
    capture: SignatureCapture


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _header(field: str, signer: SignerIdentity, document_sha256: str, recipient: str) -> dict:
    return {
        "v": 1,
        "scheme": SCHEME,
        "field": field,
        "signer": {"name": signer.name, "role": signer.role, "id_number": signer.id_number},
        "document_sha256": document_sha256,
        "recipient_cert_sha256": recipient,
    }


def _aad(header: dict[str, Any]) -> bytes:
    return json.dumps(header, sort_keys=True, ensure_ascii=False).encode()


def _kdf(shared: bytes, salt: bytes) -> bytes:
    return HKDF(hashes.SHA256(), 32, salt, _INFO).derive(shared)


def _point(public: ec.EllipticCurvePublicKey) -> bytes:
    return public.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )


def seal_record(
    capture: SignatureCapture,
    *,
    field: str,
    signer: SignerIdentity,
    document: bytes,
    court_cert: x509.Certificate,
) -> bytes:
    """Envelope (JSON bytes) binding ``capture`` to ``document`` (the PDF before signing)."""
    public = court_cert.public_key()
    if not isinstance(public, ec.EllipticCurvePublicKey):
        raise BiometricRecordError("the court's encryption certificate must hold an EC key")
    recipient = court_cert.fingerprint(hashes.SHA256()).hex()
    header = _header(field, signer, hashlib.sha256(document).hexdigest(), recipient)
    ephemeral = ec.generate_private_key(public.curve)
    epk = _point(ephemeral.public_key())
    key = _kdf(ephemeral.exchange(ec.ECDH(), public), epk)
    nonce = os.urandom(12)
    plaintext = json.dumps(capture.to_json(), ensure_ascii=False).encode()
    ciphertext = AESGCM(key).encrypt(nonce, plaintext, _aad(header))
    envelope = {**header, "epk": _b64(epk), "nonce": _b64(nonce), "ciphertext": _b64(ciphertext)}
    return json.dumps(envelope, ensure_ascii=False).encode()


def read_header(envelope: bytes) -> dict[str, Any]:
    try:
        data = json.loads(envelope)
        header = _header(
            data["field"],
            SignerIdentity(**data["signer"]),
            data["document_sha256"],
            data["recipient_cert_sha256"],
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise BiometricRecordError(f"malformed biometric record: {exc}") from None
    if data.get("scheme") != SCHEME:
        raise BiometricRecordError(f"unknown record scheme {data.get('scheme')!r}")
    return header


def open_record(envelope: bytes, court_key: ec.EllipticCurvePrivateKey) -> BiometricRecord:
    header = read_header(envelope)
    data = json.loads(envelope)
    try:
        epk = base64.b64decode(data["epk"])
        peer = ec.EllipticCurvePublicKey.from_encoded_point(court_key.curve, epk)
        key = _kdf(court_key.exchange(ec.ECDH(), peer), epk)
        plaintext = AESGCM(key).decrypt(
            base64.b64decode(data["nonce"]), base64.b64decode(data["ciphertext"]), _aad(header)
        )
    except (InvalidTag, ValueError, KeyError) as exc:
        raise BiometricRecordError(f"biometric record does not decrypt: {exc!r}") from None
    capture = parse_capture(
        json.loads(plaintext), CaptureLimits(max_points=10**7, max_strokes=10**6)
    )
    signer = SignerIdentity(**header["signer"])
    return BiometricRecord(header["field"], signer, header["document_sha256"], capture)


def strokes_to_pdf_path(capture: SignatureCapture) -> bytes:
    """Vector drawing of the strokes in pad units (y flipped), width following pressure."""
    ops = [b"0 0 0.55 RG 1 J 1 j"]
    height = capture.pad_height
    for stroke in capture.strokes:
        first = stroke[0]
        if len(stroke) == 1:  # a dot
            ops.append(
                b"%.2f w %.1f %.1f m %.1f %.1f l S"
                % (1.5 + 3 * first.pressure, first.x, height - first.y, first.x, height - first.y)
            )
            continue
        for a, b in itertools.pairwise(stroke):
            ops.append(
                b"%.2f w %.1f %.1f m %.1f %.1f l S"
                % (1.5 + 3 * b.pressure, a.x, height - a.y, b.x, height - b.y)
            )
    return b"\n".join(ops)
