"""A tiny aiohttp app with signaling attached, on 127.0.0.1, and a recording test client."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
import socketio
from aiohttp import web

from hearings.adapters.database import Database
from hearings.services.room import Room
from signaling import NAMESPACE, RoomServices, Signaling, SignalingConfig, create_signaling
from signaling.follow import follow
from tests.factories import Trial, make_trial
from tests.wiring import settle, wire
from web.app.bootstrap import Services

ORIGIN = "http://127.0.0.1:8080"


def room_services(services: Services) -> RoomServices:
    return RoomServices(access=services.access, control=services.control,
                        scheduling=services.scheduling, room=Room(services.uow))


def signaling_of(services: Services, config: SignalingConfig, **ports: Any) -> Signaling:
    """A signaling server wired as web/app/application.py wires it: it hears the domain's events.

    Without `follow` a command commits but nobody in the room hears of it (no
    `participant.state`, no `hearing.state`): every test server is built here.
    """
    sig = create_signaling(config, lambda: room_services(services), **ports)
    follow(services.bus, sig)
    return sig


class Client:
    """A socket.io client that records every event of the /hearing namespace."""

    def __init__(self, url: str, name: str = "") -> None:
        self.url = url
        self.name = name
        # Our own HTTP session, closed in close(): engine.io leaves its own open when a
        # connection is refused, which filterwarnings=error turns into a failure.
        self.http = aiohttp.ClientSession()
        self.sio = socketio.AsyncClient(reconnection=False, http_session=self.http)
        self.events: list[tuple[str, Any]] = []
        self.refusal: Any = None
        self._changed = asyncio.Event()
        self.disconnected = asyncio.Event()

        @self.sio.on("*", namespace=NAMESPACE)
        async def any_event(event: str, data: Any = None) -> None:
            self.events.append((event, data))
            self._changed.set()

        @self.sio.on("connect_error", namespace=NAMESPACE)
        async def refused(data: Any) -> None:
            self.refusal = data

        @self.sio.on("disconnect", namespace=NAMESPACE)
        async def gone(reason: Any = None) -> None:
            self.disconnected.set()

    async def connect(self, auth: dict[str, Any] | None, headers: dict[str, str] | None = None
                      ) -> None:
        await self.sio.connect(self.url, namespaces=[NAMESPACE], auth=auth,
                               headers=headers or {}, transports=["websocket"],
                               wait_timeout=5)

    @property
    def sid(self) -> str:
        return str(self.sio.get_sid(NAMESPACE))

    async def call(self, event: str, data: Any = None) -> Any:
        return await self.sio.call(event, data, namespace=NAMESPACE, timeout=10)

    async def emit(self, event: str, data: Any = None) -> None:
        await self.sio.emit(event, data, namespace=NAMESPACE)

    def seen(self, event: str, where: Callable[[Any], bool] = lambda d: True) -> list[Any]:
        return [d for e, d in self.events if e == event and where(d)]

    async def wait(self, event: str, where: Callable[[Any], bool] = lambda d: True,
                   within: float = 8.0) -> Any:
        async def poll() -> Any:
            while True:
                found = self.seen(event, where)
                if found:
                    return found[-1]
                self._changed.clear()
                await self._changed.wait()

        try:
            return await asyncio.wait_for(poll(), within)
        except TimeoutError:
            raise AssertionError(f"{self.name}: no {event!r} matching; saw "
                                 f"{[e for e, _ in self.events]}") from None

    async def close(self) -> None:
        if self.sio.connected:
            await self.sio.disconnect()
        await self.http.close()


@dataclass
class Room_:
    url: str
    signaling: Signaling
    services: Services
    trial: Trial
    clients: list[Client]

    def client(self, name: str = "") -> Client:
        c = Client(self.url, name)
        self.clients.append(c)
        return c

    async def join(self, key: str, **extra: Any) -> Client:
        c = self.client(key)
        await c.connect({"token": self.trial.links[key], "hearing_id": self.trial.hearing.id}
                        | extra)
        await c.wait("snapshot")
        return c

    async def settle(self) -> None:
        await self.signaling.namespace.drain()


def make_config(**overrides: Any) -> SignalingConfig:
    values: dict[str, Any] = {"allowed_origins": (ORIGIN,)} | overrides
    return SignalingConfig(**values)


@pytest.fixture
async def sqlite_services(tmp_path: Any) -> AsyncIterator[Services]:
    db = Database(f"sqlite:///{tmp_path}/yunting.sqlite3")
    await db.create_all()
    yield wire(db)
    await settle()
    await db.dispose()


MediaFn = Callable[..., Awaitable[str]]


@pytest.fixture
async def room_factory(sqlite_services: Services, aiohttp_server: Any
                       ) -> AsyncIterator[Callable[..., Awaitable[Room_]]]:
    made: list[Room_] = []

    async def make(*, media_answer: MediaFn | None = None, **config: Any) -> Room_:
        # A callable, as web/ hands it in (its services exist only once the app runs).
        sig = signaling_of(sqlite_services, make_config(**config), media_answer=media_answer)
        app = web.Application()
        sig.attach(app)
        server = await aiohttp_server(app, host="127.0.0.1")
        trial = await make_trial(sqlite_services)
        room = Room_(f"http://127.0.0.1:{server.port}", sig, sqlite_services, trial, [])
        made.append(room)
        return room

    yield make
    for room in made:
        for c in room.clients:
            await c.close()
        await room.settle()


@pytest.fixture
async def room(room_factory: Callable[..., Awaitable[Room_]]) -> Room_:
    return await room_factory()


async def admit(room: Room_, judge: Client, key: str) -> Client:
    """`key` joins, waits in the lobby, and the judge admits them."""
    c = await room.join(key)
    pid = room.trial.people[key].id
    await judge.wait("lobby", lambda d: any(p["id"] == pid for p in d["waiting"]))
    ack = await judge.call("lobby.admit", {"participant_id": pid})
    assert ack == {"ok": True, "state": "in_hearing"}, ack
    await c.wait("participant.state", lambda d: d["state"] == "in_hearing")
    return c


async def in_session(room: Room_, *keys: str) -> tuple[Client, dict[str, Client]]:
    judge = await room.join("judge")
    clients = {key: await admit(room, judge, key) for key in keys}
    for action in ("open_doors", "start"):
        ack = await judge.call("hearing.control", {"action": action})
        assert ack["ok"], ack
    return judge, clients
