"""PAdES signing in signing order: court seal certification first, then approvals, then a
document timestamp.

PDF allows a certification (DocMDP) signature only as the first signature, so the court seal
certifies the rendered document with every empty signature field already in place
(``FILL_FORMS``: later signatures may fill those fields and nothing else). Parties, mediator
and judge then add approval signatures; a final document timestamp makes it B-LTA.

A handwritten signature is signed by the signing service on the signer's behalf; its
encrypted biometric record is an associated file (``/AF``, PDF/A-3) of the field's
appearance stream, so the record is covered by that signature and diff analysis of the
earlier signatures accounts for it as part of filling the field.
"""

from __future__ import annotations

import hashlib
import io
import unicodedata
from dataclasses import dataclass, replace
from typing import Any

from .biometric import SignerIdentity, seal_record, strokes_to_pdf_path
from .capture import SignatureCapture
from .errors import SigningError
from .fonts import drawable, stamp_font
from .pdf import RenderedPDF
from .printable import printable
from .signers import SignerSource, validation_context

RECORD_PREFIX = "biometric-"


def _seal_drawing() -> bytes:
    # Red double ring with a five-pointed star: the shape of a court seal, drawn as vectors.
    import math

    c, r = 80.0, 76.0
    star = []
    for i in range(10):
        radius = 26.0 if i % 2 == 0 else 10.5
        angle = math.pi / 2 + i * math.pi / 5
        star.append((c + radius * math.cos(angle), c + radius * math.sin(angle)))
    k = 0.5523 * r
    ring = (
        f"{c + r:.1f} {c:.1f} m "
        f"{c + r:.1f} {c + k:.1f} {c + k:.1f} {c + r:.1f} {c:.1f} {c + r:.1f} c "
        f"{c - k:.1f} {c + r:.1f} {c - r:.1f} {c + k:.1f} {c - r:.1f} {c:.1f} c "
        f"{c - r:.1f} {c - k:.1f} {c - k:.1f} {c - r:.1f} {c:.1f} {c - r:.1f} c "
        f"{c + k:.1f} {c - r:.1f} {c + r:.1f} {c - k:.1f} {c + r:.1f} {c:.1f} c S"
    )
    path = " ".join(f"{x:.1f} {y:.1f} {'m' if i == 0 else 'l'}" for i, (x, y) in enumerate(star))
    return f"0.8 0 0 RG 0.8 0 0 rg 4 w {ring} {path} h f".encode()


def _drawing_style(drawing: bytes, width: float, height: float, record_spec: Any = None) -> Any:
    from pyhanko.pdf_utils import content, generic, layout
    from pyhanko.stamp import StaticContentStamp, StaticStampStyle

    class CaptureStamp(StaticContentStamp):
        def as_form_xobject(self) -> generic.StreamObject:
            xobject = super().as_form_xobject()
            if record_spec is not None:
                xobject[generic.NameObject("/AF")] = generic.ArrayObject([record_spec])
            return xobject

    class CaptureStampStyle(StaticStampStyle):
        def create_stamp(self, writer: Any, box: Any, text_params: dict) -> Any:
            return CaptureStamp(writer=writer, style=self, box=box)

    background = content.RawContent(drawing, box=layout.BoxConstraints(width, height))
    return CaptureStampStyle(background=background, border_width=0, background_opacity=1.0)


_STAMP_COLUMNS = 24  # per line of a key signature's stamp; a CJK character takes two
_STAMP_TIME = "%Y-%m-%d %H:%M:%S %z"


def _stamp_lines(text: str, most: int = 2) -> list[str]:
    """``text`` wrapped to the stamp's width in at most ``most`` lines (cut with …)."""
    lines, line, width = [], "", 0
    for char in text:
        columns = 2 if unicodedata.east_asian_width(char) in "WF" else 1
        if width + columns > _STAMP_COLUMNS:
            lines.append(line)
            line, width = "", 0
        line, width = line + char, width + columns
    lines.append(line)
    if len(lines) > most:
        lines = [*lines[: most - 1], lines[most - 1][:-1] + "…"]
    return lines


