"""One yunting server for the browser tests: `python -m tests.e2e.server_proc DATA_DIR PORT`.

The real application (create_app) with media on, a fresh SQLite database in DATA_DIR
seeded with the demo court, on 127.0.0.1:PORT. It writes the demo links by role to
DATA_DIR/links.json, then prints "ready" and serves until it is terminated.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web

from hearings.adapters.database import Database
from web.app.application import create_app
from web.app.bootstrap import bootstrap
from web.app.demo import seed_demo
from web.settings import Secret, Settings


def settings_for(data_dir: Path, port: int) -> Settings:
    base = f"http://127.0.0.1:{port}"
    return Settings(
        host="127.0.0.1", port=port, public_url=base, data_dir=data_dir,
        allowed_origins=(base,), ice_servers=(), ice_host_addresses=("127.0.0.1",),
        audit_key=Secret("e2e-audit-key-0123456789abcdef"), media_segment_seconds=30.0,
        media_timeout=3.0)


async def prepare(settings: Settings) -> dict[str, object]:
    database = Database(settings.database_url)
    try:
        await database.create_all()
        links = await seed_demo(bootstrap(settings, database), settings.public_url)
    finally:
        await database.dispose()
    return {link.role_key: link.as_json() for link in links}


def main(startup: Callable[[Path], Callable[[web.Application], Awaitable[None]]] | None = None
         ) -> int:
    """Serve DATA_DIR PORT (argv); `startup(data_dir)`, if given, is one more startup hook
    (a variant of this server, e.g. recorder_fault_proc's peer breaker)."""
    data_dir, port = Path(sys.argv[1]), int(sys.argv[2])
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    data_dir.mkdir(parents=True, exist_ok=True)
    settings = settings_for(data_dir, port)
    links = asyncio.run(prepare(settings))
    (data_dir / "links.json").write_text(json.dumps(links, ensure_ascii=False, indent=2))
    app = create_app(settings)
    if startup is not None:
        app.on_startup.append(startup(data_dir))
    print("ready", flush=True)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
