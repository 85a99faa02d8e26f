"""The transcript over real HTTP with the real signer: saves with versions (409 on a
stale one), the close freezes it, participants sign after the close with their join tokens,
and the sealed PDF validates in pdfsig and docforge."""

from __future__ import annotations

import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from hearings.adapters.database import Database
from tests.conftest import AUDIT_KEY
from tests.factories import REMOTE_TRIAL, Trial, make_trial
from tests.integration.confirmation.flow import Party, Staff, capture_json
from tests.integration.signaling.conftest import ORIGIN
from web.app.application import create_app
from web.keys import FORGE, SERVICES
from web.settings import Secret, Settings


class Court:
    def __init__(self, base: str, services: Any, trial: Trial) -> None:
        self.services, self.trial = services, trial
        self.clerk, self.judge = Staff(base), Staff(base)
        self.people: dict[str, Party] = {}
        self.base = base

    async def setup(self) -> None:
        await self.clerk.login(self.trial.clerk.username, "clerk-password-1")
        await self.judge.login(self.trial.judge.username, "judge-password-1")
        for key in ("defendant", "witness", "prosecutor"):
            self.people[key] = Party(self.base, self.trial.links[key])

    async def close(self) -> None:
        for c in (self.clerk, self.judge, *self.people.values()):
            await c.close()


@pytest.fixture
async def court(database: Database, tmp_path: Path, aiohttp_server: Any
                ) -> AsyncIterator[Court]:
    settings = Settings(data_dir=tmp_path, audit_key=Secret(AUDIT_KEY.decode()),
                        allowed_origins=(ORIGIN,), media_enabled=False)
    app = create_app(settings, database=database)
    server = await aiohttp_server(app, host="127.0.0.1")
    await app[FORGE].awarm_up()
    services = app[SERVICES]
    trial = await make_trial(services, seats=REMOTE_TRIAL, present=("defendant", "witness"))
    c = Court(f"http://127.0.0.1:{server.port}", services, trial)
    await c.setup()
    yield c
    await c.close()
    await server.close()


def _pdfsig(pdf: bytes, tmp_path: Path) -> list[str]:
    path = tmp_path / "record.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True,
                         check=False).stdout
    return [b for b in out.split("Signature #")[1:] if "ETSI.CAdES.detached" in b]


async def test_record_saved_frozen_at_close_signed_and_sealed(court: Court, tmp_path: Path
                                                               ) -> None:
    hid = court.trial.hid
    url = f"/api/hearings/{hid}/transcript"
    empty = await court.clerk.call("GET", url)
    assert empty["state"] == "drafting" and empty["version"] == 0 and empty["body"] == ""
    v1 = await court.clerk.call("PUT", url, {"body": "审：现在开庭。", "version": 0})
    assert v1["version"] == 1
    v2 = await court.judge.call("PUT", url, {
        "body": "审：现在开庭。\n被告人：我叫张某。\n证人：我看见他翻墙进去。", "version": 1})
    stale = await court.clerk.call("PUT", url, {"body": "审：旧稿", "version": 1}, status=409)
    assert stale["error"]["code"] == "conflict"
    bad = await court.clerk.call("PUT", url, {"body": "审：x", "version": "1"}, status=400)
    assert bad["error"]["code"] == "invalid_input"
    assert (await court.clerk.call("GET", url))["version"] == v2["version"] == 2
    draft = await court.people["defendant"].call("GET", url)
    assert "body" not in draft
    await court.people["defendant"].call("PUT", url, {"body": "x", "version": 2}, status=403)
    await court.people["defendant"].call("POST", f"{url}/signing", status=403)

    await court.judge.call("POST", f"/api/hearings/{hid}/transitions", {"action": "close"})
    await court.services.transcripts.idle()
    view = await court.people["witness"].call("GET", url)  # a join token after the close
    assert view["state"] == "signing" and view["signing"]["next"] == "party1"
    assert [s["field"] for s in view["signing"]["order"]] == ["party1", "party2", "clerk",
                                                               "judge"]
    # Out of order, the wrong signer, a missing capture.
    out = await court.people["witness"].call("POST", f"{url}/signatures", {
        "field": "party2", "capture": capture_json(1)}, status=409)
    assert "party1" in out["error"]["message"]
    await court.people["witness"].call("POST", f"{url}/signatures", {
        "field": "party1", "capture": capture_json(1)}, status=403)
    await court.people["prosecutor"].call("POST", f"{url}/signatures", {
        "field": "party1", "capture": capture_json(1)}, status=403)
    await court.people["defendant"].call("POST", f"{url}/signatures", {"field": "party1"},
                                         status=400)
    await court.people["defendant"].call("POST", f"{url}/signatures", {
        "field": "party1", "capture": capture_json(0, "重庆市渝北区看守所")})
    await court.people["witness"].call("POST", f"{url}/signatures", {
        "field": "party2", "capture": capture_json(1)})
    await court.judge.call("POST", f"{url}/signatures", {"field": "clerk"}, status=403)
    await court.clerk.call("POST", f"{url}/signatures", {"field": "clerk"})
    done = await court.judge.call("POST", f"{url}/signatures", {"field": "judge"})
    assert done["state"] == "signed" and all(s["signed"] for s in done["signing"]["order"])

    pdf = await court.people["defendant"].call("GET", f"{url}/pdf")
    assert isinstance(pdf, bytes) and pdf.startswith(b"%PDF")
    signatures = _pdfsig(pdf, tmp_path)
    assert len(signatures) == 5 and all("Signature is Valid" in s for s in signatures), \
        signatures
    doc_id = done["document"]["id"]
    # A staff read of the transcript is audited with its reason, as every document's is.
    async with court.clerk.http.get(f"{court.base}{url}/pdf?reason=核对笔录") as r:
        assert r.status == 200 and await r.read() == pdf
    async with court.services.uow() as uow:
        reads = [e.payload for e in await uow.audit.entries(hid) if e.action == "document.read"]
    assert [(e["kind"], e["reason"]) for e in reads] == [("hearing_record", "核对笔录")]
    report = await court.people["witness"].call("GET", f"/api/documents/{doc_id}/verification")
    assert report["ok"], report["problems"]
    receipt = await court.people["witness"].call(
        "POST", f"/api/documents/{doc_id}/receipts", {"how": "screen"}, status=201)
    assert receipt["how"] == "screen" and receipt["document_id"] == doc_id

    # After the close a join link opens only the transcript, and only for its signers.
    async with court.clerk.http.get(f"{court.base}/join/{court.people['defendant'].token}") as r:
        assert r.status == 200 and 'data-closed="1"' in await r.text()
    async with court.clerk.http.get(f"{court.base}/join/{court.people['prosecutor'].token}") as r:
        assert r.status == 403 and "hearing_closed" in await r.text()


