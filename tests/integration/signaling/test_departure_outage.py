"""A departure during a PostgreSQL outage is recorded (and audited once) when the database returns.

The test runs its own PostgreSQL cluster (initdb into a temporary directory, on a free
port) so that it can stop and start it without disturbing the shared server.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import warnings
from collections.abc import AsyncIterator, Iterator
from typing import Any

import aiohttp.web as web
import pytest

from hearings.adapters.database import Database
from tests.conftest import unavailable
from tests.factories import make_trial
from tests.integration.signaling.conftest import Room_, in_session, make_config, signaling_of
from tests.wiring import settle, wire

# A stopped server leaves the pool's connections to die unclosed: that is the outage.
pytestmark = [pytest.mark.postgres, pytest.mark.filterwarnings("ignore::ResourceWarning")]


class Cluster:
    """A throwaway PostgreSQL server: `stop()` and `start()` are the outage."""

    def __init__(self, bindir: str, datadir: str, port: int) -> None:
        self.bindir, self.datadir, self.port = bindir, datadir, port

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args: str) -> None:
        command = [os.path.join(self.bindir, tool), *args]
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=60)

    def init(self) -> None:
        self._run("initdb", "-D", self.datadir, "-U", "postgres", "-A", "trust",
                  "--no-sync")

    def start(self) -> None:
        self._run("pg_ctl", "-D", self.datadir, "-w", "-t", "30", "-l",
                  os.path.join(self.datadir, "log"), "-o",
                  f"-p {self.port} -k {self.datadir} -c listen_addresses=127.0.0.1 -F",
                  "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", self.datadir, "-w", "-m", "fast", "stop")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if not found:
        unavailable("PostgreSQL binaries", "no /usr/lib/postgresql/*/bin/pg_ctl")
    datadir = tempfile.mkdtemp(prefix="yunting-pg-")
    if os.geteuid() == 0:
        pg = pwd.getpwnam("postgres")
        os.chown(datadir, pg.pw_uid, pg.pw_gid)
    c = Cluster(os.path.dirname(found[-1]), datadir, free_port())
    try:
        c.init()
        c.start()
        yield c
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            c.stop()
        shutil.rmtree(datadir, ignore_errors=True)


def end_dead_connections(port: int) -> None:
    """Close the connections the outage killed that SQLAlchemy let go of unclosed.

    Suspended coroutines of the failed statements keep them alive until the session's
    last garbage collection, where their ResourceWarning would fail the whole run.
    """
    import asyncpg

    gc.collect()
    for o in gc.get_objects():
        if (isinstance(o, asyncpg.connection.Connection) and not o.is_closed()
                and o._addr[1] == port):  # whose it is
            o.terminate()
    # What the outage killed (the transports of those connections) is collected here, where
    # its ResourceWarning is expected, not in whichever test runs next.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()


@pytest.fixture
async def pg_room(cluster: Cluster, aiohttp_server: Any) -> AsyncIterator[Room_]:
    db = Database(cluster.url)
    await db.create_all()
    services = wire(db)
    sig = signaling_of(services, make_config())
    app = web.Application()
    sig.attach(app)
    server = await aiohttp_server(app, host="127.0.0.1")
    trial = await make_trial(services)
    room = Room_(f"http://127.0.0.1:{server.port}", sig, services, trial, [])
    yield room
    for c in room.clients:
        await c.close()
    # The server sees the disconnects a moment after the clients close, and each spawns a
    # list broadcast that reads the database: let them run before the engine is disposed
    # (one that ran after opened a connection nobody closed, failing a later test).
    for _ in range(10):
        await room.settle()
        await asyncio.sleep(0.05)
    await settle()
    await db.dispose()
    end_dead_connections(cluster.port)


async def drops_of(room: Room_, pid: str) -> tuple[str, int]:
    async with room.services.uow() as uow:
        hearing = await uow.hearings.get(room.trial.hearing.id)
        entries = await uow.audit.entries(room.trial.hearing.id)
    drops = [e for e in entries
             if e.action == "participant.drop" and e.payload.get("participant_id") == pid]
    return hearing.participant(pid).state.value, len(drops)


async def test_a_departure_during_a_database_outage_is_recorded_once_it_returns(
    pg_room: Room_, cluster: Cluster,
) -> None:
    room = pg_room
    judge, people = await in_session(room, "defendant")
    pid = room.trial.people["defendant"].id
    await asyncio.to_thread(cluster.stop)
    try:
        await people["defendant"].close()
        await room.settle()
        await asyncio.sleep(6)  # the outage goes on while the departure waits
    finally:
        await asyncio.to_thread(cluster.start)
    state = "?"
    for _ in range(60):  # the retry's wait is capped at 10 s
        await asyncio.sleep(0.5)
        try:
            state, _ = await drops_of(room, pid)
        except Exception:  # the pool may still hold a dead connection
            continue
        if state == "disconnected":
            break
    assert state == "disconnected"
    await asyncio.sleep(1.5)  # no second attempt writes a second drop
    assert await drops_of(room, pid) == ("disconnected", 1)
    await judge.wait("participants", lambda d: any(
        p["id"] == pid and p["state"] == "disconnected" for p in d["participants"]),
        within=15)


async def test_an_arrival_during_the_outage_calls_the_departure_off(
    pg_room: Room_, cluster: Cluster, monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The first retry waits long enough for the participant to come back first.
    monkeypatch.setattr("hearings.services.room.DEPARTURE_RETRY", (6.0, 10.0, 900.0))
    room = pg_room
    await in_session(room, "defendant")
    pid = room.trial.people["defendant"].id
    await asyncio.to_thread(cluster.stop)
    try:
        await room.clients[-1].close()  # the defendant's
        pending = room.signaling.namespace.hub.services.room.pending_departures
        for _ in range(50):
            await asyncio.sleep(0.1)
            if pending():
                break
        assert pending()
    finally:
        await asyncio.to_thread(cluster.start)
    await asyncio.sleep(0.2)
    again = await room.join("defendant")  # back before the retry got through
    assert again.seen("snapshot")[-1]["you"]["state"] == "in_hearing"
    await asyncio.sleep(12)  # longer than any retry wait: the departure must not land
    assert await drops_of(room, pid) == ("in_hearing", 0)


async def test_a_departure_from_a_consultation_during_the_outage_is_recorded(
    pg_room: Room_, cluster: Cluster,
) -> None:
    room = pg_room
    _, people = await in_session(room, "lawyer", "defendant")
    lawyer, defendant = people["lawyer"], people["defendant"]
    pid = room.trial.people["defendant"].id
    request = (await lawyer.call("consultation.request", {"participant_id": pid}))["request_id"]
    await defendant.wait("consultation.requested", lambda d: d["request_id"] == request)
    assert (await defendant.call("consultation.accept", {"request_id": request}))["ok"]
    await lawyer.wait("consultation.started")
    await asyncio.to_thread(cluster.stop)
    try:
        await defendant.close()
        await asyncio.sleep(3)
    finally:
        await asyncio.to_thread(cluster.start)
    state = "?"
    for _ in range(60):
        await asyncio.sleep(0.5)
        try:
            state, _ = await drops_of(room, pid)
        except Exception:  # the pool may still hold a dead connection
            continue
        if state == "disconnected":
            break
    assert await drops_of(room, pid) == ("disconnected", 1)
