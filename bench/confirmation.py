"""Judicial confirmation benchmark: the system's share of "30 days → 30 minutes".

What is timed is what yunting itself adds once the judge has decided: from the moment the
decision POST leaves the judge's browser until the last socket in the mediation room (the
mediator and both parties, plus the judge) has received `document.delivered` for the
signed ruling. In between: the ruling is rendered (WeasyPrint, PDF/A-3b, CJK), certified
with the court seal, signed by the judge, finished to PAdES B-LTA (validation data and a
document timestamp), stored, audited, published into the room, and each delivery recorded.

Everything is real and on 127.0.0.1: create_app on an aiohttp server, SQLite, the
development PKI, RFC 3161 timestamps fetched over HTTP (pyHanko's HTTP timestamper, as with
a production TSA URL) from the development TSA served by a second aiohttp server on
127.0.0.1, and python-socketio clients in the room. Each run
is a fresh mediation (agreement drafted and signed by hand by both parties and the
mediator, application filed, taken by the duty judge) so that no run reuses another's
documents; only the decision → delivered span is timed.

    .venv/bin/python bench/confirmation.py [--runs N]

Prints the figures and ends with one JSON line:
{"bench": "confirmation", "decide_to_delivered_p50_ms": ..., "p95_ms": ...}
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import socket
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TARGET_P50_MS = 1500.0


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def serve_tsa(forge: Any, port: int) -> Any:
    """The development TSA (same PKI as the app) over HTTP, as a production TSA would be."""
    from aiohttp import web

    async def tsa(request: web.Request) -> web.Response:
        reply = await forge.atsa_respond(await request.read())
        return web.Response(body=reply, content_type="application/timestamp-reply")

    app = web.Application()
    app.router.add_post("/tsa", tsa)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner


async def run(runs: int, data_dir: Path) -> dict[str, Any]:
    from aiohttp import web

    from docforge.forge import DocumentForge
    from hearings.adapters.database import Database
    from tests.conftest import AUDIT_KEY
    from tests.integration.confirmation.flow import Flow
    from tests.integration.signaling.conftest import ORIGIN
    from web.app import create_app
    from web.keys import FORGE, SERVICES
    from web.settings import Secret, Settings
    from web.wiring import docforge_config

    port, tsa_port = free_port(), free_port()
    base = f"http://127.0.0.1:{port}"
    plain = Settings(data_dir=data_dir, audit_key=Secret(AUDIT_KEY.decode()),
                     allowed_origins=(ORIGIN,), media_enabled=False)
    tsa_runner = await serve_tsa(DocumentForge(docforge_config(plain)), tsa_port)
    settings = Settings(data_dir=data_dir, audit_key=Secret(AUDIT_KEY.decode()),
                        allowed_origins=(ORIGIN,), media_enabled=False,
                        tsa_url=f"http://127.0.0.1:{tsa_port}/tsa")
    database = Database(settings.database_url)
    await database.create_all()
    app = create_app(settings, database=database)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    await app[FORGE].awarm_up()
    system_ms: list[float] = []
    client_ms: list[float] = []
    try:
        for i in range(runs + 1):  # the first run warms fonts, keys and the TSA: not counted
            flow = Flow(base, app[SERVICES])
            await flow.setup()
            try:
                await flow.sign_agreement()
                app_id = await flow.apply_and_take()
                body, ms = await flow.decide(app_id)
            finally:
                await flow.close()
            server_ms = body["timings"]["decide_to_delivered_ms"]
            label = "warm-up" if i == 0 else f"run {i:2d}"
            print(f"{label}: decision POST → last socket {ms:7.1f} ms "
                  f"(server: received → published {server_ms:7.1f} ms)", flush=True)
            if i:
                client_ms.append(ms)
                system_ms.append(server_ms)
    finally:
        await runner.cleanup()
        await tsa_runner.cleanup()
        await database.dispose()
    return {"runs": runs, "client_ms": client_ms, "server_ms": system_ms}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    warnings.filterwarnings("ignore", category=ResourceWarning)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="yunting-bench-confirmation-") as tmp:
        result = asyncio.run(run(args.runs, Path(tmp)))
    client, server = result["client_ms"], result["server_ms"]
    p50, p95 = statistics.median(client), percentile(client, 0.95)
    print(f"\n{args.runs} runs in {time.perf_counter() - started:.0f} s")
    print(f"decision POST → ruling delivered to every socket: p50 {p50:.0f} ms, "
          f"p95 {p95:.0f} ms, max {max(client):.0f} ms")
    print(f"server share (decision received → document.delivered published): "
          f"p50 {statistics.median(server):.0f} ms, p95 {percentile(server, 0.95):.0f} ms")
    print(f"target p50 < {TARGET_P50_MS:.0f} ms: {'met' if p50 < TARGET_P50_MS else 'NOT met'}")
    print(json.dumps({"bench": "confirmation", "decide_to_delivered_p50_ms": round(p50, 1),
                      "p95_ms": round(p95, 1),
                      "server_p50_ms": round(statistics.median(server), 1),
                      "runs": args.runs}))


if __name__ == "__main__":
    main()
