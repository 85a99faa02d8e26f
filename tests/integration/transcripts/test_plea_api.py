"""The plea statement (认罪认罚具结书) over real HTTP with the real renderer and signer: the
prosecutor drafts it with their join link, the detainee and the lawyer sign by hand with
theirs, and the sealed PDF validates in pdfsig and in docforge's per-kind check (court seal,
the detainee on the pad, the lawyer)."""

from __future__ import annotations

import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from hearings.adapters.database import Database
from tests.conftest import AUDIT_KEY
from tests.integration.confirmation.flow import Party, Staff, capture_json
from tests.integration.signaling.conftest import ORIGIN
from tests.integration.transcripts.test_interrogation_service import make_interrogation
from web.app.application import create_app
from web.keys import FORGE, SERVICES
from web.settings import Secret, Settings

DRAFT = {"charges": "盗窃罪",
         "facts": "2026年10月3日，张小某在渝北区某超市窃取商品，价值人民币二千元。",
         "sentencing_proposal": "有期徒刑六个月，缓刑一年，并处罚金人民币二千元",
         "procedure": "速裁程序"}


@pytest.fixture
async def interrogation(database: Database, tmp_path: Path, aiohttp_server: Any
                        ) -> AsyncIterator[tuple[dict[str, Party], Staff, str, Any]]:
    settings = Settings(data_dir=tmp_path, audit_key=Secret(AUDIT_KEY.decode()),
                        allowed_origins=(ORIGIN,), media_enabled=False)
    app = create_app(settings, database=database)
    server = await aiohttp_server(app, host="127.0.0.1")
    await app[FORGE].awarm_up()
    services = app[SERVICES]
    t = await make_interrogation(services)
    base = f"http://127.0.0.1:{server.port}"
    people = {}
    for key in ("prosecutor", "detainee", "lawyer", "adult"):
        people[key] = Party(base, t.links[key])
    clerk = Staff(base)
    await clerk.login(t.clerk.username, "clerk-password-1")
    yield people, clerk, t.hid, services
    for c in (clerk, *people.values()):
        await c.close()
    await server.close()


def _pdfsig(pdf: bytes, tmp_path: Path) -> list[str]:
    path = tmp_path / "plea.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True,
                         check=False).stdout
    return [b for b in out.split("Signature #")[1:] if "ETSI.CAdES.detached" in b]


def _text(path: Path) -> str:
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                         check=True).stdout
    return "".join(out.split())  # line breaks land anywhere in justified CJK text


async def test_the_plea_statement_is_drafted_signed_and_verifies(
        interrogation: tuple[dict[str, Party], Staff, str, Any], tmp_path: Path) -> None:
    people, clerk, hid, services = interrogation
    url = f"/api/hearings/{hid}/plea"
    assert (await people["lawyer"].call("GET", url))["state"] is None
    await people["lawyer"].call("POST", url, DRAFT, status=403)
    await people["prosecutor"].call("POST", url, {**DRAFT, "facts": 7}, status=400)
    await people["prosecutor"].call("GET", f"{url}/pdf", status=404)
    drafted = await people["prosecutor"].call("POST", url, DRAFT)
    assert drafted["state"] == "signing" and drafted["signing"]["next"] == "party1"
    await people["adult"].call("POST", f"{url}/signatures", {
        "field": "party1", "capture": capture_json(0)}, status=403)
    await people["detainee"].call("POST", f"{url}/signatures", {"field": "party1"}, status=400)
    await people["prosecutor"].call("POST", f"{url}/refusal", {"reason": "x"}, status=403)
    await people["detainee"].call("POST", f"{url}/signatures", {
        "field": "party1", "capture": capture_json(0, "渝北区看守所")})
    await people["adult"].call("POST", f"{url}/signatures", {  # the detainee is a minor
        "field": "party2", "capture": capture_json(2)})
    done = await people["lawyer"].call("POST", f"{url}/signatures", {
        "field": "lawyer", "capture": capture_json(1)})
    assert done["state"] == "signed" and all(s["signed"] for s in done["signing"]["order"])

    pdf = await people["detainee"].call("GET", f"{url}/pdf")
    assert isinstance(pdf, bytes) and pdf.startswith(b"%PDF")
    signatures = _pdfsig(pdf, tmp_path)
    assert len(signatures) == 4 and all("Signature is Valid" in s for s in signatures), \
        signatures
    doc_id = done["document"]["id"]
    report = await clerk.call("GET", f"/api/documents/{doc_id}/verification")
    assert report["ok"], report["problems"]
    assert report["kind"] == "plea_statement"
    flat = _text(tmp_path / "plea.pdf")
    for expected in ("认罪认罚具结书", "张小某", "合适成年人（法定代理人）：张母", "律师周正",
                     "盗窃罪", "速裁程序",
                     "承办检察官：检察员孙强", "辩护人（值班律师）声明"):
        assert expected in flat
    # downloadable like every document, and each staff read audited with its reason
    async with clerk.http.get(f"{clerk.base}/api/documents/{doc_id}/pdf?reason=review") as r:
        assert r.status == 200 and await r.read() == pdf
    async with clerk.http.get(f"{clerk.base}{url}/pdf?reason=核对具结书") as r:
        assert r.status == 200 and await r.read() == pdf
    async with services.uow() as uow:
        reads = [e.payload for e in await uow.audit.entries(hid) if e.action == "document.read"]
    assert [(e["kind"], e["reason"]) for e in reads] == [("plea_statement", "review"),
                                                        ("plea_statement", "核对具结书")]
