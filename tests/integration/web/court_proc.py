"""Run the real app in a process of its own: `python -m tests.integration.web.court_proc PORT`.

Settings come from YUNTING_* variables (no .env). Used by the recorder-restart test, which
kills this process with SIGKILL mid-hearing.
"""

from __future__ import annotations

import logging
import sys

from aiohttp import web

from web.app.application import create_app
from web.settings import Settings


def main(port: int) -> None:
    settings = Settings.from_env(env_file=None)
    # As `yunting serve` logs (YUNTING_LOG_LEVEL): a failing test's log says what happened.
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(name)s %(message)s")
    app = create_app(settings)

    async def ready(app: web.Application) -> None:
        print(f"serving on 127.0.0.1:{port}", flush=True)

    app.on_startup.append(ready)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


if __name__ == "__main__":
    main(int(sys.argv[1]))
