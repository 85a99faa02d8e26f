"""The tests' check of the API's answers against the OpenAPI document (tests/contract.py)
finds what it is there to find: a body of the wrong shape, a status the operation does
not list; and it leaves pages and files alone."""

from __future__ import annotations

from tests.contract import problems_of

HEARING = "/api/hearings/{hearing_id}"
JSON = "application/json"


def test_a_documented_answer_passes() -> None:
    assert problems_of("GET", HEARING, 200, b'{"id": "h1", "state": "scheduled"}', JSON) == []
    assert problems_of("GET", HEARING, 404,
                       b'{"error": {"code": "not_found", "message": "no hearing"}}', JSON) == []


def test_a_body_of_another_shape_is_named() -> None:
    assert problems_of("GET", HEARING, 200, b'{"id": 5}', JSON) == [
        f"GET {HEARING} → 200: id: 5 is not of type 'string'"]
    [problem] = problems_of("GET", HEARING, 404, b'{"error": {"code": "not_found"}}', JSON)
    assert "'message' is a required property" in problem


def test_a_status_the_document_does_not_list_is_named() -> None:
    [problem] = problems_of("GET", HEARING, 418, b"{}", JSON)
    assert "does not list this status" in problem


def test_what_is_not_the_api_is_left_alone() -> None:
    assert problems_of("GET", "/clerk/hearings/{hearing_id}/transcript", 200, b"<html>",
                       "text/html") == []
