"""Every kind of tampering makes verification fail (pyHanko diff analysis is always on)."""

from __future__ import annotations

import io

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader

from docforge.biometric import SignerIdentity, seal_record
from docforge.capture import parse_capture
from docforge.forge import DocumentForge
from tests.unit.docforge.conftest import WEASYPRINT_FILTERS, capture_json

pytestmark = WEASYPRINT_FILTERS


def _field_spec(writer: IncrementalPdfFileWriter, field: str) -> generic.IndirectObject:
    fields = writer.root["/AcroForm"]["/Fields"]
    for i in range(len(fields)):
        if fields[i]["/T"] == field:
            return fields[i]["/AP"]["/N"]["/AF"].raw_get(0)
    raise AssertionError(field)


def _incremental(pdf: bytes, change) -> bytes:  # type: ignore[no-untyped-def]
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    change(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_changed_byte_inside_signed_range(forge: DocumentForge, signed_ruling: bytes) -> None:
    at = signed_ruling.index(b"WeasyPrint")
    tampered = signed_ruling[:at] + b"X" + signed_ruling[at + 1 :]
    report = forge.verify(tampered)
    assert not report.ok
    assert any(not s.intact for s in report.signatures) or report.problems


def test_appended_update_altering_page_content(forge: DocumentForge, signed_ruling: bytes) -> None:
    def scribble(writer: IncrementalPdfFileWriter) -> None:
        stream = generic.StreamObject(stream_data=b"q 1 0 0 rg 100 100 300 80 re f Q")
        writer.add_stream_to_page(0, writer.add_object(stream))

    report = forge.verify(_incremental(signed_ruling, scribble))
    assert not report.ok
    assert all(s.intact for s in report.signatures)  # the bytes they cover are untouched…
    assert any(s.docmdp_ok is False for s in report.signatures)  # …but the change is caught


def test_removed_signature(forge: DocumentForge, signed_agreement: bytes) -> None:
    def unsign(writer: IncrementalPdfFileWriter) -> None:
        fields = writer.root["/AcroForm"]["/Fields"]
        for i in range(len(fields)):
            if fields[i]["/T"] == "party1":
                del fields[i]["/V"]
                writer.mark_update(fields.raw_get(i))

    tampered = _incremental(signed_agreement, unsign)
    report = forge.verify(tampered)
    assert not report.ok
    assert "party1" not in [s.field for s in report.signatures]


def test_truncated_to_earlier_revision_lacks_signatures(forge: DocumentForge, signed_agreement: bytes) -> None:
    reader = PdfFileReader(io.BytesIO(signed_agreement))
    party2 = next(s for s in reader.embedded_signatures if s.field_name == "party2")
    truncated = signed_agreement[: signed_agreement.rfind(b"%%EOF", 0, party2.byte_range[1]) + 6]
    report = forge.verify(truncated)
    assert [s.field for s in report.signatures] == ["court_seal", "party1"]
    assert not report.ok
    assert any("unsigned" in p for p in report.problems)


def _replace_record(pdf: bytes, field: str, envelope: bytes) -> bytes:
    def swap(writer: IncrementalPdfFileWriter) -> None:
        spec_ref = _field_spec(writer, field)
        spec = spec_ref.get_object()
        stream = generic.StreamObject({generic.NameObject("/Type"): generic.NameObject("/EmbeddedFile")}, stream_data=envelope)
        spec["/EF"][generic.NameObject("/F")] = writer.add_object(stream)
        writer.mark_update(spec_ref)

    return _incremental(pdf, swap)


def test_swapped_biometric_record(forge: DocumentForge, signed_agreement: bytes) -> None:
    writer = IncrementalPdfFileWriter(io.BytesIO(signed_agreement))
    party2_record = _field_spec(writer, "party2").get_object()["/EF"]["/F"].data
    report = forge.verify(_replace_record(signed_agreement, "party1", party2_record))
    assert not report.ok
    party1 = next(s for s in report.signatures if s.field == "party1")
    assert not party1.record.bound
    assert "party2" in (party1.record.problem or "")


def test_reencrypted_forged_record(forge: DocumentForge, signed_agreement: bytes) -> None:
    # A forger who knows the court's public key re-seals other strokes for the same signer.
    reader = PdfFileReader(io.BytesIO(signed_agreement))
    party1 = next(s for s in reader.embedded_signatures if s.field_name == "party1")
    prior = signed_agreement[: signed_agreement.rfind(b"%%EOF", 0, party1.byte_range[1]) + 6]
    forged = seal_record(
        parse_capture(capture_json(9)),
        field="party1",
        signer=SignerIdentity("李明", "申请人"),
        document=prior,
        court_cert=forge.source.court_encryption_cert(),
    )
    report = forge.verify(_replace_record(signed_agreement, "party1", forged))
    assert not report.ok
    assert any(s.docmdp_ok is False for s in report.signatures)


@pytest.mark.parametrize("garbage", [b"", b"%PDF-1.7\n%%EOF", b"not a pdf at all"])
def test_garbage_is_a_failed_report_not_a_crash(forge: DocumentForge, garbage: bytes) -> None:
    report = forge.verify(garbage)
    assert not report.ok and report.problems
