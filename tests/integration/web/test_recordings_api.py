"""Clerk retrieval over real HTTP: search, Range streaming, verification, evidence packages.

The archive is made the way a hearing makes it: segments (remuxed from a VP8/Opus file,
as if received live) of two participants, then the judge closes the hearing and the app
composes, writes the manifest and timestamps it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import os
import subprocess
import sys
import time
import zipfile
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from hearings.domain.commands import ChangeHearing
from hearings.domain.documents import AgreementContext, Document, DocumentKind, PartyInfo
from hearings.domain.mediation import AgreementTerm
from media.evidence import build_package_sync, verify_package
from media.participant import ParticipantInfo
from tests.factories import make_trial
from tests.integration.media.streams import remux_as_segments
from tests.integration.web.conftest import Court
from tests.unit.docforge.conftest import capture_json
from web.bridges.archive import RecordingArchive
from web.keys import RECORDING, SERVICES

ROOT = Path(__file__).parents[3]
WHY = "当事人申请复制庭审录像"


async def seal(court: Court, source: Path, *, close: bool = True) -> None:
    """Recorded media for the defendant and the witness; then the hearing runs (and closes)."""
    hid, start = court.hearing_id, time.time() - 30
    for key, role in (("defendant", "defendant"), ("witness", "witness")):
        p = court.trial.people[key]
        remux_as_segments(source, court.app[RECORDING].archive_dir,
                          ParticipantInfo(hid, p.id, role, "看守所", p.name),
                          start_wall=start, seconds=4, segment_seconds=2)
    actions = ("open_doors", "start", "close") if close else ("open_doors", "start")
    for action in actions:
        # The app's own Control: its listener is the recording driver.
        await court.app[SERVICES].control.change_hearing(court.trial.judge_actor,
                                                         ChangeHearing(hid, action))
    await court.app[RECORDING].drain()


@pytest.fixture
async def sealed(court: Court, source_webm: Path) -> Court:
    await seal(court, source_webm)
    assert await court.recording_state() == "available"
    return court


async def clerk_session(court: Court) -> dict[str, str]:
    return {"X-CSRF-Token": await court.login(court.trial.clerk.username, "clerk-password-1")}


async def test_clerk_finds_a_recording_by_case_number_date_and_party(sealed: Court) -> None:
    court, hid = sealed, sealed.hearing_id
    await clerk_session(court)
    day = court.trial.hearing.scheduled_at.astimezone(ZoneInfo("Asia/Shanghai")).date()
    for query in ({"case_number": court.trial.case.number}, {"date": day.isoformat()},
                  {"party": "张某"}, {"party": "刘大山", "date": day.isoformat()}):
        r = await court.http.get("/api/recordings", params=query | {"reason": WHY})
        assert r.status == 200, await r.text()
        found = await r.json()
        assert [f["hearing"]["id"] for f in found] == [hid], query
    recording = found[0]
    assert recording["recording_state"] == "available" and recording["sealed"] is True
    assert recording["case_number"] == court.trial.case.number
    assert 3 < recording["duration"] < 6
    files = {f["name"]: f for f in recording["files"]}
    assert {"composite.mp4", "manifest.json", "manifest.tsr"} <= set(files)
    segment = next(f for f in recording["files"] if f["kind"] == "segment")
    assert segment["sha256"] and segment["participant_id"] in segment["name"]
    assert segment["url"] == f"/api/recordings/{hid}/files/{segment['name']}"
    for query in ({"party": "无此人"}, {"case_number": "(2026)渝0000民初1号"},
                  {"date": "2020-01-01"}):
        assert await (await court.http.get("/api/recordings", params=query)).json() == []
    for query, message in (({}, "give at least one of 'case_number', 'date' or 'party'"),
                           ({"date": "23/11/2026"}, "'date' must be YYYY-MM-DD")):
        r = await court.http.get("/api/recordings", params=query)
        body = await r.json()
        assert r.status == 400 and body["error"]["code"] == "invalid_input", body
        assert body["error"]["message"].startswith(message)
    async with court.services.uow() as uow:
        searched = [e for e in await uow.audit.entries() if e.action == "recording.searched"]
    assert len(searched) == 7
    assert searched[0].actor == f"staff:{court.trial.clerk.id}"
    assert searched[0].payload["reason"] == WHY and searched[0].payload["hearings"] == [hid]


async def test_range_requests_return_the_right_bytes_and_seek(sealed: Court) -> None:
    court, hid = sealed, sealed.hearing_id
    await clerk_session(court)
    data = (court.archive / "composite.mp4").read_bytes()
    url = f"/api/recordings/{hid}/files/composite.mp4"
    whole = await court.http.get(url, params={"reason": WHY})
    assert whole.status == 200 and await whole.read() == data
    assert whole.headers["Accept-Ranges"] == "bytes"
    assert whole.headers["Content-Type"] == "video/mp4"
    size = len(data)
    for header, start, end in (("bytes=0-99", 0, 99), ("bytes=1000-1999", 1000, 1999),
                               (f"bytes={size - 10}-", size - 10, size - 1),
                               ("bytes=-100", size - 100, size - 1)):
        r = await court.http.get(url, params={"reason": WHY}, headers={"Range": header})
        assert r.status == 206, header
        assert r.headers["Content-Range"] == f"bytes {start}-{end}/{size}"
        assert await r.read() == data[start:end + 1]
    beyond = await court.http.get(url, params={"reason": WHY},
                                  headers={"Range": f"bytes={size + 10}-"})
    assert beyond.status == 416
    # Seeking in a browser needs the index first: ftyp, then moov, before the media data.
    assert data[4:8] == b"ftyp" and data.index(b"moov") < data.index(b"mdat")
    segment = next(p for p in court.archive.rglob("seg-*.mkv"))
    r = await court.http.get(f"/api/recordings/{hid}/files/"
                             f"{segment.relative_to(court.archive).as_posix()}",
                             params={"reason": WHY}, headers={"Range": "bytes=4-"})
    assert r.status == 206 and await r.read() == segment.read_bytes()[4:]
    no_reason = await court.http.get(url)
    assert no_reason.status == 400
    assert (await no_reason.json())["error"]["message"].startswith("'reason' is required")
    streamed = [e for e in await court.audit("recording.streamed")]
    assert len(streamed) == 7
    assert streamed[1].payload == {"file": "composite.mp4", "reason": WHY, "range": "bytes=0-99",
                                   "address": "127.0.0.1"}  # from where (the access log)


@pytest.mark.parametrize("name", [
    "..%2F..%2Fyunting.sqlite3", "%2E%2E/%2E%2E/audit.key", "%2Fetc%2Fpasswd",
    "extra.txt", "manifest.json.tmp", "nothing-here.mkv"])
async def test_only_files_of_the_manifest_are_served(sealed: Court, name: str) -> None:
    court = sealed
    (court.archive / "extra.txt").write_text("not sealed")
    await clerk_session(court)
    r = await court.http.get(f"/api/recordings/{court.hearing_id}/files/{name}?reason=x")
    assert r.status == 404, await r.text()
    assert (await r.json())["error"]["code"] == "not_found"
    r = await court.http.get("/api/recordings/..%2F..%2Fetc/files/composite.mp4?reason=x")
    assert r.status == 404


async def test_non_staff_are_refused(sealed: Court) -> None:
    court, hid = sealed, sealed.hearing_id
    live = await make_trial(court.services)  # a participant whose join link still works
    for headers, status, code in (({}, 401, "unauthenticated"), (
            {"Authorization": f"Bearer {live.links['defendant']}"}, 403, "forbidden")):
        for method, url in (("GET", "/api/recordings?party=张某"),
                            ("GET", f"/api/recordings/{hid}/files/composite.mp4?reason=x"),
                            ("GET", f"/api/recordings/{hid}/verification"),
                            ("POST", f"/api/recordings/{hid}/package")):
            r = await court.http.request(method, url, headers=headers, json={"reason": "x"})
            assert r.status == status, (method, url, await r.text())
            assert (await r.json())["error"]["code"] == code
    assert await court.audit("recording.streamed") == []


async def sealed_agreement(court: Court) -> Document:
    """A real sealed document of the hearing, made through the app's own document store."""
    services, trial = court.app[SERVICES], court.trial
    document = Document(DocumentKind.MEDIATION_AGREEMENT, court.hearing_id, trial.case.id, "")
    context = AgreementContext(
        court="云庭测试法院", case_number=trial.case.number, date=dt.date(2026, 11, 2),
        organisation="人民调解委员会", mediator="调解员",
        parties=(PartyInfo(trial.people["defendant"].name, "当事人"),
                 PartyInfo(trial.people["witness"].name, "当事人")),
        facts="双方就借款达成一致。",
        terms=(AgreementTerm("甲", "乙", "归还借款", Decimal("1000"), dt.date(2026, 12, 1)),))
    await services.documents.draft_agreement(document, context)
    for i, party in enumerate(context.parties, 1):  # parties sign an agreement by hand
        await services.documents.sign_by_hand(document, f"party{i}", party.name, "当事人",
                                              capture_json(i))
    await services.documents.sign_as(document, "mediator", "调解员", "调解员",
                                     user_id="test:mediator")
    document.seal(await services.documents.finish(document))
    async with services.uow() as uow:
        uow.documents.add(document)
        await uow.commit()
    return document


