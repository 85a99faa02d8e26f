"""Detached CMS signatures over bytes that are not a PDF (an evidence package's BagIt tag
manifest): the court seal signs, a signature timestamp says when (CAdES-T), and the
SignedData carries the signer's chain, the court's roots and CRLs so that it verifies
offline — with pyHanko here, or with ``openssl cms -verify`` anywhere.

Why CMS rather than JWS: it is the signature format the court's seal already makes for every
PDF (same keys, same PKCS#11 tokens, same TSA, same validator), a timestamp token is a CMS
attribute of it, and third parties check it with OpenSSL without our code.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from asn1crypto import cms
from asn1crypto import x509 as asn1_x509

from .errors import SigningError
from .signers import SignerSource
from .trust import TrustRoots, carried_certificates, fingerprint

__all__ = ["DetachedCheck", "async_verify_detached", "sign_detached", "verify_detached"]


def sign_detached(data: bytes, source: SignerSource) -> bytes:
    """DER ContentInfo(SignedData), detached, by the court seal, with a signature timestamp.
    Blocking (it runs its own event loop): call it from a worker thread."""
    return asyncio.run(_sign(data, source))


async def _sign(data: bytes, source: SignerSource) -> bytes:
    try:
        info: cms.ContentInfo = await source.seal_signer().async_sign_general_data(
            data, "sha256", detached=True, use_cades=True, timestamper=source.timestamper())
    except Exception as exc:  # pyHanko, the token and the TSA raise many error types
        raise SigningError(f"signing failed: {exc}") from exc
    signed_data = info["content"]
    carried = {fingerprint(c) for c in carried_certificates(signed_data)}
    extra = [c for c in source.trust_roots() if fingerprint(c) not in carried]
    if extra:  # the roots too, so that a pinned root fingerprint can find its certificate
        signed_data["certificates"] = cms.CertificateSet(
            [*signed_data["certificates"], *(cms.CertificateChoices({"certificate": c})
                                             for c in extra)])
    crls = source.crls()
    if crls:  # revocation data for offline checking; outside the signed attributes
        signed_data["crls"] = cms.RevocationInfoChoices(
            [cms.RevocationInfoChoice({"crl": crl}) for crl in crls])
    return bytes(info.dump(force=True))


@dataclass(frozen=True)
class DetachedCheck:
    signer: str  # the signing certificate's subject
    signer_sha256: str  # its fingerprint
    timestamp_time: dt.datetime | None
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


async def async_verify_detached(data: bytes, signature: bytes, trust: TrustRoots,
                                pins: Sequence[str] = ()) -> DetachedCheck:
    """Integrity, the signer's chain up to a trusted root (no fetching, CRLs from ``trust``
    and from the signature), and the signature timestamp (required). Never raises on bad
    input: a garbage signature is a check with a problem."""
    from pyhanko.sign.validation.generic_cms import async_validate_detached_cms
    from pyhanko_certvalidator import ValidationContext

    try:
        signed_data = cms.ContentInfo.load(signature)["content"]
        if not isinstance(signed_data, cms.SignedData):
            raise ValueError("not a CMS SignedData")
        signed_data.native  # noqa: B018 — forces a full parse so garbage fails here
    except (ValueError, TypeError, KeyError) as exc:
        return DetachedCheck("", "", None, (f"not a CMS signature: {exc}",))
    trust = trust.plus(TrustRoots.pinned(pins, carried_certificates(signed_data))) if pins \
        else trust
    if not trust:
        return DetachedCheck("", "", None, (trust.missing(),))
    embedded_crls = [c.chosen for c in signed_data["crls"] or [] if c.name == "crl"]

    def context() -> ValidationContext:
        return ValidationContext(trust_roots=list(trust.roots),
                                 crls=[*trust.crls, *embedded_crls], allow_fetching=False)

    try:
        status = await async_validate_detached_cms(
            data, signed_data, signer_validation_context=context(), ts_validation_context=context())
    except Exception as exc:  # a malformed signature must yield a failed check
        return DetachedCheck("", "", None, (f"signature does not validate: {exc}",))
    cert: asn1_x509.Certificate = status.signing_cert
    problems = []
    if not status.intact:
        problems.append("the signed bytes were changed (digest mismatch)")
    if not status.valid:
        problems.append("the signature value is invalid")
    if status.intact and status.valid and not status.trusted:
        problems.append(f"the signer {_name(cert)} does not chain to a trusted root")
    stamp = status.timestamp_validity
    if stamp is None:
        problems.append("no signature timestamp")
    elif not (stamp.intact and stamp.valid and stamp.trusted):
        problems.append(f"the signature timestamp does not validate ({stamp.summary()})")
    return DetachedCheck(_name(cert), fingerprint(cert),
                         stamp.timestamp if stamp is not None else None, tuple(problems))


def _name(cert: asn1_x509.Certificate) -> str:
    subject = cert.subject.native
    return str(subject.get("common_name") or cert.subject.human_friendly)


def verify_detached(data: bytes, signature: bytes, trust: TrustRoots,
                    pins: Sequence[str] = ()) -> DetachedCheck:
    """Blocking; from async code use ``async_verify_detached`` (in a thread: it is CPU-bound)."""
    return asyncio.run(async_verify_detached(data, signature, trust, pins))
