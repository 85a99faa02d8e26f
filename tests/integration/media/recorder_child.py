"""A recorder in a process of its own, for crash tests: offer on stdin, answer on stdout.

Usage: python -m tests.integration.media.recorder_child ARCHIVE_DIR
Each stdin line is `{"participant_id": ..., "offer": sdp}`; each answer goes out as one JSON line.
Recording events go to stdout too, as `{"event": {...}}` lines.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from media.participant import ParticipantInfo
from media.peers import MediaService, MediaSettings
from media.recorder import RecordingEvent


def emit(payload: dict[str, object]) -> None:
    sys.stdout.write(json.dumps(payload) + "\n")
    sys.stdout.flush()


async def main(archive: Path) -> None:
    settings = MediaSettings(archive_dir=archive, host_addresses=("127.0.0.1",))

    def on_event(event: RecordingEvent) -> None:
        emit({"event": event.as_dict()})

    async with MediaService(settings, on_event) as service:
        service.start("h1")
        loop = asyncio.get_running_loop()
        while True:
            line = await loop.run_in_executor(None, sys.stdin.readline)
            if not line:
                break
            request = json.loads(line)
            info = ParticipantInfo("h1", request["participant_id"], role="party")
            emit({"answer": await service.answer(info, request["offer"])})


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1])))
