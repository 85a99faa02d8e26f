"""Courts, sites and cases: what a clerk sets up before scheduling hearings."""

from __future__ import annotations

from typing import Annotated

from aiohttp import web
from pydantic import Field

from hearings.domain.cases import CaseType
from hearings.domain.commands import CreateCourt, CreateSite, OpenCase
from hearings.domain.courts import DEVICE_PROFILES, SiteKind
from web.http.api.inquiry import INQUIRIES, case_inquiry_json
from web.http.auth import staff_for
from web.http.payloads import OneOf, Payload, read_payload
from web.http.representations import case_json, court_json, site_json
from web.http.routing import ApiRoutes
from web.keys import SERVICES

routes = ApiRoutes()



class NewCourt(Payload):
    name: str
    code: str = Field(examples=["渝0113"])


class NewSite(Payload):
    name: str
    kind: Annotated[SiteKind, OneOf(SiteKind)]
    device_profile: Annotated[str, OneOf(DEVICE_PROFILES)] = "standard"


class NewCase(Payload):
    court_id: str
    case_type: Annotated[CaseType, OneOf(CaseType)]
    title: str
    number: str | None = Field(None, examples=["(2026)渝0113民初1234号"])
    procedure: str | None = Field(None, examples=["民特"], description=(
        "without 'number': allot the next number of this procedure"))
    year: int | None = None
    juvenile: bool = Field(False, description="a juvenile case: its progress inquiry is off "
                           "until a clerk turns it on")


@routes.route("POST", "/api/courts", summary="Register a court (an administrator without a "
              "court)", tag="scheduling", body=NewCourt, ok=201, result="Court")
async def create_court(request: web.Request) -> web.Response:
    actor = await staff_for(request)
    body = await read_payload(request, NewCourt)
    court = await request.app[SERVICES].scheduling.create_court(
        actor, CreateCourt(body.name, body.code))
    return web.json_response(court_json(court), status=201)


@routes.route("GET", "/api/courts", summary="List courts (staff see their own)",
              tag="scheduling", result="Court[]")
async def list_courts(request: web.Request) -> web.Response:
    actor = await staff_for(request)
    courts = await request.app[SERVICES].scheduling.courts(actor)
    return web.json_response([court_json(c) for c in courts])


@routes.route("POST", "/api/courts/{court_id}/sites", summary="Register a site of a court",
              tag="scheduling", body=NewSite, ok=201, result="Site")
async def create_site(request: web.Request) -> web.Response:
    actor = await staff_for(request)
    body = await read_payload(request, NewSite)
    site = await request.app[SERVICES].scheduling.create_site(actor, CreateSite(
        request.match_info["court_id"], body.name, body.kind, body.device_profile))
    return web.json_response(site_json(site), status=201)


@routes.route("GET", "/api/courts/{court_id}/sites", summary="List a court's sites",
              tag="scheduling", result="Site[]")
async def list_sites(request: web.Request) -> web.Response:
    actor = await staff_for(request)
    sites = await request.app[SERVICES].scheduling.sites(actor, request.match_info["court_id"])
    return web.json_response([site_json(s) for s in sites])


@routes.route("POST", "/api/cases", summary="Open a case (number given or allotted)",
              tag="scheduling", body=NewCase, ok=201, result="Case")
async def open_case(request: web.Request) -> web.Response:
    actor = await staff_for(request)
    body = await read_payload(request, NewCase)
    case = await request.app[SERVICES].scheduling.open_case(actor, OpenCase(
        court_id=body.court_id, case_type=body.case_type, title=body.title,
        number=body.number, procedure=body.procedure, year=body.year))
    if body.juvenile:  # before its inquiry code is ever shown
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
