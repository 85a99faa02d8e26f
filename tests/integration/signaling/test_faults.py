"""Faults in the two-process Redis deployment: a process killed, Redis restarted.

Real server processes (`server_proc.py`), a Redis server of the test's own (so it can
be restarted without disturbing anyone else's), the shared PostgreSQL.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from hearings.adapters.database import Database
from tests.factories import Trial, make_trial
from tests.integration.signaling.conftest import Client
from tests.integration.signaling.test_two_processes import free_port, wait_listening
from tests.wiring import settle, wire

pytestmark = [pytest.mark.redis, pytest.mark.postgres]
ROOT = Path(__file__).parents[3]
# What the server processes are started with: a process silent this long is dead.
PROCESS_TTL_S = 2.0
SDP = "v=0\r\no=- {n} 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"


class RedisServer:
    """A redis-server of our own, without persistence: a restart loses everything."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None

    def spawn(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    async def start(self) -> None:
        self.spawn()
        await wait_listening(f"http://127.0.0.1:{self.port}")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(10)
            self.proc = None


class Servers:
    def __init__(self, postgres_url: str, redis_url: str, log: Path, count: int = 2) -> None:
        self.postgres_url = postgres_url
        self.redis_url = redis_url
        self.channel = f"yunting-test-{secrets.token_hex(4)}"
        self.ports = [free_port() for _ in range(count)]
        self.procs: list[subprocess.Popen[str] | None] = [None] * count
        # A file, not a pipe: a process logging Redis errors must never block on a full pipe.
        self.log = log

    def url(self, i: int) -> str:
        return f"http://127.0.0.1:{self.ports[i]}"

    async def start(self, i: int) -> None:
        self.spawn(i)
        await wait_listening(self.url(i))

    def spawn(self, i: int) -> None:
        env = os.environ | {"PYTHONPATH": str(ROOT)}
        with self.log.open("a") as out:
            self.procs[i] = subprocess.Popen(
                [sys.executable, "-m", "tests.integration.signaling.fault_proc",
                 "--database-url", self.postgres_url, "--redis-url", self.redis_url,
                 "--channel", self.channel, "--port", str(self.ports[i]),
                 "--process-ttl", str(PROCESS_TTL_S)],
                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, text=True)

    def kill(self, i: int) -> None:
        proc = self.procs[i]
        assert proc is not None
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        self.procs[i] = None

    def stop_all(self) -> None:
        for p in self.procs:
            if p is not None:
                p.terminate()
        for p in self.procs:
            if p is None:
                continue
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(10)
        out = self.log.read_text() if self.log.exists() else ""
        if "Traceback" in out:
            print(out)


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    yield server
    server.stop()


@pytest.fixture
async def trial(postgres_url: str) -> AsyncIterator[Trial]:
    db = Database(postgres_url)
    await db.drop_all()
    await db.create_all()
    yield await make_trial(wire(db))
    await settle()
    await db.dispose()


@pytest.fixture
async def servers(postgres_url: str, redis_server: RedisServer, tmp_path: Path
                  ) -> AsyncIterator[Servers]:
    await redis_server.start()
    s = Servers(postgres_url, redis_server.url, tmp_path / "servers.log")
    try:
        await asyncio.gather(s.start(0), s.start(1))
        yield s
    finally:
        s.stop_all()


@pytest.fixture
async def clients() -> AsyncIterator[list[Client]]:
    made: list[Client] = []
    yield made
    for c in made:
        await c.close()


async def join(clients: list[Client], url: str, trial: Trial, key: str) -> Client:
    c = Client(url, f"{key}@{url[-5:]}")
    clients.append(c)
    await c.connect({"token": trial.links[key], "hearing_id": trial.hearing.id})
    await c.wait("snapshot")
    return c


async def test_a_killed_process_leaves_no_presence_behind(
        trial: Trial, servers: Servers, clients: list[Client]) -> None:
    ids = {k: p.id for k, p in trial.people.items()}
    a, b = servers.url(0), servers.url(1)
    await join(clients, a, trial, "witness")
    judge = await join(clients, b, trial, "judge")
    lawyer = await join(clients, b, trial, "lawyer")
    assert (await judge.call("lobby.admit", {"participant_id": ids["lawyer"]}))["ok"]
    await lawyer.wait("participant.state", lambda d: d["state"] == "in_hearing")

    servers.kill(1)  # SIGKILL: nothing of B's presence is cleaned up by B
    killed = time.monotonic()
    await asyncio.wait_for(judge.disconnected.wait(), 10)
    await servers.start(1)  # a new process on the same port: a new process id
    # Its predecessor's entries are ignored once it has been silent for the TTL.
    await asyncio.sleep(max(0.0, PROCESS_TTL_S + 0.5 - (time.monotonic() - killed)))

    judge = await join(clients, b, trial, "judge")
    lawyer = await join(clients, b, trial, "lawyer")
    for c in (judge, lawyer):
        assert c.seen("snapshot")[-1]["you"]["standing"] != "held", c.name
        assert not c.seen("session.held"), c.name
    # The judge's controls work: a mute reaches the lawyer; an admit round-trips.
    muted = await judge.call("participant.mute", {"participant_id": ids["lawyer"],
                                                  "muted": True, "locked": False})
    assert muted["ok"], muted
    await lawyer.wait("mute", lambda d: d["muted"] is True)
    back = await judge.call("lobby.send_back", {"participant_id": ids["lawyer"]})
    assert back["ok"], back
    admitted = await judge.call("lobby.admit", {"participant_id": ids["lawyer"]})
    assert admitted["ok"], admitted
    await lawyer.wait("participant.state", lambda d: d["state"] == "in_hearing")


async def test_a_redis_restart_loses_nothing_acknowledged(
        trial: Trial, servers: Servers, redis_server: RedisServer,
        clients: list[Client]) -> None:
    ids = {k: p.id for k, p in trial.people.items()}
    a, b = servers.url(0), servers.url(1)
    judge = await join(clients, a, trial, "judge")
    lawyer = await join(clients, b, trial, "lawyer")
    assert (await judge.call("lobby.admit", {"participant_id": ids["lawyer"]}))["ok"]
    await lawyer.wait("participant.state", lambda d: d["state"] == "in_hearing")
    for action in ("open_doors", "start"):
        assert (await judge.call("hearing.control", {"action": action}))["ok"]
    await lawyer.wait("hearing.state", lambda d: d["state"] == "in_session")

    acked: list[int] = []
    n = 0

    async def offer() -> Any:
        nonlocal n
        n += 1
        answer = await judge.call("rtc.offer", {"to": ids["lawyer"], "sdp": SDP.format(n=n)})
        if answer["ok"]:
            acked.append(n)
        return answer

    assert (await offer())["ok"]
    await lawyer.wait("rtc.offer", lambda d: f"o=- {n} " in d["sdp"])

    redis_server.stop()
    await asyncio.sleep(1.0)
    # Redis is down: a relay across processes is refused, never acknowledged and lost.
    refused = await offer()
    assert not refused["ok"] and refused["error"]["code"] == "unavailable", refused
    chat = await lawyer.call("chat.send", {"text": "can you hear me?"})
    assert not chat["ok"] and chat["error"]["code"] == "unavailable", chat
    await asyncio.sleep(2.0)
    await redis_server.start()
    back = time.monotonic()

    # Relays across processes work again within 10 s of Redis returning.
    while True:
        answer = await offer()
        if answer["ok"]:
            try:
                await lawyer.wait("rtc.offer", lambda d: f"o=- {n} " in d["sdp"], within=2)
                break
            except AssertionError:
                pass
        assert time.monotonic() - back < 10, f"no relay 10 s after Redis returned: {answer}"
        await asyncio.sleep(0.3)
    # Nothing acknowledged was lost.
    got = {d["sdp"] for d in lawyer.seen("rtc.offer")}
    assert all(SDP.format(n=i) in got for i in acked), (acked, got)
    assert (await lawyer.call("chat.send", {"text": "back"}))["ok"]
    await judge.wait("chat.message", lambda d: d["text"] == "back")
    # The lists are right again: both are online.
    await judge.call("snapshot.request", {})
    snap = await judge.wait("snapshot", lambda d: all(
        p["online"] for p in d["participants"] if p["id"] in (ids["judge"], ids["lawyer"])))
    assert snap
    # The close reaches everyone, on both processes, and lets them go.
    assert (await judge.call("hearing.control", {"action": "close"}))["ok"]
    for c in (judge, lawyer):
        await c.wait("hearing.closed")
        await asyncio.wait_for(c.disconnected.wait(), 10)


async def test_a_reconnection_is_not_held_behind_a_killed_process(
        trial: Trial, servers: Servers, clients: list[Client]) -> None:
    """Within the killed process's TTL its presence still counts, but asked, it does not
    answer: the reconnection (here on the surviving process) takes over at once."""
    ids = {k: p.id for k, p in trial.people.items()}
    a, b = servers.url(0), servers.url(1)
    judge = await join(clients, b, trial, "judge")
    lawyer = await join(clients, b, trial, "lawyer")
    assert (await judge.call("lobby.admit", {"participant_id": ids["lawyer"]}))["ok"]
    await lawyer.wait("participant.state", lambda d: d["state"] == "in_hearing")

    servers.kill(1)
    judge = await join(clients, a, trial, "judge")  # at once: B's key has not expired
    lawyer = await join(clients, a, trial, "lawyer")
    for c in (judge, lawyer):
        assert not c.seen("session.held"), c.name
        assert c.seen("snapshot")[-1]["you"]["standing"] != "held", c.name
    muted = await judge.call("participant.mute", {"participant_id": ids["lawyer"],
                                                  "muted": True, "locked": False})
    assert muted["ok"], muted
    await lawyer.wait("mute", lambda d: d["muted"] is True)


async def test_a_twin_on_a_live_process_still_holds_a_second_connection(
        trial: Trial, servers: Servers, clients: list[Client]) -> None:
    """The probe answers for a live process: a second connection of the same person on the
    other process is held, as before, for the judge to decide."""
    a, b = servers.url(0), servers.url(1)
    await join(clients, b, trial, "judge")
    twin = await join(clients, a, trial, "judge")
    await twin.wait("session.held")
    assert twin.seen("snapshot")[-1]["you"]["standing"] == "held"


async def test_the_members_of_a_killed_process_are_dropped_once(
        trial: Trial, postgres_url: str, redis_server: RedisServer, tmp_path: Path,
        clients: list[Client]) -> None:
    """Nobody reconnects after the kill: a living process reconciles the dead one's end —
    its members depart (disconnected in the database, the list says so) and each drop is
    audited once, though two processes outlive it."""
    await redis_server.start()
    servers = Servers(postgres_url, redis_server.url, tmp_path / "servers.log", count=3)
    try:
        await asyncio.gather(*(servers.start(i) for i in range(3)))
        ids = {k: p.id for k, p in trial.people.items()}
        judge = await join(clients, servers.url(0), trial, "judge")
        await join(clients, servers.url(1), trial, "witness")
        lawyer = await join(clients, servers.url(2), trial, "lawyer")
        defendant = await join(clients, servers.url(2), trial, "defendant")
        for key, c in (("lawyer", lawyer), ("defendant", defendant)):
            assert (await judge.call("lobby.admit", {"participant_id": ids[key]}))["ok"]
            await c.wait("participant.state", lambda d: d["state"] == "in_hearing")

        servers.kill(2)
        gone = {ids["lawyer"], ids["defendant"]}
        await judge.wait("participants", lambda d: all(
            p["state"] == "disconnected" for p in d["participants"] if p["id"] in gone),
            within=20)
        db = Database(postgres_url)
        try:
            async with wire(db).uow() as uow:
                hearing = await uow.hearings.get(trial.hearing.id)
                assert {p.id: p.state.value for p in hearing.participants
                        if p.id in gone} == dict.fromkeys(gone, "disconnected")
            await asyncio.sleep(3 * PROCESS_TTL_S)  # every survivor has beaten since
            async with wire(db).uow() as uow:
                drops = [e.payload.get("participant_id") for e in
                         await uow.audit.entries(trial.hearing.id)
                         if e.action == "participant.drop"]
            assert sorted(drops) == sorted(gone), drops
        finally:
            await settle()
            await db.dispose()
    finally:
        servers.stop_all()


async def test_hands_and_consultations_are_reannounced_after_a_redis_restart(
        trial: Trial, servers: Servers, redis_server: RedisServer,
        clients: list[Client]) -> None:
    """Raised hands and consultations live only in Redis: each process re-announces its
    copy with its connections, so after the restart a hand is still shown and the
    consultation still relays between its two members on different processes."""
    ids = {k: p.id for k, p in trial.people.items()}
    a, b = servers.url(0), servers.url(1)
    judge = await join(clients, a, trial, "judge")
    defendant = await join(clients, a, trial, "defendant")
    lawyer = await join(clients, b, trial, "lawyer")
    witness = await join(clients, b, trial, "witness")
    for key, c in (("defendant", defendant), ("lawyer", lawyer), ("witness", witness)):
        assert (await judge.call("lobby.admit", {"participant_id": ids[key]}))["ok"]
        await c.wait("participant.state", lambda d: d["state"] == "in_hearing")
    assert (await witness.call("hand.raise", {}))["ok"]
    request = (await lawyer.call("consultation.request",
                                 {"participant_id": ids["defendant"]}))["request_id"]
    await defendant.wait("consultation.requested", lambda d: d["request_id"] == request)
    assert (await defendant.call("consultation.accept", {"request_id": request}))["ok"]
    await lawyer.wait("consultation.started")
    await asyncio.sleep(PROCESS_TTL_S)  # both processes have copied it since

    redis_server.stop()
    await asyncio.sleep(1.5)
    await redis_server.start()
    back = time.monotonic()
    n = 0
    while True:  # the consultation relays across processes again
        n += 1
        answer = await lawyer.call("rtc.offer", {"to": ids["defendant"],
                                                 "sdp": SDP.format(n=n)})
        if answer["ok"]:
            try:
                await defendant.wait("rtc.offer", lambda d: f"o=- {n} " in d["sdp"], within=2)  # noqa: B023
                break
            except AssertionError:
                pass
        assert time.monotonic() - back < 10, f"no relay 10 s after Redis returned: {answer}"
        await asyncio.sleep(0.3)
    assert (await lawyer.call("snapshot.request", {}))["ok"]
    snap = await lawyer.wait("snapshot", lambda d: d["consultation"] is not None)
    assert snap["consultation"]["id"] == request
    assert (await judge.call("snapshot.request", {}))["ok"]
    snap = await judge.wait("snapshot", lambda d: any(
        p["id"] == ids["witness"] and p["hand"] for p in d["participants"]))
    # The consultation ends for both when one leaves.
    assert (await defendant.call("consultation.leave", {}))["ok"]
    await lawyer.wait("consultation.ended")
    await lawyer.wait("participant.state", lambda d: d["state"] == "in_hearing")


async def test_a_frozen_process_gets_its_members_back(
        trial: Trial, servers: Servers, clients: list[Client]) -> None:
    """A process silent past its TTL (SIGSTOP) is taken for dead: its members are dropped.
    When it runs again it re-announces its connections, and they are back in the hearing."""
    ids = {k: p.id for k, p in trial.people.items()}
    judge = await join(clients, servers.url(0), trial, "judge")
    lawyer = await join(clients, servers.url(1), trial, "lawyer")
    assert (await judge.call("lobby.admit", {"participant_id": ids["lawyer"]}))["ok"]
    await lawyer.wait("participant.state", lambda d: d["state"] == "in_hearing")

    proc = servers.procs[1]
    assert proc is not None
    proc.send_signal(signal.SIGSTOP)
    try:
        await judge.wait("participants", lambda d: any(
            p["id"] == ids["lawyer"] and p["state"] == "disconnected"
            for p in d["participants"]), within=15)
    finally:
        proc.send_signal(signal.SIGCONT)
    await judge.wait("participants", lambda d: any(
        p["id"] == ids["lawyer"] and p["state"] == "in_hearing" and p["online"]
        for p in d["participants"]), within=15)
    assert (await lawyer.call("chat.send", {"text": "still here"}))["ok"]
    await judge.wait("chat.message", lambda d: d["text"] == "still here")