async def test_corrections_refusals_and_the_interrogation_routes_answer_4xx_not_500(
        court: Court) -> None:
    hid = court.trial.hid
    url = f"/api/hearings/{hid}/transcript"
    await court.clerk.call("PUT", url, {"body": "审：现在开庭。\n被告人：我叫张某。", "version": 0})
    # a trial has no notice of rights to record
    await court.clerk.call("POST", f"{url}/rights", status=400)
    await court.people["defendant"].call("POST", f"{url}/rights", status=403)
    # nothing out for signature yet: a correction is an illegal transition
    early = await court.people["defendant"].call("POST", f"{url}/corrections",
                                                 {"reason": "写错了"}, status=409)
    assert early["error"]["code"] == "illegal_transition"
    sent = await court.clerk.call("POST", f"{url}/signing")  # sent while in session
    assert sent["state"] == "signing" and sent["hearing_state"] == "in_session"
    await court.clerk.call("POST", f"{url}/corrections", {"reason": "x"}, status=403)
    await court.people["prosecutor"].call("POST", f"{url}/corrections", {"reason": "x"},
                                          status=403)  # not on the signing order
    await court.people["defendant"].call("POST", f"{url}/corrections", {"reason": ""},
                                         status=400)
    await court.people["defendant"].call("POST", f"{url}/corrections", {"reason": 7},
                                         status=400)
    # a statement is the interrogation detainee's only
    bad = await court.people["defendant"].call("POST", f"{url}/signatures", {
        "field": "party1", "capture": capture_json(0), "statement": "以上笔录我看过，和我说的相符"},
        status=400)
    assert "statement" in bad["error"]["message"]
    back = await court.people["defendant"].call("POST", f"{url}/corrections",
                                                {"reason": "我说的是“没有翻墙”"})
    assert back["state"] == "drafting" and back["reopened"]["reason"] == "我说的是“没有翻墙”"
    seen = await court.clerk.call("GET", url)
    assert seen["reopened"]["by"] == court.trial.people["defendant"].name
    assert seen["reopened"]["refused"] is False
    again = await court.clerk.call("PUT", url, {"body": seen["body"] + "\n被告人：我没有翻墙。",
                                                "version": seen["version"]})
    await court.clerk.call("POST", f"{url}/signing")
    refused = await court.people["defendant"].call("POST", f"{url}/refusal",
                                                   {"reason": "不同意"})
    assert refused["state"] == "drafting" and refused["reopened"]["refused"] is True
    assert again["version"] == seen["version"] + 1


async def test_the_paths_from_before_the_rename_still_answer(court: Court) -> None:
    """Issue 14 renamed the hearing record to the transcript: a client written for
    `/api/hearings/{id}/record…` keeps working (a PUT keeps its body: no redirect), the
    OpenAPI document marks those paths deprecated, and the old page answers 301."""
    hid = court.trial.hid
    saved = await court.clerk.call("PUT", f"/api/hearings/{hid}/record",
                                   {"body": "审：现在开庭。", "version": 0})
    assert saved["version"] == 1
    now = await court.clerk.call("GET", f"/api/hearings/{hid}/transcript")
    assert now["body"] == "审：现在开庭。" and now["version"] == 1
    assert (await court.clerk.call("GET", f"/api/hearings/{hid}/record")) == now
    await court.clerk.call("PUT", f"/api/hearings/{hid}/transcript",
                           {"body": "stale", "version": 0}, status=409)

    spec = await court.clerk.call("GET", "/api/openapi.json")
    old, new = (spec["paths"]["/api/hearings/{hearing_id}/record"],
                spec["paths"]["/api/hearings/{hearing_id}/transcript"])
    assert old["put"]["deprecated"] is True and "deprecated" not in new["put"]
    assert old["put"]["summary"] == new["put"]["summary"]

    async with court.clerk.http.get(f"{court.base}/clerk/hearings/{hid}/record",
                                    allow_redirects=False) as r:
        assert r.status == 301
        assert r.headers["Location"] == f"/clerk/hearings/{hid}/transcript"
    async with court.clerk.http.get(f"{court.base}/clerk/hearings/{hid}/transcript") as r:
        assert r.status == 200 and 'data-page="clerk-transcript"' in await r.text()
