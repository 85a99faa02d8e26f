"""Liveness, readiness and the OpenAPI document."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from aiohttp import web
from redis import asyncio as aioredis

from web.http.routing import ApiRoutes
from web.keys import DATABASE, SETTINGS

routes = ApiRoutes()
CHECK_TIMEOUT_S = 3.0


@routes.route("GET", "/healthz", summary="The process is alive", tag="system", auth="none")
async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


@routes.route("GET", "/readyz", summary="The database and Redis (when configured) answer",
              tag="system", auth="none", answers=(503,))
async def readyz(request: web.Request) -> web.Response:
    """Each dependency with its status; 503 when one is down (the balancer stops sending)."""
    checks = {"database": await _check(request.app[DATABASE].ping)}
    url = request.app[SETTINGS].redis_url
    if url:
        checks["redis"] = await _check(lambda: _ping_redis(url))
    down = [name for name, check in checks.items() if check["status"] != "up"]
    if down:
        message = "; ".join(f"{name} unavailable: {checks[name]['error']}" for name in down)
        return web.json_response(
            {"error": {"code": "not_ready", "message": message}, "checks": checks},
            status=503)
    return web.json_response({"status": "ready", "checks": checks})


async def _check(ping: Callable[[], Awaitable[None]]) -> dict[str, str]:
    try:
        await asyncio.wait_for(ping(), CHECK_TIMEOUT_S)
    except Exception as exc:  # any failure to reach it means "not ready"
        return {"status": "down", "error": str(exc) or type(exc).__name__}
    return {"status": "up"}


async def _ping_redis(url: str) -> None:
    # A connection of its own per probe: the pools in use may hold a broken one, and
    # readiness must say whether Redis answers now.
    client = aioredis.Redis.from_url(url, socket_connect_timeout=CHECK_TIMEOUT_S)
    try:
        await client.ping()
    finally:
        await client.aclose()


@routes.route("GET", "/api/openapi.json", summary="This API, as OpenAPI 3", tag="system",
              auth="none")
async def openapi(request: web.Request) -> web.Response:
    from web.http.openapi import document_json

    return web.Response(body=document_json(), content_type="application/json")
