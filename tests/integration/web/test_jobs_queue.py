"""Work after the close on the job queue (issue 15.7), with real Redis, PostgreSQL, ffmpeg and
`yunting jobs` worker processes.

- A worker SIGKILLed while ffmpeg composes a closed hearing: another worker takes the job
  once the dead one's heartbeat is old, and the archive ends sealed once — one composite, no
  partial file, the segments as they were, a manifest that verifies, one `recording.finish*`
  in the audit log, and the job's start count in Redis saying it ran twice.
- A hearing closed in a web process with Redis configured is not sealed there: the driver
  queues it, and a worker seals it.
- A clerk's e-file with Redis configured is built by a worker; the web process polls its
  progress from Redis and serves the PDF.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis
from aiohttp.test_utils import TestClient

from docforge.forge import DocumentForge
from docforge.samples import sample
from hearings.adapters.database import Database
from hearings.domain.commands import ChangeHearing
from hearings.domain.states import RecordingState
from media.composer import COMPOSITE_NAME
from media.evidence import verify_package
from media.participant import ParticipantInfo
from tests.conftest import AUDIT_KEY, REDIS_URL, unavailable
from tests.factories import Trial, make_trial
from tests.integration.media.streams import make_source, remux_as_segments
from tests.wiring import settle, wire
from web.app.application import create_app
from web.app.wiring import docforge_config
from web.bridges.jobs import QueueJobs, make_broker
from web.keys import RECORDING, SERVICES
from web.settings import Secret, Settings

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.slow]
ROOT = Path(__file__).parents[3]
SEAL_DONE = (RecordingState.AVAILABLE, RecordingState.INCOMPLETE)


async def until(check: Callable[[], Any], seconds: float, what: str) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if inspect.isawaitable(found):
            found = await found
        if found:
            return found
        await asyncio.sleep(0.1)
    raise AssertionError(f"not within {seconds} s: {what}")


@pytest.fixture(scope="module")
def long_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """60 s: long enough that ffmpeg is still composing when its worker is killed."""
    return make_source(tmp_path_factory.mktemp("jobs-src") / "source.webm", seconds=60)


@pytest.fixture
async def scene(postgres_url: str, tmp_path: Path) -> AsyncIterator[dict[str, Any]]:
    probe = aioredis.Redis.from_url(REDIS_URL)
    try:
        await probe.ping()
    except Exception as exc:
        unavailable("Redis", str(exc))
    db = Database(postgres_url)
    await db.drop_all()
    await db.create_all()
    services = wire(db)
    trial = await make_trial(services)
    namespace = f"yt-test-{secrets.token_hex(4)}"
    env = {"YUNTING_DATA_DIR": str(tmp_path / "data"), "YUNTING_DATABASE_URL": postgres_url,
           "YUNTING_REDIS_URL": REDIS_URL, "YUNTING_AUDIT_KEY": AUDIT_KEY.decode(),
           "YUNTING_JOBS_NAMESPACE": namespace, "YUNTING_JOBS_HEARTBEAT_SECONDS": "2",
           "YUNTING_LOG_LEVEL": "INFO"}
    settings = Settings.from_env(env, env_file=None)
    # The development PKI, made once here rather than raced for by two workers.
    await DocumentForge(docforge_config(settings)).atimestamp_digest(bytes(32))
    yield {"db": db, "services": services, "trial": trial, "settings": settings, "env": env,
           "redis": probe, "namespace": namespace}
    keys = [k async for k in probe.scan_iter(match=f"{namespace}*")]
    if keys:
        await probe.delete(*keys)
    await probe.aclose()
    await db.drop_all()
    await settle()
    await db.dispose()


@pytest.fixture
def workers(scene: dict[str, Any]) -> Iterator[Callable[[], subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []

    def start() -> subprocess.Popen[str]:
        process = subprocess.Popen(
            [sys.executable, "-m", "web.app.cli", "jobs", "--threads", "1"], cwd=ROOT,
            env=os.environ | {"PYTHONPATH": str(ROOT)} | scene["env"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.terminate()
    for process in started:
        try:
            out, _ = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            out, _ = process.communicate()
        if "Traceback" in (out or ""):
            print(out)


def _record(settings: Settings, trial: Trial, source: Path, seconds: float) -> list[Path]:
    """Two participants' segments, as the recorder would have left them at the close."""
    start = time.time() - seconds - 5
    segments: list[Path] = []
    for key in ("judge", "defendant"):
        info = ParticipantInfo(trial.hearing.id, f"p-{key}", role=key, display_name=key)
        segments += remux_as_segments(source, settings.archive_dir, info, start_wall=start,
                                      seconds=seconds, segment_seconds=10)
    return segments


