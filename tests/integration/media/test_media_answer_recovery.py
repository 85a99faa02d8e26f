"""A reconnecting participant's earlier segments are recovered off the event loop.

Recovery reads every segment of the participant with PyAV (and rewrites cut ones):
on the loop it would stall every other peer and socket of the process meanwhile.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

import media.peers
from media.participant import ParticipantInfo
from media.peers import MediaService, MediaSettings
from media.recovery import recover_participant
from tests.integration.media.streams import Sender, remux_as_segments


async def test_earlier_segments_are_recovered_in_a_thread(
    tmp_path: Path, source_webm: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    info = ParticipantInfo("h1", "p1", role="judge", site="courtroom-1", display_name="审判长")
    remux_as_segments(source_webm, tmp_path, info, start_wall=time.time() - 60, seconds=6,
                      segment_seconds=2)
    threads: list[int] = []

    def recover(directory: Path) -> None:
        threads.append(threading.get_ident())
        recover_participant(directory)  # the real thing, with PyAV

    monkeypatch.setattr(media.peers, "recover_participant", recover)
    settings = MediaSettings(archive_dir=tmp_path, host_addresses=("127.0.0.1",))
    async with MediaService(settings, lambda event: None) as service:
        sender = Sender(source_webm)
        try:
            await sender.accept(await service.answer(info, await sender.offer()))
        finally:
            await sender.close()
    assert threads and threads[0] != threading.get_ident()
