"""Case e-file (电子卷宗): every document of a case in one sealed bundle.

The bundle is a table of contents, then each document's pages (annotations flattened, so
the visible signatures stay) with bundle page numbers, one bookmark per document, and every
signed original embedded unchanged as a PDF/A-3 associated file (``/AFRelationship
/Source``) whose SHA-256 the contents list. Merging breaks the documents' own signatures,
so the originals are what a verifier checks; the bundle is certified by the court seal
(DocMDP: no changes) and timestamped.

The contents and the page numbers come from one WeasyPrint render: the contents pages,
then one blank numbered page per document page, each laid over its document page.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .errors import EfileError
from .pki import DEV_MARK
from .signers import SignerSource

_NAME_UNSAFE = re.compile(r"[^\w.\-()（）]+")


@dataclass(frozen=True)
class EfileDocument:
    """One document of the case; ``title`` defaults to the PDF's own title, then ``name``."""

    name: str
    data: bytes
    title: str | None = None

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise ValueError("'name' must not be empty")


@dataclass(frozen=True)
class EfileEntry:
    number: int
    title: str
    filename: str
    sha256: str
    first_page: int  # 1-based, in the bundle
    last_page: int
    signatures: int


@dataclass(frozen=True)
class CompiledEfile:
    data: bytes
    entries: tuple[EfileEntry, ...]
    page_count: int


@dataclass(frozen=True)
class _Source:
    pdf: Any  # pikepdf.Pdf, kept open until the bundle is written
    title: str
    filename: str
    sha256: str
    signatures: int


def _filename(name: str, taken: set[str]) -> str:
    stem = _NAME_UNSAFE.sub("_", name.strip()).strip("._") or "document"
    if not stem.lower().endswith(".pdf"):
        stem += ".pdf"
    candidate, n = stem, 2
    while candidate in taken:
        candidate = f"{stem[:-4]}-{n}.pdf"
        n += 1
    taken.add(candidate)
    return candidate


def _count_signatures(pdf: Any) -> int:
    form = pdf.Root.get("/AcroForm")
    fields = form.get("/Fields", []) if form is not None else []
    return sum(
        1
        for f in fields
        if f.get("/FT") == "/Sig" and "/V" in f and f.V.get("/Type") != "/DocTimeStamp"
    )


def _open_sources(documents: Sequence[EfileDocument], stack: contextlib.ExitStack) -> list:
    import pikepdf

    if not documents:
        raise EfileError("a case e-file needs at least one document")
    taken: set[str] = set()
    sources = []
    for doc in documents:
        try:
            pdf = stack.enter_context(pikepdf.open(io.BytesIO(doc.data)))
        except pikepdf.PdfError as exc:
            raise EfileError(f"{doc.name}: not a readable PDF ({exc})") from None
        if len(pdf.pages) == 0:
            raise EfileError(f"{doc.name}: the PDF has no pages")
        title = doc.title or str(pdf.docinfo.get("/Title", "")).strip() or doc.name
        sources.append(
            _Source(
                pdf,
                title,
                _filename(doc.name, taken),
                hashlib.sha256(doc.data).hexdigest(),
                _count_signatures(pdf),
            )
        )
    return sources


def _entries(sources: list[_Source], toc_pages: int) -> tuple[EfileEntry, ...]:
    entries, page = [], toc_pages + 1
    for number, s in enumerate(sources, 1):
        count = len(s.pdf.pages)
        entries.append(
            EfileEntry(number, s.title, s.filename, s.sha256, page, page + count - 1, s.signatures)
        )
        page += count
    return tuple(entries)


def _render_contents(
    sources: list[_Source], case_number: str, court: str, development: bool
) -> tuple[bytes, int, tuple[EfileEntry, ...], tuple[int, tuple[int, int, int, int]]]:
    """PDF of the contents pages followed by one numbered blank page per document page."""
    from markupsafe import Markup

    from .pdf import anchor_box, html_to_pdf
    from .render import _css, environment

    template = environment().get_template("efile_toc.html")
    document_pages = sum(len(s.pdf.pages) for s in sources)
    compiled = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %z")
    toc_pages = 1
    for _ in range(3):  # the contents' own length shifts every page number: settle it
        entries = _entries(sources, toc_pages)
        html = template.render(
            css=Markup(_css()),
            court=court,
            case_number=case_number,
            entries=entries,
            compiled=compiled,
            blank_pages=document_pages,
            dev_notice=DEV_MARK if development else "",
        )
        data, wp_document = html_to_pdf(html)
        laid_out = anchor_box(wp_document, "toc-end")[0] + 1
        if laid_out == toc_pages:
            return data, toc_pages, entries, anchor_box(wp_document, "sig-court_seal")
        toc_pages = laid_out
    raise EfileError("the table of contents did not settle on a page count")


