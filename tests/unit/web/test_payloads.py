"""Request bodies (web/http/payloads.py): one model validates a body, words its refusal as the
API always has, and is the body's schema in the OpenAPI document (issue 14, item 5)."""

from __future__ import annotations

from typing import Annotated, Any

import pytest
from pydantic import Field, ValidationError

from hearings.domain.hearing import HearingKind
from web.http.openapi import document, operations
from web.http.payloads import OneOf, Payload, Time, _wording


class Sample(Payload):
    name: str
    count: int | None = None
    urgent: bool = False
    at: Time | None = None
    kind: Annotated[HearingKind, OneOf(HearingKind)] = HearingKind.TRIAL
    action: Annotated[str, OneOf(("open", "close"))] = "open"
    terms: Any = Field(None, json_schema_extra={"type": "array"})
    checked_by_domain = ("terms",)


def refusal(data: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as refused:
        Sample.model_validate(data)
    return _wording(refused.value)


@pytest.mark.parametrize(("data", "message"), [
    ({}, "'name' is required"),
    ({"name": None}, "'name' is required"),  # a null is a field left out
    ({"name": 5}, "'name' must be of type str (got int)"),
    ({"name": "x", "count": "3"}, "'count' must be of type int (got str)"),
    ({"name": "x", "count": True}, "'count' must be of type int (got bool)"),
    ({"name": "x", "urgent": 1}, "'urgent' must be of type bool (got int)"),
    ({"name": "x", "kind": "duel"},
     f"'kind' must be in {[k.value for k in HearingKind]} (got 'duel')"),
    ({"name": "x", "action": "open\n"}, "'action' must be in ['close', 'open'] (got 'open\\n')"),
    ({"name": "x", "at": "tomorrow"}, "'at' must be an ISO 8601 time (got 'tomorrow')"),
    ({"name": "x", "at": 9}, "'at' must be of type str (got int)"),
])
def test_a_refusal_keeps_the_api_s_wording(data: dict[str, Any], message: str) -> None:
    assert refusal(data) == message


# A year-10000 instant in UTC passed the parser once and failed later as an OverflowError (a
# 500) when a service stored or converted it.
@pytest.mark.parametrize("raw", ["9999-12-31T23:00:00-12:00", "0001-01-01T00:30:00+14:00"])
def test_a_time_out_of_range_is_refused(raw: str) -> None:
    assert refusal({"name": "x", "at": raw}) == f"'at' is out of range (got {raw!r})"


def test_a_time_without_a_zone_is_refused() -> None:
    assert refusal({"name": "x", "at": "2026-12-03T09:00:00"}) == (
        "'at' must carry a time zone, e.g. 2026-11-23T09:00:00+08:00")


def test_a_body_is_read_into_its_model() -> None:
    body = Sample.model_validate({"name": "x", "count": 2, "urgent": True, "kind": "mediation",
                                  "at": "2026-12-03T09:00:00+08:00", "unknown": 1, "terms": [1]})
    assert (body.count, body.urgent, body.kind, body.terms) == (2, True, HearingKind.MEDIATION,
                                                               [1])
    assert body.at is not None and body.at.utcoffset() is not None


def test_the_document_shows_what_the_model_checks() -> None:
    schema = Sample.model_json_schema()
    assert schema["required"] == ["name", "terms"]
    assert schema["properties"]["kind"] == {"enum": [k.value for k in HearingKind],
                                            "default": "trial"}
    assert schema["properties"]["at"]["anyOf"][0]["format"] == "date-time"
    assert "title" not in schema["properties"]["name"]


def test_every_request_body_in_the_document_is_its_model_s_schema() -> None:
    bodies = {op.body for op in operations() if op.body is not None}
    assert len(bodies) > 30
    schemas = document()["components"]["schemas"]
    for model in bodies:
        written = model.model_json_schema(ref_template="#/components/schemas/{model}")
        written.pop("$defs", None)
        assert schemas[model.__name__] == written, model.__name__


async def test_a_handler_cannot_read_a_model_its_route_does_not_declare() -> None:
    from aiohttp.test_utils import make_mocked_request

    from web.http.payloads import DECLARED, read_payload

    request = make_mocked_request("POST", "/api/x")
    request[DECLARED] = None  # the route declared no body
    with pytest.raises(RuntimeError, match="reads Sample but its route declares None"):
        await read_payload(request, Sample)
