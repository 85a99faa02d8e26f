"""Where a case's uploaded scans are kept (hearings/services/efiles.py's `UploadStore`): beside the
documents, one folder per case — <id>.pdf the bytes as received, <id>.json what intake
recorded (name, SHA-256, size, who, when, and the TSA's token for the hash).

A scan is received to disk as it streams in (`receive`: hashed and counted on the way, never
held whole in memory, refused past the limit) into `.incoming/`, then moved into its case's
folder by `put` (a rename on the same file system)."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import os
import secrets
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

from hearings.domain.errors import NotFound, TooLarge
from hearings.services.efiles import StagedUpload, Upload

__all__ = ["FileUploadStore"]

HEAD = 16  # bytes kept for the magic check


class FileUploadStore:
    def __init__(self, root: Path) -> None:
        self._root = root

    def _folder(self, case_id: str) -> Path:
        if not case_id.isalnum():
            raise NotFound("case", case_id)
        return self._root / case_id

    @contextlib.asynccontextmanager
    async def receive(self, chunks: AsyncIterator[bytes], limit: int
                      ) -> AsyncIterator[StagedUpload]:
        """Write `chunks` to a staging file, hashing as they come; past `limit` bytes raise
        `TooLarge`. The file is gone after the block unless `put` took it."""
        incoming = self._root / ".incoming"
        await asyncio.to_thread(incoming.mkdir, parents=True, exist_ok=True)
        path = incoming / f"{secrets.token_hex(8)}.part"
        digest, size, head = hashlib.sha256(), 0, b""
        try:
            with path.open("wb") as stream:
                async for chunk in chunks:
                    size += len(chunk)
                    if size > limit:
                        raise TooLarge(f"an upload is at most {limit} bytes")
                    if len(head) < HEAD:
                        head += chunk[:HEAD - len(head)]
                    digest.update(chunk)
                    await asyncio.to_thread(stream.write, chunk)
                await asyncio.to_thread(_sync, stream)
            yield StagedUpload(path, digest.hexdigest(), size, head)
        finally:
            await asyncio.to_thread(path.unlink, True)

    async def put(self, upload: Upload, staged: StagedUpload) -> None:
        folder = self._folder(upload.case_id)
        meta = {"id": upload.id, "case_id": upload.case_id, "filename": upload.filename,
                "sha256": upload.sha256, "size": upload.size,
                "uploaded_by": upload.uploaded_by, "at": upload.at.isoformat(),
                "timestamp_token": base64.b64encode(upload.timestamp_token).decode()}
        await asyncio.to_thread(_take, staged.path, folder / f"{upload.id}.pdf")
        await asyncio.to_thread(_write, folder / f"{upload.id}.json",
                                json.dumps(meta, ensure_ascii=False).encode())

    async def get(self, case_id: str, upload_id: str) -> tuple[Upload, bytes]:
        if not upload_id.isalnum():
            raise NotFound("upload", upload_id)
        folder = self._folder(case_id)
        try:
            meta = await asyncio.to_thread((folder / f"{upload_id}.json").read_bytes)
            data = await asyncio.to_thread((folder / f"{upload_id}.pdf").read_bytes)
        except FileNotFoundError:
            raise NotFound("upload", upload_id) from None
        return _upload(json.loads(meta)), data

    async def of_case(self, case_id: str) -> list[Upload]:
        return await asyncio.to_thread(self._list, self._folder(case_id))

    @staticmethod
    def _list(folder: Path) -> list[Upload]:
        if not folder.is_dir():
            return []
        return sorted((_upload(json.loads(p.read_bytes())) for p in folder.glob("*.json")),
                      key=lambda u: u.at)


def _upload(meta: dict[str, Any]) -> Upload:
    return Upload(meta["case_id"], meta["filename"], meta["sha256"], meta["size"],
                  meta["uploaded_by"], base64.b64decode(meta["timestamp_token"]),
                  id=meta["id"], at=datetime.fromisoformat(meta["at"]))


def _sync(stream: Any) -> None:
    stream.flush()
    os.fsync(stream.fileno())


def _take(staged: Path, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    os.replace(staged, path)


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    with tmp.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
