"""RFC 3161 timestamps: the development TSA (in process, and as a DER request → DER response
function the web layer can mount at ``/tsa``), the production HTTP client, and stand-alone
tokens over a SHA-256 digest (e.g. the media package's recording manifest)."""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass
from typing import Any

from asn1crypto import cms, tsp
from asn1crypto import x509 as asn1_x509

from .errors import SigningError, VerificationFailed
from .pki import DevPKI


def dev_timestamper(pki: DevPKI) -> Any:
    from pyhanko.sign.timestamps import DummyTimeStamper
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    return DummyTimeStamper(
        tsa_cert=pki.tsa.asn1_cert,
        tsa_key=pki.tsa.asn1_key,
        certs_to_embed=SimpleCertificateStore.from_certs([pki.root.asn1_cert]),
    )


def http_timestamper(url: str, timeout: float = 10.0) -> Any:
    from pyhanko.sign.timestamps import HTTPTimeStamper

    return HTTPTimeStamper(url, timeout=timeout)


def respond(timestamper: Any, request_der: bytes) -> bytes:
    """Answer one RFC 3161 ``TimeStampReq`` (DER) with a ``TimeStampResp`` (DER)."""
    try:
        request = tsp.TimeStampReq.load(request_der)
        request.native  # noqa: B018 — forces a full parse so garbage fails here
    except ValueError:
        status = tsp.PKIStatusInfo({"status": "rejection", "fail_info": {"bad_data_format"}})
        return tsp.TimeStampResp({"status": status}).dump()
    response: tsp.TimeStampResp = timestamper.request_tsa_response(request)
    return bytes(response.dump())


async def async_timestamp_digest(timestamper: Any, sha256_digest: bytes) -> bytes:
    if len(sha256_digest) != 32:
        raise SigningError(f"expected a 32-byte SHA-256 digest (got {len(sha256_digest)} bytes)")
    try:
        token: cms.ContentInfo = await timestamper.async_timestamp(sha256_digest, "sha256")
    except Exception as exc:  # network and TSA errors come in many types
        raise SigningError(f"timestamping failed: {exc}") from exc
    return bytes(token.dump())


def timestamp_digest(timestamper: Any, sha256_digest: bytes) -> bytes:
    """Token (DER ContentInfo) over a SHA-256 digest; call from a thread, not the event loop."""
    return asyncio.run(async_timestamp_digest(timestamper, sha256_digest))


@dataclass(frozen=True)
class TimestampCheck:
    time: dt.datetime
    intact: bool
    valid: bool
    trusted: bool
    tsa: str

    @property
    def ok(self) -> bool:
        return self.intact and self.valid and self.trusted


async def async_verify_timestamp_token(
    token_der: bytes, sha256_digest: bytes, validation_context: Any
) -> TimestampCheck:
    from pyhanko.sign.validation.generic_cms import validate_tst_signed_data
    from pyhanko.sign.validation.status import TimestampSignatureStatus

    try:
        signed_data = cms.ContentInfo.load(token_der)["content"]
        kwargs = await validate_tst_signed_data(
            signed_data, validation_context, lambda _algo: sha256_digest
        )
    except Exception as exc:
        raise VerificationFailed(f"timestamp token does not validate: {exc}") from exc
    status = TimestampSignatureStatus(**kwargs)
    cert: asn1_x509.Certificate = status.signing_cert
    return TimestampCheck(
        status.timestamp, status.intact, status.valid, status.trusted, cert.subject.human_friendly
    )


def verify_timestamp_token(
    token_der: bytes, sha256_digest: bytes, validation_context: Any
) -> TimestampCheck:
    return asyncio.run(async_verify_timestamp_token(token_der, sha256_digest, validation_context))