def _attach(bundle: Any, sources: list[_Source], raw: Sequence[bytes]) -> None:
    import pikepdf

    specs = []
    now = dt.datetime.now(dt.UTC).strftime("D:%Y%m%d%H%M%SZ")
    for source, data in zip(sources, raw, strict=True):
        spec = pikepdf.AttachedFileSpec(
            bundle,
            data,
            description=f"经签名的原件 signed original: {source.title} (SHA-256 {source.sha256})",
            filename=source.filename,
            mime_type="application/pdf",
            creation_date=now,
            mod_date=now,
        )
        bundle.attachments[source.filename] = spec
        obj = bundle.attachments[source.filename].obj
        obj.AFRelationship = pikepdf.Name.Source
        specs.append(obj)
    bundle.Root.AF = pikepdf.Array(specs)  # PDF/A-3: every embedded file is an associated file


def _outline(bundle: Any, entries: tuple[EfileEntry, ...]) -> None:
    import pikepdf

    # One level only: diff analysis of deep outlines is slow (see shared PITFALLS).
    with bundle.open_outline() as outline:
        outline.root.clear()  # WeasyPrint's bookmarks of the contents' own headings
        outline.root.append(pikepdf.OutlineItem("目录 Contents", 0))
        for e in entries:
            outline.root.append(pikepdf.OutlineItem(f"{e.number}. {e.title}", e.first_page - 1))


def assemble_efile(
    documents: Sequence[EfileDocument],
    *,
    case_number: str,
    court: str,
    development: bool = True,
) -> tuple[bytes, tuple[EfileEntry, ...], tuple[int, tuple[int, int, int, int]]]:
    """The unsealed bundle, its contents entries and where the court seal goes."""
    import pikepdf

    with contextlib.ExitStack() as stack:
        sources = _open_sources(documents, stack)
        contents, toc_pages, entries, seal_at = _render_contents(
            sources, case_number, court, development
        )
        bundle = stack.enter_context(pikepdf.open(io.BytesIO(contents)))
        numbered = len(bundle.pages)
        for source in sources:
            # Widgets (signature appearances) become page content: their fields' signatures
            # are void in the copy anyway, and orphaned fields would confuse validators.
            source.pdf.flatten_annotations("all")
            bundle.add_pages_from(source.pdf, forms="strip")
        for offset in range(numbered - toc_pages):
            footer = bundle.pages[toc_pages + offset]
            bundle.pages[numbered + offset].add_overlay(footer, rect=None)
        del bundle.pages[toc_pages:numbered]
        _attach(bundle, sources, [d.data for d in documents])
        _outline(bundle, entries)
        with bundle.open_metadata() as meta:
            meta["dc:title"] = f"电子卷宗 {case_number}"
        out = io.BytesIO()
        bundle.save(out, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return out.getvalue(), entries, seal_at


def compile_efile(
    documents: Sequence[EfileDocument],
    source: SignerSource,
    *,
    case_number: str,
    court: str,
    development: bool = True,
) -> CompiledEfile:
    """Assemble, certify with the court seal and add a document timestamp (B-LTA)."""
    from .sign import seal_bundle, timestamp_document

    if not case_number.strip() or not court.strip():
        raise EfileError("'case_number' and 'court' must not be empty")
    data, entries, (page, box) = assemble_efile(
        documents, case_number=case_number, court=court, development=development
    )
    sealed = timestamp_document(seal_bundle(data, source, court, page, box), source)
    return CompiledEfile(sealed, entries, entries[-1].last_page)


def read_attachments(bundle: bytes) -> dict[str, bytes]:
    """The embedded originals by file name (for clerks and tests)."""
    import pikepdf

    with pikepdf.open(io.BytesIO(bundle)) as pdf:
        return {name: spec.get_file().read_bytes() for name, spec in pdf.attachments.items()}
