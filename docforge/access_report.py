"""A court's access log as a sealed PDF: who read which recording or document, when, from
where and why, certified with the court seal (nothing may change after it) and
timestamped (PAdES B-LTA), like a case e-file (``docforge.efile``).

The rows are the caller's (yunting's hearings/services/access_log.py); this only lays them out.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass

from .signers import SignerSource

__all__ = ["AccessRow", "render_access_report", "seal_access_report"]

SEAL_FIELD = "court_seal"


@dataclass(frozen=True)
class AccessRow:
    at: str  # court time, as shown
    person: str
    action: str
    case_number: str
    target: str
    address: str
    reason: str


def render_access_report(rows: Sequence[AccessRow], *, court: str, selection: str,
                         development: bool = True
                         ) -> tuple[bytes, int, tuple[int, int, int, int]]:
    """The unsealed PDF, and the page and box of the court seal."""
    from markupsafe import Markup

    from .pdf import anchor_box, html_to_pdf
    from .pki import DEV_MARK
    from .render import _css, environment

    html = environment().get_template("access_log_report.html").render(
        css=Markup(_css()), court=court, selection=selection, rows=list(rows),
        compiled=dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %z"),
        dev_notice=DEV_MARK if development else "")
    data, laid_out = html_to_pdf(html)
    page, box = anchor_box(laid_out, f"sig-{SEAL_FIELD}")
    return data, page, box


def seal_access_report(rows: Sequence[AccessRow], source: SignerSource, *, court: str,
                       selection: str, development: bool = True) -> bytes:
    """Render, certify with the court seal (no changes allowed after it) and timestamp."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields

    from .sign import _drawing_style, _seal_drawing, _sign, timestamp_document

    data, page, box = render_access_report(rows, court=court, selection=selection,
                                           development=development)
    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    fields.append_signature_field(writer, fields.SigFieldSpec(SEAL_FIELD, on_page=page,
                                                              box=box))
    sealed = _sign(data, writer=writer, field=SEAL_FIELD, signer=source.seal_signer(),
                   source=source, name=court,
                   reason="法院电子印章 court seal: 访问日志 access log",
                   style=_drawing_style(_seal_drawing(), 160, 160), certify=True, lock=True)
    return timestamp_document(sealed, source)
