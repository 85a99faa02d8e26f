"""One signaling server process for the fault tests: `server_proc`, with a short process TTL.

`python -m tests.integration.signaling.fault_proc --process-ttl 2 ...` (the other
arguments as `server_proc`'s).
"""

from __future__ import annotations

import argparse
import sys

from aiohttp import web

from hearings.adapters.database import Database
from signaling import create_signaling
from signaling.follow import follow
from tests.integration.signaling.conftest import make_config, room_services
from tests.wiring import wire


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--redis-url", required=True)
    parser.add_argument("--channel", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--process-ttl", type=float, required=True)
    args = parser.parse_args()
    app = web.Application()
    db = Database(args.database_url)
    services = wire(db)
    signaling = create_signaling(
        make_config(redis_url=args.redis_url, redis_channel=args.channel,
                    process_ttl_s=args.process_ttl),
        room_services(services))
    follow(services.bus, signaling)  # the room hears the hearing's changes, as in the app
    signaling.attach(app)

    async def dispose(app: web.Application) -> None:
        await db.dispose()

    app.on_cleanup.append(dispose)
    web.run_app(app, host="127.0.0.1", port=args.port, print=None, access_log=None,
                handle_signals=True)


if __name__ == "__main__":
    sys.exit(main())
