"""Two real server processes over the real Redis and one PostgreSQL database.

A judge on process A, participants on process B: admit on A reaches B, removal
on A disconnects the client on B, and both processes give the same participant list.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import socketio

from hearings.adapters.database import Database
from tests.conftest import REDIS_URL, unavailable
from tests.factories import Trial, make_trial
from tests.integration.signaling.conftest import Client
from tests.wiring import settle, wire
from web.app.bootstrap import Services

pytestmark = [pytest.mark.redis, pytest.mark.postgres]  # ~6 s: not "slow"
ROOT = Path(__file__).parents[3]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def redis_up() -> None:
    import redis.asyncio as aioredis

    probe = aioredis.Redis.from_url(REDIS_URL)
    try:
        await probe.ping()
    except (OSError, Exception) as exc:
        unavailable("Redis", str(exc))
    finally:
        await probe.aclose()


@pytest.fixture
async def shared(postgres_url: str) -> AsyncIterator[tuple[Services, Trial]]:
    await redis_up()
    db = Database(postgres_url)
    await db.drop_all()
    await db.create_all()
    services = wire(db)
    yield services, await make_trial(services)
    await settle()
    await db.dispose()


@pytest.fixture
def processes(postgres_url: str) -> Iterator[list[str]]:
    channel = f"yunting-test-{secrets.token_hex(4)}"
    procs, urls = [], []
    for _ in range(2):
        port = free_port()
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "tests.integration.signaling.server_proc",
             "--database-url", postgres_url, "--redis-url", REDIS_URL, "--channel", channel,
             "--port", str(port)],
            cwd=ROOT, env=os.environ | {"PYTHONPATH": str(ROOT)},
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
        urls.append(f"http://127.0.0.1:{port}")
    try:
        yield urls
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                out, _ = p.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                out, _ = p.communicate()
            if "Traceback" in (out or ""):
                print(out)


async def wait_listening(url: str) -> None:
    host, port = url.removeprefix("http://").split(":")
    for _ in range(300):  # 30 s: a start-up on 2 busy shared cores can take over 10
        try:
            _, writer = await asyncio.open_connection(host, int(port))
            writer.close()
            await writer.wait_closed()
            return
        except OSError:
            await asyncio.sleep(0.1)
    raise AssertionError(f"{url} never listened")


async def test_two_processes_share_a_hearing(shared: tuple[Services, Trial],
                                             processes: list[str]) -> None:
    _services, trial = shared
    a, b = processes
    for url in processes:
        await wait_listening(url)
    clients: list[Client] = []

    async def join(url: str, key: str) -> Client:
        c = Client(url, f"{key}@{url[-5:]}")
        clients.append(c)
        await c.connect({"token": trial.links[key], "hearing_id": trial.hearing.id})
        await c.wait("snapshot")
        return c

    ids = {k: p.id for k, p in trial.people.items()}
    try:
        judge = await join(a, "judge")
        lawyer = await join(b, "lawyer")
        witness = await join(b, "witness")
        # The lobby on A lists people connected to B: presence is shared.
        await judge.wait("lobby", lambda d: {p["id"] for p in d["waiting"]}
                         == {ids["lawyer"], ids["witness"]})
        # Admit on A reaches the client on B, whose rooms B updates.
        for key in ("lawyer", "witness"):
            assert (await judge.call("lobby.admit", {"participant_id": ids[key]}))["ok"]
        await lawyer.wait("participant.state", lambda d: d["state"] == "in_hearing")
        await judge.call("hearing.control", {"action": "open_doors"})
        await judge.call("hearing.control", {"action": "start"})
        await lawyer.wait("hearing.state", lambda d: d["state"] == "in_session")
        # Relay across processes, both ways.
        sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
        await judge.call("rtc.offer", {"to": ids["lawyer"], "sdp": sdp})
        await lawyer.wait("rtc.offer")
        await lawyer.call("rtc.answer", {"to": ids["judge"], "sdp": sdp})
        await judge.wait("rtc.answer")
        await lawyer.call("heartbeat", {"loss_pct": 12, "rtt_ms": 90, "bitrate_kbps": 500})
        assert (await judge.wait("quality"))["level"] == "poor"
        # Removal on A disconnects the client on B.
        await judge.call("participant.remove", {"participant_id": ids["witness"]})
        await witness.wait("removed")
        await asyncio.wait_for(witness.disconnected.wait(), 10)
        again = Client(b, "witness-again")
        clients.append(again)
        with pytest.raises(socketio.exceptions.ConnectionError):
            await again.connect({"token": trial.links["witness"], "hearing_id": trial.hearing.id})
        assert again.refusal["data"]["code"] == "revoked"

        # Both processes give the same list.
        def listed(c: Client) -> list[tuple[str, str, bool]]:
            return sorted((p["id"], p["state"], p["online"])
                          for p in c.seen("snapshot")[-1]["participants"])

        for c in (judge, lawyer):
            c.events.clear()
            await c.call("snapshot.request")
            await c.wait("snapshot")
        assert listed(judge) == listed(lawyer)
        assert (ids["witness"], "removed", False) in listed(judge)
        assert (ids["lawyer"], "in_hearing", True) in listed(judge)
    finally:
        for c in clients:
            await c.close()
