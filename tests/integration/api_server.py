"""The real application for the API fuzz test: `python -m tests.integration.api_server DIR PORT`.

create_app on 127.0.0.1:PORT over a fresh SQLite database in DIR seeded with the demo
court (tests/e2e/server_proc.py's seeding), media off. The guessing limits are raised:
the fuzzer's random codes and passwords would otherwise lock 127.0.0.1 out within five
tries and every later answer would be a 429 (documented, but it would test nothing else).
Writes the demo links to DIR/links.json, prints "ready" and serves until terminated.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from pathlib import Path

from aiohttp import web

from tests.e2e.server_proc import prepare
from web.app.application import create_app
from web.settings import Secret, Settings


def settings_for(data_dir: Path, port: int) -> Settings:
    base = f"http://127.0.0.1:{port}"
    return Settings(
        host="127.0.0.1", port=port, public_url=base, data_dir=data_dir,
        allowed_origins=(base,), ice_servers=(), media_enabled=False,
        audit_key=Secret("fuzz-audit-key-0123456789abcdef"), login_max_failures=1_000_000)


def main() -> int:
    data_dir, port = Path(sys.argv[1]), int(sys.argv[2])
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    data_dir.mkdir(parents=True, exist_ok=True)
    settings = settings_for(data_dir, port)
    links = asyncio.run(prepare(settings))
    (data_dir / "links.json").write_text(json.dumps(links, ensure_ascii=False, indent=2))
    app = create_app(settings)
    print("ready", flush=True)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
