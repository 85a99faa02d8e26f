"""The access log over REST (issue 17.5), on SQLite and PostgreSQL: a judge streams a
recording and reads the transcript with a reason, through a proxy that names the client; the
court's clerk sees who, when, from where and why, filters by case, person and dates, and
exports CSV (formula-safe). Another court's clerk, a mediator and a judge are refused, and
reading the log is itself audited.
"""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from hearings.adapters.database import Database
from hearings.domain.actors import SYSTEM, Actor
from hearings.domain.commands import CreateStaffUser
from hearings.domain.staff import StaffUser
from tests.conftest import AUDIT_KEY
from tests.factories import Trial, make_trial
from web.app.application import create_app
from web.app.bootstrap import Services
from web.bridges.archive import RecordingArchive
from web.http.api.access_log import safe_cell
from web.keys import FORGE, SERVICES
from web.settings import Secret, Settings

Client = TestClient[Any, Any]
BODY = "审：现在开庭。核对被告人身份。\n被告人：我叫张某。"
WHY_STREAM = "二审调卷，核对庭审录像"
WHY_READ = "=HYPERLINK(\"http://evil\")"  # a reason a spreadsheet must not run


@dataclass
class Log:
    client: Client
    services: Services
    a: Trial
    b: Trial
    headers: dict[str, dict[str, str]]
    users: dict[str, StaffUser]

    async def get(self, who: str, path: str, **params: str) -> Any:
        return await self.client.get(path, params=params, headers=self.headers[who])


async def _login(services: Services, user: StaffUser, password: str) -> dict[str, str]:
    logged = await services.access.login(user.username, password)
    return {"Cookie": f"yunting_session={logged.secret}",
            "X-CSRF-Token": logged.session.csrf_token}


@pytest.fixture
async def log(database: Database, tmp_path: Any,
              aiohttp_client: Callable[..., Awaitable[Client]]) -> Log:
    settings = Settings(data_dir=tmp_path, audit_key=Secret(AUDIT_KEY.decode()),
                        media_enabled=False, trusted_proxies=("127.0.0.1/32", "::1/128"))
    app = create_app(settings, database=database)
    client = await aiohttp_client(app)
    services: Services = app[SERVICES]
    a, b = await make_trial(services), await make_trial(services)
    users = {"clerk_a": a.clerk, "judge_a": a.judge, "clerk_b": b.clerk}
    for name, role, court in (("root", "admin", None), ("mediator", "mediator", a.court.id)):
        users[name] = await services.access.create_staff_user(SYSTEM, CreateStaffUser(
            f"{name}{a.court.code[1:]}", f"{role} {name}", role,  # type: ignore[arg-type]
            f"{name}-password-1", court))
    passwords = {"clerk_a": "clerk-password-1", "clerk_b": "clerk-password-1",
                 "judge_a": "judge-password-1", "root": "root-password-1",
                 "mediator": "mediator-password-1"}
    headers = {n: await _login(services, users[n], p) for n, p in passwords.items()}
    # A recorded file of court A's hearing (what the recorder leaves before sealing).
    directory = RecordingArchive(settings.archive_dir).directory(a.hearing.id)
    directory.mkdir(parents=True)
    (directory / "seg-1.mkv").write_bytes(b"\x1a\x45\xdf\xa3" + bytes(1000))
    return Log(client, services, a, b, headers, users)


async def _accesses(log: Log) -> str:
    """The judge streams the recording and reads the transcript, from 203.0.113.7 (by proxy)."""
    hid = log.a.hearing.id
    judge = log.headers["judge_a"] | {"X-Forwarded-For": "203.0.113.7"}
    r = await log.client.get(f"/api/recordings/{hid}/files/seg-1.mkv",
                             params={"reason": WHY_STREAM}, headers=judge)
    assert r.status == 200, await r.text()
    await r.read()
    clerk = Actor.staff(log.a.clerk)
    await log.services.transcripts.save(clerk, hid, BODY, 0)
    view = await log.services.transcripts.send_for_signature(clerk, hid)
    assert view.transcript is not None and view.transcript.document_id is not None
    r = await log.client.get(f"/api/documents/{view.transcript.document_id}/pdf",
                             params={"reason": WHY_READ}, headers=judge)
    assert r.status == 200, await r.text()
    await r.read()
    return view.transcript.document_id


async def test_the_clerk_sees_who_read_what_when_from_where_and_why(log: Log) -> None:
    document_id = await _accesses(log)
    court = log.a.court.id
    r = await log.get("clerk_a", f"/api/courts/{court}/access-log")
    assert r.status == 200, await r.text()
    page = await r.json()
    assert page["total"] == 2
    read, stream = page["entries"]  # newest first
    assert stream["action"] == "recording.streamed" and stream["target"] == "seg-1.mkv"
    assert stream["reason"] == WHY_STREAM and stream["address"] == "203.0.113.7"
    assert stream["person"] == f"审判员李明 ({log.a.judge.username})"
    assert stream["role"] == "judge" and stream["actor"] == f"staff:{log.a.judge.id}"
    assert stream["case_number"] == log.a.case.number
    assert read["action"] == "document.read" and read["reason"] == WHY_READ
    assert read["target"] == f"hearing_record {document_id}"
    assert read["address"] == "203.0.113.7"
    at = datetime.fromisoformat(stream["at"])
    assert abs(datetime.now(UTC) - at) < timedelta(minutes=5)
    # An administrator without a court sees it too.
    r = await log.get("root", f"/api/courts/{court}/access-log")
    assert (await r.json())["total"] == 2


