"""Launch one signaling server process: `python -m tests.integration.signaling.server_proc`.

Builds a tiny aiohttp app (the hearings services on the given database, signaling
attached with the given Redis) on 127.0.0.1:<port>. Used by the two-process test
and the benchmark; web/'s `yunting serve` will replace it.
"""

from __future__ import annotations

import argparse
import os
import sys

from aiohttp import web

from hearings.adapters.database import Database
from signaling import create_signaling
from signaling.collector import tune_collector
from signaling.follow import follow
from tests.integration.signaling.conftest import make_config, room_services
from tests.wiring import wire


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--redis-url", default="")
    parser.add_argument("--channel", default="yunting-signaling")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--burst", type=int, default=60)
    args = parser.parse_args()
    app = web.Application()
    db = Database(args.database_url)
    services = wire(db)
    signaling = create_signaling(
        make_config(redis_url=args.redis_url or None, redis_channel=args.channel,
                    rate_per_s=args.rate, rate_burst=args.burst),
        room_services(services))
    follow(services.bus, signaling)
    signaling.attach(app)

    async def dispose(app: web.Application) -> None:
        await db.dispose()

    app.on_cleanup.append(dispose)
    if not os.environ.get("YUNTING_GC_DEFAULT"):  # set it to measure without tuning
        tune_collector()
    print(f"serving on 127.0.0.1:{args.port}", flush=True)
    profile = os.environ.get("YUNTING_PROFILE")  # a path: write cProfile stats there
    if profile:
        import cProfile

        with cProfile.Profile() as prof:
            try:
                web.run_app(app, host="127.0.0.1", port=args.port, print=None,
                            access_log=None, handle_signals=True)
            finally:
                prof.dump_stats(f"{profile}.{args.port}")
        return
    web.run_app(app, host="127.0.0.1", port=args.port, print=None, access_log=None,
                handle_signals=True)


if __name__ == "__main__":
    sys.exit(main())
