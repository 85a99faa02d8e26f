"""Case e-file: contents, bookmarks and page numbers as poppler reads them, the signed
originals embedded byte for byte, and a bundle seal that pdfsig, qpdf and pyHanko accept."""

from __future__ import annotations

import hashlib
import io
import itertools
import re
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from docforge.efile import CompiledEfile, EfileDocument, read_attachments
from docforge.errors import EfileError
from docforge.forge import DocumentForge
from docforge.samples import sample
from docforge.schema import from_json
from tests.unit.docforge.conftest import WEASYPRINT_FILTERS

pytestmark = WEASYPRINT_FILTERS

CASE = "(2026)渝0112民特123号"
COURT = "重庆市渝北区人民法院"


@pytest.fixture(scope="module")
def originals(forge: DocumentForge, signed_agreement: bytes, signed_ruling: bytes) -> list[EfileDocument]:
    service = forge.finish(forge.render_and_seal(from_json("proof_of_service", sample("proof_of_service"))))
    return [
        EfileDocument("调解协议书.pdf", signed_agreement),
        EfileDocument("ruling.pdf", signed_ruling, title="民事裁定书（确认调解协议有效）"),
        EfileDocument("service", service),
    ]


@pytest.fixture(scope="module")
def efile(forge: DocumentForge, originals: list[EfileDocument]) -> CompiledEfile:
    return forge.compile_efile(originals, CASE, COURT)


@pytest.fixture
def efile_path(efile: CompiledEfile, tmp_path: Path) -> Path:
    path = tmp_path / "efile.pdf"
    path.write_bytes(efile.data)
    return path


def _run(*command: str) -> str:
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def _squash(text: str) -> str:
    return "".join(text.split())


def test_entries_cover_every_page(efile: CompiledEfile, originals: list[EfileDocument]) -> None:
    entries = efile.entries
    assert [e.filename for e in entries] == ["调解协议书.pdf", "ruling.pdf", "service.pdf"]
    assert entries[1].title == "民事裁定书（确认调解协议有效）"
    assert entries[0].title.startswith("调解协议书")  # the PDF's own title
    assert entries[0].first_page == 2  # after one contents page
    for before, after in itertools.pairwise(entries):
        assert after.first_page == before.last_page + 1
    assert efile.page_count == entries[-1].last_page
    assert [e.signatures for e in entries] == [4, 2, 1]


def test_bookmarks_point_at_each_document(efile: CompiledEfile, efile_path: Path) -> None:
    xml = _run("pdftohtml", "-xml", "-stdout", "-i", "-q", str(efile_path))
    outline = ET.fromstring(xml).find("outline")
    assert outline is not None
    items = [(item.text, int(item.get("page", "0"))) for item in outline.findall("item")]
    assert outline.find("outline") is None  # one level only
    assert items == [("目录 Contents", 1)] + [
        (f"{e.number}. {e.title}", e.first_page) for e in efile.entries
    ]


def test_every_page_is_numbered(efile: CompiledEfile, efile_path: Path) -> None:
    pages = _run("pdftotext", str(efile_path), "-").split("\f")[: efile.page_count]
    assert int(_run("pdfinfo", str(efile_path)).split("Pages:")[1].split()[0]) == efile.page_count
    for number, text in enumerate(pages, 1):
        assert f"第{number}页/共{efile.page_count}页" in _squash(text), number


def test_contents_list_each_document_with_its_hash(efile: CompiledEfile, efile_path: Path) -> None:
    contents = _squash(_run("pdftotext", "-f", "1", "-l", "1", str(efile_path), "-"))
    assert COURT in contents and CASE in contents and "电子卷宗" in contents
    for e in efile.entries:
        assert e.filename in contents and e.sha256 in contents
        assert f"{e.first_page}–{e.last_page}" in contents


def test_merged_pages_keep_the_visible_text(efile: CompiledEfile, efile_path: Path) -> None:
    ruling = efile.entries[1]
    text = _squash(_run("pdftotext", "-f", str(ruling.first_page), "-l", str(ruling.last_page), str(efile_path), "-"))
    assert "民事裁定书" in text and "申请人达成的调解协议有效" in text


def test_attachments_are_the_signed_originals(
    efile: CompiledEfile, efile_path: Path, originals: list[EfileDocument], tmp_path: Path
) -> None:
    out = tmp_path / "detached"
    out.mkdir()
    subprocess.run(["pdfdetach", "-saveall", "-o", str(out), str(efile_path)], check=True)
    saved = {p.name: p.read_bytes() for p in out.iterdir()}
    assert set(saved) == {e.filename for e in efile.entries}
    for entry, original in zip(efile.entries, originals, strict=True):
        assert saved[entry.filename] == original.data
        assert hashlib.sha256(saved[entry.filename]).hexdigest() == entry.sha256
    assert read_attachments(efile.data) == saved


