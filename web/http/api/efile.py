"""The clerk's case e-file (hearings/services/efiles.py): upload scans, list what the e-file can
hold,
compile it into one PDF sealed by the court and timestamped (docforge/efile.py) as a job
(web/bridges/jobs_efile.py): the POST answers 202 with the job, the page polls its progress and
downloads the PDF when it is done (audited: `case.efile` when built, `case.efile.download`).

Uploads stream to disk (never whole in memory) up to `max_upload_bytes` (413 above), and are
taken only if their first bytes are `%PDF-` and pikepdf opens them (415 otherwise).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from aiohttp import BodyPartReader, web
from pydantic import Field

from hearings.services.access import CALLER
from hearings.services.efiles import PDF_MAGIC, StagedUpload
from web.http.auth import staff_for
from web.http.errors import ApiError
from web.http.openapi import SCHEMAS
from web.http.payloads import Payload, read_payload
from web.http.routing import ApiRoutes
from web.keys import EFILE_JOBS, SETTINGS, UPLOADS

routes = ApiRoutes()

CHUNK = 1 << 16
SCHEMAS.setdefault("EfileJob", {
    "type": "object", "description": "a case e-file being built (poll it until done)",
    "properties": {
        "job_id": {"type": "string"}, "case_id": {"type": "string"},
        "state": {"enum": ["queued", "running", "done", "failed"]},
        "progress": {"type": "integer", "minimum": 0, "maximum": 100},
        "stage": {"enum": ["queued", "reading", "compiling", "sealed", "done", "failed"]},
        "items": {"type": "array", "items": {"type": "string"}},
        "pages": {"type": ["integer", "null"]}, "sha256": {"type": ["string", "null"]},
        "error": {"type": ["string", "null"]},
        "created_at": {"type": "string"}, "updated_at": {"type": "string"},
        "download": {"type": "string", "description": "the PDF's path, once done"}}})


class EfileCompilation(Payload):
    """What goes into the e-file; the e-file jobs check the ids."""

    items: Any = Field(None, json_schema_extra={
        "type": "array", "maxItems": 500, "items": {"type": "string", "maxLength": 64},
        "description": "document and upload ids in bundle order; none: everything of the "
                       "case, oldest first"})


def _readable_pdf(path: Path) -> bool:
    import pikepdf

    try:
        with pikepdf.open(path) as pdf:
            return len(pdf.pages) > 0
    except Exception:  # any failure to parse: not a PDF we take
        return False


async def _chunks(source: web.Request | BodyPartReader) -> AsyncIterator[bytes]:
    if isinstance(source, BodyPartReader):
        while chunk := await source.read_chunk(CHUNK):
            yield chunk
    else:
        while chunk := await source.content.read(CHUNK):
            yield chunk


async def _file_part(request: web.Request) -> tuple[str, BodyPartReader]:
    try:
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if isinstance(part, BodyPartReader) and part.filename:
                return unquote(part.filename), part  # aiohttp's client quotes it
    except Exception:  # a malformed multipart body, however it fails to parse
        raise ApiError(400, "invalid_input", "unreadable multipart body") from None
    raise ApiError(400, "invalid_input", "the multipart body has no file part")


@routes.route("POST", "/api/cases/{case_id}/uploads", summary="Upload a scanned PDF into the "
              "case's e-file (raw body with ?filename=, or multipart/form-data with a file "
              "part; PDF only, by its magic bytes: else 415; at most YUNTING_MAX_UPLOAD_BYTES, "
              "else 413); streamed to disk, hashed, timestamped, audited (clerks and "
              "administrators of the case's court)", tag="efile",
              query=({"name": "filename", "schema": {"type": "string", "maxLength": 200},
                      "description": "the file's name (raw body)"},),
              ok=201, result="CaseUpload", answers=(413, 415))
async def upload(request: web.Request) -> web.Response:
    actor = await staff_for(request)
    limit = request.app[SETTINGS].max_upload_bytes
    if request.content_length is not None and request.content_length > limit:
        raise ApiError(413, "body_too_large", f"an upload is at most {limit} bytes")
    if request.content_type == "multipart/form-data":
        filename, source = await _file_part(request)
    else:
        filename, source = request.query.get("filename", ""), request  # type: ignore[assignment]
    # past the limit the store raises TooLarge: a 413 (web/http/errors.py)
    async with request.app[UPLOADS].receive(_chunks(source), limit) as staged:
        await _check_pdf(staged)
        done = await request.app[EFILE_JOBS].efiles.upload(
            actor, request.match_info["case_id"], filename, staged)
    return web.json_response(done.as_json(), status=201)


async def _check_pdf(staged: StagedUpload) -> None:
    if not staged.head.startswith(PDF_MAGIC) or not await asyncio.to_thread(
            _readable_pdf, staged.path):
        raise ApiError(415, "not_pdf", "an upload must be a readable PDF (%PDF-)")


@routes.route("GET", "/api/cases/{case_id}/efile", summary="What the case's e-file can hold: "
              "its documents past their draft and its uploads, oldest first", tag="efile",
              result="EfileContents[]")
async def contents(request: web.Request) -> web.Response:
    actor = await staff_for(request)
    rows = await request.app[EFILE_JOBS].efiles.contents(actor, request.match_info["case_id"])
    return web.json_response(rows)


@routes.route("POST", "/api/cases/{case_id}/efile", summary="Compile the case's e-file: the "
              "listed documents and uploads (or all, oldest first) with contents, bookmarks, "
              "page numbers, the court seal and a timestamp, as a job: 202 with the job to "
              "poll; audited (case.efile) once built", tag="efile", body=EfileCompilation, ok=202,
              result="EfileJob")
async def compile_efile(request: web.Request) -> web.Response:
    actor = await staff_for(request)
    items = (await read_payload(request, EfileCompilation)).items
    if items is None:
        items = []
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        raise ApiError(400, "invalid_input", "'items' must be a list of ids")
    caller = CALLER.get()
    job = await request.app[EFILE_JOBS].start(actor, request.match_info["case_id"], items,
                                     caller.address if caller else None)
    return web.json_response(job, status=202)


@routes.route("GET", "/api/cases/{case_id}/efile/jobs/{job_id}", summary="An e-file job: its "
              "state, progress (0-100) and stage; `download` once done", tag="efile",
              result="EfileJob")
async def job_status(request: web.Request) -> web.Response:
    actor = await staff_for(request)
    job = await request.app[EFILE_JOBS].status(actor, request.match_info["case_id"],
                                      request.match_info["job_id"])
    return web.json_response(job, headers={"Cache-Control": "no-store"})


@routes.route("GET", "/api/cases/{case_id}/efile/jobs/{job_id}/pdf", summary="The compiled "
              "e-file of a finished job (409 while it is being built); audited "
              "(case.efile.download)", tag="efile", produces="application/pdf",
              answers=(409,))
async def download(request: web.Request) -> web.StreamResponse:
    actor = await staff_for(request)
    jobs = request.app[EFILE_JOBS]
    case_id = request.match_info["case_id"]
    job = await jobs.status(actor, case_id, request.match_info["job_id"])
    if job["state"] != "done":
        raise ApiError(409, "conflict", f"the e-file is not built ({job['state']}, "
                       f"{job['progress']}%)")
    path = jobs.result_path(job["job_id"])
    caller = CALLER.get()
    await jobs.efiles.downloaded(actor, case_id, job["job_id"], job["sha256"],
                                 caller.address if caller else None)
    safe = "".join(ch for ch in case_id if ch.isascii() and ch.isalnum())[:64]
    return web.FileResponse(path, headers={
        "Content-Type": "application/pdf", "Cache-Control": "private, no-store",
        "X-Efile-SHA256": job["sha256"] or "", "X-Efile-Pages": str(job["pages"]),
        "Content-Disposition": f'attachment; filename="efile-{safe}.pdf"'})
