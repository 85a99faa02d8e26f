"""The room's rules hold in the forwarder, with real aiortc peers (issue 15.2).

Each page sends a picture of its own size, so what a subscriber receives says whose it
is: a consultation reaches only the pair and is not recorded, a waiting witness receives
nothing and goes to nobody, a muted participant's audio is not forwarded (the video
still is), a removed participant's peer is hung up when the audience says so.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from media.forwarding_audience import MAIN_SIDE, Audience, Seat
from media.participant import ParticipantInfo
from media.peers import MediaService, MediaSettings
from tests.integration.media.forwarding_client import Page, until
from tests.integration.media.streams import make_source

JUDGE = ParticipantInfo("h1", "judge-1", role="judge")
LAWYER = ParticipantInfo("h1", "lawyer-1", role="defence_lawyer")
DEFENDANT = ParticipantInfo("h1", "defendant-1", role="defendant")
WITNESS = ParticipantInfo("h1", "witness-1", role="witness")
SIZES = {"judge-1": (640, 360), "lawyer-1": (320, 240), "defendant-1": (352, 288),
         "witness-1": (480, 270)}


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("rules")
    return {pid: make_source(folder / f"{pid}.webm", seconds=25, size=f"{w}x{h}")
            for pid, (w, h) in SIZES.items()}


async def _settled(page: Page) -> None:
    """Until nothing more arrives for half a second (frames in flight at a change)."""
    last = -1
    for _ in range(20):
        now = page.total("video") + page.total("audio")
        if now == last:
            return
        last = now
        await asyncio.sleep(0.5)


def _seen(page: Page) -> set[str]:
    by_size = {size: pid for pid, size in SIZES.items()}
    return {by_size[s] for s in page.sizes_seen()}


async def test_the_rules_of_the_room(tmp_path: Path, sources: dict[str, Path]) -> None:
    settings = MediaSettings(archive_dir=tmp_path, host_addresses=("127.0.0.1",))
    inside = {"judge-1": Seat(MAIN_SIDE, presiding=True), "lawyer-1": Seat(MAIN_SIDE),
              "defendant-1": Seat(MAIN_SIDE), "witness-1": Seat(None)}
    async with MediaService(settings, lambda e: None) as service:
        service.start("h1")
        await service.set_audience("h1", Audience(inside))
        pages = {info.participant_id: Page(info, sources[info.participant_id])
                 for info in (JUDGE, LAWYER, DEFENDANT, WITNESS)}
        for page in pages.values():
            await page.join(service)
        judge, lawyer, defendant, witness = pages.values()
        await until(lambda: all(len(_seen(p)) == 2 for p in (judge, lawyer, defendant)))
        # A waiting witness: receives nothing, is sent to nobody.
        assert witness.total("video") == witness.total("audio") == 0
        assert _seen(judge) == {"lawyer-1", "defendant-1"}
        assert _seen(lawyer) == {"judge-1", "defendant-1"}

        # A private consultation: the pair only, and not recorded.
        await service.set_audience("h1", Audience(inside | {
            "lawyer-1": Seat("c1"), "defendant-1": Seat("c1")}))
        await _settled(judge)  # what was on the wire already arrives
        judge_video, judge_audio = judge.total("video"), judge.total("audio")
        lawyer_frames = lawyer.total("video")
        await until(lambda: lawyer.total("video") > lawyer_frames + 60)
        consulting = service.states("h1")
        assert judge.total("video") == judge_video and judge.total("audio") == judge_audio
        assert lawyer.total("video") > lawyer_frames + 60
        assert service.slots("h1", "judge-1") == {"audio": {}, "video": {}}
        assert set(service.slots("h1", "lawyer-1")["video"].values()) == {"defendant-1"}
        assert consulting == {"judge-1": "recording", "lawyer-1": "paused",
                              "defendant-1": "paused", "witness-1": "paused"} or consulting == {
            "judge-1": "recording", "lawyer-1": "paused", "defendant-1": "paused",
            "witness-1": "standby"}

        # Back in the hearing, the defendant muted: their video is forwarded, not their audio.
        await service.set_audience("h1", Audience(inside | {
            "defendant-1": Seat(MAIN_SIDE, muted=True)}))
        back = judge.total("video")
        await until(lambda: judge.total("video") > back + 60)
        judge_slots = service.slots("h1", "judge-1")
        muted_states = service.states("h1")
        assert set(judge_slots["video"].values()) == {"lawyer-1", "defendant-1"}
        assert set(judge_slots["audio"].values()) == {"lawyer-1"}
        assert muted_states["lawyer-1"] == muted_states["defendant-1"] == "recording"

        # Removed: the peer is hung up by the time the audience is applied.
        await service.set_audience("h1", Audience(inside | {
            "defendant-1": Seat(MAIN_SIDE, removed=True)}))
        assert service.participant("h1", "defendant-1") is None
        await until(lambda: defendant.pc.connectionState in ("closed", "failed"))
        assert defendant.pc.connectionState in ("closed", "failed")
        assert "defendant-1" not in service.slots("h1", "judge-1")["video"].values()
        for page in pages.values():
            await page.close()
    assert witness.total("video") == witness.total("audio") == 0
    assert "witness-1" not in _seen(judge) | _seen(lawyer) | _seen(defendant)
    assert not (tmp_path / "h1" / "witness-1").exists() or not any(
        (tmp_path / "h1" / "witness-1").glob("seg-*"))
