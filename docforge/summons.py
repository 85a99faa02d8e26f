"""A summons (传票) or a notice to appear (出庭通知书) as a sealed PDF: the court, the case,
the person and their capacity, the hearing's time (court time) and place, a QR code of the
person's join link and, when the case's public inquiry is open, a QR code of the inquiry
address with its code printed.

The court seal certifies it with DocMDP ``NO_CHANGES`` (nobody signs a summons after the
court) and a document timestamp follows (PAdES B-LTA). The join link in the QR is a
credential: the caller decides who may have the PDF (docs/docforge.md, THREAT_MODEL.md).
"""

from __future__ import annotations

import io

from .signers import SignerSource
from .viewmodels import Summons

__all__ = ["qr_data_uri", "render_summons", "seal_summons"]

SEAL_FIELD = "court_seal"


def qr_data_uri(text: str) -> str:
    """A PNG QR code of ``text`` (error correction M, quiet zone kept) as a data URI."""
    import segno

    return str(segno.make(text, error="m", micro=False).png_data_uri(scale=8, border=4))


def render_summons(document: Summons, lang: str = "zh", *, development: bool = True
                   ) -> tuple[bytes, int, tuple[int, int, int, int]]:
    """The unsealed PDF, and the page and box of the court seal."""
    from markupsafe import Markup

    from .labels import LABELS, format_date
    from .pdf import anchor_box, html_to_pdf
    from .pki import DEV_MARK
    from .render import _css, environment
    from .viewmodels import signing_order

    html = environment().get_template("summons.html").render(
        doc=document, L=LABELS[lang], lang=lang, css=Markup(_css()),
        fdate=lambda day: format_date(day, lang), sig_fields=signing_order(document),
        join_qr=qr_data_uri(document.join_url),
        inquiry_qr=qr_data_uri(document.inquiry_url) if document.inquiry_url else None,
        dev_notice=DEV_MARK if development else "")
    data, laid_out = html_to_pdf(html)
    page, box = anchor_box(laid_out, f"sig-{SEAL_FIELD}")
    return data, page, box


def seal_summons(document: Summons, source: SignerSource, *, lang: str = "zh",
                 development: bool = True) -> bytes:
    """Render, certify with the court seal (no changes allowed after it) and timestamp."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields

    from .sign import _drawing_style, _seal_drawing, _sign, timestamp_document

    data, page, box = render_summons(document, lang, development=development)
    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    fields.append_signature_field(writer, fields.SigFieldSpec(SEAL_FIELD, on_page=page,
                                                              box=box))
    sealed = _sign(data, writer=writer, field=SEAL_FIELD, signer=source.seal_signer(),
                   source=source, name=document.court.name,
                   reason=f"法院电子印章 court seal: {document.title}",
                   style=_drawing_style(_seal_drawing(), 160, 160), certify=True, lock=True)
    return timestamp_document(sealed, source)
