"""The clerk's case e-file as a job (`efile.compile`): `start` checks who asks and what, keeps
a job record and queues it; `run` (in this process, or a `yunting jobs` worker) builds it,
writing its progress into the job record; the page polls `status` and downloads the result.

The job record lives in Redis when the jobs are queued (any web process answers the poll), else
in this process. The result is `<data dir>/efiles/<job id>.pdf`, written whole or not at
all (temp + rename); a retried job finds it and does not build it again.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from hearings.domain.actors import Actor
from hearings.domain.errors import HearingsError, InvalidInput, NotFound
from hearings.domain.identity import utcnow
from hearings.services.efiles import CompiledCaseEfile, EfileItem, EfilePlan, Efiles
from web.bridges.jobs import Jobs
from web.settings import Settings

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from docforge.forge import DocumentForge
    from web.app.bootstrap import Services

__all__ = ["EfileJobs", "MemoryStatus", "RedisStatus", "StatusStore", "efile_service",
           "status_store"]

log = logging.getLogger("yunting.jobs")

RECORD_TTL_S = 7 * 24 * 3600


class StatusStore(Protocol):
    async def put(self, job_id: str, record: dict[str, Any]) -> None: ...
    async def get(self, job_id: str) -> dict[str, Any] | None: ...


@dataclass
class MemoryStatus:
    """This process's job records (the embedded default)."""

    records: dict[str, dict[str, Any]] = field(default_factory=dict)

    async def put(self, job_id: str, record: dict[str, Any]) -> None:
        self.records[job_id] = dict(record)

    async def get(self, job_id: str) -> dict[str, Any] | None:
        found = self.records.get(job_id)
        return dict(found) if found is not None else None


class RedisStatus:
    """Job records every process reads (JSON, kept a week)."""

    def __init__(self, redis: Redis, namespace: str, kind: str = "efile") -> None:
        self._redis = redis
        self._prefix = f"{namespace}:{kind}:"

    async def put(self, job_id: str, record: dict[str, Any]) -> None:
        await self._redis.set(self._prefix + job_id, json.dumps(record, ensure_ascii=False),
                              ex=RECORD_TTL_S)

    async def get(self, job_id: str) -> dict[str, Any] | None:
        raw = await self._redis.get(self._prefix + job_id)
        return json.loads(raw) if raw else None


def status_store(settings: Settings, redis: Redis | None, kind: str = "efile") -> StatusStore:
    """Job records of one kind: in Redis when the jobs are queued, else in this process."""
    if redis is None:
        return MemoryStatus()
    return RedisStatus(redis, settings.jobs_namespace, kind)


def efile_service(settings: Settings, forge: DocumentForge, services: Services) -> Efiles:
    """Efiles over the document store, the uploads folder and the forge (compile in a
    thread: pikepdf and pyHanko block)."""
    from docforge.efile import EfileDocument
    from docforge.errors import EfileError
    from web.bridges.documents import ForgeDocuments
    from web.bridges.efile_store import FileUploadStore

    documents_root = settings.archive_dir / "documents"

    async def compile_(items: Sequence[EfileItem], case_number: str, court: str
                       ) -> tuple[bytes, int]:
        docs = [EfileDocument(i.name, i.data, i.title) for i in items]
        try:
            result = await asyncio.to_thread(forge.compile_efile, docs, case_number, court)
        except EfileError as exc:
            raise InvalidInput(str(exc)) from None
        return result.data, result.page_count

    return services.efiles(store=FileUploadStore(documents_root / "uploads"),
                           read_document=ForgeDocuments(forge, documents_root).read,
                           timestamp=forge.atimestamp_digest, compile=compile_)


