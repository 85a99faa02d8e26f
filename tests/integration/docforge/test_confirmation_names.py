"""Hostile but valid party names over the real service path: a mediation whose parties are
named with 18 CJK characters, a CJK Extension C character or the domain's longest names is
signed, applied for (the signing service signs each applicant's field with a certificate
naming them) and confirmed; the documents print and verify with the exact names."""

from __future__ import annotations

import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from hearings.adapters.database import Database
from hearings.domain.participants import Role
from tests.conftest import AUDIT_KEY
from tests.factories import Seat
from tests.integration.confirmation.flow import Flow
from tests.integration.signaling.conftest import ORIGIN
from web.app.application import create_app
from web.keys import FORGE, SERVICES
from web.settings import Secret, Settings

NAMES = {
    "18 CJK and Extension C": ("王" * 18, "王𪜀"),
    "longest names": ("王" * 200, "𪜀" * 150),  # 200 characters; 600 UTF-8 bytes
}


@pytest.fixture(params=list(NAMES.values()), ids=list(NAMES))
async def flow(request: pytest.FixtureRequest, database: Database, tmp_path: Path,
               aiohttp_server: Any) -> AsyncIterator[Flow]:
    names: tuple[str, str] = request.param
    # both in the mediation room, named `names`
    seats = [Seat(f"party{i}", name, Role.PARTY, "room") for i, name in enumerate(names, 1)]
    settings = Settings(data_dir=tmp_path, audit_key=Secret(AUDIT_KEY.decode()),
                        allowed_origins=(ORIGIN,), media_enabled=False)
    app = create_app(settings, database=database)
    server = await aiohttp_server(app, host="127.0.0.1")
    await app[FORGE].awarm_up()
    flow = Flow(f"http://127.0.0.1:{server.port}", app[SERVICES], party_seats=seats)
    await flow.setup()
    yield flow
    await flow.close()
    await server.close()


def _text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                         check=True).stdout
    return "".join(out.split())


async def test_confirmation_with_hostile_names(flow: Flow, tmp_path: Path) -> None:
    names = [p.name for p in flow.scene.parties]
    await flow.sign_agreement()
    app_id = await flow.apply_and_take()  # 500 here before: certificate issuance failed
    app = await flow.mediator.call("GET", f"/api/applications/{app_id}")
    application = app["application_document"]
    party1 = flow.parties[0]
    report = await flow.mediator.call("GET", f"{application['url'][:-4]}/verification")
    signers = [s["signer"] for s in report["signatures"] if s["field"].startswith("party")]
    assert signers == names  # the exact names, in the signature dictionaries
    assert all(s["intact"] and s["valid"] for s in report["signatures"]), report
    body, _ = await flow.decide(app_id)
    ruling = await party1.call("GET", body["ruling"]["url"])
    text = _text(ruling, tmp_path)
    for name in names:  # printed whole (pdftotext reads back what the fonts could draw)
        assert name.replace("𪜀", "") in text.replace("𪜀", "")
    verification = await party1.call("GET", f"/api/documents/{body['ruling']['id']}/verification")
    assert verification["ok"], verification["problems"]