def run_cli(court: Court, *argv: str) -> subprocess.CompletedProcess[str]:
    """`python -m web.app.cli ...` against the court's own data dir (its PKI: the trust roots)."""
    data_dir = court.app[RECORDING].archive_dir.parent
    return subprocess.run(
        [sys.executable, "-m", "web.app.cli", *argv], cwd=data_dir,
        env={**os.environ, "PYTHONPATH": str(ROOT), "YUNTING_DATA_DIR": str(data_dir)},
        capture_output=True, text=True, timeout=120, check=False)


def rewrite_zip(source: Path, target: Path, name: str, offset: int) -> None:
    """A copy of the package with one byte of one member flipped."""
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w") as dst:
        for item in src.infolist():
            body = src.read(item)
            if item.filename == name:
                body = body[:offset] + bytes([body[offset] ^ 1]) + body[offset + 1:]
            dst.writestr(item, body)


async def test_package_verifies_offline_and_a_tampered_segment_is_named(
        sealed: Court, tmp_path: Path) -> None:
    court, hid = sealed, sealed.hearing_id
    csrf = await clerk_session(court)
    refused = await court.http.post(f"/api/recordings/{hid}/package", json={}, headers=csrf)
    assert refused.status == 400 and (await refused.json())["error"]["code"] == "invalid_input"
    r = await court.http.post(f"/api/recordings/{hid}/package", json={"reason": WHY},
                              headers=csrf)
    assert r.status == 200, await r.text()
    assert r.headers["Content-Type"] == "application/zip"
    assert r.headers["Content-Disposition"] == f'attachment; filename="yunting-evidence-{hid}.zip"'
    package = tmp_path / "evidence.zip"
    package.write_bytes(await r.read())
    # The server deletes its copy once sent: just after the last byte, so wait a moment.
    packages = court.app[RECORDING].archive_dir.parent / "packages"
    for _ in range(100):
        if not list(packages.iterdir()):
            break
        await asyncio.sleep(0.05)
    assert not list(packages.iterdir())

    report = verify_package(package)  # hashes only: every file matches, nothing trusted yet
    assert not (report.altered or report.missing or report.unexpected or report.errors), report
    assert report.layout == "bagit" and report.signature.startswith("unchecked") and not report.ok
    ok = await asyncio.to_thread(run_cli, court, "verify", str(package))  # the court's roots
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "court signature by 法院电子印章 court seal（开发用）: valid" in ok.stdout
    with zipfile.ZipFile(package) as z:
        names = set(z.namelist())
        assert {"bagit.txt", "bag-info.txt", "manifest-sha256.txt", "tagmanifest-sha256.txt",
                "tagmanifest-sha256.txt.p7s", "yunting-manifest.json",
                "data/recordings/composite.mp4", "data/recordings/manifest.json",
                "data/recordings/manifest.tsr", "data/audit/audit-extract.json"} <= names
        extract = z.read("data/audit/audit-extract.json").decode()
        assert '"recording.finish"' in extract
    packaged = (await court.audit("recording.packaged"))[-1]
    assert packaged.actor == f"staff:{court.trial.clerk.id}"
    assert packaged.payload["reason"] == WHY
    assert packaged.payload["package_sha256"] == hashlib.sha256(package.read_bytes()).hexdigest()

    segment = sorted(n for n in names if n.endswith("seg-00002.mkv"))[0]
    tampered = tmp_path / "tampered.zip"
    rewrite_zip(package, tampered, segment, 500)
    report = verify_package(tampered)
    assert not report.ok and report.altered == [segment] and not report.missing
    cli = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "web.app.cli", "verify-package", str(tampered)], cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT), "YUNTING_DATA_DIR": str(tmp_path)},
        capture_output=True, text=True, timeout=60, check=False)
    assert cli.returncode == 1, cli.stderr
    assert f"ALTERED: {segment}" in cli.stdout and "FAILED" in cli.stdout


