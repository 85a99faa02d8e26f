"""Summonses over REST (issue 18.1), on SQLite and PostgreSQL: the court's clerk downloads a
defendant's 传票 and a witness's 出庭通知书; zbar reads the join link and the case's inquiry
address from the rendered pages, the join link opens the hearing as that participant,
pdfsig validates the court seal, fonts are embedded and the Chinese text reads back. Another
court's clerk and a judge are refused; a staff seat gets none; each one is audited without
its secret."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from hearings.adapters.database import Database
from hearings.domain.inquiry import format_code
from hearings.domain.staff import StaffUser
from hearings.services.inquiries import Inquiries
from tests.conftest import AUDIT_KEY
from tests.factories import Trial, make_trial
from web.app.application import create_app
from web.app.bootstrap import Services
from web.keys import SERVICES
from web.settings import Secret, Settings

Client = TestClient[Any, Any]
BASE = "https://yunting.example"

pytestmark = [
    pytest.mark.filterwarnings("ignore:unclosed file.*sRGB2014:ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]


async def _login(services: Services, user: StaffUser, password: str) -> dict[str, str]:
    logged = await services.access.login(user.username, password)
    return {"Cookie": f"yunting_session={logged.secret}",
            "X-CSRF-Token": logged.session.csrf_token}


def _read(pdf: bytes, directory: Path) -> tuple[list[str], str, str, str]:
    """QR codes (zbar), text, fonts and signatures of the PDF, as poppler and zbar see them."""
    directory.mkdir()
    path = directory / "summons.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "150", "-png", str(path), str(directory / "page")],
                   check=True)
    pages = sorted(str(p) for p in directory.glob("page*.png"))
    codes = subprocess.run(["zbarimg", "-q", "--raw", *pages], capture_output=True, text=True,
                           check=False).stdout.split()

    def run(*args: str) -> str:
        return subprocess.run(args, capture_output=True, text=True, check=False).stdout

    return sorted(codes), run("pdftotext", str(path), "-"), run("pdffonts", str(path)), \
        run("pdfsig", str(path))


@pytest.fixture
async def court(database: Database, tmp_path: Path,
                aiohttp_client: Callable[..., Awaitable[Client]]
                ) -> tuple[Client, Services, Trial, dict[str, dict[str, str]]]:
    settings = Settings(data_dir=tmp_path, audit_key=Secret(AUDIT_KEY.decode()),
                        media_enabled=False, public_url=BASE)
    app = create_app(settings, database=database)
    client = await aiohttp_client(app)
    services: Services = app[SERVICES]
    a, b = await make_trial(services), await make_trial(services)
    headers = {"clerk_a": await _login(services, a.clerk, "clerk-password-1"),
               "judge_a": await _login(services, a.judge, "judge-password-1"),
               "clerk_b": await _login(services, b.clerk, "clerk-password-1")}
    return client, services, a, headers


async def test_the_clerk_downloads_sealed_summonses_whose_qr_codes_open_the_hearing(
        court: tuple[Client, Services, Trial, dict[str, dict[str, str]]], tmp_path: Path
) -> None:
    client, services, a, headers = court
    _, inquiry = await Inquiries(services.uow).of_case(a.clerk_actor, a.case.id)
    url = f"/api/hearings/{a.hearing.id}/participants/{{}}/summons"

    async with client.post(url.format(a.people["defendant"].id),
                          headers=headers["clerk_a"]) as r:
        assert r.status == 200 and r.content_type == "application/pdf", await r.text()
        assert r.headers["Cache-Control"] == "private, no-store"
        pdf = await r.read()
    codes, text, fonts, sig = await asyncio.to_thread(_read, pdf, tmp_path / "defendant")

    inquiry_address = f"{BASE}/inquiry?code={format_code(inquiry.code)}"
    join = [c for c in codes if c.startswith(f"{BASE}/join/")]
    assert len(codes) == 2 and inquiry_address in codes and len(join) == 1, codes
    for words in ("传 票", a.court.name, a.case.number, "张某", "受传唤人", "渝北区看守所提讯室",
                  format_code(inquiry.code)):
        assert words in text, (words, text)
    assert all(line.split()[-5] == "yes" for line in fonts.splitlines()[2:]), fonts
    assert "court_seal" in sig and "Signature is Valid" in sig, sig

    # The QR's join link is the defendant's own.
    async with client.post("/api/join", json={"code": join[0].rsplit("/", 1)[1]}) as r:
        assert r.status == 200, await r.text()
        assert (await r.json())["participant"]["id"] == a.people["defendant"].id

    # A witness at the clinic gets a notice to appear, naming the clinic.
    async with client.post(url.format(a.people["witness"].id),
                          headers=headers["clerk_a"]) as r:
        assert r.status == 200, await r.text()
        pdf = await r.read()
    codes, text, _, sig = await asyncio.to_thread(_read, pdf, tmp_path / "witness")
    assert "出 庭 通 知 书" in text and "大盛镇法官e站" in text and "村民刘大山" in text, text
    assert "Signature is Valid" in sig and len(codes) == 2, codes

    async with services.uow() as uow:
        issued = [e for e in await uow.audit.entries(a.hearing.id)
                  if e.action == "summons.issued"]
    assert [e.payload["kind"] for e in issued] == ["summons", "appearance_notice"]
    assert all(join[0].rsplit("/", 1)[1] not in str(e.payload) for e in issued)


async def test_only_the_courts_clerks_get_a_summons(
        court: tuple[Client, Services, Trial, dict[str, dict[str, str]]]) -> None:
    client, _, a, headers = court
    url = f"/api/hearings/{a.hearing.id}/participants/{a.people['defendant'].id}/summons"
    for who in ("clerk_b", "judge_a"):
        async with client.post(url, headers=headers[who]) as r:
            assert r.status in (403, 404), (who, r.status)
    async with client.post(url) as r:
        assert r.status == 401
    # It mints a join link: never by a GET, never without the session's CSRF header.
    async with client.get(url, headers=headers["clerk_a"]) as r:
        assert r.status == 405
    cookie_only = {"Cookie": headers["clerk_a"]["Cookie"]}
    async with client.post(url, headers=cookie_only) as r:
        assert r.status == 403 and (await r.json())["error"]["code"] == "csrf_failed"
    judge_seat = f"/api/hearings/{a.hearing.id}/participants/{a.people['judge'].id}/summons"
    async with client.post(judge_seat, headers=headers["clerk_a"]) as r:
        assert r.status == 400, await r.text()
    async with client.post(f"/api/hearings/{a.hearing.id}/participants/nobody/summons",
                          headers=headers["clerk_a"]) as r:
        assert r.status == 404
