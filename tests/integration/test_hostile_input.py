"""Hostile input over real HTTP: every text field follows one rule, and JSON bodies are
bounded in depth and items — a clear 4xx JSON error, never a 500."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from hearings.adapters.database import Database
from tests.conftest import AUDIT_KEY
from tests.factories import Trial, make_mediation, make_trial
from tests.integration.confirmation.conftest import TERMS
from web.app.application import create_app
from web.keys import SERVICES
from web.settings import Secret, Settings

Client = TestClient[Any, Any]
Send = Callable[[str], Awaitable[Any]]


@pytest.fixture
async def app(database: Database, tmp_path: Any) -> web.Application:
    settings = Settings(data_dir=tmp_path, audit_key=Secret(AUDIT_KEY.decode()),
                        media_enabled=False)
    return create_app(settings, database=database)


@pytest.fixture
async def client(app: web.Application, aiohttp_client: Callable[..., Awaitable[Client]]) -> Client:
    return await aiohttp_client(app)


async def login(client: Client, username: str, password: str) -> dict[str, str]:
    r = await client.post("/api/session", json={"username": username, "password": password})
    assert r.status == 200, await r.text()
    return {"X-CSRF-Token": str((await r.json())["csrf_token"])}


# One-line fields: a lone surrogate is not I-JSON (RFC 7493), so read_json refuses the
# body; the rest is the domain's text rule.
ONE_LINE = [
    ("\udfff", "invalid_json", "lone surrogate"),
    ("张\u202e三", "invalid_input", "bidirectional control U+202E"),
    ("\u2066张三\u2069", "invalid_input", "bidirectional control U+2066"),
    ("张\x00三", "invalid_input", "control character U+0000"),
    ("张\x1b[2J三", "invalid_input", "control character U+001B"),
    ("张\x85三", "invalid_input", "control character U+0085"),
    ("张\n三", "invalid_input", "must be one line"),
]
FIELDS = ["site name", "case title", "hearing title", "participant name"]


async def _send_one_line(client: Client, trial: Trial, headers: dict[str, str], field: str,
                         value: str) -> Any:
    if field == "site name":
        return await client.post(f"/api/courts/{trial.court.id}/sites", headers=headers,
                                 json={"name": value, "kind": "courtroom"})
    if field == "case title":
        return await client.post("/api/cases", headers=headers, json={
            "court_id": trial.court.id, "case_type": "civil", "procedure": "民初", "title": value})
    if field == "hearing title":
        return await client.post("/api/hearings", headers=headers, json={
            "case_id": trial.case.id, "kind": "trial", "title": value,
            "scheduled_at": "2026-11-23T09:00:00+08:00"})
    return await client.post(f"/api/hearings/{trial.hearing.id}/participants", headers=headers,
                             json={"name": value, "role": "witness"})


async def _refused(r: Any, code: str, words: str) -> None:
    body = await r.json()
    assert r.status == 400, body
    assert body["error"]["code"] == code and words in body["error"]["message"], body


@pytest.mark.parametrize("field", FIELDS)
async def test_hostile_one_line_text_is_refused_everywhere(
    client: Client, app: web.Application, field: str
) -> None:
    trial = await make_trial(app[SERVICES])
    headers = await login(client, trial.clerk.username, "clerk-password-1")
    for value, code, words in ONE_LINE:
        await _refused(await _send_one_line(client, trial, headers, field, value), code, words)
    honest = await _send_one_line(client, trial, headers, field, "王𪜀 Müller")
    assert honest.status == 201, await honest.text()


async def test_hostile_record_text_is_refused_and_lines_are_kept(
    client: Client, app: web.Application
) -> None:
    trial = await make_trial(app[SERVICES])
    headers = await login(client, trial.clerk.username, "clerk-password-1")
    url = f"/api/hearings/{trial.hearing.id}/transcript"
    for value, code, words in ONE_LINE[:-1]:
        r = await client.put(url, headers=headers, json={"body": f"审：{value}", "version": 0})
        await _refused(r, code, words)
    body = "审：现在开庭。\n\t被告人：我叫张某。"
    r = await client.put(url, headers=headers, json={"body": body, "version": 0})
    assert r.status == 200, await r.text()
    assert (await (await client.get(url, headers=headers)).json())["body"] == body


async def test_hostile_agreement_terms_are_refused(client: Client, app: web.Application) -> None:
    scene = await make_mediation(app[SERVICES], judges=1)
    headers = await login(client, scene.mediator.username, "mediator-password-1")
    url = f"/api/mediations/{scene.hearing.id}/agreement"
    for key in ("obligor", "obligee", "obligation"):
        for value, code, words in ONE_LINE[:-1]:
            terms = [TERMS[0] | {key: f"刘{value}桂兰"}, TERMS[1]]
            r = await client.put(url, headers=headers, json={"facts": "纠纷。", "terms": terms})
            await _refused(r, code, words)
    for value, code, words in ONE_LINE[:-1]:
        r = await client.put(url, headers=headers, json={"facts": f"纠纷{value}", "terms": TERMS})
        await _refused(r, code, words)
    r = await client.put(url, headers=headers, json={
        "facts": "双方因院墙修缮发生纠纷。\n经调解达成如下协议。",
        "terms": [TERMS[0] | {"obligation": "一、赔偿修复费用；\n二、赔礼道歉。"}, TERMS[1]]})
    assert r.status == 200, await r.text()


def _nested(depth: int) -> bytes:
    return b'{"username": ' + b"[" * depth + b"]" * depth + b', "password": "x"}'


@pytest.mark.parametrize(("body", "status", "code", "words"), [
    (_nested(2_000), 400, "invalid_json", "nested deeper than 32"),
    (_nested(200_000), 400, "invalid_json", "nested deeper than 32"),
    (_nested(32), 400, "invalid_json", "nested deeper than 32"),
    (_nested(31), 400, "invalid_input", "'username' must be of type str"),
    (json.dumps({"username": [0] * 100_000, "password": "x"}).encode(), 413, "too_many_items",
     "more than 20000 items (got 100000)"),
    (json.dumps({"username": "u", "password": "x"} | {f"k{i}": i for i in range(50_000)}
                ).encode(), 413, "too_many_items", "more than 20000 items (got 50002)"),
    (b'{"username": "u", "password": "\\udfff"}', 400, "invalid_json", "lone surrogate"),
    (b'{"\\ud800": "u", "password": "x"}', 400, "invalid_json", "lone surrogate"),
    # PostgreSQL's text takes no U+0000: the login's lookup by username was a 500 there.
    (b'{"username": "a\\u0000b", "password": "x"}', 400, "invalid_input", "U+0000"),
    (b'{"username": "u", "password": "x", "k": [{"\\u0000": 1}]}', 400, "invalid_input",
     "U+0000"),
    # An escaped backslash before "u0000" is text, not an escape.
    (b'{"username": "a\\\\u0000", "password": "x"}', 401, "unauthenticated", "wrong"),
])
async def test_json_bodies_are_bounded(
    client: Client, body: bytes, status: int, code: str, words: str
) -> None:
    r = await client.post("/api/session", data=body, headers={"Content-Type": "application/json"})
    answer = await r.json()
    assert r.status == status, answer
    assert answer["error"]["code"] == code and words in answer["error"]["message"], answer


async def test_max_json_items_is_read_from_the_settings(
    database: Database, tmp_path: Any, aiohttp_client: Callable[..., Awaitable[Client]]
) -> None:
    settings = Settings(data_dir=tmp_path, audit_key=Secret(AUDIT_KEY.decode()),
                        media_enabled=False, max_json_items=3)
    client = await aiohttp_client(create_app(settings, database=database))
    for body, got in [({"username": [1, 2, 3, 4], "password": "x"}, 4),
                      ({"username": [[[1, 2, 3, 4]]], "password": "x"}, 4),
                      ({"username": "u", "password": "x", "z": {"a": 1, "b": 2, "c": 3, "d": 4}}, 4),
                      ({"username": "u", "password": "x", "a": 1, "b": 2}, 4)]:
        r = await client.post("/api/session", json=body)
        answer = await r.json()
        assert r.status == 413 and answer["error"] == {
            "code": "too_many_items",
            "message": f"a list or object in the request body has more than 3 items (got {got})"}
    r = await client.post("/api/session", json={"username": [[1, 2, 3]], "password": "x"})
    assert (await r.json())["error"]["code"] == "invalid_input"


async def test_a_large_honest_body_is_read_to_the_end(client: Client, app: web.Application) -> None:
    """A long record (450 kB of CJK) arrives in several chunks: all of them are read."""
    trial = await make_trial(app[SERVICES])
    headers = await login(client, trial.clerk.username, "clerk-password-1")
    url = f"/api/hearings/{trial.hearing.id}/transcript"
    body = "审：现在开庭。\n" * 18_750
    r = await client.put(url, headers=headers, json={"body": body, "version": 0})
    assert r.status == 200, await r.text()
    assert (await (await client.get(url, headers=headers)).json())["body"] == body


@pytest.mark.parametrize("name", ["party", "case_number", "reason"])
@pytest.mark.parametrize("value", ["张\x00三", "张\u202e三"])
async def test_recording_search_terms_follow_the_text_rule(
    client: Client, app: web.Application, name: str, value: str
) -> None:
    """Search terms reach the database and the audit log: a NUL was a 500 on PostgreSQL."""
    trial = await make_trial(app[SERVICES])
    headers = await login(client, trial.clerk.username, "clerk-password-1")
    r = await client.get("/api/recordings", params={name: value}, headers=headers)
    assert r.status == 400, await r.text()
    assert (await r.json())["error"]["code"] == "invalid_input"
