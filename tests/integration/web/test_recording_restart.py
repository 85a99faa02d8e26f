"""SIGKILL of the server mid-hearing: on restart the gap is in the archive and the audit log,
and the recording goes on when the participant's media comes back."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from hearings.adapters.database import Database
from media.ice import HostAddresses
from tests.conftest import AUDIT_KEY
from tests.factories import Trial, make_trial
from tests.integration.media.streams import Sender
from tests.integration.signaling.conftest import ORIGIN, Client, Room_, in_session
from tests.integration.web.conftest import until
from tests.wiring import settle, wire
from web.app.bootstrap import Services

ROOT = Path(__file__).parents[3]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """One `court_proc` process on a data directory."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.process: subprocess.Popen[str] | None = None
        self.port = 0

    async def start(self) -> str:
        await asyncio.to_thread(self.launch)
        assert self.process is not None and self.process.stdout is not None
        line = await asyncio.wait_for(asyncio.to_thread(self.process.stdout.readline), 30)
        assert line.startswith("serving"), line
        url = f"http://127.0.0.1:{self.port}"
        async with aiohttp.ClientSession() as http:  # start-up ran; now the socket listens
            for _ in range(100):
                try:
                    async with http.get(f"{url}/readyz") as r:
                        if r.status == 200:
                            return url
                except aiohttp.ClientConnectionError:
                    pass
                await asyncio.sleep(0.1)
        raise AssertionError("the server did not become ready")

    def launch(self) -> None:
        self.port = free_port()
        env = {**os.environ, "PYTHONPATH": str(ROOT), "YUNTING_DATA_DIR": str(self.data_dir),
               "YUNTING_AUDIT_KEY": AUDIT_KEY.decode(), "YUNTING_ALLOWED_ORIGINS": ORIGIN,
               "YUNTING_ICE_HOST_ADDRESSES": "127.0.0.1", "YUNTING_MEDIA_SEGMENT_SECONDS": "2",
               "YUNTING_MEDIA_TIMEOUT": "1.5", "YUNTING_LOG_LEVEL": "WARNING"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.integration.web.court_proc", str(self.port)],
            cwd=self.data_dir, env=env, stdout=subprocess.PIPE, text=True)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)
        if self.process is not None and self.process.stdout is not None:
            self.process.stdout.close()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()
        if self.process is not None and self.process.stdout is not None:
            self.process.stdout.close()


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[tuple[Services, Trial, Server, list[Any]]]:
    db = Database(f"sqlite:///{tmp_path}/yunting.sqlite3")
    await db.create_all()
    services = wire(db)
    trial = await make_trial(services)
    pin = HostAddresses(("127.0.0.1",))  # this process's aiortc senders: loopback only
    pin.install()
    server = Server(tmp_path)
    closing: list[Any] = []
    yield services, trial, server, closing
    for thing in reversed(closing):
        await thing.close()
    server.stop()
    pin.uninstall()
    await settle()
    await db.dispose()


async def publish(client: Client, source: Path, closing: list[Any]) -> Sender:
    sender = Sender(source)
    closing.append(sender)
    assert await client.call("rtc.offer", {"to": "media", "sdp": await sender.offer()}) == {
        "ok": True}
    answer = await client.wait("rtc.answer", lambda d: d["from"] == "media")
    await sender.accept(answer["sdp"])
    return sender


@pytest.mark.slow  # two server start-ups and ~10 s of media
async def test_recorder_killed_mid_hearing_recovers_and_audits_the_gap(
        world: tuple[Services, Trial, Server, list[Any]], source_webm: Path,
        tmp_path: Path) -> None:
    services, trial, server, closing = world
    hid, pid = trial.hearing.id, trial.people["defendant"].id
    room = Room_(await server.start(), None, services, trial, [])  # type: ignore[arg-type]
    _judge, people = await in_session(room, "defendant")
    closing.extend(room.clients)
    await publish(people["defendant"], source_webm, closing)
    directory = tmp_path / "archive" / hid / pid
    segments: Callable[[], list[Path]] = lambda: sorted(directory.glob("seg-*.mkv"))  # noqa: E731
    await until(lambda: len(segments()) >= 2, 15, "segments written")
    server.kill()
    interrupted = segments()[-1]
    assert json.loads(interrupted.with_suffix(".json").read_text())["complete"] is False

    room = Room_(await server.start(), None, services, trial, [])  # type: ignore[arg-type]
    async with services.uow() as uow:
        entries = [e for e in await uow.audit.entries(hid) if e.action.startswith("recording.")]
    assert entries[-1].action == "recording.fail"
    assert entries[-1].payload["detail"].startswith("recorder restarted; gaps: ")
    assert interrupted.name in entries[-1].payload["detail"]
    gaps = [json.loads(line) for line in (tmp_path / "archive" / hid / "gaps.jsonl")
            .read_text().splitlines()]
    assert [(g["participant_id"], g["after_segment"]) for g in gaps] == [(pid, interrupted.name)]
    sidecar = json.loads(interrupted.with_suffix(".json").read_text())
    assert sidecar["complete"] is True and sidecar["recovered"] is True

    judge = await room.join("judge")
    defendant = await room.join("defendant")  # still in the hearing: straight back in
    closing.extend(room.clients)
    await publish(defendant, source_webm, closing)
    back = await judge.wait("recording.state", lambda d: d["state"] == "recording", within=10)
    assert back["because"] == "recording.recover" and back["previous"] == "failed"
    count = len(segments())
    await until(lambda: len(segments()) > count, 10, "a new segment after the restart")
    async with services.uow() as uow:
        actions = [e.action for e in await uow.audit.entries(hid)
                   if e.action.startswith("recording.")]
    assert actions == ["recording.recording", "recording.fail", "recording.recover"]
