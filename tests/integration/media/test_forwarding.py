"""Selective forwarding with real aiortc peers: encoded frames from each publisher reach the
others unchanged, keyframe requests travel upstream, a slot changes publisher cleanly.

Each page stand-in (forwarding_client.Page) sends a file of its own picture size, so the
VP8 keyframes a subscriber gets say whose they are.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from media.forwarding_audience import MAIN_SIDE, Audience, Seat
from media.participant import ParticipantInfo
from media.peers import MediaService, MediaSettings
from tests.integration.media.forwarding_client import Page, frame_digests, until
from tests.integration.media.streams import make_source

JUDGE = ParticipantInfo("h1", "judge-1", role="judge", display_name="审判长")
PARTY = ParticipantInfo("h1", "party-1", role="plaintiff", display_name="原告")
OBSERVER = ParticipantInfo("h1", "observer-1", role="observer", display_name="旁听")


@pytest.fixture(scope="module")
def small_webm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_source(tmp_path_factory.mktemp("fwd") / "small.webm", seconds=20, size="320x240")


def _settings(tmp_path: Path) -> MediaSettings:
    return MediaSettings(archive_dir=tmp_path, host_addresses=("127.0.0.1",))


async def test_each_receives_the_others_frames_byte_for_byte(
        tmp_path: Path, source_webm: Path, small_webm: Path) -> None:
    slots: list[tuple[str, dict]] = []
    async with MediaService(_settings(tmp_path), lambda e: None,
                            on_slots=lambda h, p, s: slots.append((p, s))) as service:
        service.start("h1")
        await service.set_audience("h1", Audience({
            "judge-1": Seat(MAIN_SIDE, presiding=True), "party-1": Seat(MAIN_SIDE),
            "observer-1": Seat(MAIN_SIDE, publishes=False)}))
        judge, party = Page(JUDGE, source_webm), Page(PARTY, small_webm)
        observer = Page(OBSERVER)  # receive-only: recvonly sections only
        for page in (judge, party, observer):
            await page.join(service)
        pages = (judge, party, observer)
        await until(lambda: all(p.total("video") > 60 and p.total("audio") > 100 for p in pages))
        states = service.states("h1")
        judge_slots = service.slots("h1", "judge-1")
        observer_slots = service.slots("h1", "observer-1")
        observer_streams = observer.streams()
        for page in pages:
            await page.close()
    # Lip sync: a publisher's audio and video reach a subscriber in one MediaStream of
    # their own (Chromium synchronises one audio and one video per stream), no two
    # publishers in the same one.
    stream_of = {(kind, who): observer_streams[mid]
                 for kind in ("audio", "video") for mid, who in observer_slots[kind].items()}
    assert stream_of[("audio", "judge-1")] == stream_of[("video", "judge-1")]
    assert stream_of[("audio", "party-1")] == stream_of[("video", "party-1")]
    assert stream_of[("audio", "judge-1")] != stream_of[("audio", "party-1")]
    assert judge.sizes_seen() == {(320, 240)}
    assert party.sizes_seen() == {(640, 360)}
    assert observer.sizes_seen() == {(640, 360), (320, 240)}
    # Not decoded, not re-encoded: every forwarded frame is one of the publisher's frames.
    small, large = frame_digests(small_webm), frame_digests(source_webm)
    judge_frames = set().union(*(r.digests for r in judge.received.values()))
    party_frames = set().union(*(r.digests for r in party.received.values()))
    assert judge_frames and judge_frames <= small
    assert party_frames and party_frames <= large
    # Each video slot started on a keyframe.
    assert all(r.first_keyframe for p in pages for r in p.received.values() if r.frames)
    assert sorted(judge_slots["video"].values()) == ["party-1"]
    assert sorted(judge_slots["audio"].values()) == ["party-1"]
    assert sorted(observer_slots["video"].values()) == ["judge-1", "party-1"]
    assert not any(p == "observer-1" for s in service_slots(slots) for p in s)
    # Recorded as before; the observer publishes nothing and has no recording.
    assert states == {"judge-1": "recording", "party-1": "recording"}
    assert not (tmp_path / "h1" / "observer-1").exists()


def service_slots(told: list[tuple[str, dict]]) -> list[list[str]]:
    return [list(s["audio"].values()) + list(s["video"].values()) for _, s in told]


async def test_keyframe_requests_reach_the_publisher(tmp_path: Path) -> None:
    """The publisher encodes live (keyframes only when asked): a subscriber's PLI, and a
    new subscriber's first picture, come from keyframes the publisher made on request."""
    async with MediaService(_settings(tmp_path), lambda e: None) as service:
        await service.set_audience("h1", Audience({
            "judge-1": Seat(MAIN_SIDE), "party-1": Seat(MAIN_SIDE),
            "observer-1": Seat(MAIN_SIDE, publishes=False)}))
        publisher = Page(PARTY, live=True, audio_slots=0, video_slots=0)
        await publisher.join(service)
        first = Page(JUDGE, audio_slots=1, video_slots=1)
        await first.join(service)
        await until(lambda: first.total("video") > 30)
        mid = next(m for m, r in first.received.items() if r.kind == "video")
        plis, keyframes = publisher.upstream_plis, first.received[mid].keyframes
        await first.ask_keyframe(mid)
        await until(lambda: first.received[mid].keyframes > keyframes)
        after_pli = (publisher.upstream_plis, first.received[mid].keyframes)
        second = Page(OBSERVER, audio_slots=0, video_slots=1)
        await second.join(service)
        await until(lambda: second.total("video") > 10)
        for page in (publisher, first, second):
            await page.close()
    assert first.received[mid].first_keyframe
    assert after_pli[0] > plis and after_pli[1] > keyframes
    late = next(iter(second.received.values()))
    assert late.first_keyframe and late.keyframes >= 1 and late.frames > 10


