"""No timestamping service over HTTP: a token proves *when*, never *who*, and a public TSA
let anyone stamp a forged evidence manifest. Tokens are made only for the court's own
signatures and packages (docforge, in process or from YUNTING_TSA_URL)."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient
from asn1crypto import algos, tsp

from web.app.application import create_app
from web.keys import FORGE
from web.settings import Settings

Client = TestClient[Any, Any]


def query(digest: bytes) -> bytes:
    return tsp.TimeStampReq({
        "version": "v1",
        "message_imprint": tsp.MessageImprint({
            "hash_algorithm": algos.DigestAlgorithm({"algorithm": "sha256"}),
            "hashed_message": digest}),
        "nonce": secrets.randbits(63),
        "cert_req": True,
    }).dump()


async def test_nobody_gets_a_token_over_http(
    tmp_path: Path, aiohttp_client: Callable[..., Awaitable[Client]]
) -> None:
    app = create_app(Settings(data_dir=tmp_path, media_enabled=False))
    client = await aiohttp_client(app)
    digest = hashlib.sha256(b"forged manifest").digest()
    response = await client.post("/api/tsa", data=query(digest),
                                 headers={"Content-Type": "application/timestamp-query"})
    assert response.status == 404, await response.read()
    assert response.content_type == "application/json"
    spec = await (await client.get("/api/openapi.json")).json()
    assert "/api/tsa" not in spec["paths"]


async def test_the_court_still_timestamps_its_own_digests(
    tmp_path: Path, aiohttp_client: Callable[..., Awaitable[Client]]
) -> None:
    app = create_app(Settings(data_dir=tmp_path, media_enabled=False))
    await aiohttp_client(app)
    digest = hashlib.sha256(b"manifest").digest()
    token = await app[FORGE].atimestamp_digest(digest)
    assert await app[FORGE].averify_timestamp(token, digest)
    assert not await app[FORGE].averify_timestamp(token, hashlib.sha256(b"other").digest())
