"""Where a case's uploaded scans are kept (hearings/efiles.py's `UploadStore`): beside the
documents, one folder per case — <id>.pdf the bytes as received, <id>.json what intake
recorded (name, SHA-256, size, who, when, and the TSA's token for the hash)."""

from __future__ import annotations

import asyncio
import base64
import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from hearings.efiles import Upload
from hearings.errors import NotFound

__all__ = ["FileUploadStore"]


class FileUploadStore:
    def __init__(self, root: Path) -> None:
        self._root = root

    def _folder(self, case_id: str) -> Path:
        if not case_id.isalnum():
            raise NotFound("case", case_id)
        return self._root / case_id

    async def put(self, upload: Upload, data: bytes) -> None:
        folder = self._folder(upload.case_id)
        meta = {"id": upload.id, "case_id": upload.case_id, "filename": upload.filename,
                "sha256": upload.sha256, "size": upload.size,
                "uploaded_by": upload.uploaded_by, "at": upload.at.isoformat(),
                "timestamp_token": base64.b64encode(upload.timestamp_token).decode()}
        await asyncio.to_thread(_write, folder / f"{upload.id}.pdf", data)
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


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    with tmp.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
