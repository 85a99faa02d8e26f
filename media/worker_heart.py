"""The media worker's heartbeat, on a thread of its own: the worker's key (its load) and the
renewal of its hearings' leases keep their rhythm while the event loop is busy with media
(a loop that stalled past the TTL on a loaded machine lost live hearings to a failover of
a worker that was not dead). SIGKILL or SIGSTOP stop the thread with the process, so a
dead or frozen worker still loses its leases within the TTL.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

import redis
from redis.exceptions import RedisError

from media.placement import RENEW_SCRIPT, Keys, Lease, WorkerLoad

__all__ = ["Heart"]

log = logging.getLogger("yunting.media.worker")


class Heart(threading.Thread):
    def __init__(self, redis_url: str, keys: Keys, ttl: float, *,
                 load: Callable[[], WorkerLoad], held: Callable[[], list[tuple[str, Lease]]],
                 lapsed: Callable[[str, Lease], object], alive_file: Path | None = None) -> None:
        super().__init__(name="media-heartbeat", daemon=True)
        self.keys, self.ttl = keys, ttl
        self._url = redis_url
        self._load, self._held, self._lapsed = load, held, lapsed
        self._alive_file = alive_file
        self._stopping = threading.Event()
        self.beaten = threading.Event()  # the first beat reached Redis

    def stop(self) -> None:
        self._stopping.set()

    def run(self) -> None:
        client = redis.Redis.from_url(self._url, socket_timeout=self.ttl)
        renew = client.register_script(RENEW_SCRIPT)
        ttl_ms = int(self.ttl * 1000)
        try:
            while not self._stopping.is_set():
                try:
                    self._beat(client, renew, ttl_ms)
                except (RedisError, OSError) as exc:  # Redis away: keep the media, try again
                    log.warning("media worker heartbeat failed (%s)", exc)
                self._stopping.wait(self.ttl / 4)
        finally:
            client.close()

    def _beat(self, client: redis.Redis, renew: object, ttl_ms: int) -> None:
        load = self._load()
        held = self._held()
        with client.pipeline(transaction=False) as pipe:
            pipe.set(self.keys.worker(load.worker_id), load.to_json(), px=ttl_ms)
            pipe.sadd(self.keys.workers, load.worker_id)
            for hearing_id, lease in held:
                renew(keys=[self.keys.lease(hearing_id)],  # type: ignore[operator]
                      args=[lease.encode(), ttl_ms], client=pipe)
            results = pipe.execute()
        for (hearing_id, lease), ok in zip(held, results[2:], strict=True):
            if not ok:
                self._lapsed(hearing_id, lease)
        self.beaten.set()
        if self._alive_file is not None:
            self._alive_file.touch()
