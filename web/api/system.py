"""Liveness, readiness and the OpenAPI document."""

from __future__ import annotations

from aiohttp import web

from web.keys import DATABASE
from web.routing import ApiRoutes

routes = ApiRoutes()


@routes.route("GET", "/healthz", summary="The process is alive", tag="system", auth="none")
async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


@routes.route("GET", "/readyz", summary="The database answers", tag="system", auth="none")
async def readyz(request: web.Request) -> web.Response:
    try:
        await request.app[DATABASE].ping()
    except Exception as exc:  # any failure to reach the database means "not ready"
        return web.json_response(
            {"error": {"code": "not_ready", "message": f"database unavailable: {exc}"}},
            status=503)
    return web.json_response({"status": "ready"})


@routes.route("GET", "/api/openapi.json", summary="This API, as OpenAPI 3", tag="system",
              auth="none")
async def openapi(request: web.Request) -> web.Response:
    from web.openapi import document

    return web.json_response(document())
