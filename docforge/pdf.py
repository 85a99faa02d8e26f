"""HTML → PDF/A-3b with WeasyPrint, and where each signature box landed on the page.

Signature boxes are fixed-size ``<div id="sig-NAME">`` elements. WeasyPrint records every
element id as an anchor (its rectangle in CSS px from the page's top-left) while laying out, so the
boxes are found without parsing the PDF.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from .errors import RenderError
from .viewmodels import Document, SignatureField, signing_order

PX_TO_PT = 0.75  # CSS px are 1/96 in, PDF points 1/72 in
_font_config: Any = None
_font_lock = threading.Lock()


@dataclass(frozen=True)
class FieldPlacement:
    field: SignatureField
    page: int  # 0-based
    box: tuple[int, int, int, int]  # PDF user space: x1, y1, x2, y2


@dataclass(frozen=True)
class RenderedPDF:
    data: bytes
    placements: tuple[FieldPlacement, ...]
    page_count: int


def _fonts() -> Any:
    # One FontConfiguration per process: the first CJK render pays font loading (~0.4 s).
    global _font_config
    with _font_lock:
        if _font_config is None:
            from weasyprint.text.fonts import FontConfiguration

            _font_config = FontConfiguration()
        return _font_config


def warm_up() -> None:
    """Load WeasyPrint and the CJK fonts now (call once at process start, off the loop)."""
    html_to_pdf("<p>云庭</p>")


def html_to_pdf(html: str) -> tuple[bytes, Any]:
    from weasyprint import HTML

    try:
        document = HTML(string=html).render(font_config=_fonts(), pdf_variant="pdf/a-3b")
        data = document.write_pdf(pdf_variant="pdf/a-3b")
    except Exception as exc:  # WeasyPrint raises assorted errors from deep inside layout
        raise RenderError(f"WeasyPrint failed: {exc}") from exc
    return data, document


def anchor_box(wp_document: Any, anchor: str) -> tuple[int, tuple[int, int, int, int]]:
    """Page index and PDF-space rectangle of the element with id ``anchor``."""
    for index, page in enumerate(wp_document.pages):
        if anchor in page.anchors:
            x1, y1, x2, y2 = page.anchors[anchor]
            return index, (  # PDF y grows upwards, CSS y downwards
                round(x1 * PX_TO_PT),
                round((page.height - y2) * PX_TO_PT),
                round(x2 * PX_TO_PT),
                round((page.height - y1) * PX_TO_PT),
            )
    raise RenderError(f"element {anchor!r} was not laid out")


def locate_fields(wp_document: Any, document: Document) -> tuple[FieldPlacement, ...]:
    placements = []
    for field in signing_order(document):
        try:
            page, box = anchor_box(wp_document, f"sig-{field.name}")
        except RenderError:
            raise RenderError(f"signature box 'sig-{field.name}' was not laid out") from None
        placements.append(FieldPlacement(field, page, box))
    return tuple(placements)


def render_pdf(document: Document, lang: str = "zh", *, development: bool = True) -> RenderedPDF:
    from .render import render_html

    data, wp_document = html_to_pdf(render_html(document, lang, development=development))
    return RenderedPDF(data, locate_fields(wp_document, document), len(wp_document.pages))
