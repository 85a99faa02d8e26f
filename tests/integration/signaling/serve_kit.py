"""Real `yunting serve` processes under faults: shared by the kill tests and bench/chaos.py.

`Server` runs `tests/integration/web/court_proc.py` (create_app from YUNTING_* settings) on
127.0.0.1 with a log file; `RedisServer` is a redis-server of our own without persistence
(a restart loses everything); `Participant` joins as the browser does (socket.io with its
join link, retrying as the page does, and an aiortc peer to the server's media peer).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from hearings.adapters.database import Database
from media.coverage import recorded_spans
from media.ice import HostAddresses
from tests.conftest import AUDIT_KEY
from tests.factories import Trial, make_trial
from tests.integration.media.streams import Sender
from tests.integration.signaling.conftest import ORIGIN, Client
from tests.wiring import settle, wire
from web.app.bootstrap import Services

__all__ = ["ChildProcess", "Participant", "RedisServer", "Server", "admit_and_start", "free_port", "listening",
           "longest_hole", "redis_deployment", "until"]

ROOT = Path(__file__).resolve().parents[3]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def until(predicate: Callable[[], bool], within: float, what: str) -> float:
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > within:
            raise AssertionError(f"not within {within} s: {what}")
        await asyncio.sleep(0.1)
    return time.monotonic() - started


async def listening(port: int, within: float = 30) -> None:
    deadline = time.monotonic() + within
    while True:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            await writer.wait_closed()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise AssertionError(f"127.0.0.1:{port} never listened") from None
            await asyncio.sleep(0.05)


class RedisServer:
    """A redis-server of our own, without persistence: a restart loses everything."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None

    async def start(self) -> None:
        await asyncio.to_thread(self.spawn)
        await listening(self.port)

    def spawn(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(10)
            self.proc = None


class ChildProcess:
    """A process of the test's own: SIGKILLed (the fault) or stopped (the cleanup)."""

    proc: subprocess.Popen[bytes] | None = None

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
        self.proc = None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()
        self.proc = None


class Server(ChildProcess):
    """One `court_proc` process (the real app) on a data directory and a fixed port."""

    def __init__(self, data_dir: Path, log_path: Path, **settings: str) -> None:
        self.data_dir = data_dir
        self.log_path = log_path
        self.settings = settings
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = None

    async def start(self) -> float:
        """Start and wait until /readyz answers 200; the wall clock it did."""
        await asyncio.to_thread(self.spawn)
        assert self.proc is not None
        import aiohttp

        deadline = time.monotonic() + 60
        async with aiohttp.ClientSession() as http:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise AssertionError(f"server exited; see {self.log_path}")
                try:
                    async with http.get(f"{self.url}/readyz") as r:
                        if r.status == 200:
                            return time.time()
                except aiohttp.ClientConnectionError:
                    pass
                await asyncio.sleep(0.1)
        raise AssertionError(f"{self.url} never became ready; see {self.log_path}")

    def spawn(self) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "YUNTING_DATA_DIR": str(self.data_dir),
               "YUNTING_AUDIT_KEY": AUDIT_KEY.decode(), "YUNTING_ALLOWED_ORIGINS": ORIGIN,
               "YUNTING_ICE_HOST_ADDRESSES": "127.0.0.1", "YUNTING_MEDIA_SEGMENT_SECONDS": "2",
               "YUNTING_MEDIA_TIMEOUT": "1.5", "YUNTING_LOG_LEVEL": "WARNING",
               **{f"YUNTING_{k.upper()}": v for k, v in self.settings.items()}}
        with self.log_path.open("ab") as out:  # a file: a full pipe must never block it
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "tests.integration.web.court_proc", str(self.port)],
                cwd=self.data_dir, env=env, stdout=out, stderr=subprocess.STDOUT)



class Participant:
    """A browser stand-in: socket.io (reconnecting as the page does) and an aiortc sender."""

    def __init__(self, trial: Trial, key: str, source: Path) -> None:
        self.trial, self.key, self.source = trial, key, source
        self.client: Client | None = None
        self.sender: Sender | None = None

    async def join(self, url: str, within: float = 30) -> Client:
        deadline = time.monotonic() + within
        while True:
            client = Client(url, self.key)
            try:
                await client.connect({"token": self.trial.links[self.key],
                                      "hearing_id": self.trial.hearing.id})
                await client.wait("snapshot")
                self.client = client
                return client
            except Exception:
                await client.close()
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.5)

    async def publish(self) -> None:
        assert self.client is not None
        self.sender = Sender(self.source)
        ack = await self.client.call("rtc.offer", {"to": "media", "sdp": await self.sender.offer()})
        assert ack == {"ok": True}, ack
        answer = await self.client.wait("rtc.answer", lambda d: d["from"] == "media")
        await self.sender.accept(answer["sdp"])

    def standing(self) -> str:
        assert self.client is not None
        return str(self.client.seen("snapshot")[-1]["you"].get("standing", ""))

    async def close(self) -> None:
        if self.sender is not None:
            await self.sender.close()
            self.sender = None
        if self.client is not None:
            await self.client.close()
            self.client = None


async def admit_and_start(judge: Client, participant: Client, pid: str) -> None:
    await judge.wait("lobby", lambda d: any(p["id"] == pid for p in d["waiting"]))
    ack = await judge.call("lobby.admit", {"participant_id": pid})
    assert ack["ok"], ack
    await participant.wait("participant.state", lambda d: d["state"] == "in_hearing")
    for action in ("open_doors", "start"):
        ack = await judge.call("hearing.control", {"action": action})
        assert ack["ok"], ack


def longest_hole(hearing_dir: Path, pid: str) -> tuple[float, list[tuple[float, float]]]:
    spans = recorded_spans(hearing_dir).get(pid, [])
    holes = [b[0] - a[1] for a, b in itertools.pairwise(spans)]
    return (max(holes) if holes else 0.0), spans


@contextlib.asynccontextmanager
async def redis_deployment(postgres_url: str
                           ) -> AsyncIterator[tuple[Services, Trial, RedisServer]]:
    """A fresh schema with a trial on the shared PostgreSQL and a redis-server of our own;
    our aiortc senders use loopback only."""
    db = Database(postgres_url)
    await db.drop_all()
    await db.create_all()
    services = wire(db)
    trial = await make_trial(services)
    redis = RedisServer()
    await redis.start()
    pin = HostAddresses(("127.0.0.1",))  # our aiortc senders: loopback only
    pin.install()
    try:
        yield services, trial, redis
    finally:
        pin.uninstall()
        await asyncio.to_thread(redis.stop)
        await settle()
        await db.dispose()
