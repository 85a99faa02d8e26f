"""Media workers as real processes (`python -m web.app.cli media`) for the worker and failover
tests and bench/failover.py: the web processes are `serve_kit.Server`s with
YUNTING_MEDIA_WORKERS, sharing the data directory (so the archive) with the workers.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

from redis import asyncio as aioredis

from media.placement import Keys, Lease
from tests.integration.media.streams import Sender
from tests.integration.signaling.serve_kit import ROOT, ChildProcess, Participant, Server

__all__ = ["MediaWorkerProcess", "Publisher", "lease_of", "web_server"]

TTL = "2"  # YUNTING_MEDIA_WORKER_TTL_SECONDS of workers and web processes alike


def web_server(data_dir: Path, log: Path, *, postgres_url: str, redis_url: str) -> Server:
    return Server(data_dir, log, database_url=postgres_url, redis_url=redis_url,
                  media_workers="true", media_worker_ttl_seconds=TTL, jobs="inline")


class MediaWorkerProcess(ChildProcess):
    """`yunting media --id <name>` on the shared data directory."""

    def __init__(self, name: str, data_dir: Path, log_path: Path, redis_url: str,
                 ports: str = "") -> None:
        self.name, self.data_dir, self.log_path = name, data_dir, log_path
        self.redis_url, self.ports = redis_url, ports
        self.proc = None

    async def start(self, within: float = 120) -> None:
        await asyncio.to_thread(self.spawn)
        redis = aioredis.Redis.from_url(self.redis_url)
        try:
            deadline = time.monotonic() + within
            while not await redis.exists(Keys().worker(self.name)):
                assert self.proc is not None and self.proc.poll() is None, (
                    f"media worker exited; see {self.log_path}")
                assert time.monotonic() < deadline, f"media worker never beat: {self.log_path}"
                await asyncio.sleep(0.1)
        finally:
            await redis.aclose()

    def spawn(self) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "YUNTING_DATA_DIR": str(self.data_dir),
               "YUNTING_REDIS_URL": self.redis_url, "YUNTING_ICE_HOST_ADDRESSES": "127.0.0.1",
               "YUNTING_MEDIA_SEGMENT_SECONDS": "2",
               "YUNTING_MEDIA_WORKER_TTL_SECONDS": TTL, "YUNTING_LOG_LEVEL": "INFO"}
        command = [sys.executable, "-m", "web.app.cli", "media", "--id", self.name]
        if self.ports:
            command += ["--ports", self.ports]
        with self.log_path.open("ab") as out:
            self.proc = subprocess.Popen(command, cwd=self.data_dir, env=env, stdout=out,
                                         stderr=subprocess.STDOUT)



async def lease_of(redis_url: str, hearing_id: str) -> Lease | None:
    redis = aioredis.Redis.from_url(redis_url)
    try:
        return Lease.decode(await redis.get(Keys().lease(hearing_id)))
    finally:
        await redis.aclose()


class Publisher:
    """A participant's media as the page sends it: an offer to "media", and a new peer
    (a new offer) whenever the server says `media.lost`, as rtc.js does."""

    def __init__(self, who: Participant, source: Path) -> None:
        self.who, self.source = who, source
        self.senders: list[Sender] = []
        self.answers: list[float] = []  # wall clock of each answer taken

    @property
    def media_id(self) -> str:
        return self.who.trial.people[self.who.key].id

    async def offer(self, within: float = 20) -> float:
        """Offer and take the answer; the wall clock when the answer came."""
        client = self.who.client
        assert client is not None
        answers = len(client.seen("rtc.answer", lambda d: d["from"] == "media"))
        sender = Sender(self.source)
        self.senders.append(sender)
        deadline = time.monotonic() + within
        while True:
            ack = await client.call("rtc.offer", {"to": "media", "sdp": await sender.offer()})
            if ack == {"ok": True}:
                break
            assert time.monotonic() < deadline, ack  # `unavailable`: the page offers again
            await sender.close()
            await asyncio.sleep(0.5)
            sender = Sender(self.source)
            self.senders.append(sender)
        deadline = time.monotonic() + within
        while len(client.seen("rtc.answer", lambda d: d["from"] == "media")) <= answers:
            assert time.monotonic() < deadline, "no answer from the media peer"
            await asyncio.sleep(0.05)
        answer = client.seen("rtc.answer", lambda d: d["from"] == "media")[-1]
        await sender.accept(answer["sdp"])
        self.answers.append(time.time())
        return self.answers[-1]

    def answered_after(self, moment: float) -> float | None:
        return next((t for t in self.answers if t > moment), None)

    async def follow(self) -> None:
        """Offer again each time the server says `media.lost` (rtc.js does), for ever."""
        seen = self.lost_count()
        while True:
            await asyncio.sleep(0.1)
            if self.lost_count() > seen:
                seen = self.lost_count()
                await self.offer(within=60)

    def lost_count(self) -> int:
        client = self.who.client
        assert client is not None
        return len(client.seen("media.lost", lambda d: d.get("participant_id") == self.media_id))

    async def close(self) -> None:
        for sender in self.senders:
            await sender.close()
        self.senders.clear()