def _key_stamp_style(name: str, role: str) -> Any:
    """The appearance of a signature made with a key: the signer's name, role and signing
    time in the embedded CJK font (pyHanko's default is "Digitally signed by" in Courier,
    which is not embedded — no longer PDF/A — and cannot draw Chinese)."""
    from pyhanko.pdf_utils.font.api import FontEngineFactory
    from pyhanko.pdf_utils.font.opentype import GlyphAccumulator
    from pyhanko.pdf_utils.text import TextBoxStyle
    from pyhanko.stamp import TextStampStyle

    text = drawable("\n".join([*_stamp_lines(name), *_stamp_lines(role)]))
    font = stamp_font(text + "0123456789-:+ ")

    class EmbeddedCJKFont(FontEngineFactory):
        def create_font_engine(self, writer: Any, obj_stream: Any = None) -> Any:
            if obj_stream is None and writer.stream_xrefs:
                obj_stream = writer.prepare_object_stream()
            return GlyphAccumulator(writer, io.BytesIO(font), 10, obj_stream=obj_stream)

    return TextStampStyle(
        stamp_text=text.replace("%", "%%") + "\n%(ts)s",
        timestamp_format=_STAMP_TIME,
        text_box_style=TextBoxStyle(font=EmbeddedCJKFont(), font_size=10, leading=13),
        border_width=1,
    )


def _sign(
    data: bytes,
    *,
    field: str,
    signer: Any,
    source: SignerSource,
    name: str | None,
    reason: str,
    role: str | None = None,
    location: str | None = None,
    style: Any = None,
    certify: bool = False,
    lock: bool = False,
    writer: Any = None,
) -> bytes:
    """Sign ``field``; without a ``style`` the stamp shows ``name`` over ``role`` (or the
    reason) and the time. Texts from people are made printable first (docforge.printable):
    a lone surrogate cannot be written, a bidi override would spoof a viewer's panel."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    name = printable(name) if name is not None else None
    reason = printable(reason)
    location = printable(location) if location is not None else None
    if style is None:
        style = _key_stamp_style(name or "", printable(role) if role else reason)
    w = writer or IncrementalPdfFileWriter(io.BytesIO(data))
    meta = signers.PdfSignatureMetadata(
        field_name=field,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        name=name,
        reason=reason,
        location=location,
        certify=certify,
        docmdp_permissions=fields.MDPPerm.NO_CHANGES if lock else fields.MDPPerm.FILL_FORMS,
        embed_validation_info=True,
        validation_context=validation_context(source),
    )
    pdf_signer = signers.PdfSigner(
        meta, signer=signer, timestamper=source.timestamper(), stamp_style=style
    )
    try:
        out = pdf_signer.sign_pdf(w)
    except Exception as exc:  # pyHanko raises many error types (signing, validation, I/O)
        raise SigningError(f"signing field {field!r} failed: {exc}") from exc
    return bytes(out.getbuffer())


def seal(rendered: RenderedPDF, source: SignerSource, court: str) -> bytes:
    """Add every empty signature field and certify the document with the court seal."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields

    writer = IncrementalPdfFileWriter(io.BytesIO(rendered.data))
    for placement in rendered.placements:
        if placement.field.stage != "seal":
            fields.append_signature_field(
                writer,
                fields.SigFieldSpec(
                    placement.field.name, on_page=placement.page, box=placement.box
                ),
            )
    seal_box = next(p for p in rendered.placements if p.field.stage == "seal")
    fields.append_signature_field(
        writer,
        fields.SigFieldSpec(seal_box.field.name, on_page=seal_box.page, box=seal_box.box),
    )
    return _sign(
        rendered.data,
        writer=writer,
        field=seal_box.field.name,
        signer=source.seal_signer(),
        source=source,
        name=court,
        reason="法院电子印章 court seal",
        style=_drawing_style(_seal_drawing(), 160, 160),
        certify=True,
    )


