"""Every JSON answer the API gives in a test is held to the OpenAPI document
(web/http/openapi.py): its status must be one the operation lists and its body must match
the schema given for that status. The request bodies' schemas come from their models
(web/http/payloads.py), which validate them; the answers' schemas are written by hand, and
this is what keeps them true (issue 14). YUNTING_TEST_CHECK_ANSWERS=0 turns it off.

tests/conftest.py puts `check_answers` in front of the product's middlewares and fails the
test whose requests drew an answer the document does not describe.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from functools import cache
from typing import Any

from aiohttp import web
from jsonschema import Draft202012Validator

from web.http.openapi import document

__all__ = ["check_answers", "problems_of", "take_problems"]

_problems: list[str] = []


@cache
def _responses() -> tuple[dict[tuple[str, str], dict[str, Any]], dict[str, Any]]:
    doc = document()
    operations = {(method.upper(), path): op["responses"]
                  for path, item in doc["paths"].items() for method, op in item.items()}
    return operations, doc["components"]


@cache
def _validator(method: str, path: str, status: str) -> Draft202012Validator | None:
    operations, components = _responses()
    entry = operations[(method, path)].get(status, {})
    schema = entry.get("content", {}).get("application/json", {}).get("schema")
    if schema is None:
        return None
    # The document's references (#/components/...) resolve inside this root.
    return Draft202012Validator({**schema, "components": components})


def problems_of(method: str, path: str, status: int, body: bytes | None,
                content_type: str) -> list[str]:
    operations, _ = _responses()
    responses = operations.get((method, path))
    if responses is None:  # a page, a static file, a socket: not the API
        return []
    where = f"{method} {path} → {status}"
    if str(status) not in responses:
        return [f"{where}: the document does not list this status ({sorted(responses)})"]
    validator = _validator(method, path, str(status))
    if validator is None or content_type != "application/json" or body is None:
        return []
    try:
        data = json.loads(body)
    except ValueError:
        return [f"{where}: the answer is not JSON"]
    return [f"{where}: {'/'.join(map(str, error.absolute_path)) or 'the body'}: "
            f"{error.message}" for error in validator.iter_errors(data)][:3]


@web.middleware
async def check_answers(request: web.Request,
                        handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                        ) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as exc:  # aiohttp's own answers (404 of an unknown path…)
        response = exc
    route = request.match_info.route
    resource = route.resource
    if resource is not None and not isinstance(response, web.FileResponse):
        body = response.body if isinstance(response, web.Response) else None
        _problems.extend(problems_of(
            request.method, resource.canonical, response.status,
            body if isinstance(body, bytes) else None, response.content_type))
    if isinstance(response, web.HTTPException):
        raise response
    return response


def take_problems() -> list[str]:
    found = list(_problems)
    _problems.clear()
    return found
