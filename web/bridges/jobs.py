"""Work that outlives a request, as jobs: composing and sealing a closed hearing's recording
(`recording.seal`), packaging its evidence (`recording.package`) and compiling a case's
e-file (`efile.compile`).

One seam, two backends (python-socketio's pattern): `InProcessJobs` runs a job as a task of
this process (`make run`, no Redis: exactly as before the queue); `QueueJobs` puts it on a
dramatiq queue in Redis that any `yunting jobs` worker takes (web/app/jobs_worker.py).

The queue delivers at least once: a worker killed mid-job leaves its message unacknowledged
and another worker puts it back once the dead one's heartbeat is older than
`jobs_heartbeat_seconds`; an exception is retried with backoff. So every job is idempotent
(deterministic output paths, temp file + rename, what is sealed stays sealed, state changes
guarded by the state they leave), and one job per key runs at a time (`JobLease`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from web.settings import Settings

if TYPE_CHECKING:
    from dramatiq.brokers.redis import RedisBroker
    from redis.asyncio import Redis

__all__ = ["KINDS", "QUEUE", "InProcessJobs", "JobBusy", "JobLease", "Jobs", "QueueJobs",
           "make_broker"]

log = logging.getLogger("yunting.jobs")

QUEUE = "yunting"
KINDS = ("recording.seal", "recording.package", "efile.compile")
MAX_RETRIES = 20  # after exceptions (database away, another worker holding the lease)
MIN_BACKOFF_MS, MAX_BACKOFF_MS = 1_000, 60_000
TIME_LIMIT_MS = 24 * 3600 * 1000  # composing bounds itself (ffmpeg at ≥ 0.25 × real time)
LEASE_S = 15.0  # one runner per job key; renewed every LEASE_S / 3 while it runs
Handler = Callable[..., Awaitable[None]]


class Jobs(Protocol):
    async def submit(self, kind: str, **args: str) -> None: ...
    async def drain(self) -> None: ...


class JobBusy(Exception):
    """Another worker runs this job now: the queue retries it later (it may find it done)."""


class InProcessJobs:
    """The embedded default: a job is a task of this process, its failure only logged (the
    job itself writes what happened: the recording's state, the e-file job's record)."""

    def __init__(self, handlers: Mapping[str, Handler] | None = None) -> None:
        self.handlers: dict[str, Handler] = dict(handlers or {})
        self._tasks: set[asyncio.Task[None]] = set()

    async def submit(self, kind: str, **args: str) -> None:
        handler = self.handlers[kind]  # a KeyError is a wiring mistake
        task = asyncio.ensure_future(self._run(kind, handler, args))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @staticmethod
    async def _run(kind: str, handler: Handler, args: dict[str, str]) -> None:
        try:
            await handler(**args)
        except Exception:
            log.exception("job %s %s failed", kind, args)

    async def drain(self) -> None:
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)


class QueueJobs:
    """Web processes with Redis: a job is a message on the queue; a worker runs it."""

    def __init__(self, broker: RedisBroker) -> None:
        self._broker = broker

    async def submit(self, kind: str, **args: str) -> None:
        from dramatiq import Message

        if kind not in KINDS:
            raise KeyError(kind)
        message: Message[Any] = Message(queue_name=QUEUE, actor_name=kind, args=(),
                                        kwargs=dict(args), options={})
        await asyncio.to_thread(self._broker.enqueue, message)
        log.info("job %s %s queued", kind, args)

    async def drain(self) -> None:
        """Nothing runs here: the workers run the jobs."""

    def close(self) -> None:
        self._broker.close()


def make_broker(settings: Settings) -> RedisBroker:
    """The queue in Redis. Maintenance (putting a dead worker's jobs back) runs with every
    command: a court's queue is small, and a killed worker's job must move on promptly."""
    from dramatiq.brokers.redis import MAINTENANCE_SCALE, RedisBroker
    from dramatiq.middleware import AsyncIO, Retries, ShutdownNotifications, TimeLimit

    return RedisBroker(
        url=settings.redis_url, namespace=settings.jobs_namespace,
        heartbeat_timeout=int(settings.jobs_heartbeat_seconds * 1000),
        maintenance_chance=MAINTENANCE_SCALE,
        middleware=[TimeLimit(time_limit=TIME_LIMIT_MS), ShutdownNotifications(),
                    Retries(max_retries=MAX_RETRIES, min_backoff=MIN_BACKOFF_MS,
                            max_backoff=MAX_BACKOFF_MS),
                    AsyncIO()])


class JobLease:
    """One runner per job key across workers (a Redis lock with a TTL, renewed while the job
    runs): a message put back while its first worker is only slow, not dead, waits."""

    def __init__(self, redis: Redis, namespace: str) -> None:
        self._redis = redis
        self._namespace = namespace

    @contextlib.asynccontextmanager
    async def hold(self, kind: str, key: str) -> AsyncIterator[None]:
        lock = self._redis.lock(f"{self._namespace}:lease:{kind}:{key}", timeout=LEASE_S)
        if not await lock.acquire(blocking=False):
            raise JobBusy(f"{kind} {key} is being run by another worker")
        renewing = asyncio.ensure_future(self._renew(lock))
        try:
            yield
        finally:
            renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewing
            with contextlib.suppress(Exception):  # expired meanwhile: nothing to release
                await lock.release()

    @staticmethod
    async def _renew(lock: Any) -> None:
        while True:
            await asyncio.sleep(LEASE_S / 3)
            await lock.reacquire()
