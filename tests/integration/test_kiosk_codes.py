"""Kiosk enrollment and the short kiosk code (issue 18.1), on SQLite and PostgreSQL.

The court's clerk enrolls a kiosk to the clinic over REST (the credential once, as a setup
link that stores an HttpOnly, Secure cookie); the witness's 8-digit code, issued with the
join link, opens the hearing at that kiosk on the hearing's day — and nowhere else: not in
an unenrolled browser, not at a kiosk of another site, not at a revoked kiosk, not on
another day. Refused tries lock the kiosk and the code out, with one audit row per lockout.
The long join link still opens the hearing on a phone."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from hearings.adapters.database import Database
from hearings.domain.commands import IssueJoinLink
from hearings.domain.staff import StaffUser
from tests.conftest import AUDIT_KEY
from tests.factories import Trial, make_trial
from web.app.application import create_app
from web.app.bootstrap import Services
from web.keys import SERVICES
from web.settings import Secret, Settings

Client = TestClient[Any, Any]
BASE = "https://yunting.example"
LIMIT = 4


async def _login(services: Services, user: StaffUser, password: str) -> dict[str, str]:
    logged = await services.access.login(user.username, password)
    return {"Cookie": f"yunting_session={logged.secret}",
            "X-CSRF-Token": logged.session.csrf_token}


@pytest.fixture
async def court(database: Database, tmp_path: Path,
                aiohttp_client: Callable[..., Awaitable[Client]]
                ) -> tuple[Client, Services, Trial, Trial]:
    settings = Settings(data_dir=tmp_path, audit_key=Secret(AUDIT_KEY.decode()),
                        media_enabled=False, public_url=BASE, login_max_failures=LIMIT)
    app = create_app(settings, database=database)
    client = await aiohttp_client(app)
    services: Services = app[SERVICES]
    return client, services, await make_trial(services), await make_trial(services)


async def _enroll(client: Client, headers: dict[str, str], site_id: str) -> dict[str, Any]:
    response = await client.post(f"/api/sites/{site_id}/kiosks", json={"label": "一号机"},
                                 headers=headers)
    assert response.status == 201, await response.text()
    return dict(await response.json())


async def _set_up(client: Client, setup_url: str) -> str:
    """Open the setup link on the kiosk: an HttpOnly, Secure cookie, then the start page."""
    response = await client.get(setup_url.removeprefix(BASE), allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == "/kiosk"
    cookie = response.cookies["yunting_kiosk"]
    assert cookie["httponly"] and cookie["secure"] and cookie["samesite"] == "Strict"
    return f"yunting_kiosk={cookie.value}"


async def _type(client: Client, code: str, cookie: str | None) -> tuple[int, str]:
    headers = {"Cookie": cookie} if cookie else {}
    response = await client.post("/kiosk", data={"code": code}, headers=headers)
    return response.status, await response.text()


async def _code(services: Services, trial: Trial) -> str:
    link = await services.scheduling.issue_join_link(trial.clerk_actor, IssueJoinLink(
        trial.hearing.id, trial.people["witness"].id))
    assert link.kiosk_code is not None and len(link.kiosk_code) == 8
    return link.kiosk_code


def _joined(status: int, page: str) -> bool:
    if status != 200:  # refused in the kiosk's words, one answer whatever failed
        assert status == 403 and 'data-reason="unknown_token"' in page, (status, page[:300])
    return status == 200 and 'data-testid="kiosk-start"' not in page and "村民刘大山" in page


async def test_the_code_opens_the_hearing_only_at_an_enrolled_kiosk_of_its_site_that_day(
        court: tuple[Client, Services, Trial, Trial]) -> None:
    client, services, a, b = court
    clerk_a = await _login(services, a.clerk, "clerk-password-1")
    code = await _code(services, a)
    # the API answers the short code with the join link (the summons prints the long one)
    response = await client.post(
        f"/api/hearings/{a.hearing.id}/participants/{a.people['witness'].id}/join-links",
        headers=clerk_a)
    assert response.status == 201 and len((await response.json())["kiosk_code"]) == 8

    kiosk = await _enroll(client, clerk_a, a.clinic.id)
    assert "secret" in kiosk and kiosk["setup_url"].startswith(f"{BASE}/kiosk/enroll?code=")
    cookie = await _set_up(client, kiosk["setup_url"])
    other_site = await _set_up(client, (await _enroll(client, clerk_a, a.courtroom.id))
                               ["setup_url"])

    assert not _joined(*await _type(client, code, None))  # an unenrolled browser
    assert not _joined(*await _type(client, code, other_site))
    assert _joined(*await _type(client, code, cookie))
    assert _joined(*await _type(client, code[:4] + "-" + code[4:], cookie))

    # another court's clerk can neither list nor enroll here; the listing has no secrets
    clerk_b = await _login(services, b.clerk, "clerk-password-1")
    assert (await client.get(f"/api/sites/{a.clinic.id}/kiosks", headers=clerk_b)).status \
        == 403
    listed = await (await client.get(f"/api/sites/{a.clinic.id}/kiosks",
                                     headers=clerk_a)).json()
    assert [k["id"] for k in listed] == [kiosk["id"]] and "secret" not in listed[0]

    revoked = await client.post(f"/api/kiosks/{kiosk['id']}/revoke", headers=clerk_b)
    assert revoked.status == 403
    revoked = await client.post(f"/api/kiosks/{kiosk['id']}/revoke", headers=clerk_a)
    assert revoked.status == 200 and (await revoked.json())["revoked_at"]
    assert not _joined(*await _type(client, code, cookie))
    setup = await client.get(kiosk["setup_url"].removeprefix(BASE), allow_redirects=False)
    assert setup.status == 403  # a revoked credential sets nothing up again
    assert "yunting_kiosk" not in setup.cookies

    # revoking the participant's join links revokes the codes issued with them
    fresh = await _code(services, a)
    cookie = await _set_up(client, (await _enroll(client, clerk_a, a.clinic.id))["setup_url"])
    assert _joined(*await _type(client, fresh, cookie))
    gone = await client.delete(
        f"/api/hearings/{a.hearing.id}/participants/{a.people['witness'].id}/join-links",
        headers=clerk_a)
    assert gone.status == 200, await gone.text()
    assert not _joined(*await _type(client, fresh, cookie))

    # the long link still opens the hearing on a phone (a new one: all were revoked)
    a.links["witness"] = (await services.scheduling.issue_join_link(
        a.clerk_actor, IssueJoinLink(a.hearing.id, a.people["witness"].id))).secret
    phone = await client.get(f"/join/{a.links['witness']}")
    assert phone.status == 200 and "村民刘大山" in await phone.text()


async def test_the_code_is_refused_on_another_day(
        court: tuple[Client, Services, Trial, Trial]) -> None:
    client, services, a, _ = court
    clerk_a = await _login(services, a.clerk, "clerk-password-1")
    code = await _code(services, a)
    cookie = await _set_up(client, (await _enroll(client, clerk_a, a.clinic.id))["setup_url"])
    async with services.uow() as uow:
        hearing = await uow.hearings.get(a.hearing.id)
        hearing.scheduled_at += timedelta(days=2)
        await uow.commit()
    assert not _joined(*await _type(client, code, cookie))
    async with services.uow() as uow:
        hearing = await uow.hearings.get(a.hearing.id)
        hearing.scheduled_at -= timedelta(days=2)
        await uow.commit()
    assert _joined(*await _type(client, code, cookie))


async def test_refused_codes_lock_the_kiosk_out_with_one_audit_row(
        court: tuple[Client, Services, Trial, Trial]) -> None:
    client, services, a, _ = court
    clerk_a = await _login(services, a.clerk, "clerk-password-1")
    code = await _code(services, a)
    cookie = await _set_up(client, (await _enroll(client, clerk_a, a.clinic.id))["setup_url"])
    wrong = f"{(int(code) + 1) % 10 ** 8:08d}"
    for _ in range(LIMIT):
        status, _page = await _type(client, wrong, cookie)
        assert status == 403
    for _ in range(3):  # locked: even the right code waits, and nothing more is audited
        status, _page = await _type(client, code, cookie)
        assert status == 429
    async with services.uow() as uow:
        rows = [e for e in await uow.audit.entries() if e.action == "kiosk_code.locked"]
    assert len(rows) == 1 and rows[0].payload["count"] == LIMIT
    assert code not in str(rows[0].payload) and wrong not in str(rows[0].payload)


async def test_the_summons_prints_a_kiosk_code_that_opens_the_hearing_at_the_kiosk(
        court: tuple[Client, Services, Trial, Trial], tmp_path: Path) -> None:
    client, services, a, _ = court
    clerk_a = await _login(services, a.clerk, "clerk-password-1")
    cookie = await _set_up(client, (await _enroll(client, clerk_a, a.clinic.id))["setup_url"])
    response = await client.post(
        f"/api/hearings/{a.hearing.id}/participants/{a.people['witness'].id}/summons",
        headers=clerk_a)
    assert response.status == 200, await response.text()
    pdf = tmp_path / "summons.pdf"
    pdf.write_bytes(await response.read())
    process = await asyncio.create_subprocess_exec(
        "pdftotext", str(pdf), "-", stdout=asyncio.subprocess.PIPE)
    out, _err = await process.communicate()
    printed = re.search(r"\b(\d{4}) (\d{4})\b", out.decode())
    assert printed, "no kiosk code on the summons"
    assert _joined(*await _type(client, printed[1] + printed[2], cookie))
