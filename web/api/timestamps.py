"""The development timestamping service (RFC 3161 over HTTP), so that other processes and
tools can use the same TSA the documents and recording manifests are stamped by."""

from __future__ import annotations

from aiohttp import web

from docforge.errors import DocforgeError
from web.errors import ApiError
from web.keys import FORGE, SETTINGS
from web.routing import ApiRoutes

routes = ApiRoutes()

_QUERY = "application/timestamp-query"
_MAX_QUERY_BYTES = 4096  # a TimeStampReq is a digest and a few fields


@routes.route("POST", "/api/tsa", summary="RFC 3161 timestamp (development TSA only)",
              tag="documents", auth="none")
async def timestamp(request: web.Request) -> web.Response:
    if request.app[SETTINGS].signing_backend != "dev":
        raise ApiError(404, "not_found", "this server uses an external TSA (YUNTING_TSA_URL)")
    if request.content_type != _QUERY:
        raise ApiError(415, "invalid_input", f"the body must be {_QUERY}")
    body = await request.content.read(_MAX_QUERY_BYTES + 1)
    if not body or len(body) > _MAX_QUERY_BYTES:
        raise ApiError(400, "invalid_input",
                       f"a timestamp query is 1 to {_MAX_QUERY_BYTES} bytes")
    try:
        token = await request.app[FORGE].atsa_respond(body)
    except (DocforgeError, ValueError) as exc:
        raise ApiError(400, "invalid_input", f"not a timestamp query: {exc}") from None
    return web.Response(body=token, content_type="application/timestamp-reply")
