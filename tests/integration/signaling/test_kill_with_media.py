"""SIGKILL of a `yunting serve` process in the two-process Redis deployment, mid-hearing, with
media: the participants on it reconnect (none held), the judge's controls work, media and
recording resume after the restart, and the gap is in the manifest and the audit log.

Real processes (`serve_kit.Server`: the app from YUNTING_* settings), a redis-server of the
test's own, the shared PostgreSQL; the defendant joins as the browser does (socket.io + one
aiortc peer to the server's media peer).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.factories import Trial
from tests.integration.media.streams import make_source
from tests.integration.signaling.serve_kit import (
    Participant,
    RedisServer,
    Server,
    admit_and_start,
    redis_deployment,
    until,
)
from web.app.bootstrap import Services

pytestmark = [pytest.mark.slow, pytest.mark.redis, pytest.mark.postgres]


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_source(tmp_path_factory.mktemp("kill-src") / "source.webm", seconds=30)


@pytest.fixture
async def world(postgres_url: str, tmp_path: Path
                ) -> AsyncIterator[tuple[Services, Trial, RedisServer]]:
    async with redis_deployment(postgres_url) as world:
        yield world


async def test_a_killed_process_with_media_recovers_in_the_redis_deployment(
        world: tuple[Services, Trial, RedisServer], postgres_url: str, source: Path,
        tmp_path: Path) -> None:
    services, trial, redis = world
    hid, pid = trial.hearing.id, trial.people["defendant"].id
    # The close's work (sealing) inline: with Redis it would wait for a `yunting jobs`
    # worker, which this test does not run (tests/integration/web/test_jobs_queue.py does).
    settings = {"database_url": postgres_url, "redis_url": redis.url, "jobs": "inline"}
    a = Server(tmp_path, tmp_path / "server-a.log", **settings)
    b = Server(tmp_path, tmp_path / "server-b.log", **settings)
    judge = Participant(trial, "judge", source)
    defendant = Participant(trial, "defendant", source)
    lawyer = Participant(trial, "lawyer", source)
    try:
        await asyncio.gather(a.start(), b.start())
        # Judge and defendant on B (the one killed), the lawyer on A (which stays).
        j = await judge.join(b.url)
        await admit_and_start(j, await defendant.join(b.url), pid)
        lw = await lawyer.join(a.url)
        assert (await j.call("lobby.admit", {"participant_id": trial.people["lawyer"].id}))["ok"]
        await lw.wait("participant.state", lambda d: d["state"] == "in_hearing")
        await defendant.publish()
        segments = tmp_path / "archive" / hid / pid
        await until(lambda: len(list(segments.glob("seg-*.mkv"))) >= 2, 20, "two segments")

        await asyncio.to_thread(b.kill)
        await defendant.close()  # its peer and socket died with the process
        await judge.close()
        await b.start()
        # Both reconnect at once, as the page does: neither is held behind the dead
        # process's presence (even while its heartbeat key has not expired yet).
        j = await judge.join(b.url)
        d = await defendant.join(b.url)
        for who, c in (("judge", j), ("defendant", d)):
            assert not c.seen("session.held"), who
            assert c.seen("snapshot")[-1]["you"]["standing"] != "held", who

        # Media and recording resume.
        await defendant.publish()
        back = await j.wait("recording.state", lambda e: e["state"] == "recording", within=20)
        assert back["because"] == "recording.recover", back
        count = len(list(segments.glob("seg-*.mkv")))
        await until(lambda: len(list(segments.glob("seg-*.mkv"))) > count, 20,
                    "a segment after the restart")
        # The judge's controls work, and reach the lawyer on the other process.
        for action, state in (("pause", "paused"), ("resume", "in_session")):
            ack = await j.call("hearing.control", {"action": action})
            assert ack["ok"], ack
            await lw.wait("hearing.state", lambda e: bool(e["state"] == state),  # noqa: B023
                          within=10)
        await j.wait("recording.state", lambda e: e["state"] == "recording"
                     and e["previous"] == "paused", within=10)
        count = len(list(segments.glob("seg-*.mkv")))
        await until(lambda: len(list(segments.glob("seg-*.mkv"))) > count, 20,
                    "a segment after the resume")

        assert (await j.call("hearing.control", {"action": "close"}))["ok"]
        manifest_path = tmp_path / "archive" / hid / "manifest.json"
        await until(manifest_path.exists, 40, "the recording sealed")
        manifest = json.loads(manifest_path.read_text())
        extra = manifest["extra"]
        assert extra["complete"] is False, extra
        missing = extra["missing_seconds"]
        assert any(k.endswith(pid) or k == pid for k in missing), missing

        async def recording_actions() -> list[str]:
            async with services.uow() as uow:
                return [e.action for e in await uow.audit.entries(hid)
                        if e.action.startswith("recording.")]

        deadline = asyncio.get_running_loop().time() + 20
        while "recording.finish_incomplete" not in await recording_actions():
            assert asyncio.get_running_loop().time() < deadline, await recording_actions()
            await asyncio.sleep(0.2)
        async with services.uow() as uow:
            entries = await uow.audit.entries(hid)
        fails = [e for e in entries if e.action == "recording.fail"]
        assert any(e.payload["detail"].startswith("recorder restarted; gaps: ")
                   for e in fails), [e.payload for e in fails]
        held = [e for e in entries if "duplicate" in e.action]
        assert not held, [(e.action, e.payload) for e in held]
    finally:
        for p in (judge, defendant, lawyer):
            await p.close()
        await asyncio.to_thread(a.stop)
        await asyncio.to_thread(b.stop)