class EfileJobs:
    def __init__(self, efiles: Efiles, status: StatusStore, results: Path,
                 jobs: Jobs | None = None) -> None:
        self.efiles = efiles
        self._status = status
        self._results = results
        self.jobs = jobs  # the web side submits; a worker only runs

    @classmethod
    def for_settings(cls, settings: Settings, forge: DocumentForge,
                     services: Services, status: StatusStore,
                     jobs: Jobs | None = None) -> EfileJobs:
        return cls(efile_service(settings, forge, services), status,
                   settings.data_dir / "efiles", jobs)

    def result_path(self, job_id: str) -> Path:
        if not job_id.isalnum():
            raise NotFound("e-file job", job_id)
        return self._results / f"{job_id}.pdf"

    # -- the web side ----------------------------------------------------------------
    async def start(self, actor: Actor, case_id: str, ids: Sequence[str],
                    address: str | None) -> dict[str, Any]:
        """Checked now (403/404/400 before anything is queued), built by a job."""
        assert self.jobs is not None, "create_app hands the jobs in"
        plan = await self.efiles.plan(actor, case_id, ids)
        job_id = secrets.token_hex(12)
        now = utcnow().isoformat()
        record = {"job_id": job_id, "case_id": plan.case_id, "case_number": plan.case_number,
                  "court": plan.court, "items": list(plan.items), "by": actor.label,
                  "address": address, "state": "queued", "progress": 0, "stage": "queued",
                  "created_at": now, "updated_at": now}
        await self._status.put(job_id, record)
        await self.jobs.submit("efile.compile", job_id=job_id)
        return public(record)

    async def status(self, actor: Actor, case_id: str, job_id: str) -> dict[str, Any]:
        await self.efiles.allowed(actor, case_id)
        record = await self._status.get(job_id) if job_id.isalnum() else None
        if record is None or record["case_id"] != case_id:
            raise NotFound("e-file job", job_id)
        return public(record)

    # -- the job ---------------------------------------------------------------------
    async def run(self, job_id: str) -> None:
        record = await self._status.get(job_id)
        if record is None or record["state"] in ("done", "failed"):
            return  # expired, or run already (a duplicate delivery)
        plan = EfilePlan(record["case_id"], record["case_number"], record["court"],
                         tuple(record["items"]))
        path = self.result_path(job_id)

        async def progress(percent: int, stage: str) -> None:
            await self._save(record, state="running", progress=percent, stage=stage)

        try:
            if record.get("sha256") and await asyncio.to_thread(_matches, path,
                                                                record["sha256"]):
                result = CompiledCaseEfile(b"", record["sha256"], record["pages"],
                                           plan.items)  # built before the worker died
            else:
                await progress(1, "reading")
                result = await self.efiles.build(plan, progress)
                await self._save(record, sha256=result.sha256, pages=result.page_count)
                await asyncio.to_thread(_write_atomically, path, result.data)
            await self.efiles.audit(plan, result, by=record["by"],
                                    address=record.get("address"), job_id=job_id)
        except HearingsError as exc:  # a document gone or unreadable meanwhile
            await self._save(record, state="failed", stage="failed", error=str(exc))
            return
        except Exception as exc:
            if self.jobs is None:  # a queue worker: the queue tries it again
                raise
            # in this process nothing retries: the polling page must not wait forever
            await self._save(record, state="failed", stage="failed", error=str(exc))
            raise
        await self._save(record, state="done", progress=100, stage="done")

    async def give_up(self, job_id: str, why: str) -> None:
        record = await self._status.get(job_id)
        if record is not None and record["state"] != "done":
            await self._save(record, state="failed", stage="failed", error=why)

    async def _save(self, record: dict[str, Any], **changes: Any) -> None:
        record.update(changes, updated_at=utcnow().isoformat())
        await self._status.put(record["job_id"], record)


def public(record: dict[str, Any]) -> dict[str, Any]:
    """What the clerk's page sees of a job (not who asked from where)."""
    shown = {k: record.get(k) for k in ("job_id", "case_id", "state", "progress", "stage",
                                        "items", "pages", "sha256", "error", "created_at",
                                        "updated_at")}
    if record["state"] == "done":
        shown["download"] = (f"/api/cases/{record['case_id']}/efile/jobs/"
                             f"{record['job_id']}/pdf")
    return shown


def _matches(path: Path, sha256: str) -> bool:
    if not path.is_file():
        return False
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest() == sha256


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".tmp")
    with partial.open("wb") as stream:
        stream.write(data)
        stream.flush()
        os.fsync(stream.fileno())
    os.replace(partial, path)
