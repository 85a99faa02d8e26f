"""The real application (create_app) on 127.0.0.1 with media on, and aiortc participants.

Participants are socket.io clients (tests/integration/signaling's `Client`) whose media
goes to the server's peer from an aiortc sender playing a VP8/Opus file over loopback.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from hearings.adapters.database import Database
from tests.conftest import AUDIT_KEY
from tests.factories import make_trial
from tests.integration.media.streams import Sender, make_source
from tests.integration.signaling.conftest import ORIGIN, Client, Room_
from tests.wiring import settle, wire
from web.app.application import create_app
from web.keys import RECORDING, SIGNALING
from web.settings import Secret, Settings

HttpClient = TestClient[Any, Any]


def court_settings(data_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": data_dir, "audit_key": Secret(AUDIT_KEY.decode()),
        "allowed_origins": (ORIGIN,), "ice_host_addresses": ("127.0.0.1",),
        "media_segment_seconds": 2.0, "media_timeout": 1.5} | overrides
    return Settings(**values)


@pytest.fixture(scope="session")
def source_webm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_source(tmp_path_factory.mktemp("web-media-src") / "source.webm", seconds=20)


@dataclass
class Court(Room_):
    """A running yunting with one trial; `room`-style helpers from the signaling tests work."""

    app: web.Application = field(default=None)  # type: ignore[assignment]
    http: HttpClient = field(default=None)  # type: ignore[arg-type]
    senders: list[Sender] = field(default_factory=list)

    @property
    def hearing_id(self) -> str:
        return self.trial.hearing.id

    @property
    def archive(self) -> Path:
        return self.app[RECORDING].archive_dir / self.hearing_id

    async def clerk(self) -> Client:
        """The clerk without a seat: connected as staff, receives staff traffic."""
        secret = (await self.services.access.login(self.trial.clerk.username,
                                                   "clerk-password-1")).secret
        clerk = self.client("clerk")
        await clerk.connect({"session": secret, "hearing_id": self.hearing_id})
        await clerk.wait("snapshot")
        return clerk

    async def publish(self, client: Client, source: Path) -> Sender:
        """`client` sends its camera and microphone to the server's media peer."""
        sender = Sender(source)
        self.senders.append(sender)
        ack = await client.call("rtc.offer", {"to": "media", "sdp": await sender.offer()})
        assert ack == {"ok": True}, ack
        answer = await client.wait("rtc.answer", lambda d: d["from"] == "media")
        await sender.accept(answer["sdp"])
        return sender

    async def recording_state(self) -> str:
        hearing = await self.services.scheduling.hearing(self.trial.clerk_actor,
                                                         self.hearing_id)
        return hearing.recording_state.value

    async def audit(self, prefix: str = "recording.") -> list[Any]:
        async with self.services.uow() as uow:
            return [e for e in await uow.audit.entries(self.hearing_id)
                    if e.action.startswith(prefix)]

    def segments(self, participant_key: str) -> list[Path]:
        pid = self.trial.people[participant_key].id
        return sorted((self.archive / pid).glob("seg-*.mkv"))

    async def login(self, username: str, password: str) -> str:
        r = await self.http.post("/api/session", json={"username": username,
                                                       "password": password})
        assert r.status == 200, await r.text()
        return str((await r.json())["csrf_token"])


async def until(predicate: Callable[[], bool], within: float, what: str) -> float:
    """Seconds until `predicate()` holds."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    while not predicate():
        if loop.time() - started > within:
            raise AssertionError(f"not within {within} s: {what}")
        await asyncio.sleep(0.1)
    return loop.time() - started


@pytest.fixture
async def court_factory(tmp_path: Path, aiohttp_server: Any, aiohttp_client: Any
                        ) -> AsyncIterator[Callable[..., Awaitable[Court]]]:
    made: list[Court] = []
    databases: list[Database] = []
    servers: list[Any] = []

    async def make(**overrides: Any) -> Court:
        data_dir = tmp_path / f"court{len(made)}"
        settings = court_settings(data_dir, **overrides)
        db = Database(settings.database_url)
        await db.create_all()
        databases.append(db)
        services = wire(db)
        app = create_app(settings, database=db)
        server = await aiohttp_server(app, host="127.0.0.1")
        servers.append(server)
        http = await aiohttp_client(server)
        trial = await make_trial(services)
        court = Court(f"http://127.0.0.1:{server.port}", app[SIGNALING], services, trial, [],
                      app=app, http=http)
        made.append(court)
        return court

    yield make
    for court in made:
        for c in court.clients:
            await c.close()
        for sender in court.senders:
            await sender.close()
        await court.settle()
        await court.app[RECORDING].drain()
    for server in servers:  # its cleanup (signaling, media) still writes to the database
        await server.close()
    for db in databases:
        await settle()
        await db.dispose()


@pytest.fixture
async def court(court_factory: Callable[..., Awaitable[Court]]) -> Court:
    return await court_factory()
