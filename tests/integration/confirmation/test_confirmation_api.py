"""The happy path over real HTTP and socket.io with the real signer and timestamps: the ruling
reaches every socket in the room, and the downloaded PDF validates in pdfsig and docforge."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import socketio

from hearings.adapters.database import Database
from tests.conftest import AUDIT_KEY
from tests.integration.confirmation.flow import Flow, capture_json
from tests.integration.signaling.conftest import ORIGIN
from web.app.application import create_app
from web.keys import FORGE, SERVICES
from web.settings import Secret, Settings


@pytest.fixture
async def flow(database: Database, tmp_path: Path, aiohttp_server: Any) -> AsyncIterator[Flow]:
    settings = Settings(data_dir=tmp_path, audit_key=Secret(AUDIT_KEY.decode()),
                        allowed_origins=(ORIGIN,), media_enabled=False)
    app = create_app(settings, database=database)
    server = await aiohttp_server(app, host="127.0.0.1")
    await app[FORGE].awarm_up()
    flow = Flow(f"http://127.0.0.1:{server.port}", app[SERVICES])
    await flow.setup()
    yield flow
    await flow.close()
    await server.close()


def _pdfsig(pdf: bytes, tmp_path: Path) -> list[str]:
    path = tmp_path / "ruling.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True,
                         check=False).stdout
    # poppler cannot check RFC 3161 document timestamps: only the CAdES signatures count.
    return [b for b in out.split("Signature #")[1:] if "ETSI.CAdES.detached" in b]


async def test_mediation_to_confirmed_ruling_in_the_room(flow: Flow, tmp_path: Path) -> None:
    await flow.sign_agreement()
    party1 = flow.parties[0]
    view = await party1.call("GET", f"/api/mediations/{flow.hid}")
    assert view["state"] == "signed" and all(s["signed"] for s in view["signing"]["order"])
    agreement = await party1.call("GET", f"{view['document']['url'][:-4]}/verification")
    assert agreement["ok"], agreement["problems"]
    app_id = await flow.apply_and_take()
    queue = await flow.judge.call("GET", "/api/duty/queue")
    assert queue["applications"][0]["taken_by"] == flow.scene.judges[0].id
    grounds = await party1.call("GET", "/api/confirmation/grounds")
    assert {"code": "not_voluntary", "label": "违反自愿原则"} in [
        {"code": g["code"], "label": g["label"]} for g in grounds]
    body, ms = await flow.decide(app_id)
    assert ms < 10_000
    for c in flow.sockets:
        delivered = c.delivered[0][1]
        assert delivered["document_id"] == body["ruling"]["id"]
        assert delivered["kind"] == "confirmation_ruling" and delivered["url"].endswith("/pdf")
    timings = (await flow.mediator.call("GET", f"/api/applications/{app_id}"))["timings"]
    assert all(timings[k] for k in ("applied", "taken", "judge_joined", "decided", "delivered"))
    pdf = await party1.call("GET", body["ruling"]["url"])
    assert isinstance(pdf, bytes) and pdf.startswith(b"%PDF")
    signatures = _pdfsig(pdf, tmp_path)
    assert len(signatures) == 2 and all("Signature is Valid" in s for s in signatures)
    report = await party1.call("GET", f"/api/documents/{body['ruling']['id']}/verification")
    assert report["ok"], report["problems"]
    receipt = await party1.call("POST", f"/api/documents/{body['ruling']['id']}/receipts",
                                {"how": "print"}, status=201)
    assert receipt["how"] == "print"
    view = await party1.call("GET", f"/api/mediations/{flow.hid}")
    assert view["state"] == "confirmed" and view["ruling"]["decision"] == "confirmed"


async def test_errors_are_json_codes(flow: Flow) -> None:
    hid = flow.hid
    party2 = flow.parties[1]
    await flow.mediator.call("PUT", f"/api/mediations/{hid}/agreement",
                             {"facts": "事实", "terms": [{"obligor": "甲", "obligee": "乙",
                                                          "obligation": ""}]}, status=400)
    await flow.mediator.call("PUT", f"/api/mediations/{hid}/agreement",
                             {"facts": "事实", "terms": [{"obligor": "甲", "obligee": "乙",
                                                          "obligation": "付款"}]})
    body = await party2.call("PUT", f"/api/mediations/{hid}/agreement",
                             {"facts": "x", "terms": []}, status=403)
    assert body["error"]["code"] == "forbidden"
    await flow.mediator.call("POST", f"/api/mediations/{hid}/signing")
    body = await party2.call("POST", f"/api/mediations/{hid}/signatures",
                             {"field": "party2", "capture": capture_json()}, status=409)
    assert body["error"]["code"] == "conflict"
    body = await flow.parties[0].call("POST", f"/api/mediations/{hid}/signatures",
                                      {"field": "party1", "capture": {"strokes": []}},
                                      status=400)
    assert body["error"]["code"] == "invalid_input"
    body = await party2.call("POST", f"/api/mediations/{hid}/refusal", {"reason": "不同意"})
    assert body["state"] == "agreement_drafted"
    body = await flow.judge.call("POST", "/api/applications/nope/take", status=404)
    assert body["error"]["code"] == "not_found"
    await flow.judge.call("GET", "/api/confirmation/stats", status=403)


async def test_duty_judges_hear_of_applications_on_the_court_namespace(flow: Flow) -> None:
    events: list[tuple[str, Any]] = []
    arrived = asyncio.Event()
    http = aiohttp.ClientSession()
    court = socketio.AsyncClient(reconnection=False, http_session=http)

    @court.on("*", namespace="/court")
    async def any_event(event: str, data: Any = None) -> None:
        events.append((event, data))
        arrived.set()

    try:
        await court.connect(flow.base, namespaces=["/court"], transports=["websocket"],
                            auth={"session": flow.judge.secret}, wait_timeout=5)
        await flow.sign_agreement()
        app_id = await flow.apply_and_take()

        async def until(name: str) -> Any:
            while not any(e == name for e, _ in events):
                arrived.clear()
                await arrived.wait()
            return next(d for e, d in events if e == name)

        entry = await asyncio.wait_for(until("duty.application"), 10)
        assert entry["id"] == app_id and entry["parties"] == ["刘桂兰", "陈国富"]
        taken = await asyncio.wait_for(until("duty.taken"), 10)
        assert taken == {"id": app_id, "by": flow.scene.judges[0].id}
    finally:
        await court.disconnect()
        await http.close()
    other = aiohttp.ClientSession()
    anonymous = socketio.AsyncClient(reconnection=False, http_session=other)
    try:
        with pytest.raises(socketio.exceptions.ConnectionError):
            await anonymous.connect(flow.base, namespaces=["/court"], transports=["websocket"],
                                    wait_timeout=5)
    finally:
        await other.close()