async def _close(services: Any, trial: Trial) -> None:
    hid = trial.hearing.id
    await services.control.change_hearing(trial.judge_actor, ChangeHearing(hid, "open_doors"))
    await services.control.change_hearing(trial.judge_actor, ChangeHearing(hid, "start"))
    await services.control.change_hearing(trial.judge_actor, ChangeHearing(hid, "close"))


async def _state(services: Any, hearing_id: str) -> RecordingState:
    async with services.uow() as uow:
        return (await uow.hearings.get(hearing_id)).recording_state


def _files(directory: Path) -> list[str]:
    return sorted(str(p.relative_to(directory)) for p in directory.rglob("*") if p.is_file())


def _children(pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True,
                           check=False).stdout.split()
    return [int(p) for p in found]


async def test_a_worker_killed_mid_composition_leaves_the_job_to_another_and_one_seal(
        scene: dict[str, Any], workers: Callable[[], subprocess.Popen[str]],
        long_source: Path) -> None:
    services, trial, settings = scene["services"], scene["trial"], scene["settings"]
    hid = trial.hearing.id
    hearing_dir = settings.archive_dir / hid
    await _close(services, trial)
    assert await _state(services, hid) is RecordingState.PROCESSING
    segments = sorted(str(p.relative_to(hearing_dir))
                      for p in _record(settings, trial, long_source, 60))
    before = _files(hearing_dir)

    queue = QueueJobs(make_broker(settings))
    await queue.submit("recording.seal", hearing_id=hid)  # as the closing web process does
    queue.close()
    first = workers()
    partial = hearing_dir / (COMPOSITE_NAME + ".tmp")
    await until(partial.exists, 120, "the first worker's ffmpeg writing the composite")
    orphans = [p for child in _children(first.pid) for p in [child, *_children(child)]]
    first.send_signal(signal.SIGKILL)  # mid-composition: no cleanup of any kind
    first.wait()
    assert not (hearing_dir / COMPOSITE_NAME).exists()
    assert await _state(services, hid) is RecordingState.PROCESSING

    second = workers()
    try:
        final = await until(lambda: _sealed(services, hid), 240, "the second worker's seal")
    finally:
        for pid in orphans:  # the killed worker's ffmpeg wrote into an unlinked file
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    assert final in SEAL_DONE
    assert second.poll() is None

    after = _files(hearing_dir)
    assert [f for f in after if f.endswith(".tmp")] == []
    assert after.count(COMPOSITE_NAME) == 1
    assert [f for f in after if f.endswith((".mp4", ".mkv")) and f != COMPOSITE_NAME] == \
        [f for f in before if f.endswith((".mp4", ".mkv"))]
    assert set(segments) <= set(after)
    assert set(after) == set(before) | {COMPOSITE_NAME, "manifest.json", "manifest.tsr"}
    report = verify_package(hearing_dir)
    assert not (report.altered or report.missing or report.unexpected or report.errors), \
        report.problems()
    assert report.timestamp == "imprint_ok"
    async with services.uow() as uow:
        entries = await uow.audit.entries(hid)
    finished = [e for e in entries if e.action in (
        "recording.finish", "recording.finish_incomplete", "recording.fail")]
    assert len(finished) == 1, [e.action for e in finished]
    starts = await scene["redis"].get(
        f"{scene['namespace']}:starts:recording.seal:hearing_id={hid}")
    assert int(starts) == 2  # the killed run and the one that finished


async def _sealed(services: Any, hearing_id: str) -> RecordingState | None:
    state = await _state(services, hearing_id)
    return None if state is RecordingState.PROCESSING else state


