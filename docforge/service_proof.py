"""A proof of electronic service (电子送达回证) as a sealed PDF: the document served (title,
kind, SHA-256), the recipient (name, role, the address masked), each delivery attempt and
each receipt, or the service by another means; certified with the court seal (nothing may
change after it) and timestamped (PAdES B-LTA), like the access log.

The facts are the caller's (yunting's hearings/services/service_proof.py); this only lays them out.
The paper 送达回证 signed by the recipient and the server is ``proof_of_service``.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field

from .required import SERVICE_PROOF_TITLE
from .signers import SignerSource

__all__ = ["AttemptRow", "ReceiptRow", "ServiceProof", "render_service_proof",
           "seal_service_proof"]

SEAL_FIELD = "court_seal"


@dataclass(frozen=True)
class AttemptRow:
    number: int
    at: str  # court time, as shown
    channel: str
    outcome: str


@dataclass(frozen=True)
class ReceiptRow:
    what: str  # 打开送达链接 / 下载文书 …
    at: str
    address: str
    user_agent: str


@dataclass(frozen=True)
class ServiceProof:
    court: str
    case_number: str
    case_title: str
    subject: str  # the notice's subject
    recipient: str
    role: str
    address: str  # masked
    document_title: str | None = None
    document_kind: str | None = None
    document_sha256: str | None = None
    attempts: Sequence[AttemptRow] = field(default_factory=tuple)
    receipts: Sequence[ReceiptRow] = field(default_factory=tuple)
    otherwise: str | None = None  # "邮寄送达 by clerk at …"
    compiled: str = ""

    @property
    def title(self) -> str:
        return f"{SERVICE_PROOF_TITLE} {self.case_number}"


def render_service_proof(proof: ServiceProof, *, development: bool = True
                         ) -> tuple[bytes, int, tuple[int, int, int, int]]:
    """The unsealed PDF, and the page and box of the court seal."""
    from markupsafe import Markup

    from .pdf import anchor_box, html_to_pdf
    from .pki import DEV_MARK
    from .render import _css, environment

    html = environment().get_template("service_proof.html").render(
        css=Markup(_css()), doc=proof, dev_notice=DEV_MARK if development else "")
    data, laid_out = html_to_pdf(html)
    page, box = anchor_box(laid_out, f"sig-{SEAL_FIELD}")
    return data, page, box


def seal_service_proof(proof: ServiceProof, source: SignerSource, *,
                       development: bool = True) -> bytes:
    """Render, certify with the court seal (no changes allowed after it) and timestamp."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields

    from .sign import _drawing_style, _seal_drawing, _sign, timestamp_document

    data, page, box = render_service_proof(proof, development=development)
    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    fields.append_signature_field(writer, fields.SigFieldSpec(SEAL_FIELD, on_page=page,
                                                              box=box))
    sealed = _sign(data, writer=writer, field=SEAL_FIELD, signer=source.seal_signer(),
                   source=source, name=proof.court,
                   reason=f"法院电子印章 court seal: {proof.title}",
                   style=_drawing_style(_seal_drawing(), 160, 160), certify=True, lock=True)
    return timestamp_document(sealed, source)