async def test_package_carries_the_hearings_signed_documents_and_names_a_tampered_one(
        sealed: Court, tmp_path: Path) -> None:
    court, hid = sealed, sealed.hearing_id
    document = await sealed_agreement(court)
    store = court.app[RECORDING].archive_dir / "documents"
    assert (store / document.id / f"{document.sha256}.pdf").is_file()  # the store's layout
    # The document store's folder inside the archive is no hearing's recording.
    assert RecordingArchive(court.app[RECORDING].archive_dir).hearing_ids() == [hid]
    assert await court.app[RECORDING].recover() == []
    csrf = await clerk_session(court)
    found = await (await court.http.get("/api/recordings", params={"party": "documents"})).json()
    assert found == []

    r = await court.http.post(f"/api/recordings/{hid}/package", json={"reason": WHY},
                              headers=csrf)
    assert r.status == 200, await r.text()
    package = tmp_path / "evidence.zip"
    package.write_bytes(await r.read())
    pdf_name = f"data/documents/mediation_agreement-{document.id}.pdf"
    with zipfile.ZipFile(package) as z:
        assert hashlib.sha256(z.read(pdf_name)).hexdigest() == document.sha256
        index = json.loads(z.read("data/documents/index.json"))
    assert [(d["id"], d["sha256"], d["state"]) for d in index["documents"]] == [
        (document.id, document.sha256, "sealed")]
    assert (await court.audit("recording.packaged"))[-1].payload["documents"] == [document.id]
    report = verify_package(package)  # without docforge's verifiers nothing is vouched for
    assert report.documents == {pdf_name: "unchecked"} and not report.ok, report

    # `yunting verify` validates the signatures (docforge, this court's trust roots).
    ok = await asyncio.to_thread(run_cli, court, "verify", str(package))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert f"document {pdf_name}: valid" in ok.stdout
    assert "court signature by 法院电子印章 court seal（开发用）: valid" in ok.stdout

    tampered = tmp_path / "tampered.zip"
    rewrite_zip(package, tampered, pdf_name, 2000)
    report = verify_package(tampered)
    assert not report.ok and report.altered == [pdf_name]
    assert report.documents == {pdf_name: "altered"}
    bad = await asyncio.to_thread(run_cli, court, "verify", str(tampered))
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert f"ALTERED: {pdf_name}" in bad.stdout and f"document {pdf_name}: altered" in bad.stdout

    # A package whose token is no RFC 3161 token and whose PDF is no PDF: named, no traceback.
    fake_pdf = tmp_path / "minutes.pdf"
    fake_pdf.write_bytes(b"%PDF-1.7 not really")
    forged = build_package_sync(court.archive, tmp_path / "forged", hearing_id=hid,
                                timestamp=lambda digest: b"not a token", documents=[fake_pdf])
    worse = await asyncio.to_thread(run_cli, court, "verify", str(forged))
    assert worse.returncode == 1 and "Traceback" not in worse.stderr, worse.stderr
    assert "court signature: missing: the court did not sign this package" in worse.stdout
    assert "document data/documents/minutes.pdf: invalid: " in worse.stdout