async def test_a_hearing_closed_with_redis_is_sealed_by_a_worker_not_the_web_process(
        scene: dict[str, Any], workers: Callable[[], subprocess.Popen[str]],
        aiohttp_client: Callable[..., Any], source_webm: Path) -> None:
    settings = Settings(**{**{f: getattr(scene["settings"], f) for f in (
        "data_dir", "database_url", "redis_url", "audit_key", "jobs_namespace",
        "jobs_heartbeat_seconds")}, "ice_host_addresses": ("127.0.0.1",)})
    assert settings.jobs_queued and isinstance(settings.audit_key, Secret)
    db = Database(settings.database_url)
    app = create_app(settings, database=db)
    client: TestClient[Any, Any] = await aiohttp_client(app)
    try:
        services, trial = app[SERVICES], scene["trial"]
        hid = trial.hearing.id
        _record(settings, trial, source_webm, 20)
        await _close(services, trial)
        await app[RECORDING].drain()  # nothing of the seal runs in the web process
        assert await _state(services, hid) is RecordingState.PROCESSING
        assert not (settings.archive_dir / hid / "manifest.json").exists()

        workers()
        final = await until(lambda: _sealed(services, hid), 180, "a worker's seal")
        assert final in SEAL_DONE
        assert (settings.archive_dir / hid / "manifest.tsr").is_file()
        starts = await scene["redis"].get(
            f"{scene['namespace']}:starts:recording.seal:hearing_id={hid}")
        assert int(starts) == 1

        # The evidence package is a job too: the worker builds it, the request sends it.
        logged = await services.access.login(trial.clerk.username, "clerk-password-1")
        r = await client.post(f"/api/recordings/{hid}/package", json={"reason": "调卷审查"},
                              headers={"Cookie": f"yunting_session={logged.secret}",
                                       "X-CSRF-Token": logged.session.csrf_token})
        assert r.status == 200, await r.text()
        package = settings.data_dir / "evidence.zip"
        package.write_bytes(await r.read())
        report = await asyncio.to_thread(verify_package, package)
        assert not (report.altered or report.missing or report.unexpected), report.problems()
        built = [k async for k in scene["redis"].scan_iter(
            match=f"{scene['namespace']}:starts:recording.package:*")]
        assert len(built) == 1  # by the worker, once
        await until(lambda: not any((settings.data_dir / "packages").iterdir()), 10,
                    "the sent package removed")
    finally:
        await client.close()
        await settle()
        await db.dispose()


async def test_a_case_efile_is_built_by_a_worker_with_its_progress_in_redis(
        scene: dict[str, Any], workers: Callable[[], subprocess.Popen[str]],
        aiohttp_client: Callable[..., Any]) -> None:
    settings = Settings(**{**{f: getattr(scene["settings"], f) for f in (
        "data_dir", "database_url", "redis_url", "audit_key", "jobs_namespace",
        "jobs_heartbeat_seconds")}, "media_enabled": False})
    db = Database(settings.database_url)
    app = create_app(settings, database=db)
    client: TestClient[Any, Any] = await aiohttp_client(app)
    try:
        services, trial = app[SERVICES], scene["trial"]
        logged = await services.access.login(trial.clerk.username, "clerk-password-1")
        clerk = {"Cookie": f"yunting_session={logged.secret}",
                 "X-CSRF-Token": logged.session.csrf_token}
        forge = DocumentForge(docforge_config(settings))
        scan = await asyncio.to_thread(
            lambda: forge.render("proof_of_service", sample("proof_of_service")).data)
        base = f"/api/cases/{trial.case.id}"
        r = await client.post(f"{base}/uploads", params={"filename": "送达回证.pdf"},
                              data=scan, headers=clerk | {"Content-Type": "application/pdf"})
        assert r.status == 201, await r.text()
        r = await client.post(f"{base}/efile", json={}, headers=clerk)
        assert r.status == 202, await r.text()
        job = await r.json()
        record = await scene["redis"].get(f"{scene['namespace']}:efile:{job['job_id']}")
        assert record is not None  # any web process answers the poll
        r = await client.get(f"{base}/efile/jobs/{job['job_id']}", headers=clerk)
        assert (await r.json())["state"] == "queued"  # no worker yet: nothing built here

        workers()
        seen: list[int] = []

        async def finished() -> dict[str, Any] | None:
            r = await client.get(f"{base}/efile/jobs/{job['job_id']}", headers=clerk)
            answer = await r.json()
            seen.append(answer["progress"])
            return answer if answer["state"] in ("done", "failed") else None

        done = await until(finished, 120, "a worker's e-file")
        assert done["state"] == "done" and done["progress"] == 100, done
        assert seen == sorted(seen)
        r = await client.get(done["download"], headers=clerk)
        assert r.status == 200 and r.content_type == "application/pdf"
        path = settings.data_dir / "downloaded.pdf"
        path.write_bytes(await r.read())
        check = await asyncio.to_thread(subprocess.run, ["qpdf", "--check", str(path)],
                                        capture_output=True, text=True, check=False)
        assert check.returncode == 0, check.stdout + check.stderr
        async with services.uow() as uow:
            built = [e for e in await uow.audit.entries() if e.action == "case.efile"]
        assert [(e.actor, e.payload["job_id"]) for e in built] == [
            (f"staff:{trial.clerk.id}", job["job_id"])]
    finally:
        await client.close()
        await settle()
        await db.dispose()
