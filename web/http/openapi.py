"""The OpenAPI 3 document, generated from the routes' own descriptions (web.http.routing)."""

from __future__ import annotations

import functools
import json
import re
from typing import Any

from hearings.domain.states import RecordingState
from web.http.routing import Operation

__all__ = ["SCHEMAS", "document", "document_json", "operations"]

def _nullable(name: str) -> dict[str, Any]:
    return {"oneOf": [{"$ref": f"#/components/schemas/{name}"}, {"type": "null"}]}


_ERROR = {"type": "object", "required": ["error"], "properties": {"error": {
    "type": "object", "required": ["code", "message"],
    "properties": {"code": {"type": "string", "example": "hearing_closed"},
                   "message": {"type": "string"}}}}}

SCHEMAS: dict[str, Any] = {
    "Error": _ERROR,
    "Court": {"type": "object", "properties": {"id": {"type": "string"},
                                               "name": {"type": "string"},
                                               "code": {"type": "string"}}},
    "Site": {"type": "object", "properties": {"id": {"type": "string"},
                                              "name": {"type": "string"},
                                              "kind": {"type": "string"}}},
    "Case": {"type": "object", "properties": {"id": {"type": "string"},
                                              "number": {"type": "string"}}},
    "Participant": {"type": "object", "properties": {"id": {"type": "string"},
                                                     "name": {"type": "string"},
                                                     "role": {"type": "string"},
                                                     "state": {"type": "string"}}},
    "Hearing": {"type": "object", "properties": {
        "id": {"type": "string"}, "state": {"type": "string"},
        "recording_state": {"type": "string"},
        "participants": {"type": "array", "items": {"$ref": "#/components/schemas/Participant"}}}},
    "JoinLink": {"type": "object", "properties": {"url": {"type": "string"},
                                                  "code": {"type": "string"},
                                                  "kiosk_code": {
        "type": ["string", "null"], "description": "8 digits for a kiosk enrolled to the "
        "participant's site, on the hearing's day; null for someone joining online"},
                                                  "expires_at": {"type": "string"}}},
    "Kiosk": {"type": "object", "properties": {
        "id": {"type": "string"}, "site_id": {"type": "string"}, "label": {"type": "string"},
        "created_at": {"type": "string", "format": "date-time"},
        "revoked_at": {"type": ["string", "null"], "format": "date-time"}}},
    "EnrolledKiosk": {"type": "object", "description": "a Kiosk and its credential, shown "
                      "once", "properties": {
        "id": {"type": "string"}, "site_id": {"type": "string"}, "label": {"type": "string"},
        "created_at": {"type": "string", "format": "date-time"},
        "revoked_at": {"type": ["string", "null"]}, "secret": {"type": "string"},
        "setup_url": {"type": "string", "description": "open once on the kiosk"}}},
    "Slot": {"type": "object", "description": "a judge's or mediator's slot for e+ clinic "
             "bookings", "properties": {
        "id": {"type": "string"}, "host_user_id": {"type": "string"},
        "starts_at": {"type": "string", "format": "date-time"},
        "ends_at": {"type": "string", "format": "date-time"},
        "services": {"type": "array", "items": {"type": "string"}},
        "withdrawn_at": {"type": ["string", "null"]}}},
    "Booking": {"type": "object", "properties": {
        "id": {"type": "string"}, "slot_id": {"type": "string"},
        "hearing_id": {"type": "string", "description": "the consultation hearing"},
        "site_id": {"type": "string"}, "service": {"type": "string"},
        "name": {"type": "string"}, "participant_id": {"type": "string"},
        "created_at": {"type": "string", "format": "date-time"},
        "mediation_hearing_id": {"type": ["string", "null"]}}},
    "KioskDay": {"type": "object", "required": ["site", "slots"], "description": "the free "
                 "slots of a day at the kiosk's clinic", "properties": {
        "site": {"type": "object", "properties": {"id": {"type": "string"},
                                                  "name": {"type": "string"}}},
        "slots": {"type": "array", "items": {"$ref": "#/components/schemas/Slot"}}}},
    "DaySlot": {"type": "object", "description": "a Slot and its booking (or null)",
                "properties": {"id": {"type": "string"},
                               "starts_at": {"type": "string", "format": "date-time"},
                               "booking": {"oneOf": [
                                   {"$ref": "#/components/schemas/Booking"},
                                   {"type": "null"}]}}},
    "Booked": {"type": "object", "description": "a booking with the villager's join link "
               "(not at a kiosk) and kiosk code, shown once", "properties": {
        "booking": {"$ref": "#/components/schemas/Booking"},
        "case_number": {"type": "string"},
        "scheduled_at": {"type": "string", "format": "date-time"},
        "join_url": {"type": "string"}, "code": {"type": "string"},
        "kiosk_code": {"type": "string"}, "expires_at": {"type": "string"}}},
    "Admission": {"type": "object", "properties": {
        "hearing": {"$ref": "#/components/schemas/Hearing"},
        "participant": {"$ref": "#/components/schemas/Participant"}}},
    "Session": {"type": "object", "properties": {"user": {"type": "object"},
                                                 "csrf_token": {"type": "string"}}},
    "StaffAccount": {"type": "object", "properties": {
        "id": {"type": "string"}, "username": {"type": "string"},
        "display_name": {"type": "string"}, "role": {"type": "string"},
        "court_id": {"type": ["string", "null"]}, "on_duty": {"type": "boolean"},
        "active": {"type": "boolean"}, "must_change_password": {"type": "boolean"}}},
    "IssuedPassword": {"type": "object", "properties": {
        "user": {"$ref": "#/components/schemas/StaffAccount"},
        "one_time_password": {"type": "string", "description": "shown once; the account "
                              "must change it at its first login"}}},
    "RecordingFile": {"type": "object", "properties": {
        "name": {"type": "string"}, "size": {"type": "integer"},
        "kind": {"enum": ["segment", "sidecar", "composite", "gaps", "manifest", "token",
                          "other"]},
        "participant_id": {"type": ["string", "null"]},
        "duration": {"type": ["number", "null"]}, "sha256": {"type": ["string", "null"]},
        "url": {"type": "string"}}},
    "Recording": {"type": "object", "properties": {
        "hearing": {"$ref": "#/components/schemas/Hearing"},
        "case_number": {"type": "string"},
        "recording_state": {"enum": [s.value for s in RecordingState]},
        "sealed": {"type": "boolean", "description": "manifest written and timestamped"},
        "complete": {"type": ["boolean", "null"],
                     "description": "sealed with nothing missing (null until sealed)"},
        "missing_seconds": {"type": ["object", "null"],
                            "additionalProperties": {"type": "number"},
                            "description": "seconds missing per participant"},
        "composite_error": {"type": ["string", "null"],
                            "description": "why no composite was made, if it was not"},
        "duration": {"type": ["number", "null"], "description": "seconds"},
        "files": {"type": "array", "items": {"$ref": "#/components/schemas/RecordingFile"}}}},
    "RecordingFailing": {"type": "object", "required": ["hearing_id", "failing"], "properties": {
        "hearing_id": {"type": "string"},
        "failing": {"type": "array", "items": {"type": "object", "properties": {
            "participant_id": {"type": "string"},
            "reason": {"type": ["string", "null"],
                       "description": "connection_lost, media_timeout, writer_error…"},
            "since": {"type": ["number", "null"], "description": "Unix time"}}}}}},
    "VerificationReport": {"type": "object", "properties": {
        "ok": {"type": "boolean"}, "hearing_id": {"type": "string"},
        "files_checked": {"type": "integer"},
        "altered": {"type": "array", "items": {"type": "string"}},
        "missing": {"type": "array", "items": {"type": "string"}},
        "unexpected": {"type": "array", "items": {"type": "string"}},
        "timestamp": {"enum": ["missing", "imprint_mismatch", "imprint_ok", "valid", "invalid",
                               "unchecked"]},
        "errors": {"type": "array", "items": {"type": "string"}}}},
    "DocumentLink": {"type": "object", "required": ["id", "url"], "properties": {
        "id": {"type": "string"}, "url": {"type": "string"}}},
    "Application": {"type": "object", "description": "an application for judicial confirmation",
                    "properties": {
        "id": {"type": "string"}, "case_number": {"type": "string"},
        "state": {"type": "string"}, "mediation_hearing_id": {"type": "string"},
        "decision": {"type": ["string", "null"]},
        "grounds": {"type": ["array", "null"], "items": {"type": "string"}},
        "reasons": {"type": ["string", "null"]}, "taken_by": {"type": ["string", "null"]},
        "agreement_document": _nullable("DocumentLink"),
        "application_document": _nullable("DocumentLink"),
        "ruling_document": _nullable("DocumentLink"),
        "timings": {"type": "object", "description": "ISO 8601 times of each step"}}},
    "ApplicationEnvelope": {"type": "object", "required": ["application"], "properties": {
        "application": {"$ref": "#/components/schemas/Application"}}},
    "Mediation": {"type": "object", "properties": {
        "hearing_id": {"type": "string"}, "case_number": {"type": "string"},
        "state": {"type": "string"},
        "agreement": {"type": ["object", "null"], "properties": {
            "facts": {"type": "string"}, "terms": {"type": "array", "items": {"type": "object"}}}},
        "parties": {"type": "array", "items": {"type": "object", "properties": {
            "participant_id": {"type": "string"}, "name": {"type": "string"},
            "role": {"type": "string"}}}},
        "signing": {"type": ["object", "null"], "properties": {
            "order": {"type": "array", "items": {"type": "object"}},
            "next": {"type": ["string", "null"]}}},
        "document": _nullable("DocumentLink"),
        "application": _nullable("Application"),
        "ruling": {"type": ["object", "null"]}}},
    "DutyQueue": {"type": "object", "required": ["applications"], "properties": {
        "applications": {"type": "array", "items": {"type": "object"}}}},
    "Decision": {"type": "object", "properties": {
        "ruling": {"type": "object", "properties": {
            "id": {"type": "string"}, "url": {"type": "string"},
            "decision": {"type": "string"}, "sha256": {"type": "string"}}},
        "timings": {"type": "object"},
        "application": {"$ref": "#/components/schemas/Application"}}},
    "Grounds": {"type": "array", "items": {"type": "object", "properties": {
        "code": {"type": "string"}, "label": {"type": "string"}, "basis": {"type": "string"}}}},
    "ConfirmationStats": {"type": "object", "properties": {
        "count": {"type": "integer"},
        "median_apply_to_delivery_s": {"type": ["number", "null"]},
        "median_decide_to_delivery_ms": {"type": ["number", "null"]}}},
    "Verification": {"type": "object", "description": "docforge's verification of a PDF",
                     "properties": {
        "ok": {"type": "boolean"}, "kind": {"type": ["string", "null"]},
        "signatures": {"type": "array", "items": {"type": "object"}},
        "problems": {"type": "array", "items": {"type": "string"}}}},
    "Receipt": {"type": "object", "properties": {
        "id": {"type": "string"}, "document_id": {"type": "string"},
        "recipient": {"type": "string"}, "how": {"enum": ["screen", "print", "download"]},
        "sha256": {"type": "string"}, "at": {"type": "string", "format": "date-time"}}},
    "AccessLogPage": {"type": "object", "description": "who read which recording or "
                      "document, when, from where, why (newest first)", "properties": {
        "total": {"type": "integer"}, "offset": {"type": "integer"},
        "limit": {"type": "integer"},
        "entries": {"type": "array", "items": {"type": "object", "properties": {
            "seq": {"type": "integer"}, "at": {"type": "string", "format": "date-time"},
            "action": {"enum": ["recording.streamed", "recording.packaged",
                                "recording.verified", "document.read"]},
            "actor": {"type": "string"}, "person": {"type": "string"},
            "role": {"type": ["string", "null"]}, "hearing_id": {"type": ["string", "null"]},
            "case_id": {"type": ["string", "null"]},
            "case_number": {"type": ["string", "null"]}, "target": {"type": "string"},
            "address": {"type": ["string", "null"]},
            "reason": {"type": ["string", "null"]}}}}}},
    "CaseInquiry": {"type": "object", "description": "One Case, One Code (一案一码)",
                    "properties": {
        "case_id": {"type": "string"}, "code": {"type": "string", "example": "7KQ2-M9XD-4HFT"},
        "url": {"type": "string", "description": "what a summons prints as a QR code"},
        "enabled": {"type": ["boolean", "null"], "description": "null: the default (on, "
                    "except for a juvenile case)"},
        "juvenile": {"type": "boolean"}, "open": {"type": "boolean"}}},
    "CaseUpload": {"type": "object", "description": "a scan taken into a case's e-file",
                   "properties": {
        "id": {"type": "string"}, "case_id": {"type": "string"},
        "filename": {"type": "string"}, "sha256": {"type": "string"},
        "size": {"type": "integer"}, "uploaded_by": {"type": "string"},
        "at": {"type": "string", "format": "date-time"}, "timestamped": {"type": "boolean"}}},
    "EfileContents": {"type": "object", "properties": {
        "id": {"type": "string"}, "source": {"enum": ["document", "upload"]},
        "kind": {"type": "string"}, "title": {"type": "string"},
        "sha256": {"type": "string"}, "at": {"type": "string", "format": "date-time"}}},
    "InquiryDigits": {"type": "object", "properties": {
        "participant_id": {"type": "string"},
        "kinds": {"type": "array", "items": {"enum": ["id_number", "phone"]}}}},
    "InquiryProgress": {"type": "object", "description": "all an inquiry discloses",
                        "properties": {
        "stage": {"enum": ["filed", "scheduled", "heard", "mediated", "concluded"]},
        "stage_label": {"type": "string"},
        "next_date": {"type": ["string", "null"], "format": "date-time"}}},
}

