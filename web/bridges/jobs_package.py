"""Evidence packages as jobs (`recording.package`): the request that asks for one
(POST /api/recordings/{id}/package) queues the build and waits for it, then streams the ZIP
and deletes it; the build — the hearing's audit extract as of now, its signed documents, the
archive, the court's detached signature — runs where the jobs run (this process, or a
`yunting jobs` worker on the shared volume).

Deterministic and retry-safe: a job builds under `<data dir>/packages/<job id>/`, which a
retry empties first; its record says `done` (with the ZIP's path) or `failed` (why).
"""

from __future__ import annotations

import asyncio
import functools
import secrets
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from docforge.detached import sign_detached
from hearings.domain.errors import Conflict, HearingsError, NotFound
from media.errors import PackageError
from web.bridges.archive import RecordingArchive, audit_extract
from web.bridges.jobs import Jobs
from web.bridges.jobs_efile import StatusStore
from web.settings import Settings

if TYPE_CHECKING:
    from docforge.forge import DocumentForge
    from web.app.bootstrap import Services

__all__ = ["PackageBuilt", "PackageJobs"]

WAIT_S = 30 * 60.0  # a request waits this long for its package (hours of recording zip)
POLL_S = 0.2


@dataclass(frozen=True)
class PackageBuilt:
    path: Path  # the ZIP
    folder: Path  # everything the job wrote: removed once the ZIP is sent
    audit_entries: int
    documents: list[str]


class PackageJobs:
    """The web side `make`s (queue and wait); the job side `run`s."""

    def __init__(self, services: Services, forge: DocumentForge, settings: Settings,
                 status: StatusStore, jobs: Jobs | None = None) -> None:
        self._services = services
        self._forge = forge
        self._settings = settings
        self._status = status
        self.jobs = jobs

    def _folder(self, job_id: str) -> Path:
        return self._settings.data_dir / "packages" / job_id

    async def make(self, hearing_id: str) -> PackageBuilt:
        """Queue the package and wait for it; NotFound without a sealed archive, Conflict
        when a document's bytes are not what its record names."""
        assert self.jobs is not None, "create_app hands the jobs in"
        job_id = secrets.token_hex(12)
        await self._status.put(job_id, {"job_id": job_id, "hearing_id": hearing_id,
                                        "state": "queued"})
        await self.jobs.submit("recording.package", job_id=job_id)
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            record = await self._status.get(job_id)
            if record is not None and record["state"] == "done":
                return PackageBuilt(Path(record["path"]), self._folder(job_id),
                                    record["audit_entries"], record["documents"])
            if record is not None and record["state"] == "failed":
                if record.get("error_kind") == "not_found":
                    raise NotFound("recording", hearing_id)
                raise Conflict(record.get("error") or "the package could not be made")
            await asyncio.sleep(POLL_S)
        raise Conflict("the evidence package is taking too long; ask again later")

    async def run(self, job_id: str) -> None:
        record = await self._status.get(job_id)
        if record is None or record["state"] in ("done", "failed"):
            return
        hearing_id = record["hearing_id"]
        folder = self._folder(job_id)
        await asyncio.to_thread(shutil.rmtree, folder, True)  # a killed run's leftovers
        try:
            extract = audit_extract(await self._services.recordings.entries(hearing_id))
            documents = await self._services.document_service.signed(hearing_id)
            path = await RecordingArchive(self._settings.archive_dir).package(
                hearing_id, folder, name=f"yunting-evidence-{hearing_id}.zip", audit=extract,
                documents=documents,
                sign=functools.partial(sign_detached, source=self._forge.source))
        except PackageError as exc:
            await self._save(record, state="failed", error_kind="not_found", error=str(exc))
            return
        except HearingsError as exc:
            await self._save(record, state="failed", error_kind="conflict", error=str(exc))
            return
        except Exception as exc:  # unforeseen: the waiting request hears of it, then the log
            await self._save(record, state="failed", error_kind="conflict",
                             error=f"the package could not be made: {exc}")
            raise
        await self._save(record, state="done", path=str(path), audit_entries=len(extract),
                         documents=[d.id for d, _ in documents])

    async def give_up(self, job_id: str, why: str) -> None:
        record = await self._status.get(job_id)
        if record is not None and record["state"] != "done":
            await self._save(record, state="failed", error_kind="conflict", error=why)

    async def _save(self, record: dict[str, Any], **changes: Any) -> None:
        record.update(changes)
        await self._status.put(record["job_id"], record)
