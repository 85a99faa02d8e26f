"""The clerk's case e-file (hearings/efiles.py): upload scans, list what the e-file can hold,
compile it into one PDF sealed by the court and timestamped (docforge/efile.py), in a worker
thread. The compilation answers the sealed PDF itself (synchronously)."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Sequence
from urllib.parse import unquote

from aiohttp import BodyPartReader, web

from docforge.errors import EfileError
from hearings.efiles import PDF_MAGIC, EfileItem, Efiles
from hearings.errors import InvalidInput
from web.auth import staff_for
from web.documents import ForgeDocuments
from web.efile_store import FileUploadStore
from web.errors import ApiError
from web.keys import FORGE, SERVICES, SETTINGS
from web.payloads import _read, read_body
from web.routing import ApiRoutes

routes = ApiRoutes()

COMPILE = {"type": "object", "properties": {
    "items": {"type": "array", "maxItems": 500, "items": {"type": "string", "maxLength": 64},
              "description": "document and upload ids in bundle order; none: everything "
                             "of the case, oldest first"}}}


def _service(request: web.Request) -> Efiles:
    app = request.app
    forge = app[FORGE]
    documents_root = app[SETTINGS].archive_dir / "documents"
    reader = ForgeDocuments(forge, documents_root)

    async def compile_(items: Sequence[EfileItem], case_number: str, court: str
                       ) -> tuple[bytes, int]:
        from docforge.efile import EfileDocument

        docs = [EfileDocument(i.name, i.data, i.title) for i in items]
        try:
            result = await asyncio.to_thread(forge.compile_efile, docs, case_number, court)
        except EfileError as exc:
            raise InvalidInput(str(exc)) from None
        return result.data, result.page_count

    return Efiles(app[SERVICES].uow, store=FileUploadStore(documents_root / "uploads"),
                  read_document=reader.read, timestamp=forge.atimestamp_digest,
                  compile=compile_)


def _readable_pdf(data: bytes) -> bool:
    import pikepdf

    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            return len(pdf.pages) > 0
    except Exception:  # any failure to parse: not a PDF we take
        return False


async def _upload_body(request: web.Request, max_bytes: int) -> tuple[str, bytes]:
    if request.content_type == "multipart/form-data":
        try:
            reader = await request.multipart()
            while (part := await reader.next()) is not None:
                if isinstance(part, BodyPartReader) and part.filename:
                    data = bytearray()
                    while chunk := await part.read_chunk():
                        data += chunk
                        if len(data) > max_bytes:
                            raise ApiError(413, "body_too_large",
                                           f"request body exceeds {max_bytes} bytes")
                    return unquote(part.filename), bytes(data)  # aiohttp's client quotes it
        except ApiError:
            raise
        except Exception:  # a malformed multipart body, however it fails to parse
            raise ApiError(400, "invalid_input", "unreadable multipart body") from None
        raise ApiError(400, "invalid_input", "the multipart body has no file part")
    return request.query.get("filename", ""), await _read(request, max_bytes)


@routes.route("POST", "/api/cases/{case_id}/uploads", summary="Upload a scanned PDF into the "
              "case's e-file (raw body with ?filename=, or multipart/form-data with a file "
              "part; PDF only, by its magic bytes: else 415); hashed, timestamped, audited "
              "(clerks and administrators of the case's court)", tag="efile",
              query=({"name": "filename", "schema": {"type": "string", "maxLength": 200},
                      "description": "the file's name (raw body)"},),
              ok=201, result="CaseUpload", answers=(413, 415))
async def upload(request: web.Request) -> web.Response:
    actor = await staff_for(request)
    filename, data = await _upload_body(request, request.app[SETTINGS].max_request_bytes)
    if not data.startswith(PDF_MAGIC) or not await asyncio.to_thread(_readable_pdf, data):
        raise ApiError(415, "not_pdf", "an upload must be a readable PDF (%PDF-)")
    done = await _service(request).upload(actor, request.match_info["case_id"], filename, data)
    return web.json_response(done.as_json(), status=201)


@routes.route("GET", "/api/cases/{case_id}/efile", summary="What the case's e-file can hold: "
              "its documents past their draft and its uploads, oldest first", tag="efile",
              result="EfileContents[]")
async def contents(request: web.Request) -> web.Response:
    actor = await staff_for(request)
    rows = await _service(request).contents(actor, request.match_info["case_id"])
    return web.json_response(rows)


@routes.route("POST", "/api/cases/{case_id}/efile", summary="Compile the case's e-file: the "
              "listed documents and uploads (or all, oldest first) with contents, bookmarks, "
              "page numbers, the court seal and a timestamp; audited (case.efile)",
              tag="efile", body=COMPILE, produces="application/pdf")
async def compile_efile(request: web.Request) -> web.Response:
    actor = await staff_for(request)
    body = await read_body(request, request.app[SETTINGS].max_request_bytes)
    items = body.raw("items")
    if items is None:
        items = []
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        raise ApiError(400, "invalid_input", "'items' must be a list of ids")
    case_id = request.match_info["case_id"]
    result = await _service(request).compile(actor, case_id, items)
    safe = "".join(ch for ch in case_id if ch.isascii() and ch.isalnum())[:64]
    return web.Response(body=result.data, content_type="application/pdf", headers={
        "Cache-Control": "private, no-store", "X-Efile-SHA256": result.sha256,
        "X-Efile-Pages": str(result.page_count),
        "Content-Disposition": f'attachment; filename="efile-{safe}.pdf"'})
