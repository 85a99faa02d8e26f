"""``DocumentForge``: the service the web layer holds. Sync methods do the blocking work
(WeasyPrint, pyHanko); the ``a``-prefixed methods run them in a thread off the event loop."""

from __future__ import annotations

import asyncio
import functools
import hashlib
from collections.abc import Sequence
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from .biometric import BiometricRecord, SignerIdentity
from .capture import SignatureCapture, parse_capture
from .config import DocforgeConfig
from .efile import CompiledEfile, EfileDocument, compile_efile
from .errors import PKIError
from .pdf import RenderedPDF, render_pdf, warm_up
from .schema import from_json
from .sign import HandwrittenSignature, seal, sign_as, sign_handwritten, timestamp_document
from .signers import DevSignerSource, SignerSource, signer_source
from .timestamps import async_timestamp_digest, async_verify_timestamp_token, respond
from .verify import VerificationReport, async_verify_pdf, open_capture_record
from .viewmodels import Document


class DocumentForge:
    def __init__(self, config: DocforgeConfig, source: SignerSource | None = None) -> None:
        self.config = config
        self._source = source

    @functools.cached_property
    def source(self) -> SignerSource:
        # Lazily: creating the development PKI writes files, which must not happen at import.
        return self._source or signer_source(self.config)

    def court_key(self) -> ec.EllipticCurvePrivateKey | None:
        if isinstance(self.source, DevSignerSource):
            key = self.source.pki.seal.key
            return key if isinstance(key, ec.EllipticCurvePrivateKey) else None
        return None

    # -- blocking ---------------------------------------------------------------------------
    def render(self, kind: str, data: dict[str, Any], lang: str = "zh") -> RenderedPDF:
        document = from_json(kind, data)
        return render_pdf(document, lang, development=self.config.signing_backend == "dev")

    def render_and_seal(self, document: Document, lang: str = "zh") -> bytes:
        rendered = render_pdf(document, lang, development=self.config.signing_backend == "dev")
        return seal(rendered, self.source, document.court.name)

    def sign_handwritten(
        self, pdf: bytes, field: str, signer: SignerIdentity, capture: SignatureCapture | dict
    ) -> bytes:
        if isinstance(capture, dict):
            capture = parse_capture(capture, self.config.capture_limits)
        return sign_handwritten(pdf, HandwrittenSignature(field, signer, capture), self.source)

    def sign_as(self, pdf: bytes, field: str, name: str, role: str, *, user_id: str) -> bytes:
        """Sign with the key of `user_id` in `role`; `name` only goes into the signature."""
        return sign_as(pdf, field, name, role, self.source, user_id=user_id)

    def finish(self, pdf: bytes) -> bytes:
        return timestamp_document(pdf, self.source)

    def compile_efile(
        self, documents: Sequence[EfileDocument], case_number: str, court: str
    ) -> CompiledEfile:
        """One sealed, timestamped bundle of a case's documents (see ``docforge.efile``)."""
        return compile_efile(
            documents,
            self.source,
            case_number=case_number,
            court=court,
            development=self.config.signing_backend == "dev",
        )

    def verify(self, pdf: bytes) -> VerificationReport:
        source = self.source
        coroutine = async_verify_pdf(pdf, source.trust_roots(), source.crls(), self.court_key())
        return asyncio.run(coroutine)

    def open_capture_record(self, pdf: bytes, field: str) -> BiometricRecord:
        key = self.court_key()
        if key is None:
            raise PKIError("the court's decryption key is not available to this process")
        return open_capture_record(pdf, field, key)

    def tsa_respond(self, request_der: bytes) -> bytes:
        return respond(self.source.timestamper(), request_der)

    # -- async ------------------------------------------------------------------------------
    async def awarm_up(self) -> None:
        await asyncio.to_thread(warm_up)

    async def arender_and_seal(self, document: Document, lang: str = "zh") -> bytes:
        return await asyncio.to_thread(self.render_and_seal, document, lang)

    async def asign_handwritten(
        self, pdf: bytes, field: str, signer: SignerIdentity, capture: SignatureCapture | dict
    ) -> bytes:
        return await asyncio.to_thread(self.sign_handwritten, pdf, field, signer, capture)

    async def asign_as(self, pdf: bytes, field: str, name: str, role: str, *,
                       user_id: str) -> bytes:
        sign = functools.partial(self.sign_as, user_id=user_id)
        return await asyncio.to_thread(sign, pdf, field, name, role)

    async def afinish(self, pdf: bytes) -> bytes:
        return await asyncio.to_thread(self.finish, pdf)

    async def acompile_efile(
        self, documents: Sequence[EfileDocument], case_number: str, court: str
    ) -> CompiledEfile:
        return await asyncio.to_thread(self.compile_efile, documents, case_number, court)

    async def averify(self, pdf: bytes) -> VerificationReport:
        # pyHanko's async validation is CPU-bound in the loop: run it in a thread's own loop.
        return await asyncio.to_thread(self.verify, pdf)

    async def atsa_respond(self, request_der: bytes) -> bytes:
        return await asyncio.to_thread(self.tsa_respond, request_der)

    async def atimestamp_digest(self, sha256_digest: bytes) -> bytes:
        """RFC 3161 token over a digest (e.g. media's recording manifest)."""
        return await asyncio.to_thread(self.timestamp_digest, sha256_digest)

    def timestamp_digest(self, sha256_digest: bytes) -> bytes:
        return asyncio.run(async_timestamp_digest(self.source.timestamper(), sha256_digest))

    async def averify_timestamp(self, token: bytes, sha256_digest: bytes) -> bool:
        from .signers import validation_context

        def run() -> bool:
            coroutine = async_verify_timestamp_token(
                token, sha256_digest, validation_context(self.source)
            )
            return asyncio.run(coroutine).ok

        return await asyncio.to_thread(run)


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()