_ERRORS = {400: "bad input", 401: "not logged in", 403: "forbidden or token refused",
           404: "not found", 409: "illegal transition or conflict",
           413: "body too large, or too many items", 415: "body not JSON",
           429: "too many refused tries from this client: wait Retry-After seconds",
           503: "a service it depends on is unavailable"}
_RETRY_AFTER = {"Retry-After": {"description": "seconds to wait",
                                "schema": {"type": "integer", "minimum": 1}}}
_PATH_PARAM = re.compile(r"{(\w+)(?::[^{}]+)?}")  # aiohttp's {name} and {name:regex}


def operations() -> list[Operation]:
    from web.http.api import ROUTES

    return [op for routes in ROUTES for op in routes.operations]


def _result_schema(name: str) -> dict[str, Any]:
    if name.endswith("[]"):
        return {"type": "array", "items": {"$ref": f"#/components/schemas/{name[:-2]}"}}
    return {"$ref": f"#/components/schemas/{name}"}


def _operation(op: Operation) -> dict[str, Any]:
    slug = re.sub(r"\W+", "_", _PATH_PARAM.sub(r"{\1}", op.path)).strip("_")
    spec: dict[str, Any] = {"summary": op.summary, "tags": [op.tag],
                            "operationId": f"{op.method.lower()}_{slug}"}
    params = _PATH_PARAM.findall(op.path)
    parameters = [{"name": p, "in": "path", "required": True, "schema": {"type": "string"}}
                  for p in params] + [{"in": "query", **q} for q in op.query]
    if parameters:
        spec["parameters"] = parameters
    if op.deprecated:
        spec["deprecated"] = True
    if op.body:
        spec["requestBody"] = {"required": True, "content": {"application/json": {
            "schema": {"$ref": f"#/components/schemas/{op.body.__name__}"}}}}
    ok: dict[str, Any] = {"description": "ok"}
    if op.result:
        ok["content"] = {"application/json": {"schema": _result_schema(op.result)}}
    responses: dict[str, Any] = {str(op.ok): ok}
    if op.produces:
        ok["content"] = {op.produces: {"schema": {"type": "string", "format": "binary"}}}
        if op.method == "GET":  # files are served with HTTP Range
            responses["206"] = {"description": "partial content (HTTP Range)",
                                "content": ok["content"]}
    for status in op.errors:
        responses[str(status)] = {"description": _ERRORS[status], "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        if status == 429:
            responses[str(status)]["headers"] = _RETRY_AFTER
    spec["responses"] = responses
    if op.auth == "staff":
        spec["security"] = [{"session": []}]
    elif op.auth == "staff_or_token":
        spec["security"] = [{"session": []}, {"joinToken": []}]
    return spec


def _body_schemas(ops: list[Operation]) -> dict[str, Any]:
    """Each request body's schema, written by its model (web.http.payloads)."""
    schemas: dict[str, Any] = {}
    models: dict[str, type] = {}
    for op in ops:
        if op.body is None or models.get(op.body.__name__) is op.body:
            continue
        name = op.body.__name__
        if name in models or name in SCHEMAS:
            raise ValueError(f"two request bodies are named {name}: {op.body.__module__} "
                             f"and {models.get(name, SCHEMAS).__module__}")
        models[name] = op.body
        schema = op.body.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(schema.pop("$defs", {}))
        schemas[name] = schema
    return schemas


@functools.cache
def document_json() -> bytes:
    """The document as served: the same for the life of the process, so built once (each
    request body's schema is generated from its model, ~10 ms of CPU a time)."""
    return json.dumps(document(), ensure_ascii=False).encode("utf-8")


def document() -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    ops = operations()
    for op in ops:
        path = _PATH_PARAM.sub(r"{\1}", op.path)
        paths.setdefault(path, {})[op.method.lower()] = _operation(op)
    return {
        "openapi": "3.1.0",
        "info": {"title": "yunting 云庭", "version": "0.1.0",
                 "description": "Remote hearings, recorded evidence and instant judicial "
                                "confirmation. Errors: {\"error\": {\"code\", \"message\"}}."},
        "paths": paths,
        "components": {
            "schemas": {**SCHEMAS, **_body_schemas(ops)},
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": "yunting_session",
                            "description": "writes also need the X-CSRF-Token header"},
                "joinToken": {"type": "http", "scheme": "bearer",
                              "description": "a participant's join secret"},
            },
        },
    }
