"""Two signaling servers in this process over the real Redis: per-hearing channels.

A process carries only the traffic of hearings it has a connection of; the
consultation wall holds across processes, and holds even when a process's cached
routing is wrong (the emit goes to a room named for the target and the side).
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from signaling import Signaling
from signaling.manager import HearingChannels
from signaling.presence import Routing
from tests.conftest import REDIS_URL
from tests.factories import Trial, make_trial
from tests.integration.signaling.conftest import Client, make_config, signaling_of
from tests.integration.signaling.test_two_processes import redis_up
from tests.wiring import wire
from web.app.bootstrap import Services

pytestmark = pytest.mark.redis

OFFER = (Path(__file__).parents[2] / "unit/signaling/sdp/chromium_offer.sdp").read_text()


class Cluster:
    def __init__(self, services: Services, urls: list[str], sigs: list[Signaling]) -> None:
        self.services = services
        self.urls = urls
        self.sigs = sigs
        self.clients: list[Client] = []

    def manager(self, i: int) -> HearingChannels:
        manager = self.sigs[i].sio.manager
        assert isinstance(manager, HearingChannels)
        return manager

    async def join(self, i: int, trial: Trial, key: str) -> Client:
        c = Client(self.urls[i], f"{key}@{i}")
        self.clients.append(c)
        await c.connect({"token": trial.links[key], "hearing_id": trial.hearing.id})
        await c.wait("snapshot")
        return c

    async def admit(self, judge: Client, trial: Trial, i: int, key: str) -> Client:
        c = await self.join(i, trial, key)
        pid = trial.people[key].id
        await judge.wait("lobby", lambda d: any(p["id"] == pid for p in d["waiting"]))
        assert (await judge.call("lobby.admit", {"participant_id": pid}))["ok"]
        await c.wait("participant.state", lambda d: d["state"] == "in_hearing")
        return c


@pytest.fixture
async def cluster(sqlite_services: Services, aiohttp_server: Any) -> AsyncIterator[Cluster]:
    await redis_up()
    channel = f"yunting-test-{secrets.token_hex(4)}"
    urls, sigs = [], []
    for _ in range(2):
        # Each process its own services and bus over the one database, as in production:
        # a command's events are published by the process that committed it.
        sig = signaling_of(wire(sqlite_services.database),
                           make_config(redis_url=REDIS_URL, redis_channel=channel))
        app = web.Application()
        sig.attach(app)
        server = await aiohttp_server(app, host="127.0.0.1")
        urls.append(f"http://127.0.0.1:{server.port}")
        sigs.append(sig)
    made = Cluster(sqlite_services, urls, sigs)
    yield made
    for c in made.clients:
        await c.close()
    for sig in sigs:
        await sig.namespace.drain()


async def settle(check: Callable[[], bool] | Callable[[], Awaitable[bool]],
                 within: float = 5.0) -> None:
    for _ in range(int(within / 0.05)):
        result = check()
        if isinstance(result, Awaitable):
            result = await result
        if result:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("never settled")


async def test_a_process_without_members_receives_none_of_the_hearings_traffic(
        cluster: Cluster) -> None:
    one = await make_trial(cluster.services)  # everyone on process 0
    two = await make_trial(cluster.services)  # the judge on 0, the lawyer on 1
    ids_one = {k: p.id for k, p in one.people.items()}
    judge1 = await cluster.join(0, one, "judge")
    lawyer1 = await cluster.admit(judge1, one, 0, "lawyer")
    judge2 = await cluster.join(0, two, "judge")
    lawyer2 = await cluster.admit(judge2, two, 1, "lawyer")
    a, b = cluster.manager(0), cluster.manager(1)
    assert a.hearings == {one.hearing.id, two.hearing.id}
    assert b.hearings == {two.hearing.id}

    for _ in range(5):
        assert (await judge1.call("rtc.offer", {"to": ids_one["lawyer"], "sdp": OFFER}))["ok"]
        await lawyer1.call("heartbeat", {"loss_pct": 1, "rtt_ms": 30, "bitrate_kbps": 900})
        await judge1.call("chat.reply", {"to": ids_one["lawyer"], "text": "请稍候"})
    await settle(lambda: len(lawyer1.seen("rtc.offer")) == 5)
    assert b.decoded[one.hearing.id] == 0  # nothing of hearing one reached process 1

    # Hearing two's traffic crosses, and process 0 skips its own echo undecoded (process
    # 1 may publish to hearing two meanwhile, so count the echoes, not the decodes).
    echoes = a.echoes[two.hearing.id]
    await judge2.call("rtc.offer", {"to": two.people["lawyer"].id, "sdp": OFFER})
    await lawyer2.wait("rtc.offer")
    assert b.decoded[two.hearing.id] > 0
    await settle(lambda: a.echoes[two.hearing.id] > echoes)
    assert b.echoes[one.hearing.id] == 0  # and never subscribed to hearing one at all

    # The lawyer leaves process 1: it unsubscribes from hearing two.
    await lawyer2.close()
    await settle(lambda: b.hearings == set())
    await judge2.wait("participants", lambda d: any(
        p["id"] == two.people["lawyer"].id and not p["online"] for p in d["participants"]))


async def test_the_consultation_wall_holds_across_processes(cluster: Cluster) -> None:
    trial = await make_trial(cluster.services)
    ids = {k: p.id for k, p in trial.people.items()}
    judge = await cluster.join(0, trial, "judge")
    lawyer = await cluster.admit(judge, trial, 1, "lawyer")
    defendant = await cluster.admit(judge, trial, 0, "defendant")
    for action in ("open_doors", "start"):
        assert (await judge.call("hearing.control", {"action": action}))["ok"]
    request = (await lawyer.call("consultation.request",
                                 {"participant_id": ids["defendant"]}))["request_id"]
    await defendant.wait("consultation.requested")
    assert (await defendant.call("consultation.accept", {"request_id": request}))["ok"]
    await lawyer.wait("consultation.started")

    # Across processes, inside the consultation: both ways.
    assert (await lawyer.call("rtc.offer", {"to": ids["defendant"], "sdp": OFFER}))["ok"]
    assert (await defendant.wait("rtc.offer"))["from"] == ids["lawyer"]
    assert (await defendant.call("rtc.answer", {"to": ids["lawyer"], "sdp": OFFER}))["ok"]
    await lawyer.wait("rtc.answer")
    # Across the wall: refused, whichever process the sender is on.
    for sender, target in ((judge, ids["lawyer"]), (lawyer, ids["judge"]),
                           (defendant, ids["judge"])):
        ack = await sender.call("rtc.offer", {"to": target, "sdp": OFFER})
        assert ack["error"]["code"] == "forbidden", ack

    # A process whose cached routing is wrong (says nobody consults) lets the judge's
    # offer through its check, but the emit goes to the lawyer's room on the judge's
    # side of the wall, which the lawyer is not in: nothing arrives.
    presence = cluster.sigs[0].presence
    hid = trial.hearing.id
    real = await presence.routing(hid)
    presence._routing[hid] = Routing(real.members, {k: "in_hearing" for k in real.states}, {})
    ack = await judge.call("rtc.offer", {"to": ids["lawyer"], "sdp": OFFER})
    assert ack["ok"], ack
    await judge.call("chat.reply", {"to": ids["lawyer"], "text": "marker"})
    await lawyer.wait("chat.message", lambda d: d["text"] == "marker")
    assert [d["from"] for d in lawyer.seen("rtc.offer")] == []
    assert not any(d["from"] == ids["judge"] for d in defendant.seen("rtc.offer"))

    # The consultation ends: a routing change on process 1 reaches process 0's cache.
    await lawyer.call("consultation.leave")
    await lawyer.wait("participant.state", lambda d: d["state"] == "in_hearing")
    await settle(lambda: hid not in presence._routing
                 or not presence._routing[hid].consultation)
    assert (await judge.call("rtc.offer", {"to": ids["lawyer"], "sdp": OFFER}))["ok"]
    assert (await lawyer.wait("rtc.offer"))["from"] == ids["judge"]


async def test_quality_reaches_the_judge_on_a_change_of_class(cluster: Cluster) -> None:
    trial = await make_trial(cluster.services)
    judge = await cluster.join(0, trial, "judge")
    lawyer = await cluster.admit(judge, trial, 1, "lawyer")
    pid = trial.people["lawyer"].id
    for loss in (1, 2, 3, 12, 13, 20):
        await lawyer.call("heartbeat", {"loss_pct": loss, "rtt_ms": 50, "bitrate_kbps": 700})
    await judge.wait("quality", lambda d: d["level"] == "bad")
    assert [d["level"] for d in judge.seen("quality")] == ["good", "poor", "bad"]
    await lawyer.call("heartbeat", {"loss_pct": 25, "rtt_ms": 50, "bitrate_kbps": 700})
    # Process 1 keeps the latest figures and writes them in its next flush (every
    # second; here at once), which the judge's snapshot on process 0 reads.
    await cluster.sigs[1].hub.quality.flush()
    await judge.call("snapshot.request")
    snap = await judge.wait("snapshot", lambda d: d.get("quality", {}).get(pid, {}).get(
        "loss_pct") == 25)
    assert snap["quality"][pid]["level"] == "bad"


async def test_a_relay_is_not_refused_while_only_the_other_process_listens(
        cluster: Cluster) -> None:
    """Just after a Redis restart the other process may be subscribed again before this one:
    Redis then counts one receiver, the other process. The relay reached it, so it is
    acknowledged — refused, the page would send it again and it would arrive twice."""
    trial = await make_trial(cluster.services)
    judge = await cluster.join(0, trial, "judge")
    lawyer = await cluster.admit(judge, trial, 1, "lawyer")
    a = cluster.manager(0)
    room = f"h:{trial.hearing.id}"
    assert a.listening(room)
    await a._sub.unsubscribe(a.hearing_channel(trial.hearing.id))  # our listener not back yet
    await settle(lambda: not a.listening(room))

    ack = await judge.call("rtc.offer", {"to": trial.people["lawyer"].id, "sdp": OFFER})
    assert ack["ok"], ack
    await lawyer.wait("rtc.offer")


async def test_a_probe_tells_a_live_process_from_a_gone_one(
        cluster: Cluster, monkeypatch: pytest.MonkeyPatch) -> None:
    """A live process answers which sids it holds; a process whose listening connection
    Redis does not list (killed) is gone without waiting for an answer."""
    import signaling.manager

    monkeypatch.setattr(signaling.manager, "PROBE_TIMEOUT_S", 60.0)
    trial = await make_trial(cluster.services)
    lawyer = await cluster.join(1, trial, "lawyer")
    a, b = cluster.manager(0), cluster.manager(1)
    assert await a.probe(b.host_id, [lawyer.sid, "no-such-sid"]) == {lawyer.sid}
    gone = await asyncio.wait_for(a.probe("0" * 32, [lawyer.sid]), 10)  # never listened
    assert gone is None


async def test_a_reconnection_during_the_departure_is_not_lost(
        cluster: Cluster, monkeypatch: pytest.MonkeyPatch) -> None:
    """The lawyer's last connection on process 0 closes; while its departure runs, the
    lawyer connects again on process 1. The departure wiped their presence and stored
    `disconnected` — process 1 then writes them again and they arrive again."""
    trial = await make_trial(cluster.services)
    lawyer_id = trial.people["lawyer"].id
    judge = await cluster.join(0, trial, "judge")
    lawyer = await cluster.admit(judge, trial, 0, "lawyer")
    hub = cluster.sigs[0].hub
    original = hub.end_consultation
    back: list[Client] = []

    async def reconnect_meanwhile(hid: str, identity: str, actor: Any) -> None:
        if identity == lawyer_id and not back:  # just after the departure's first check
            back.append(await cluster.join(1, trial, "lawyer"))
        await original(hid, identity, actor)

    monkeypatch.setattr(hub, "end_consultation", reconnect_meanwhile)
    await lawyer.close()
    await settle(lambda: bool(back), within=10)
    await cluster.sigs[0].namespace.drain()

    async def in_hearing() -> bool:
        hearing = await cluster.services.scheduling.hearing(trial.clerk_actor, trial.hearing.id)
        return hearing.participant(lawyer_id).state.value == "in_hearing"

    await settle(in_hearing, within=10)
    await judge.wait("participants", lambda d: any(
        p["id"] == lawyer_id and p["state"] == "in_hearing" and p["online"]
        for p in d["participants"]))
    ack = await judge.call("rtc.offer", {"to": lawyer_id, "sdp": OFFER})
    assert ack["ok"], ack
    await back[0].wait("rtc.offer")
