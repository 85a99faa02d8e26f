"""The browser tests' server (tests.e2e.server_proc) with faults to inject: on SIGUSR1
the server's media peer of each participant named in DATA_DIR/break.json
(`[[hearing_id, participant_id, fault], ...]`) loses its connection:

- "expire": the way aioice loses it when consent to send expires — its ICE connection is
  closed under aiortc (sockets and all), so the browser's checks go unanswered;
- "blackhole": its UDP sockets drop everything that arrives (a blocked port): nothing
  on the server notices for a while, only the browser's connection stops answering.

`python -m tests.e2e.recorder_fault_proc DATA_DIR PORT`
"""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import sys
from pathlib import Path

from aiohttp import web

from tests.e2e.server_proc import main as serve
from web.keys import MEDIA

log = logging.getLogger("recorder_fault_proc")


def breaker(data_dir: Path):  # type: ignore[no-untyped-def]
    async def install(app: web.Application) -> None:
        loop = asyncio.get_running_loop()
        tasks: set[asyncio.Task[None]] = set()

        async def break_peers() -> None:
            wanted = json.loads((data_dir / "break.json").read_text())
            media = app[MEDIA]
            for hearing_id, participant_id, fault in wanted:
                peer = media.hearing(hearing_id).peers.get(participant_id)
                if peer is None:
                    log.warning("no server peer for %s in %s", participant_id, hearing_id)
                    continue
                connection = peer.pc.getTransceivers()[0].receiver.transport.transport._connection
                log.warning("breaking the server peer of %s: %s", participant_id, fault)
                if fault == "expire":
                    await connection.close()
                else:
                    for protocol in connection._protocols:
                        protocol.datagram_received = lambda data, addr: None

        def on_signal() -> None:
            task = asyncio.ensure_future(break_peers())
            tasks.add(task)
            task.add_done_callback(tasks.discard)

        loop.add_signal_handler(signal.SIGUSR1, on_signal)

    return install


def main() -> int:
    return serve(breaker)


if __name__ == "__main__":
    sys.exit(main())