def seal_bundle(
    data: bytes, source: SignerSource, court: str, page: int, box: tuple[int, int, int, int]
) -> bytes:
    """Certify a finished bundle (case e-file) with the court seal; nothing may change after
    it except validation data and document timestamps (DocMDP ``NO_CHANGES``)."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields

    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    fields.append_signature_field(
        writer, fields.SigFieldSpec("court_seal", on_page=page, box=box)
    )
    return _sign(
        data,
        writer=writer,
        field="court_seal",
        signer=source.seal_signer(),
        source=source,
        name=court,
        reason="法院电子印章 court seal: 电子卷宗 case e-file",
        style=_drawing_style(_seal_drawing(), 160, 160),
        certify=True,
        lock=True,
    )


def _field_box(data: bytes, field: str) -> tuple[float, float]:
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.fields import enumerate_sig_fields

    reader = PdfFileReader(io.BytesIO(data))
    for name, _value, ref in enumerate_sig_fields(reader, filled_status=False):
        if name == field:
            x1, y1, x2, y2 = (float(v) for v in ref.get_object()["/Rect"])
            return abs(x2 - x1), abs(y2 - y1)
    raise SigningError(f"no empty signature field {field!r} in the document")


@dataclass(frozen=True)
class HandwrittenSignature:
    field: str
    signer: SignerIdentity
    capture: SignatureCapture


def sign_handwritten(data: bytes, signature: HandwrittenSignature, source: SignerSource) -> bytes:
    """Signing service signs on behalf of the handwritten signer, with the sealed record."""
    from pyhanko.pdf_utils.embed import EmbeddedFileObject, EmbeddedFileParams, FileSpec
    from pyhanko.pdf_utils.generic import NameObject
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    _field_box(data, signature.field)  # fail early, before sealing a record
    # The record names the signer exactly as the signature's /Name will (docforge.printable).
    who = replace(signature.signer, name=printable(signature.signer.name),
                  role=printable(signature.signer.role))
    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    envelope = seal_record(
        signature.capture,
        field=signature.field,
        signer=who,
        document=data,
        court_cert=source.court_encryption_cert(),
    )
    stream = EmbeddedFileObject.from_file_data(
        writer,
        envelope,
        mime_type="application/json",
        params=EmbeddedFileParams(embed_size=True, embed_checksum=True),
    )
    spec = FileSpec(
        file_spec_string=f"{RECORD_PREFIX}{signature.field}.json",
        embedded_data=stream,
        description=f"加密的手写签名生物特征记录 encrypted biometric record: {who.name}",
        af_relationship=NameObject("/Data"),
    )
    spec_ref = writer.add_object(spec.as_pdf_object())
    capture = signature.capture
    drawing = strokes_to_pdf_path(capture)
    style = _drawing_style(drawing, capture.pad_width, capture.pad_height, spec_ref)
    return _sign(
        data,
        writer=writer,
        field=signature.field,
        signer=source.service_signer(),
        source=source,
        name=who.name,
        reason=f"手写签名 handwritten signature: {who.name}（{who.role}）",
        location=capture.site,
        style=style,
    )


def sign_as(
    data: bytes, field: str, name: str, role: str, source: SignerSource, *, user_id: str
) -> bytes:
    """Judge/mediator/clerk signs with their own certificate: the key is the one of the
    authenticated identity `user_id` in `role`, never looked up by the display `name`."""
    return _sign(
        data,
        field=field,
        signer=source.person_signer(user_id, role, name),
        source=source,
        name=name,
        reason=f"{role} {name}",
        role=role,
    )


def timestamp_document(data: bytes, source: SignerSource) -> bytes:
    """Add validation data for the last signature and a document timestamp (PAdES B-LTA)."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers

    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    try:
        out = signers.PdfTimeStamper(source.timestamper()).timestamp_pdf(
            writer, "sha256", validation_context(source), in_place=False
        )
    except Exception as exc:
        raise SigningError(f"document timestamp failed: {exc}") from exc
    return bytes(out.getbuffer())


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
