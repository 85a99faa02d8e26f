"""The OpenAPI document (GET /api/openapi.json) is a valid OpenAPI 3.1 document: every
`$ref` resolves, and every status an operation can answer is documented (issue 11: nine
referenced schemas were missing; 429 and 415 answers were undocumented)."""

from __future__ import annotations

from typing import Any

import pytest
from openapi_spec_validator import validate

from web.http.openapi import document

SAFE = ("get", "head", "options")


def _refs(node: Any, at: str = "#") -> list[tuple[str, str]]:
    if isinstance(node, dict):
        found = [(at, node["$ref"])] if "$ref" in node else []
        for key, value in node.items():
            found += _refs(value, f"{at}/{key}")
        return found
    if isinstance(node, list):
        return [r for i, value in enumerate(node) for r in _refs(value, f"{at}/{i}")]
    return []


def _resolve(doc: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), f"not a local reference: {ref}"
    node: Any = doc
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        assert isinstance(node, dict) and part in node, f"{ref} does not resolve at {part!r}"
        node = node[part]
    return node


def _operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method, path, op) for path, item in doc["paths"].items()
            for method, op in item.items()]


def test_every_ref_resolves() -> None:
    doc = document()
    refs = _refs(doc)
    assert refs
    unresolved = []
    for at, ref in refs:
        try:
            _resolve(doc, ref)
        except AssertionError as exc:
            unresolved.append(f"{at}: {exc}")
    assert not unresolved, unresolved


def test_the_document_is_valid_openapi() -> None:
    validate(document())


def test_bodies_answer_413_and_415_and_writes_403() -> None:
    for method, path, op in _operations(document()):
        statuses = set(op["responses"])
        if "requestBody" in op:
            assert {"400", "413", "415"} <= statuses, (method, path, sorted(statuses))
        if method not in SAFE:  # a cross-site write is refused (web/http/security.py)
            assert "403" in statuses, (method, path, sorted(statuses))


def test_routes_that_take_a_code_or_a_password_without_a_session_answer_429() -> None:
    doc = document()
    throttled = {(m, p) for m, p, op in _operations(doc) if "429" in op["responses"]}
    assert {("post", "/api/session"), ("post", "/api/join")} <= throttled
    for method, path, op in _operations(doc):
        if op.get("security"):  # a Bearer join token is throttled, even on a staff route
            assert (method, path) in throttled, (method, path)
    retry = doc["paths"]["/api/join"]["post"]["responses"]["429"]
    assert "Retry-After" in retry["headers"]
    assert ("get", "/healthz") not in throttled and ("get", "/api/openapi.json") not in throttled


@pytest.mark.parametrize("status", ["401", "403"])
def test_staff_routes_answer_401_and_403(status: str) -> None:
    for method, path, op in _operations(document()):
        if op.get("security"):
            assert status in op["responses"], (method, path)


def test_a_route_adds_what_else_it_answers() -> None:
    from web.http.routing import ApiRoutes

    routes = ApiRoutes()

    @routes.route("GET", "/readyz", summary="ready", tag="system", auth="none", answers=(503,))
    async def ready(request: object) -> object:
        raise NotImplementedError

    (op,) = routes.operations
    assert op.errors == (400, 503)
