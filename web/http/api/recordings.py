"""Recordings for court staff: search, stream with HTTP Range, verify, download evidence.

Who may is hearings/domain/policy.py's: a trial's recording for the court's administrators,
clerks and judges (`recording.read.trial`), a mediation's for all its staff; a search
answers only the hearings whose recording the caller may read.

Every access is audited with who and why (`reason`): a search as `recording.searched`,
each file request as `recording.streamed`, a package as `recording.packaged`, a check as
`recording.verified`.
"""

from __future__ import annotations

import asyncio
import hashlib
import shutil
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from aiohttp import web
from pydantic import Field

from hearings.domain.actors import Actor
from hearings.domain.audit import interruptions
from hearings.domain.hearing import Hearing
from hearings.domain.policy import recording_action
from hearings.domain.states import RecordingState
from hearings.domain.values import text
from web.http.auth import actor_for, staff_for
from web.http.errors import ApiError
from web.http.payloads import Payload, read_payload
from web.http.representations import hearing_json
from web.http.routing import ApiRoutes
from web.keys import ARCHIVE, FORGE, PACKAGE_JOBS, SERVICES

if TYPE_CHECKING:
    from web.bridges.archive import RecordingArchive

routes = ApiRoutes()

MAX_REASON = 500
_REASON = {"name": "reason", "schema": {"type": "string", "maxLength": MAX_REASON},
           "description": "why the recording is accessed; written to the audit log"}
SEARCH = (
    {"name": "case_number", "schema": {"type": "string"}, "description": "exact case number"},
    {"name": "date", "schema": {"type": "string", "format": "date"},
     "description": "hearing date (court time), YYYY-MM-DD"},
    {"name": "party", "schema": {"type": "string"},
     "description": "part of a participant's name"},
    _REASON,
)
_LIVE = (RecordingState.RECORDING, RecordingState.PAUSED, RecordingState.PROCESSING)
_CHUNK = 1 << 20


class EvidencePackage(Payload):
    """The reason is required, as for every access to a recording, and audited."""

    checked_by_domain = ("reason",)
    reason: str | None = Field(None, description="why the package is made (audited)",
                               json_schema_extra={"maxLength": MAX_REASON})


def _reason(raw: str | None, *, required: bool) -> str | None:
    reason = (raw or "").strip()
    if not reason:
        if required:
            raise ApiError(400, "invalid_input",
                           "'reason' is required: say why you access this recording "
                           "(it is written to the audit log)")
        return None
    return text(reason, "reason", max_length=MAX_REASON)


def _term(raw: str | None, name: str) -> str | None:
    return text(raw, name) if raw and raw.strip() else None


async def _audit(request: web.Request, actor: Actor, action: str, hearing_id: str | None,
                 payload: dict[str, Any]) -> None:
    # From where: the client's address (web/http/forwarded.py), for the access log.
    await request.app[SERVICES].particulars.note_read(
        actor, action, hearing_id, payload | {"address": request.remote})


async def _hearing(request: web.Request, actor: Actor) -> Hearing:
    """The hearing whose recording is accessed, if the policy lets `actor` (by its kind)."""
    return await request.app[SERVICES].scheduling.hearing(
        actor, request.match_info["hearing_id"], recording_action)


async def _recording_json(archive: RecordingArchive, hearing: Hearing, case_number: str
                          ) -> dict[str, Any]:
    files = await asyncio.to_thread(archive.files, hearing.id)
    duration = await asyncio.to_thread(archive.duration, hearing.id, files)
    found = await asyncio.to_thread(archive.manifest, hearing.id)
    truth = found[0].extra if found is not None else {}
    base = f"/api/recordings/{hearing.id}/files/"
    return {"hearing": hearing_json(hearing), "case_number": case_number,
            "recording_state": hearing.recording_state.value,
            "sealed": any(f.kind == "manifest" for f in files), "duration": duration,
            # What the sealed manifest says of itself (None before it is sealed, or for a
            # manifest sealed before it said so).
            "complete": truth.get("complete"),
            "missing_seconds": truth.get("missing_seconds", {}),
            "composite_error": truth.get("composite_error"),
            "files": [f.as_json() | {"url": base + quote(f.name)} for f in files]}


@routes.route("GET", "/api/recordings", summary="Search recordings by case number, date, party",
              tag="recordings", query=SEARCH, result="Recording[]")