async def test_a_slot_changes_publisher_and_keeps_playing(
        tmp_path: Path, source_webm: Path, small_webm: Path) -> None:
    """One video slot: the judge's picture, then (judge sent out) the party's, on the same
    sender — the subscriber's receiver keeps assembling frames across the change."""
    async with MediaService(_settings(tmp_path), lambda e: None) as service:
        seats = {"judge-1": Seat(MAIN_SIDE, presiding=True), "party-1": Seat(MAIN_SIDE),
                 "observer-1": Seat(MAIN_SIDE, publishes=False)}
        await service.set_audience("h1", Audience(seats))
        judge, party = Page(JUDGE, source_webm), Page(PARTY, small_webm)
        watcher = Page(OBSERVER, audio_slots=1, video_slots=1)
        for page in (judge, party, watcher):
            await page.join(service)
        slot = next(r for r in watcher.received.values() if r.kind == "video")
        await until(lambda: slot.frames > 30)
        before = slot.frames
        assert slot.sizes and set(slot.sizes) == {(640, 360)}  # the presiding judge first
        await service.set_audience("h1", Audience(seats | {"judge-1": Seat(None)}))
        await until(lambda: (320, 240) in slot.sizes and slot.frames > before + 30)
        for page in (judge, party, watcher):
            await page.close()
    switch = slot.sizes.index((320, 240))
    assert set(slot.sizes[:switch]) == {(640, 360)} and set(slot.sizes[switch:]) == {(320, 240)}
    assert slot.frames > before + 30


@pytest.fixture(scope="module")
def medium_webm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_source(tmp_path_factory.mktemp("fwd") / "medium.webm", seconds=20,
                       size="352x288")


async def test_audio_only_receive_stops_video_and_last_n_follows_the_speaker(
        tmp_path: Path, source_webm: Path, small_webm: Path, medium_webm: Path) -> None:
    """last_n = 1: a subscriber with five video slots gets the presiding judge and the one
    participant who speaks — not the silent one; in audio-only mode no video at all."""
    silent = ParticipantInfo("h1", "silent-1", role="witness")
    settings = MediaSettings(archive_dir=tmp_path, host_addresses=("127.0.0.1",), last_n=1)
    async with MediaService(settings, lambda e: None) as service:
        await service.set_audience("h1", Audience({
            "judge-1": Seat(MAIN_SIDE, presiding=True), "party-1": Seat(MAIN_SIDE),
            "silent-1": Seat(MAIN_SIDE), "observer-1": Seat(MAIN_SIDE, publishes=False)}))
        judge = Page(JUDGE, source_webm, send_audio=False)
        party = Page(PARTY, small_webm)  # the only one who speaks
        quiet = Page(silent, medium_webm, send_audio=False)
        watcher = Page(OBSERVER, audio_slots=3, video_slots=5)
        for page in (judge, party, quiet, watcher):
            await page.join(service)
        await until(lambda: {(640, 360), (320, 240)} <= watcher.sizes_seen()
                    and watcher.total("audio") > 100)
        shown = sorted(service.slots("h1", "observer-1")["video"].values())
        seen = watcher.sizes_seen()

        service.set_audio_only("h1", "observer-1", True)
        await asyncio.sleep(1.0)  # what was on the wire arrives
        video, audio = watcher.total_bytes("video"), watcher.total("audio")
        await until(lambda: watcher.total("audio") > audio + 50)
        after = (watcher.total_bytes("video"), watcher.total("audio"))
        audio_only_slots = service.slots("h1", "observer-1")
        for page in (judge, party, quiet, watcher):
            await page.close()
    assert shown == ["judge-1", "party-1"]
    assert (352, 288) not in seen
    assert after[0] == video and after[1] > audio  # audio goes on, no video byte more
    assert audio_only_slots["video"] == {} and audio_only_slots["audio"]
