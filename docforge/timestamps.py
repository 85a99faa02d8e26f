"""RFC 3161 timestamps: the development TSA (in process, and as a DER request → DER response
function the benchmarks serve on 127.0.0.1 — the application serves no TSA: a token proves
when, not who), the production HTTP client, and stand-alone tokens over a SHA-256 digest
(e.g. a hearing's recording manifest)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from asn1crypto import cms, tsp
from asn1crypto import x509 as asn1_x509

from .errors import SigningError, VerificationFailed
from .pki import DevPKI


def dev_timestamper(pki: DevPKI) -> Any:
    """pyHanko's in-process TSA, holding its RSA key loaded once.

    ``DummyTimeStamper`` re-parses its PKCS#8 key for every token; cryptography's RSA key
    check makes that ~20 ms, paid by every signature and document timestamp.
    """
    from asn1crypto import core
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
    from pyhanko.sign.general import as_signing_certificate, simple_cms_attribute
    from pyhanko.sign.timestamps import DummyTimeStamper
    from pyhanko_certvalidator.registry import SimpleCertificateStore
    from pyhanko_certvalidator.util import get_pyca_cryptography_hash

    if not isinstance(pki.tsa.key, RSAPrivateKey):
        raise SigningError("the development TSA key must be RSA")
    key: RSAPrivateKey = pki.tsa.key

    class DevTimeStamper(DummyTimeStamper):
        def _sign_tst_info(
            self, tst_info_data: bytes, md_algorithm: str, when: dt.datetime
        ) -> tuple[bytes, cms.CMSAttributes]:
            md = hashes.Hash(get_pyca_cryptography_hash(md_algorithm))
            md.update(tst_info_data)
            signed_attrs = cms.CMSAttributes(
                [
                    simple_cms_attribute("content_type", "tst_info"),
                    simple_cms_attribute(
                        "signing_time", cms.Time({"utc_time": core.UTCTime(when)})
                    ),
                    simple_cms_attribute(
                        "signing_certificate", as_signing_certificate(self.tsa_cert)
                    ),
                    simple_cms_attribute("message_digest", md.finalize()),
                ]
            )
            algorithm = get_pyca_cryptography_hash(md_algorithm.upper())
            return key.sign(signed_attrs.dump(), PKCS1v15(), algorithm), signed_attrs

    return DevTimeStamper(
        tsa_cert=pki.tsa.asn1_cert,
        tsa_key=pki.tsa.asn1_key,
        certs_to_embed=SimpleCertificateStore.from_certs([pki.root.asn1_cert]),
    )


@functools.cache
def _tls_context() -> ssl.SSLContext:
    import certifi

    return ssl.create_default_context(cafile=certifi.where())


def http_timestamper(url: str, timeout: float = 10.0) -> Any:
    """pyHanko's RFC 3161 HTTP client, with its TLS context built once per process.

    For every request pyHanko (0.38, pinned) opens a session whose new TLS context
    re-reads the CA bundle (~20 ms, three requests per signed ruling). Sessions are bound
    to an event loop and every pyHanko call runs its own, so the session stays per request;
    only the loop-independent TLS context is shared.
    """
    import aiohttp
    from pyhanko.sign.timestamps import HTTPTimeStamper

    class SharedContextTimeStamper(HTTPTimeStamper):
        @contextlib.asynccontextmanager
        async def _acquire_session(self) -> AsyncIterator[aiohttp.ClientSession]:
            connector = aiohttp.TCPConnector(ssl=_tls_context())
            async with aiohttp.ClientSession(connector=connector) as session:
                yield session

    return SharedContextTimeStamper(url, timeout=timeout)


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