def test_embedded_originals_still_verify(forge: DocumentForge, efile: CompiledEfile) -> None:
    reports = {name: forge.verify(data) for name, data in read_attachments(efile.data).items()}
    assert reports["调解协议书.pdf"].ok and reports["ruling.pdf"].ok
    service = reports["service.pdf"]  # sealed, but the recipient and server have not signed
    assert all(s.ok for s in service.signatures)
    assert service.kind == "proof_of_service"
    assert service.problems == ("unsigned field(s): ['party1', 'server']",
                                "a proof_of_service needs at least 1 party signature(s) (found 0)",
                                "missing the server signature a proof_of_service requires")


def test_pdfsig_says_the_bundle_seal_is_valid(efile_path: Path) -> None:
    out = subprocess.run(["pdfsig", str(efile_path)], capture_output=True, text=True, check=False).stdout
    blocks = [b for b in out.split("Signature #")[1:] if "ETSI.CAdES.detached" in b]
    assert len(blocks) == 1 and "court_seal" in blocks[0], out
    assert "Signature is Valid" in blocks[0], out


def test_qpdf_check_passes(efile_path: Path) -> None:
    result = subprocess.run(["qpdf", "--check", str(efile_path)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_bundle_verifies_as_certified_and_timestamped(forge: DocumentForge, efile: CompiledEfile) -> None:
    report = forge.verify(efile.data)
    assert report.ok, report.text()
    assert [s.kind for s in report.signatures] == ["certification", "timestamp"]
    seal = report.signatures[0]
    assert seal.signer == COURT and seal.modification_level == "LTA_UPDATES"


def test_any_later_change_breaks_the_bundle_seal(forge: DocumentForge, efile: CompiledEfile) -> None:
    writer = IncrementalPdfFileWriter(io.BytesIO(efile.data))
    stream = generic.StreamObject(stream_data=b"q 1 0 0 rg 100 100 300 80 re f Q")
    writer.add_stream_to_page(3, writer.add_object(stream))
    out = io.BytesIO()
    writer.write(out)
    report = forge.verify(out.getvalue())
    assert not report.ok
    assert report.signatures[0].docmdp_ok is False


def test_contents_spill_onto_more_pages(forge: DocumentForge, signed_ruling: bytes) -> None:
    many = [EfileDocument(f"ruling-{i}.pdf", signed_ruling) for i in range(14)]
    efile = forge.compile_efile(many, CASE, COURT)
    assert efile.entries[0].first_page > 2  # the contents took more than one page
    assert [e.filename for e in efile.entries][-1] == "ruling-13.pdf"
    assert efile.page_count == efile.entries[0].first_page - 1 + 14 * (efile.entries[0].last_page - efile.entries[0].first_page + 1)
    assert forge.verify(efile.data).ok


def test_duplicate_and_unsafe_names_are_made_unique(forge: DocumentForge, signed_ruling: bytes) -> None:
    docs = [EfileDocument("../a b.pdf", signed_ruling), EfileDocument("../a b.pdf", signed_ruling)]
    efile = forge.compile_efile(docs, CASE, COURT)
    assert [e.filename for e in efile.entries] == ["a_b.pdf", "a_b-2.pdf"]


@pytest.mark.parametrize(
    ("documents", "message"),
    [
        ([], "a case e-file needs at least one document"),
        ([EfileDocument("x.pdf", b"not a pdf")], r"x.pdf: not a readable PDF"),
    ],
)
def test_bad_input(forge: DocumentForge, documents: list[EfileDocument], message: str) -> None:
    with pytest.raises(EfileError, match=message):
        forge.compile_efile(documents, CASE, COURT)


def test_empty_case_number_is_rejected(forge: DocumentForge, signed_ruling: bytes) -> None:
    with pytest.raises(EfileError, match="must not be empty"):
        forge.compile_efile([EfileDocument("r.pdf", signed_ruling)], " ", COURT)


async def test_async_compile_runs_off_the_loop(forge: DocumentForge, signed_ruling: bytes) -> None:
    efile = await forge.acompile_efile([EfileDocument("r.pdf", signed_ruling)], CASE, COURT)
    assert re.match(rb"%PDF-", efile.data) and efile.page_count == 1 + efile.entries[0].last_page - 1
