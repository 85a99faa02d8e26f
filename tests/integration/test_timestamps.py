"""The development TSA over HTTP answers RFC 3161 queries with tokens the forge accepts."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient
from asn1crypto import algos, tsp

from web.app import create_app
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


async def test_a_granted_token_covers_the_digest(
    tmp_path: Path, aiohttp_client: Callable[..., Awaitable[Client]]
) -> None:
    app = create_app(Settings(data_dir=tmp_path, media_enabled=False))
    client = await aiohttp_client(app)
    digest = hashlib.sha256(b"manifest").digest()
    response = await client.post("/api/tsa", data=query(digest),
                                 headers={"Content-Type": "application/timestamp-query"})
    assert response.status == 200
    assert response.content_type == "application/timestamp-reply"
    reply = tsp.TimeStampResp.load(await response.read())
    assert reply["status"]["status"].native == "granted"
    token = reply["time_stamp_token"].dump()
    assert await app[FORGE].averify_timestamp(token, digest)
    assert not await app[FORGE].averify_timestamp(token, hashlib.sha256(b"other").digest())


async def test_bad_queries_get_clear_errors(
    tmp_path: Path, aiohttp_client: Callable[..., Awaitable[Client]]
) -> None:
    client = await aiohttp_client(create_app(Settings(data_dir=tmp_path, media_enabled=False)))
    wrong_type = await client.post("/api/tsa", data=b"x", headers={"Content-Type": "text/plain"})
    assert wrong_type.status == 415
    assert (await wrong_type.json())["error"]["code"] == "invalid_input"
    huge = await client.post("/api/tsa", data=b"\x30" * 5000,
                             headers={"Content-Type": "application/timestamp-query"})
    assert huge.status == 400
    garbage = await client.post("/api/tsa", data=b"not der",
                                headers={"Content-Type": "application/timestamp-query"})
    if garbage.status == 200:  # RFC 3161 allows a rejection reply ...
        reply = tsp.TimeStampResp.load(await garbage.read())
        assert reply["status"]["status"].native == "rejection"
    else:  # ... or the API's own clear error
        assert garbage.status == 400
        assert (await garbage.json())["error"]["code"] == "invalid_input"
