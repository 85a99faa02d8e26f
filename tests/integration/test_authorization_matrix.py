"""Who may do what, over REST: two courts, every staff role (an administrator without a court,
and per court an administrator, a clerk, a judge, a mediator) and participants' join tokens,
against court A's courts, cases, hearings, records, documents, recordings and mediations.

A refusal is exactly 403; an allowed call is anything but 403 (and never a 5xx): a missing
file is 404, a live recording cannot be packaged (409), and so on. hearings/domain/policy.py is the
rule; THREAT_MODEL.md prints it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from hearings.adapters.database import Database
from hearings.domain.actors import SYSTEM, Actor
from hearings.domain.commands import ChangeHearing, CreateStaffUser, OpenCase, ScheduleHearing
from hearings.domain.courts import Court
from hearings.domain.hearing import Hearing
from hearings.domain.staff import StaffUser
from tests.conftest import AUDIT_KEY
from tests.factories import Trial, make_trial
from web.app.application import create_app
from web.app.bootstrap import Services
from web.keys import SERVICES
from web.settings import Secret, Settings

Client = TestClient[Any, Any]
STAFF = ("admin", "admin_a", "clerk_a", "judge_a", "mediator_a",
         "admin_b", "clerk_b", "judge_b", "mediator_b")
EVERYONE = (*STAFF, "party_a", "party_b", "nobody")
COURT_A_STAFF = {"admin", "admin_a", "clerk_a", "judge_a", "mediator_a"}
TRIAL_STAFF_A = {"admin", "admin_a", "clerk_a", "judge_a"}
BODY = "审：现在开庭。核对被告人身份。\n被告人：我叫张某。"


@dataclass
class World:
    client: Client
    services: Services
    a: Trial
    b: Trial
    mediation: Hearing
    headers: dict[str, dict[str, str]]
    users: dict[str, StaffUser]

    async def call(self, who: str, method: str, path: str, body: Any = None) -> int:
        response = await self.client.request(method, path, json=body,
                                             headers=self.headers[who])
        text = (await response.read())[:300]
        assert response.status < 500, f"{who} {method} {path}: {response.status} {text!r}"
        return response.status

    async def matrix(self, method: str, path: str, allowed: set[str], body: Any = None,
                     who: tuple[str, ...] = EVERYONE) -> None:
        wrong = {}
        for name in who:
            status = await self.call(name, method, path, body)
            refused = status in (401, 403)
            if refused == (name in allowed):
                wrong[name] = status
        assert not wrong, f"{method} {path}: unexpected answers {wrong}"


async def _staff(services: Services, username: str, role: str, court: Court | None
                 ) -> StaffUser:
    return await services.access.create_staff_user(SYSTEM, CreateStaffUser(
        username, f"{role} {username}", role, f"{username}-password-1",  # type: ignore[arg-type]
        court.id if court else None))


async def _headers(services: Services, user: StaffUser) -> dict[str, str]:
    password = f"{user.role.value}-password-1" if user.username.startswith(("clerk", "judge")) \
        else f"{user.username}-password-1"  # tests/factories.py's, or ours
    logged = await services.access.login(user.username, password)
    return {"Cookie": f"yunting_session={logged.secret}",
            "X-CSRF-Token": logged.session.csrf_token}


@pytest.fixture
async def world(database: Database, tmp_path: Any,
                aiohttp_client: Callable[..., Awaitable[Client]]) -> World:
    settings = Settings(data_dir=tmp_path, audit_key=Secret(AUDIT_KEY.decode()),
                        media_enabled=False)
    app = create_app(settings, database=database)
    client = await aiohttp_client(app)
    services: Services = app[SERVICES]
    a, b = await make_trial(services), await make_trial(services)
    users = {"clerk_a": a.clerk, "judge_a": a.judge, "clerk_b": b.clerk, "judge_b": b.judge,
             "admin": await _staff(services, f"root{a.court.code[1:]}", "admin", None)}
    for key, trial in (("a", a), ("b", b)):
        code = trial.court.code[1:]
        users[f"admin_{key}"] = await _staff(services, f"admin{code}", "admin", trial.court)
        users[f"mediator_{key}"] = await _staff(services, f"mediator{code}", "mediator",
                                                trial.court)
    headers = {name: await _headers(services, user) for name, user in users.items()}
    headers["party_a"] = {"Authorization": f"Bearer {a.links['defendant']}"}
    headers["party_b"] = {"Authorization": f"Bearer {b.links['defendant']}"}
    headers["nobody"] = {}
    # A mediation of court A, run by its mediator.
    case = await services.scheduling.open_case(SYSTEM, OpenCase(
        a.court.id, "mediation", "邻里纠纷", procedure="民诉前调"))  # type: ignore[arg-type]
    mediation = await services.scheduling.schedule_hearing(SYSTEM, ScheduleHearing(
        case.id, "mediation", "邻里纠纷视频调解", datetime.now(UTC) + timedelta(hours=1),  # type: ignore[arg-type]
        users["mediator_a"].id))
    # In session: the recording is being made (searchable, not yet packageable).
    for action in ("open_doors", "start"):
        await services.control.change_hearing(SYSTEM, ChangeHearing(b.hearing.id, action))
        await services.control.change_hearing(SYSTEM, ChangeHearing(a.hearing.id, action))
    return World(client, services, a, b, mediation, headers, users)


async def test_courts_sites_and_cases(world: World) -> None:
    a = world.a
    await world.matrix("GET", f"/api/courts/{a.court.id}/sites", COURT_A_STAFF)
    await world.matrix("GET", f"/api/cases/{a.case.id}", COURT_A_STAFF)
    listed = await (await world.client.get("/api/courts", headers=world.headers["clerk_b"])).json()
    assert [c["id"] for c in listed] == [world.b.court.id]  # staff see their own court
    everything = await (await world.client.get("/api/courts",
                                               headers=world.headers["admin"])).json()
    assert {a.court.id, world.b.court.id} <= {c["id"] for c in everything}
    codes = iter(f"渝{n:04d}" for n in range(9000, 9100))
    wrong = {}
    for who in EVERYONE:  # registering a court: an administrator without a court only
        status = await world.call(who, "POST", "/api/courts",
                                  {"name": "另一个法院", "code": next(codes)})
        if (status == 201) != (who == "admin"):
            wrong[who] = status
    assert not wrong, wrong


async def test_hearings_of_another_court_are_out_of_reach(world: World) -> None:
    hid = world.a.hearing.id
    await world.matrix("GET", f"/api/hearings/{hid}", COURT_A_STAFF | {"party_a"})
    await world.matrix("GET", f"/api/hearings/{hid}/notifications", COURT_A_STAFF)
    await world.matrix("POST", f"/api/hearings/{hid}/participants",
                       {"admin", "admin_a", "clerk_a"},
                       {"name": "证人", "role": "witness"}, who=STAFF)
    # Changing the hearing: the clerks and administrators of the court, and its host. Each
    # allowed call suspends and the next resumes (or is refused by the state table: 409).
    before = (await world.services.scheduling.hearing(SYSTEM, hid)).state
    await world.matrix("POST", f"/api/hearings/{hid}/transitions",
                       set(), {"action": "open_doors"},
                       who=("mediator_a", "admin_b", "clerk_b", "judge_b", "mediator_b",
                            "party_a", "party_b", "nobody"))
    assert (await world.services.scheduling.hearing(SYSTEM, hid)).state == before
    for who in ("clerk_a", "admin_a", "admin", "judge_a"):
        assert await world.call(who, "POST", f"/api/hearings/{hid}/transitions",
                                {"action": "cancel"} if who == "judge_a" else
                                {"action": "open_doors"}) in (200, 409), who
    for who in ("clerk_a", "admin_a", "admin", "mediator_a", "judge_b"):  # host only
        assert await world.call(who, "POST", f"/api/hearings/{hid}/transitions",
                                {"action": "close"}) == 403, who


async def test_trial_records_and_transcripts_by_role(world: World) -> None:
    hid = world.a.hearing.id
    # The trial's transcript, sent for signature: a transcript PDF (trial material).
    clerk = Actor.staff(world.a.clerk)
    await world.services.transcripts.save(clerk, hid, BODY, 0)
    view = await world.services.transcripts.send_for_signature(clerk, hid)
    assert view.transcript is not None and view.transcript.document_id is not None
    readers = TRIAL_STAFF_A | {"party_a"}
    await world.matrix("GET", f"/api/hearings/{hid}/transcript", readers)
    await world.matrix("GET", f"/api/documents/{view.transcript.document_id}/pdf?reason=appeal",
                       readers)
    await world.matrix("PUT", f"/api/hearings/{hid}/transcript", {"admin", "admin_a", "clerk_a",
                                                               "judge_a"},
                       {"body": BODY, "version": 1}, who=STAFF)
    async with world.services.uow() as uow:
        reads = [e for e in await uow.audit.entries(hid) if e.action == "document.read"]
    assert {e.payload["reason"] for e in reads} == {"appeal"}
    assert {e.payload["grounds"] for e in reads} == {
        "document.read.trial as admin", "document.read.trial as clerk",
        "document.read.trial as judge"}


async def test_recordings_by_role(world: World) -> None:
    hid, number = world.a.hearing.id, world.a.case.number
    await world.matrix("GET", f"/api/recordings/{hid}/files/seg-1.mkv?reason=appeal",
                       TRIAL_STAFF_A)
    await world.matrix("GET", f"/api/recordings/{hid}/verification?reason=appeal",
                       TRIAL_STAFF_A)
    await world.matrix("POST", f"/api/recordings/{hid}/package", TRIAL_STAFF_A,
                       {"reason": "appeal"})
    found = {}
    for who in STAFF:
        r = await world.client.get(f"/api/recordings?case_number={number}&reason=r",
                                   headers=world.headers[who])
        assert r.status == 200, (who, await r.text())
        found[who] = [x["hearing"]["id"] for x in await r.json()]
    assert found == {who: [hid] if who in TRIAL_STAFF_A else [] for who in STAFF}


async def test_mediation_console_and_duty_roster(world: World) -> None:
    path = f"/mediations/{world.mediation.id}/console"
    for who, status in (("mediator_a", 200), ("admin", 200), ("mediator_b", 403),
                        ("admin_b", 403)):
        r = await world.client.get(path, headers=world.headers[who], allow_redirects=False)
        assert r.status == status, (who, r.status)
        assert ("邻里纠纷视频调解" in await r.text()) == (status == 200)
    await world.matrix("GET", f"/api/mediations/{world.mediation.id}",
                       COURT_A_STAFF, who=STAFF)
    shift = {"judge_user_id": world.a.judge.id, "starts_at": "2026-01-01T08:00:00+08:00"}
    assert await world.call("admin", "POST", "/api/duty/shifts", shift) == 400  # which court?
    assert await world.call("admin", "POST", "/api/duty/shifts",
                            shift | {"court_id": world.a.court.id}) == 201
    await world.matrix("POST", "/api/duty/shifts", {"admin_a", "clerk_a"}, shift,
                       who=("admin_a", "clerk_a", "judge_a", "mediator_a", "admin_b",
                            "clerk_b"))


async def test_a_clerk_cannot_seat_themselves_or_anyone_unfit_as_judge(world: World) -> None:
    """The attack: a hearing with no presiding judge, a 'judge' seat named like the judge but
    bound to the clerk's own account, then the clerk signs the judge's field."""
    a, clerk = world.a, world.headers["clerk_a"]
    r = await world.client.post("/api/hearings", headers=clerk, json={
        "case_id": a.case.id, "kind": "trial", "title": "无审判长",
        "scheduled_at": "2026-11-23T09:00:00+08:00"})
    assert r.status == 201
    hid = (await r.json())["id"]
    seat = {"name": a.judge.display_name, "role": "judge"}
    for user, status in ((a.clerk, 403),  # their own account
                         (world.users["mediator_a"], 400), (world.users["admin_a"], 400),
                         (world.b.judge, 400)):  # not a judge, or another court's
        r = await world.client.post(f"/api/hearings/{hid}/participants", headers=clerk,
                                    json=seat | {"staff_user_id": user.id})
        assert r.status == status, (user.username, await r.text())
    r = await world.client.post(f"/api/hearings/{hid}/participants", headers=clerk,
                                json=seat | {"staff_user_id": a.judge.id})
    assert r.status == 201  # the court's real judge, whose own key will sign
    r = await world.client.post("/api/hearings", headers=clerk, json={
        "case_id": a.case.id, "kind": "trial", "title": "书记员当审判长",
        "scheduled_at": "2026-11-23T09:00:00+08:00", "presiding_user_id": a.clerk.id})
    assert r.status == 400, await r.text()


async def test_the_routes_added_for_issues_14_17_18(world: World) -> None:
    """Rescheduling, invitations, the participant's REST transitions and mute, the notice of
    rights, the e-file jobs: court A's staff as the policy says, never court B's or a party."""
    hid, a = world.a.hearing.id, world.a
    hearing = await world.services.scheduling.hearing(SYSTEM, hid)
    other = next(p for p in hearing.participants
                 if p.staff_user_id is None and p.role.value != "defendant")
    later = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    clerks = {"admin", "admin_a", "clerk_a"}
    await world.matrix("POST", f"/api/hearings/{hid}/reschedule", clerks,
                       {"scheduled_at": later})
    await world.matrix("POST", f"/api/hearings/{hid}/participants/{other.id}/invitation",
                       clerks)
    # a party mutes nobody but themself; the host controls the lobby (a state refusal: 409)
    await world.matrix("PUT", f"/api/hearings/{hid}/participants/{other.id}/mute",
                       {"judge_a"}, {"muted": True})
    await world.matrix("POST", f"/api/hearings/{hid}/participants/{other.id}/transitions",
                       {"judge_a"}, {"action": "send_back"})
    await world.matrix("POST", f"/api/hearings/{hid}/transcript/rights", clerks | {"judge_a"})
    await world.matrix("GET", f"/api/cases/{a.case.id}/efile/jobs/{'0' * 24}", clerks)
    await world.matrix("GET", f"/api/cases/{a.case.id}/efile/jobs/{'0' * 24}/pdf", clerks)


async def test_the_plea_statement_routes(world: World) -> None:
    """The plea statement (issue 17.1): read as the transcript is read; drafted by court A's
    clerks and the presiding judge (and an interrogation's prosecutor: the service test);
    a trial has none, so those allowed get 400, not 403."""
    hid = world.a.hearing.id
    await world.matrix("GET", f"/api/hearings/{hid}/plea", TRIAL_STAFF_A | {"party_a"})
    await world.matrix("POST", f"/api/hearings/{hid}/plea",
                       {"admin", "admin_a", "clerk_a", "judge_a"},
                       {"charges": "盗窃罪", "facts": "事实", "sentencing_proposal": "六个月",
                        "procedure": "速裁程序"})
    await world.matrix("GET", f"/api/hearings/{hid}/plea/pdf", TRIAL_STAFF_A | {"party_a"})
