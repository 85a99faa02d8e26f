"""`yunting jobs`: a worker of the job queue (web/bridges/jobs.py). Any number of them, on any
machine that reaches Redis and the database and mounts the archive, take the jobs the web
processes queue: `recording.seal` (compose + manifest + timestamp of a closed hearing),
`recording.package` (an evidence package a request waits for) and `efile.compile` (a case's
e-file, with its progress in the job's record).

dramatiq runs each job on its asyncio thread (the AsyncIO middleware); the services, the
forge and the recording driver are opened there on the first job and closed at shutdown.
A job is tried again after an exception (backoff up to a minute) or after its worker died;
one started more than `MAX_STARTS` times (it keeps killing its worker) is given up, and
what it was for says so (the recording `failed`, the e-file job `failed`).
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from pathlib import Path
from typing import Any

from web.bridges.jobs import (
    KINDS,
    MAX_RETRIES,
    QUEUE,
    TIME_LIMIT_MS,
    Handler,
    JobLease,
    make_broker,
)
from web.settings import Settings

__all__ = ["register", "run_worker"]

log = logging.getLogger("yunting.jobs")

MAX_STARTS = 5  # a job that killed its worker this often is not tried again
STARTS_TTL_S = 7 * 24 * 3600
ALIVE_EVERY_S = 10.0


class WorkerContext:
    """What jobs need, opened lazily on dramatiq's event-loop thread (engines and Redis
    clients belong to the loop they were made on)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._opened: dict[str, Any] | None = None
        self._lock = asyncio.Lock()

    async def _open(self) -> dict[str, Any]:
        async with self._lock:
            if self._opened is None:
                self._opened = await _open(self.settings)
            return self._opened

    async def close(self) -> None:
        if self._opened is not None:
            await self._opened["redis"].aclose()
            await self._opened["database"].dispose()
            self._opened = None

    def runner(self, kind: str) -> Handler:
        async def run(**args: str) -> None:
            opened = await self._open()
            key = ":".join(f"{k}={v}" for k, v in sorted(args.items()))
            async with opened["lease"].hold(kind, key):
                starts = await _count_start(opened["redis"], self.settings, kind, key)
                if starts > MAX_STARTS:
                    log.error("job %s %s started %d times: given up", kind, key, starts)
                    await opened["give_up"][kind](
                        **args, why=f"the job was started {starts} times and never ended")
                    return
                log.info("job %s %s: start %d", kind, key, starts)
                await opened["handlers"][kind](**args)
                log.info("job %s %s: done", kind, key)

        run.__name__ = kind.replace(".", "_")
        return run


async def _open(settings: Settings) -> dict[str, Any]:
    from redis.asyncio import Redis

    from docforge.forge import DocumentForge
    from hearings.adapters.database import Database
    from web.app.bootstrap import bootstrap
    from web.app.wiring import docforge_config
    from web.bridges.documents import ForgeDocuments
    from web.bridges.jobs_efile import EfileJobs, status_store
    from web.bridges.jobs_package import PackageJobs
    from web.bridges.recording import RecordingDriver

    database = Database(settings.database_url)
    forge = DocumentForge(docforge_config(settings))
    services = bootstrap(settings, database, documents=ForgeDocuments(
        forge, settings.archive_dir / "documents"))
    driver = RecordingDriver(settings.archive_dir, control=services.control,
                             scheduling=services.scheduling, audit_log=services.recordings,
                             timestamp=forge.atimestamp_digest)
    redis = Redis.from_url(settings.redis_url)
    efiles = EfileJobs.for_settings(settings, forge, services, status_store(settings, redis))
    packages = PackageJobs(services, forge, settings, status_store(settings, redis, "package"))
    return {"database": database, "redis": redis,
            "lease": JobLease(redis, settings.jobs_namespace),
            "handlers": {"recording.seal": driver.seal, "efile.compile": efiles.run,
                         "recording.package": packages.run},
            "give_up": {"recording.seal": driver.give_up, "efile.compile": efiles.give_up,
                        "recording.package": packages.give_up}}


async def _count_start(redis: Any, settings: Settings, kind: str, key: str) -> int:
    name = f"{settings.jobs_namespace}:starts:{kind}:{key}"
    starts = int(await redis.incr(name))
    await redis.expire(name, STARTS_TTL_S)
    return starts


def run_worker(settings: Settings, *, threads: int = 2, alive_file: Path | None = None) -> int:
    """Run until SIGTERM or SIGINT; jobs in hand are let finish (or are taken by another
    worker if this one is killed)."""
    import dramatiq
    from dramatiq.asyncio import get_event_loop_thread
    from dramatiq.middleware import Middleware

    context = WorkerContext(settings)

    class CloseContext(Middleware):
        def before_worker_shutdown(self, broker: Any, worker: Any) -> None:
            loop_thread = get_event_loop_thread()
            if loop_thread is not None:
                try:
                    loop_thread.run_coroutine(context.close())
                except Exception as exc:  # shutting down: say so, and go
                    log.warning("closing the job context: %s", exc)

    broker = make_broker(settings)
    broker.add_middleware(CloseContext())
    for kind in KINDS:
        runner: Any = context.runner(kind)
        dramatiq.Actor(runner, broker=broker, actor_name=kind, queue_name=QUEUE,
                       priority=0, options={"max_retries": MAX_RETRIES,
                                            "time_limit": TIME_LIMIT_MS})
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    worker = dramatiq.Worker(broker, worker_threads=threads)
    worker.start()
    if alive_file is not None:
        alive_file.touch()
    log.info("job worker on %s (namespace %s), %d threads", QUEUE, settings.jobs_namespace,
             threads)
    print("yunting jobs: ready", flush=True)
    while not stop.wait(ALIVE_EVERY_S if alive_file else 3600):
        if alive_file is not None:
            alive_file.touch()
    log.info("job worker stopping")
    worker.stop(timeout=30_000)
    broker.close()
    return 0


def register(sub: Any) -> None:
    """`yunting jobs [--threads N] [--alive-file PATH]` (web/app/cli.py)."""
    jobs = sub.add_parser("jobs", help="run a worker of the job queue (sealing recordings, "
                          "e-files); needs YUNTING_REDIS_URL")
    jobs.add_argument("--threads", type=int, default=2, help="jobs run at once (default 2)")
    jobs.add_argument("--alive-file", type=Path,
                      help="touched every few seconds while the worker lives (healthchecks)")
    jobs.set_defaults(func=_command)


def _command(args: Any, settings: Settings) -> int:
    import sys

    if not settings.redis_url:
        print("yunting jobs: set YUNTING_REDIS_URL (without Redis, jobs run inside "
              "`yunting serve`)", file=sys.stderr)
        return 2
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(name)s %(message)s")
    for noisy in ("weasyprint", "fontTools"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return run_worker(settings, threads=max(1, args.threads), alive_file=args.alive_file)