async def test_a_document_whose_stored_bytes_left_its_record_stops_the_package(
        sealed: Court) -> None:
    court, hid = sealed, sealed.hearing_id
    document = await sealed_agreement(court)
    stored = court.app[RECORDING].archive_dir / "documents" / document.id / (
        f"{document.sha256}.pdf")
    stored.write_bytes(stored.read_bytes() + b"\n% appended\n")
    csrf = await clerk_session(court)
    r = await court.http.post(f"/api/recordings/{hid}/package", json={"reason": WHY},
                              headers=csrf)
    assert r.status == 409, await r.text()
    body = await r.json()
    assert body["error"]["code"] == "conflict" and document.id in body["error"]["message"]
    assert await court.audit("recording.packaged") == []


async def test_verification_report_of_the_archive(sealed: Court) -> None:
    court, hid = sealed, sealed.hearing_id
    await clerk_session(court)
    r = await court.http.get(f"/api/recordings/{hid}/verification")
    report = await r.json()
    assert r.status == 200 and report["ok"] is True, report
    assert report["timestamp"] == "valid" and report["hearing_id"] == hid
    assert report["files_checked"] >= 8 and "path" not in report
    segment = sorted(court.archive.rglob("seg-00001.mkv"))[0]
    with segment.open("r+b") as f:
        f.seek(600)
        byte = f.read(1)
        f.seek(600)
        f.write(bytes([byte[0] ^ 1]))
    report = await (await court.http.get(f"/api/recordings/{hid}/verification")).json()
    assert report["ok"] is False
    assert report["altered"] == [segment.relative_to(court.archive).as_posix()]
    assert [e.payload["ok"] for e in await court.audit("recording.verified")] == [True, False]


async def test_no_package_while_the_hearing_is_recorded(court: Court, source_webm: Path) -> None:
    await seal(court, source_webm, close=False)
    assert await court.recording_state() == "recording"
    csrf = await clerk_session(court)
    r = await court.http.post(f"/api/recordings/{court.hearing_id}/package",
                              json={"reason": WHY}, headers=csrf)
    assert r.status == 409 and (await r.json())["error"]["code"] == "conflict"
    r = await court.http.get(f"/api/recordings/{court.hearing_id}/verification")
    assert r.status == 404  # nothing sealed yet
    found = await (await court.http.get("/api/recordings", params={
        "case_number": court.trial.case.number})).json()
    assert found[0]["recording_state"] == "recording" and found[0]["sealed"] is False
    assert {f["kind"] for f in found[0]["files"]} == {"segment", "sidecar"}
    assert found[0]["duration"] >= 3