async def test_filters_and_paging(log: Log) -> None:
    await _accesses(log)
    path = f"/api/courts/{log.a.court.id}/access-log"
    today = datetime.now(UTC).date()
    expect = {
        (("case", log.a.case.number),): 2, (("case", log.a.case.id),): 2,
        (("case", log.b.case.number),): 0, (("person", "李明"),): 2,
        (("person", log.a.judge.username.upper()),): 2, (("person", log.a.judge.id),): 2,
        (("person", "王芳"),): 0,
        (("since", (today - timedelta(days=1)).isoformat()),
         ("until", (today + timedelta(days=1)).isoformat())): 2,
        (("until", (today - timedelta(days=2)).isoformat()),): 0,
        (("since", (today + timedelta(days=2)).isoformat()),): 0,
    }
    for params, total in expect.items():
        r = await log.get("clerk_a", path, **dict(params))
        assert r.status == 200, (params, await r.text())
        assert (await r.json())["total"] == total, params
    r = await log.get("clerk_a", path, limit="1", offset="1")
    page = await r.json()
    assert page["total"] == 2 and [e["action"] for e in page["entries"]] == [
        "recording.streamed"]
    for bad in ({"since": "2026-13-01"}, {"until": "yesterday"}, {"limit": "0"},
                {"offset": "-1"}, {"since": "2026-12-02", "until": "2026-12-01"},
                {"person": "a\x00b"}):
        r = await log.get("clerk_a", path, **bad)
        assert r.status == 400, bad
        assert (await r.json())["error"]["code"] == "invalid_input", bad


async def test_only_the_courts_clerks_and_administrators(log: Log) -> None:
    await _accesses(log)
    path = f"/api/courts/{log.a.court.id}/access-log"
    for who in ("clerk_b", "mediator", "judge_a"):
        for suffix in ("", ".csv"):
            r = await log.get(who, path + suffix)
            assert r.status == 403, (who, suffix, await r.text())
    r = await log.client.get(path)
    assert r.status == 401
    r = await log.get("root", "/api/courts/no-such-court/access-log")
    assert r.status == 404
    # Court B's log does not show court A's reads.
    r = await log.get("clerk_b", f"/api/courts/{log.b.court.id}/access-log")
    assert (await r.json())["total"] == 0
    # Reading the log is itself audited, with the filter and the client's address.
    async with log.services.uow() as uow:
        reads = [e for e in await uow.audit.entries() if e.action == "access_log.read"]
    assert {e.actor for e in reads} == {f"staff:{log.b.clerk.id}"}
    assert reads[0].payload["court_id"] == log.b.court.id
    assert reads[0].payload["address"] == "127.0.0.1"


async def test_csv_export(log: Log) -> None:
    document_id = await _accesses(log)
    court = log.a.court.id
    r = await log.get("clerk_a", f"/api/courts/{court}/access-log.csv", person="李明")
    assert r.status == 200, await r.text()
    assert r.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in r.headers["Content-Disposition"]
    body = (await r.read()).decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(body.removeprefix("\ufeff"))))
    assert [row["action"] for row in rows] == ["document.read", "recording.streamed"]
    read, stream = rows
    assert read["reason"] == "'" + WHY_READ  # a formula is shown, never run
    assert read["target"] == f"hearing_record {document_id}"
    assert stream["reason"] == WHY_STREAM and stream["address"] == "203.0.113.7"
    assert stream["case_number"] == log.a.case.number
    assert stream["person"].startswith("审判员李明")
    async with log.services.uow() as uow:
        reads = [e for e in await uow.audit.entries() if e.action == "access_log.read"]
    assert [e.payload["as"] for e in reads] == ["csv"]
    assert reads[0].payload["filter"]["person"] == "李明"


def test_cells_that_would_be_formulas_are_quoted() -> None:
    assert [safe_cell(v) for v in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "ok",
                                   None, 3)] == [
        "'=1+1", "'+1", "'-1", "'@SUM(A1)", "'\tx", "'\rx", "ok", "", "3"]


async def _tool(*args: str) -> str:
    process = await asyncio.create_subprocess_exec(
        *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await process.communicate()
    return out.decode(errors="replace")


async def test_sealed_pdf_export(log: Log, tmp_path: Path) -> None:
    await _accesses(log)
    court = log.a.court.id
    r = await log.get("clerk_a", f"/api/courts/{court}/access-log.pdf", person="李明")
    assert r.status == 200, await r.text()
    assert r.headers["Content-Type"] == "application/pdf"
    data = await r.read()
    forge = log.client.app[FORGE]
    report = await forge.averify(data)
    assert report.ok, report
    assert report.kind == "access_log"
    fields = [s.field for s in report.signatures]  # sealed, then timestamped
    assert fields[0] == "court_seal" and fields[1].startswith("Timestamp") and len(fields) == 2
    path = tmp_path / "access-log.pdf"
    await asyncio.to_thread(path.write_bytes, data)
    text = "".join((await _tool("pdftotext", str(path), "-")).split())  # cells wrap
    for shown in (WHY_STREAM, "203.0.113.7", log.a.case.number, "审判员李明", "seg-1.mkv"):
        assert "".join(shown.split()) in text, (shown, text)
    assert "Signature is Valid" in await _tool("pdfsig", str(path))
    r = await log.get("clerk_b", f"/api/courts/{court}/access-log.pdf")
    assert r.status == 403