async def search(request: web.Request) -> web.Response:
    actor = await staff_for(request)
    query = request.query
    raw_day = query.get("date", "").strip()
    try:
        day = date.fromisoformat(raw_day) if raw_day else None
    except ValueError:
        raise ApiError(400, "invalid_input",
                       f"'date' must be YYYY-MM-DD (got {raw_day!r})") from None
    reason = _reason(query.get("reason"), required=False)
    # Search terms follow the text rule too: stored names are NFC, and a NUL or a bidi
    # control must not reach the database or the audit log.
    case_number, party = (_term(query.get(name), name) for name in ("case_number", "party"))
    archive = request.app[ARCHIVE]
    archived = await asyncio.to_thread(list, archive.hearing_ids())
    found = await request.app[SERVICES].recordings.search(
        actor, case_number=case_number, day=day, party=party, archived=archived)
    await _audit(request, actor, "recording.searched", None, {
        "case_number": case_number, "date": raw_day or None,
        "party": party, "reason": reason, "hearings": [h.id for h, _ in found]})
    return web.json_response([await _recording_json(archive, h, number) for h, number in found])


@routes.route("GET", "/api/recordings/{hearing_id}/files/{name:.+}",
              summary="One recorded file, streamed with HTTP Range (?reason= is required)",
              tag="recordings", query=({**_REASON, "required": True},),
              produces="application/octet-stream")
async def stream(request: web.Request) -> web.StreamResponse:
    actor = await staff_for(request)
    reason = _reason(request.query.get("reason"), required=True)
    hearing = await _hearing(request, actor)
    name = request.match_info["name"]
    path = await asyncio.to_thread(request.app[ARCHIVE].file, hearing.id, name)
    await _audit(request, actor, "recording.streamed", hearing.id, {
        "file": name, "reason": reason, "range": request.headers.get("Range")})
    return web.FileResponse(path, headers={"Cache-Control": "private, no-store"})


@routes.route("GET", "/api/recordings/{hearing_id}/verification",
              summary="Check the sealed recording against its manifest and timestamp",
              tag="recordings", query=(_REASON,), result="VerificationReport")
async def verification(request: web.Request) -> web.Response:
    actor = await staff_for(request)
    reason = _reason(request.query.get("reason"), required=False)
    hearing = await _hearing(request, actor)
    report = await request.app[ARCHIVE].verify(hearing.id, request.app[FORGE].averify_timestamp)
    await _audit(request, actor, "recording.verified", hearing.id, {
        "ok": report.ok, "reason": reason})
    body = asdict(report) | {"ok": report.ok}
    body.pop("path")  # a server path tells the client nothing
    return web.json_response(body)


@routes.route("GET", "/api/recordings/{hearing_id}/failing",
              summary="Whose recording is failing now, why and since when (the judge's banner)",
              tag="recordings", result="RecordingFailing")
async def failing(request: web.Request) -> web.Response:
    """The live hearing's open interruptions, from the audit log (every process writes
    them there), so a console opened or reloaded while someone is failing names them —
    the `recording.alert` events that told it first went to the page that was open then."""
    hearing_id = request.match_info["hearing_id"]
    actor = await actor_for(request, hearing_id)
    entries = await request.app[SERVICES].particulars.trail(actor, hearing_id,
                                                            "recording.control")
    open_ = [{"participant_id": i["participant_id"], "reason": i["reason"], "since": i["from"]}
             for i in interruptions(entries) if i["to"] is None]
    return web.json_response({"hearing_id": hearing_id, "failing": open_})


@routes.route("POST", "/api/recordings/{hearing_id}/package",
              summary="Download an evidence package (ZIP, verifiable offline)", tag="recordings",
              body=EvidencePackage, produces="application/zip")
async def package(request: web.Request) -> web.StreamResponse:
    actor = await staff_for(request)
    body = await read_payload(request, EvidencePackage)
    reason = _reason(body.reason, required=True)
    hearing = await _hearing(request, actor)
    if hearing.recording_state in _LIVE:
        raise ApiError(409, "conflict", "the recording is still being made "
                       f"({hearing.recording_state.value}); package it once it is available")
    # Built as a job (web/bridges/jobs_package.py: here, or on a `yunting jobs` worker), waited for.
    built = await request.app[PACKAGE_JOBS].make(hearing.id)
    try:
        digest = await asyncio.to_thread(_sha256, built.path)
        await _audit(request, actor, "recording.packaged", hearing.id, {
            "reason": reason, "package_sha256": digest, "audit_entries": built.audit_entries,
            "documents": built.documents})
        return await _send(request, built.path, built.path.name)
    finally:
        await asyncio.to_thread(shutil.rmtree, built.folder, True)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


async def _send(request: web.Request, path: Path, name: str) -> web.StreamResponse:
    """Stream the ZIP ourselves: it is deleted as soon as it has been sent."""
    response = web.StreamResponse(headers={
        "Content-Type": "application/zip", "Cache-Control": "private, no-store",
        "Content-Disposition": f'attachment; filename="{name}"'})
    response.content_length = (await asyncio.to_thread(path.stat)).st_size
    await response.prepare(request)
    with path.open("rb") as stream:
        while chunk := await asyncio.to_thread(stream.read, _CHUNK):
            await response.write(chunk)
    await response.write_eof()
    return response
