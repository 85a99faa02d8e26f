"""The access log of a court (hearings/services/access_log.py): who read which recording or
document,
when, from where and why — as JSON, a page at a time, or as CSV for the whole selection.

The CSV is safe to open in a spreadsheet: a cell that begins with = + - @ (or a tab or a
carriage return) is prefixed with a quote, so that no reason typed by a reader becomes a
formula.
"""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import date
from zoneinfo import ZoneInfo

from aiohttp import web

from docforge.access_report import AccessRow, seal_access_report
from hearings.domain.values import text
from hearings.services.access_log import AccessEntry, AccessFilter, AccessLog, AccessPage
from web.http.auth import staff_for
from web.http.errors import ApiError
from web.http.routing import ApiRoutes
from web.keys import FORGE, SERVICES, SETTINGS

routes = ApiRoutes()

MAX_LIMIT = 500
FILTERS = (
    {"name": "case", "schema": {"type": "string", "maxLength": 200},
     "description": "a case number (exact) or a case id"},
    {"name": "person", "schema": {"type": "string", "maxLength": 200},
     "description": "part of the reader's name or username, or their staff id"},
    {"name": "since", "schema": {"type": "string", "format": "date"},
     "description": "from this court-time date, YYYY-MM-DD (inclusive)"},
    {"name": "until", "schema": {"type": "string", "format": "date"},
     "description": "to this court-time date, YYYY-MM-DD (inclusive)"},
)
PAGING = (
    {"name": "offset", "schema": {"type": "integer", "minimum": 0}},
    {"name": "limit", "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}},
)
COLUMNS = ("at", "person", "role", "action", "case_number", "target", "address", "reason",
           "actor", "hearing_id", "seq")
_FORMULA = ("=", "+", "-", "@", "\t", "\r")
ACTIONS = {"recording.streamed": "播放或下载录像 Recording played or downloaded",
           "recording.packaged": "下载证据包 Evidence package downloaded",
           "recording.verified": "校验录像 Recording verified",
           "document.read": "调阅文书 Document read"}
MAX_PDF_ROWS = 5000


def _service(request: web.Request) -> AccessLog:
    return request.app[SERVICES].access_log


def _day(raw: str | None, name: str) -> date | None:
    value = (raw or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ApiError(400, "invalid_input",
                       f"'{name}' must be YYYY-MM-DD (got {value[:40]!r})") from None


def _term(raw: str | None, name: str) -> str | None:
    return text(raw, name, max_length=200) if raw and raw.strip() else None


def _int(raw: str | None, name: str, default: int, low: int, high: int) -> int:
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise ApiError(400, "invalid_input",
                       f"'{name}' must be an integer from {low} to {high}")
    return value


def _filter(request: web.Request) -> AccessFilter:
    query = request.query
    since, until = _day(query.get("since"), "since"), _day(query.get("until"), "until")
    if since and until and since > until:
        raise ApiError(400, "invalid_input", "'since' is after 'until'")
    return AccessFilter(_term(query.get("case"), "case"), _term(query.get("person"), "person"),
                        since, until)


async def _read(request: web.Request, *, offset: int, limit: int, audit_as: str
                ) -> AccessPage:
    actor = await staff_for(request)
    query = _filter(request)
    return await _service(request).read(actor, request.match_info["court_id"], query,
                                        offset=offset, limit=limit, audit_as=audit_as)


@routes.route("GET", "/api/courts/{court_id}/access-log", summary="Who read which recording "
              "or document of the court, when, from where and why (clerks and administrators; "
              "newest first; itself audited)", tag="access-log", query=FILTERS + PAGING,
              result="AccessLogPage")
async def access_log(request: web.Request) -> web.Response:
    offset = _int(request.query.get("offset"), "offset", 0, 0, 10**9)
    limit = _int(request.query.get("limit"), "limit", 100, 1, MAX_LIMIT)
    page = await _read(request, offset=offset, limit=limit, audit_as="json")
    return web.json_response({"total": page.total, "offset": page.offset,
                              "limit": page.limit,
                              "entries": [e.as_json() for e in page.entries]})


@routes.route("GET", "/api/courts/{court_id}/access-log.csv", summary="The access log as CSV "
              "(every entry the filters select; cells safe from formula injection)",
              tag="access-log", query=FILTERS, produces="text/csv")
async def access_log_csv(request: web.Request) -> web.Response:
    page = await _read(request, offset=0, limit=10**9, audit_as="csv")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for entry in page.entries:
        row = entry.as_json()
        writer.writerow([safe_cell(row[c]) for c in COLUMNS])
    name = _filename(request.match_info["court_id"], "csv")
    # A BOM, so that a spreadsheet opens the Chinese names as UTF-8.
    return web.Response(body=("\ufeff" + out.getvalue()).encode(), headers={
        "Content-Type": "text/csv; charset=utf-8", "Cache-Control": "private, no-store",
        "Content-Disposition": f'attachment; filename="{name}"'})


@routes.route("GET", "/api/courts/{court_id}/access-log.pdf", summary="The access log as a "
              "PDF certified with the court seal and timestamped (at most 5000 entries: "
              "narrow the filters for more)", tag="access-log", query=FILTERS,
              produces="application/pdf")
async def access_log_pdf(request: web.Request) -> web.Response:
    page = await _read(request, offset=0, limit=MAX_PDF_ROWS + 1, audit_as="pdf")
    if page.total > MAX_PDF_ROWS:
        raise ApiError(400, "invalid_input", f"{page.total} entries: a sealed PDF holds at "
                       f"most {MAX_PDF_ROWS}; narrow the filters (or export CSV)")
    court_id = request.match_info["court_id"]
    court = await request.app[SERVICES].particulars.court(await staff_for(request), court_id,
                                                          "access_log.read")
    settings = request.app[SETTINGS]
    tz = ZoneInfo(settings.court_timezone)
    forge = request.app[FORGE]
    selection = "; ".join(f"{k} {v}" for k, v in _filter(request).as_json().items() if v) \
        or "全部 all"
    rows = [_row(e, tz) for e in page.entries]
    data = await asyncio.to_thread(
        seal_access_report, rows, forge.source, court=court.name, selection=selection,
        development=forge.config.signing_backend == "dev")
    return web.Response(body=data, content_type="application/pdf", headers={
        "Cache-Control": "private, no-store",
        "Content-Disposition": f'attachment; filename="{_filename(court_id, "pdf")}"'})


def _row(entry: AccessEntry, tz: ZoneInfo) -> AccessRow:
    return AccessRow(entry.at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S"), entry.person,
                     ACTIONS.get(entry.action, entry.action), entry.case_number or "",
                     entry.target, entry.address or "", entry.reason or "")


def _filename(court_id: str, suffix: str) -> str:
    safe = "".join(ch for ch in court_id if ch.isascii() and (ch.isalnum() or ch in "-_"))
    return f"access-log-{safe[:64]}.{suffix}"


def safe_cell(value: object) -> str:
    """A CSV cell a spreadsheet shows as text: never a formula."""
    cell = "" if value is None else str(value)
    return "'" + cell if cell.startswith(_FORMULA) else cell
