"""The whole confirmation flow over real HTTP and socket.io against a running yunting:
a mediator and two parties in the room, a duty judge; used by the API test and the bench."""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from signaling import NAMESPACE
from tests.factories import MEDIATION_PARTIES, Mediation, Seat, make_mediation
from tests.integration.confirmation.conftest import TERMS
from tests.integration.signaling.conftest import Client

JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4


def capture_json(seed: int = 0, site: str = "洛碛镇法官e站") -> dict[str, Any]:
    """What the browser's signature pad sends (as tests/unit/docforge/conftest.py)."""
    strokes = [[{"x": 20 + i * 5 + s * 90, "y": 60 + ((i * (3 + seed)) % 40),
                 "time": 1_700_000_000_000 + s * 900 + i * 16, "pressure": 0.3 + (i % 5) / 10}
                for i in range(30)] for s in range(3)]
    return {"strokes": strokes, "pad": {"width": 400, "height": 160},
            "device": "signature_pad 5 / kiosk-07", "site": site,
            "signed_at": "2026-11-22T10:00:00+08:00",
            "snapshot_jpeg_b64": base64.b64encode(JPEG).decode()}


class TimedClient(Client):
    """A room client that notes when each `document.delivered` arrived (perf_counter)."""

    def __init__(self, url: str, name: str = "") -> None:
        super().__init__(url, name)
        self.delivered: list[tuple[float, dict[str, Any]]] = []
        self._arrived = asyncio.Event()

        @self.sio.on("document.delivered", namespace=NAMESPACE)
        async def delivered(data: dict[str, Any]) -> None:
            self.delivered.append((time.perf_counter(), data))
            self.events.append(("document.delivered", data))
            self._arrived.set()

    async def until_delivered(self, within: float) -> None:
        async def wait() -> None:
            while not self.delivered:
                self._arrived.clear()
                await self._arrived.wait()

        await asyncio.wait_for(wait(), within)


class Staff:
    """A logged-in browser: cookie jar, CSRF header, and the raw session secret for sockets."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.csrf = ""
        self.secret = ""

    async def login(self, username: str, password: str) -> None:
        async with self.http.post(f"{self.base}/api/session",
                                  json={"username": username, "password": password}) as r:
            assert r.status == 200, await r.text()
            self.csrf = (await r.json())["csrf_token"]
        self.secret = next(c.value for c in self.http.cookie_jar
                           if c.key == "yunting_session")

    async def call(self, method: str, path: str, json: Any = None, status: int = 200) -> Any:
        async with self.http.request(method, f"{self.base}{path}", json=json,
                                     headers={"X-CSRF-Token": self.csrf}) as r:
            body = await r.json()
            assert r.status == status, (r.status, body)
            return body

    async def close(self) -> None:
        await self.http.close()


class Party:
    def __init__(self, base: str, token: str) -> None:
        self.base, self.token = base, token
        self.http = aiohttp.ClientSession()

    async def call(self, method: str, path: str, json: Any = None, status: int = 200) -> Any:
        async with self.http.request(method, f"{self.base}{path}", json=json,
                                     headers={"Authorization": f"Bearer {self.token}"}) as r:
            body = await r.json() if r.content_type == "application/json" else await r.read()
            assert r.status == status, (r.status, body)
            return body

    async def close(self) -> None:
        await self.http.close()


@dataclass
class Flow:
    base: str
    services: Any
    party_seats: Sequence[Seat] = MEDIATION_PARTIES
    scene: Mediation = field(init=False)
    mediator: Staff = field(init=False)
    judge: Staff = field(init=False)
    parties: list[Party] = field(default_factory=list)
    sockets: list[TimedClient] = field(default_factory=list)

    @property
    def hid(self) -> str:
        return self.scene.hearing.id

    async def setup(self) -> None:
        """A court, a duty judge, a mediator and two parties, all connected to the room."""
        self.scene = await make_mediation(self.services, judges=1, parties=self.party_seats)
        self.mediator, self.judge = Staff(self.base), Staff(self.base)
        await self.mediator.login(self.scene.mediator.username, "mediator-password-1")
        await self.judge.login(self.scene.judges[0].username, "duty0_-password-1")
        for seat in self.party_seats:
            self.parties.append(Party(self.base, self.scene.links[seat.key]))
        for action in ("open_doors", "start"):
            await self.mediator.call("POST", f"/api/hearings/{self.hid}/transitions",
                                     {"action": action})
        await self.connect({"session": self.mediator.secret, "hearing_id": self.hid}, "mediator")
        for i, party in enumerate(self.parties):
            await self.connect({"token": party.token, "hearing_id": self.hid}, f"party{i + 1}")
        await self._admit_parties()

    async def connect(self, auth: dict[str, Any], name: str) -> TimedClient:
        client = TimedClient(self.base, name)
        self.sockets.append(client)
        await client.connect(auth)
        await client.wait("snapshot")
        return client

    async def _admit_parties(self) -> None:
        mediator = self.sockets[0]
        for p in self.scene.parties:
            ack = await mediator.call("lobby.admit", {"participant_id": p.id})
            assert ack.get("ok"), ack

    async def sign_agreement(self) -> dict[str, Any]:
        await self.mediator.call("PUT", f"/api/mediations/{self.hid}/agreement",
                                 {"facts": "双方因院墙修缮发生纠纷，经调解自愿达成如下协议。",
                                  "terms": TERMS})
        view = await self.mediator.call("POST", f"/api/mediations/{self.hid}/signing")
        assert view["state"] == "signing" and view["signing"]["next"] == "party1", view
        for i, party in enumerate(self.parties, 1):
            view = await party.call("POST", f"/api/mediations/{self.hid}/signatures",
                                    {"field": f"party{i}", "capture": capture_json(i)})
        view = await self.mediator.call("POST", f"/api/mediations/{self.hid}/signatures",
                                        {"field": "mediator", "capture": capture_json(9)})
        assert view["state"] == "signed", view
        return dict(view)

    async def apply_and_take(self) -> str:
        body = await self.mediator.call("POST", f"/api/mediations/{self.hid}/application",
                                        status=201)
        app_id = str(body["application"]["id"])
        await self.judge.call("POST", f"/api/applications/{app_id}/take")
        await self.connect({"session": self.judge.secret, "hearing_id": self.hid}, "judge")
        return app_id

    async def decide(self, app_id: str, decision: str = "confirm", **extra: Any
                     ) -> tuple[dict[str, Any], float]:
        """POST the decision; ms until the last socket in the room has `document.delivered`."""
        for c in self.sockets:
            c.delivered.clear()
        started = time.perf_counter()
        body = await self.judge.call("POST", f"/api/applications/{app_id}/decision",
                                     {"decision": decision} | extra)
        await asyncio.gather(*(c.until_delivered(30) for c in self.sockets))
        latest = max(c.delivered[0][0] for c in self.sockets)
        return dict(body), (latest - started) * 1000

    async def close(self) -> None:
        for c in self.sockets:
            await c.close()
        for s in (self.mediator, self.judge, *self.parties):
            await s.close()
