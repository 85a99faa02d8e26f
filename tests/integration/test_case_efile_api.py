"""The clerk's case e-file over REST (issue 17.4): a case of court A holds a transcript sent
for signature and four sealed documents (agreement, application, ruling, record), plus one
still in draft (left out); the clerk uploads two scanned PDFs (raw body and multipart), hashed
and timestamped at intake; the compiled e-file passes `qpdf --check` and `pdfsig`, its
contents name every part, and the compilation is audited with the ids and the result's hash.
The compilation is a job (202): its progress is polled until done, then the PDF downloaded
(audited too). A PNG renamed .pdf is refused (415), a scan past the upload limit 413 (streamed:
more than the request limit is taken); another court's clerk and a judge are refused (403).
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import subprocess
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import FormData
from aiohttp.test_utils import TestClient

from docforge.samples import sample
from docforge.schema import from_json
from hearings.adapters.database import Database
from hearings.domain.actors import Actor
from hearings.domain.documents import Document, DocumentKind
from hearings.domain.staff import StaffUser
from hearings.domain.states import DocumentState
from tests.conftest import AUDIT_KEY
from tests.factories import Trial, make_trial
from web.app.application import create_app
from web.app.bootstrap import Services
from web.bridges.efile_store import FileUploadStore
from web.keys import FORGE, SERVICES
from web.settings import Secret, Settings

Client = TestClient[Any, Any]
PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)


async def _login(services: Services, user: StaffUser, password: str) -> dict[str, str]:
    logged = await services.access.login(user.username, password)
    return {"Cookie": f"yunting_session={logged.secret}",
            "X-CSRF-Token": logged.session.csrf_token}


async def _stored(services: Services, forge: Any, root: Path, trial: Trial, kind: str,
                  state: DocumentState) -> Document:
    pdf = await asyncio.to_thread(forge.render_and_seal, from_json(kind, sample(kind)))
    sha = hashlib.sha256(pdf).hexdigest()
    document = Document(DocumentKind(kind), trial.hearing.id, trial.case.id, sha, state=state)
    (root / document.id).mkdir(parents=True)
    (root / document.id / f"{sha}.pdf").write_bytes(pdf)
    async with services.uow() as uow:
        uow.documents.add(document)
        await uow.commit()
    return document


@pytest.fixture
async def scene(database: Database, tmp_path: Path,
                aiohttp_client: Callable[..., Awaitable[Client]]) -> dict[str, Any]:
    settings = Settings(data_dir=tmp_path, audit_key=Secret(AUDIT_KEY.decode()),
                        media_enabled=False, max_upload_bytes=5_000_000)
    app = create_app(settings, database=database)
    client = await aiohttp_client(app)
    services: Services = app[SERVICES]
    a, b = await make_trial(services), await make_trial(services)
    headers = {"clerk_a": await _login(services, a.clerk, "clerk-password-1"),
               "clerk_b": await _login(services, b.clerk, "clerk-password-1"),
               "judge_a": await _login(services, a.judge, "judge-password-1")}
    forge, root = app[FORGE], settings.archive_dir / "documents"
    clerk = Actor.staff(a.clerk)
    await services.transcripts.save(clerk, a.hearing.id, "审：现在开庭。\n被告人：我叫张某。", 0)
    view = await services.transcripts.send_for_signature(clerk, a.hearing.id)
    assert view.transcript is not None and view.transcript.document_id is not None
    sealed = [await _stored(services, forge, root, a, kind, DocumentState.SEALED)
              for kind in ("mediation_agreement", "confirmation_application",
                           "confirmation_ruling", "hearing_record")]
    draft = await _stored(services, forge, root, a, "mediation_agreement",
                          DocumentState.DRAFTED)
    scans = [forge.render("proof_of_service", sample("proof_of_service")).data,
             forge.render("mediation_agreement", sample("mediation_agreement")).data]
    return {"client": client, "services": services, "a": a, "b": b, "headers": headers,
            "documents": [view.transcript.document_id, *(d.id for d in sealed)],
            "draft": draft.id, "scans": scans, "tmp": tmp_path, "forge": forge,
            "store": FileUploadStore(root / "uploads"), "limit": settings.max_upload_bytes}


async def _built(client: Client, base: str, headers: dict[str, str], body: dict[str, Any]
                 ) -> tuple[dict[str, Any], Any]:
    """POST the e-file, poll its job until done (each answer's progress never goes back),
    download it."""
    r = await client.post(f"{base}/efile", json=body, headers=headers)
    assert r.status == 202, await r.text()
    job = await r.json()
    assert job["state"] == "queued" and job["progress"] == 0
    seen = [0]
    for _ in range(600):
        r = await client.get(f"{base}/efile/jobs/{job['job_id']}", headers=headers)
        assert r.status == 200, await r.text()
        job = await r.json()
        assert job["progress"] >= seen[-1]
        seen.append(job["progress"])
        if job["state"] in ("done", "failed"):
            break
        await asyncio.sleep(0.1)
    assert job["state"] == "done", job
    assert job["progress"] == 100 and job["download"].endswith("/pdf")
    r = await client.get(job["download"], headers=headers)
    assert r.status == 200, await r.text()
    return job, r


async def test_the_clerk_compiles_the_case_efile(scene: dict[str, Any]) -> None:
    client, a, clerk = scene["client"], scene["a"], scene["headers"]["clerk_a"]
    base = f"/api/cases/{a.case.id}"
    r = await client.post(f"{base}/uploads", params={"filename": "起诉状扫描件.pdf"},
                          data=scene["scans"][0],
                          headers=clerk | {"Content-Type": "application/pdf"})
    assert r.status == 201, await r.text()
    first = await r.json()
    assert first["sha256"] == hashlib.sha256(scene["scans"][0]).hexdigest()
    assert first["timestamped"] is True
    stored, data = await scene["store"].get(a.case.id, first["id"])
    assert data == scene["scans"][0]  # kept as received, with the TSA's token for its hash
    assert await scene["forge"].averify_timestamp(stored.timestamp_token,
                                                  bytes.fromhex(first["sha256"]))
    form = FormData()
    form.add_field("file", io.BytesIO(scene["scans"][1]), filename="证据材料.pdf",
                   content_type="application/pdf")
    r = await client.post(f"{base}/uploads", data=form, headers=clerk)
    assert r.status == 201, await r.text()
    second = await r.json()
    assert second["filename"] == "证据材料.pdf"

    r = await client.get(f"{base}/efile", headers=clerk)
    assert r.status == 200, await r.text()
    listed = [row["id"] for row in await r.json()]
    assert set(listed) == {*scene["documents"], first["id"], second["id"]}
    assert scene["draft"] not in listed

    order = [second["id"], *scene["documents"], first["id"]]
    job, r = await _built(client, base, clerk, {"items": order})
    assert r.content_type == "application/pdf"
    bundle = await r.read()
    sha = hashlib.sha256(bundle).hexdigest()
    assert r.headers["X-Efile-SHA256"] == sha == job["sha256"]
    path = scene["tmp"] / "efile.pdf"
    path.write_bytes(bundle)
    check = await asyncio.to_thread(subprocess.run, ["qpdf", "--check", str(path)],
                                    capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stdout + check.stderr
    sig = await asyncio.to_thread(subprocess.run, ["pdfsig", str(path)], capture_output=True,
                                  text=True, check=False)
    blocks = [b for b in sig.stdout.split("Signature #")[1:] if "ETSI.CAdES.detached" in b]
    assert len(blocks) == 1 and "Signature is Valid" in blocks[0], sig.stdout
    text = await asyncio.to_thread(subprocess.run, ["pdftotext", str(path), "-"],
                                   capture_output=True, text=True, check=True)
    contents = "".join(text.stdout.split("\f")[0].split())
    for name in ("起诉状扫描件", "证据材料", "调解协议书", "司法确认申请书", "民事裁定书",
                 "庭审笔录", a.case.number):
        assert name in contents, name

    async with scene["services"].uow() as uow:
        audited = [e for e in await uow.audit.entries() if e.action == "case.efile"]
        uploads = [e for e in await uow.audit.entries() if e.action == "case.upload"]
        downloads = [e for e in await uow.audit.entries()
                     if e.action == "case.efile.download"]
    assert len(audited) == 1 and audited[0].payload["sha256"] == sha
    assert audited[0].payload["items"] == order
    assert audited[0].payload["job_id"] == job["job_id"]
    assert audited[0].actor == f"staff:{a.clerk.id}"
    assert [d.payload["job_id"] for d in downloads] == [job["job_id"]]
    assert len(uploads) == 2

    # Empty body: everything, oldest first.
    job, r = await _built(client, base, clerk, {})
    assert int(r.headers["X-Efile-Pages"]) > 7 and job["pages"] > 7


async def test_refusals(scene: dict[str, Any]) -> None:
    client, a, headers = scene["client"], scene["a"], scene["headers"]
    base = f"/api/cases/{a.case.id}"
    r = await client.post(f"{base}/uploads", params={"filename": "photo.pdf"}, data=PNG,
                          headers=headers["clerk_a"] | {"Content-Type": "application/pdf"})
    assert r.status == 415, await r.text()
    r = await client.post(f"{base}/uploads", params={"filename": "broken.pdf"},
                          data=b"%PDF-1.7\n garbage", headers=headers["clerk_a"])
    assert r.status == 415, await r.text()
    for who in ("clerk_b", "judge_a"):
        r = await client.post(f"{base}/uploads", params={"filename": "x.pdf"},
                              data=scene["scans"][0], headers=headers[who])
        assert r.status == 403, (who, await r.text())
        r = await client.post(f"{base}/efile", json={}, headers=headers[who])
        assert r.status == 403, (who, await r.text())
        r = await client.get(f"{base}/efile", headers=headers[who])
        assert r.status == 403, (who, await r.text())
    r = await client.post(f"{base}/efile", json={"items": ["nope"]},
                          headers=headers["clerk_a"])
    assert r.status == 404, await r.text()
    r = await client.get(f"{base}/efile/jobs/nope", headers=headers["clerk_a"])
    assert r.status == 404, await r.text()
    # A scan of several MB is streamed in (past the 1 MB request limit); past the upload
    # limit, 413 and nothing kept.
    big = scene["scans"][0] + b"\n%" + b"x" * 3_000_000 + b"\n"
    r = await client.post(f"{base}/uploads", params={"filename": "big.pdf"}, data=io.BytesIO(big),
                          headers=headers["clerk_a"] | {"Content-Type": "application/pdf"})
    assert r.status == 201, await r.text()
    assert (await r.json())["size"] == len(big)
    huge = big + b"x" * scene["limit"]
    r = await client.post(f"{base}/uploads", params={"filename": "huge.pdf"}, data=io.BytesIO(huge),
                          headers=headers["clerk_a"] | {"Content-Type": "application/pdf"})
    assert r.status == 413, await r.text()
    assert (await r.json())["error"]["code"] == "body_too_large"
    assert [u.filename for u in await scene["store"].of_case(a.case.id)] == ["big.pdf"]
    assert not list((scene["store"]._root / ".incoming").iterdir())
    r = await client.post(f"{base}/efile", json={"items": [scene["b"].case.id]},
                          headers=headers["clerk_a"])
    assert r.status == 404, await r.text()


async def test_the_record_page_offers_the_efile_to_the_clerk_only(scene: dict[str, Any]
                                                                   ) -> None:
    client, a, headers = scene["client"], scene["a"], scene["headers"]
    page = f"/clerk/hearings/{a.hearing.id}/transcript"
    r = await client.get(page, headers=headers["clerk_a"])
    assert r.status == 200, await r.text()
    html = await r.text()
    assert 'data-testid="efile-panel"' in html and f'data-case-id="{a.case.id}"' in html
    assert "/static/js/pages/efile.js" in html and "电子卷宗" in html
    r = await client.get(page, headers=headers["judge_a"])
    assert r.status == 200 and 'data-testid="efile-panel"' not in await r.text()
    r = await client.get("/static/js/pages/efile.js")
    assert r.status == 200
