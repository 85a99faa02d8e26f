"""Courts, sites and cases: what a clerk sets up before scheduling hearings."""

from __future__ import annotations

from aiohttp import web

from hearings.domain.cases import CaseType
from hearings.domain.commands import CreateCourt, CreateSite, OpenCase
from hearings.domain.courts import SiteKind
from hearings.domain.values import member
from web.http.api.inquiry import INQUIRIES, case_inquiry_json
from web.http.auth import staff_for
from web.http.payloads import read_body
from web.http.representations import case_json, court_json, site_json
from web.http.routing import ApiRoutes
from web.keys import SERVICES, SETTINGS

routes = ApiRoutes()

COURT = {"type": "object", "required": ["name", "code"],
         "properties": {"name": {"type": "string"}, "code": {"type": "string",
                                                            "example": "渝0113"}}}
SITE = {"type": "object", "required": ["name", "kind"], "properties": {
    "name": {"type": "string"}, "kind": {"enum": [k.value for k in SiteKind]},
    "device_profile": {"enum": ["standard", "kiosk", "interrogation"]}}}
CASE = {"type": "object", "required": ["court_id", "case_type", "title"], "properties": {
    "court_id": {"type": "string"}, "case_type": {"enum": [t.value for t in CaseType]},
    "title": {"type": "string"},
    "number": {"type": "string", "example": "(2026)渝0113民初1234号"},
    "procedure": {"type": "string", "example": "民特",
                  "description": "without 'number': allot the next number of this procedure"},
    "year": {"type": "integer"},
    "juvenile": {"type": "boolean", "description": "a juvenile case: its progress inquiry "
                 "is off until a clerk turns it on"}}}


@routes.route("POST", "/api/courts", summary="Register a court (an administrator without a "
              "court)", tag="scheduling", body=COURT, ok=201, result="Court")
async def create_court(request: web.Request) -> web.Response:
    actor = await staff_for(request)
    body = await read_body(request, request.app[SETTINGS].max_request_bytes)
    court = await request.app[SERVICES].scheduling.create_court(
        actor, CreateCourt(body.text("name"), body.text("code")))
    return web.json_response(court_json(court), status=201)


@routes.route("GET", "/api/courts", summary="List courts (staff see their own)",
              tag="scheduling", result="Court[]")
async def list_courts(request: web.Request) -> web.Response:
    actor = await staff_for(request)
    courts = await request.app[SERVICES].scheduling.courts(actor)
    return web.json_response([court_json(c) for c in courts])


@routes.route("POST", "/api/courts/{court_id}/sites", summary="Register a site of a court",
              tag="scheduling", body=SITE, ok=201, result="Site")
async def create_site(request: web.Request) -> web.Response:
    actor = await staff_for(request)
    body = await read_body(request, request.app[SETTINGS].max_request_bytes)
    site = await request.app[SERVICES].scheduling.create_site(actor, CreateSite(
        request.match_info["court_id"], body.text("name"),
        member(SiteKind, body.text("kind"), "kind"),
        body.opt_text("device_profile") or "standard"))
    return web.json_response(site_json(site), status=201)


@routes.route("GET", "/api/courts/{court_id}/sites", summary="List a court's sites",
              tag="scheduling", result="Site[]")
async def list_sites(request: web.Request) -> web.Response:
    actor = await staff_for(request)
    sites = await request.app[SERVICES].scheduling.sites(actor, request.match_info["court_id"])
    return web.json_response([site_json(s) for s in sites])


@routes.route("POST", "/api/cases", summary="Open a case (number given or allotted)",
              tag="scheduling", body=CASE, ok=201, result="Case")
async def open_case(request: web.Request) -> web.Response:
    actor = await staff_for(request)
    body = await read_body(request, request.app[SETTINGS].max_request_bytes)
    case = await request.app[SERVICES].scheduling.open_case(actor, OpenCase(
        court_id=body.text("court_id"),
        case_type=member(CaseType, body.text("case_type"), "case_type"),
        title=body.text("title"), number=body.opt_text("number"),
        procedure=body.opt_text("procedure"), year=body.opt_int("year")))
    if body.flag("juvenile"):  # before its inquiry code is ever shown
        case = (await request.app[INQUIRIES].configure(actor, case.id, juvenile=True))[0]
    return web.json_response(case_json(case), status=201)


@routes.route("GET", "/api/cases/{case_id}", summary="A case and its hearings",
              tag="scheduling", result="Case")
async def get_case(request: web.Request) -> web.Response:
    actor = await staff_for(request)
    case, hearings = await request.app[SERVICES].scheduling.case(
        actor, request.match_info["case_id"])
    return web.json_response({**case_json(case), "hearing_ids": [h.id for h in hearings],
                              "inquiry": await case_inquiry_json(request, actor, case.id)})
