"""Chaos benchmark: what a process kill and a Redis restart cost a hearing.

Real `yunting serve` processes (`tests/integration/web/court_proc.py`: create_app from
YUNTING_* settings) on 127.0.0.1, a participant that joins as the browser does (socket.io
client + an aiortc peer to the server's media peer, sending a pre-encoded VP8/Opus file).

- kill_gap_s_embedded: one embedded server (SQLite, in-process signaling). The defendant
  publishes, the server is SIGKILLed mid-recording, restarted on the same data directory,
  judge and defendant reconnect (retrying, as the page does) and the defendant publishes
  again. The gap is read from the archive (the sidecars' wall-clock spans, media/coverage.py):
  the longest hole in the defendant's recording. Worst of --runs.
- kill_gap_s_redis: the same with two processes over a redis-server of our own and a
  PostgreSQL database of our own (`yunting_chaos`, dropped and created per run); the judge
  is on process A, the defendant on B; B is killed, restarted, the defendant reconnects to B.
- kill_gap_s_redis_failover: the same, but the defendant reconnects at once to the surviving
  process A (a load balancer without sticky sessions) while B restarts.
- redis_routing_recovery_s: two processes (media off) over our redis-server; judge on A,
  lawyer on B, in session. Redis is stopped for 3 s and started again (empty: no
  persistence); the lawyer sends a chat every 200 ms; the figure is the seconds from Redis
  listening again to the first chat arriving at the judge on the other process.

    .venv/bin/python bench/chaos.py [--runs 3] [--postgres-url postgresql://postgres@127.0.0.1:5432/postgres]

Progress on stderr; ends with one JSON line: {"bench": "chaos", "kill_gap_s_embedded": ...,
"kill_gap_s_redis": ..., "kill_gap_s_redis_failover": ..., "redis_routing_recovery_s": ..., and
the runs}. Gaps and recovery are the worst of the runs. About 3 minutes with --runs 3.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hearings.adapters.database import Database  # noqa: E402
from media.ice import HostAddresses  # noqa: E402
from tests.factories import make_trial  # noqa: E402
from tests.integration.media.streams import make_source  # noqa: E402
from tests.integration.signaling.serve_kit import (  # noqa: E402
    Participant,
    RedisServer,
    Server,
    admit_and_start,
    longest_hole,
    until,
)
from tests.wiring import wire  # noqa: E402

CHAOS_DB = "yunting_chaos"


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


async def kill_run(work: Path, source: Path, *, postgres_url: str | None,
                   redis: RedisServer | None, failover: bool = False) -> dict[str, Any]:
    """One kill mid-recording; the defendant's longest recording hole and what it saw.

    failover (Redis only): the defendant reconnects to the other, surviving process (what a
    load balancer without sticky sessions does) while the killed one restarts."""
    await asyncio.to_thread(work.mkdir, parents=True)
    db_url = postgres_url or f"sqlite:///{work}/yunting.sqlite3"
    db = Database(db_url)
    if postgres_url:
        await db.drop_all()
    await db.create_all()
    trial = await make_trial(wire(db))
    await db.dispose()
    hid, pid = trial.hearing.id, trial.people["defendant"].id
    extra = {"database_url": postgres_url or "", "redis_url": redis.url} if redis else {}
    a = Server(work, work / "server-a.log", **extra)
    b = Server(work, work / "server-b.log", **extra) if redis else a  # b: the defendant's
    judge, defendant = Participant(trial, "judge", source), Participant(trial, "defendant", source)
    try:
        await asyncio.gather(*(s.start() for s in ({a, b} if redis else {a})))
        j = await judge.join(a.url)
        await admit_and_start(j, await defendant.join(b.url), pid)
        await defendant.publish()
        segments = work / "archive" / hid / pid
        await until(lambda: len(list(segments.glob("seg-*.mkv"))) >= 2, 20, "two segments")
        b.kill()
        killed = time.time()
        await defendant.close()  # its peer and socket died with the process
        if not redis:
            await judge.close()
        if failover:  # the defendant's page lands on the surviving process at once
            restart = asyncio.ensure_future(b.start())
            rejoined = await defendant.join(a.url)
        else:
            ready = await b.start()
            if not redis:
                await judge.join(a.url)
            rejoined = await defendant.join(b.url)
        standing = defendant.standing()
        held_s = 0.0
        if rejoined.seen("session.held"):
            # The killed process's entries still count until its heartbeat key expires
            # (process_ttl_s): the page waits, held, until the server makes it active.
            started = time.monotonic()
            await rejoined.wait("session.active", within=30)
            held_s = time.monotonic() - started
        await defendant.publish()
        count = len(list(segments.glob("seg-*.mkv")))
        await until(lambda: len(list(segments.glob("seg-*.mkv"))) > count + 1, 20,
                    "segments after the restart")
        if failover:
            ready = await restart
        gap, spans = longest_hole(work / "archive" / hid, pid)
        resumed = next((s for s, _ in spans if s > killed), None)
        return {"gap_s": round(gap, 2), "restart_s": round(ready - killed, 2),
                # failover: the defendant did not wait for the restart
                "media_back_after_ready_s": None if resumed is None or failover
                else round(resumed - ready, 2),
                "media_back_after_kill_s": None if resumed is None else round(resumed - killed, 2),
                "standing_after_rejoin": standing, "held_s": round(held_s, 2)}
    finally:
        await defendant.close()
        await judge.close()
        a.stop()
        b.stop()


async def routing_recovery(work: Path, postgres_url: str, redis: RedisServer) -> dict[str, Any]:
    await asyncio.to_thread(work.mkdir, parents=True)
    db = Database(postgres_url)
    await db.drop_all()
    await db.create_all()
    trial = await make_trial(wire(db))
    await db.dispose()
    settings = {"database_url": postgres_url, "redis_url": redis.url, "media_enabled": "false"}
    a = Server(work, work / "server-a.log", **settings)
    b = Server(work, work / "server-b.log", **settings)
    judge, lawyer = Participant(trial, "judge", Path()), Participant(trial, "lawyer", Path())
    pending: set[asyncio.Task[Any]] = set()
    try:
        await asyncio.gather(a.start(), b.start())
        j = await judge.join(a.url)
        lw = await lawyer.join(b.url)
        await admit_and_start(j, lw, trial.people["lawyer"].id)
        assert (await lw.call("chat.send", {"text": "before"}))["ok"]
        await j.wait("chat.message", lambda d: d["text"] == "before")

        redis.stop()
        await asyncio.sleep(3.0)
        await redis.start()
        back = time.monotonic()
        refused: list[str] = []
        n = 0

        async def send(text: str) -> None:
            nonlocal refused
            try:
                ack = await lw.call("chat.send", {"text": text})
                if not ack.get("ok"):
                    refused.append(text)
            except Exception:  # no answer at all: counted as refused
                refused.append(text)

        arrived = lambda: j.seen("chat.message", lambda d: d["text"].startswith("after "))  # noqa: E731
        while not arrived():
            if time.monotonic() - back > 60:
                raise AssertionError("no relay across processes 60 s after Redis returned")
            n += 1
            task = asyncio.ensure_future(send(f"after {n}"))
            pending.add(task)
            task.add_done_callback(pending.discard)
            await asyncio.sleep(0.2)
        recovered = time.monotonic() - back
        for task in list(pending):
            await task
        await asyncio.sleep(1.0)  # anything still in flight lands
        delivered = {d["text"] for d in arrived()}
        return {"recovery_s": round(recovered, 2), "sent": n, "refused": len(refused),
                # a refusal tells the page to send again: one that was delivered anyway
                # would be a duplicate in the chat
                "refused_but_delivered": len(delivered & set(refused))}
    finally:
        for task in pending:
            task.cancel()
        await lawyer.close()
        await judge.close()
        a.stop()
        b.stop()


def ensure_database(admin_url: str) -> str:
    """Our own database next to the suite's (never the suite's `test`, which it drops)."""
    base = admin_url.rsplit("/", 1)[0]
    exists = subprocess.run(
        ["psql", admin_url, "-tAc", f"SELECT 1 FROM pg_database WHERE datname='{CHAOS_DB}'"],
        capture_output=True, text=True, check=True).stdout.strip()
    if not exists:
        subprocess.run(["psql", admin_url, "-c", f"CREATE DATABASE {CHAOS_DB}"],
                       capture_output=True, check=True)
    return f"{base}/{CHAOS_DB}"


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/postgres",
                        help="an admin connection; the benchmark creates its own database")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args()
    postgres_url = ensure_database(args.postgres_url)
    work = Path(tempfile.mkdtemp(prefix="yunting-chaos-"))
    source = make_source(Path(tempfile.gettempdir()) / "yunting-chaos-source.webm", seconds=90)
    pin = HostAddresses(("127.0.0.1",))  # our aiortc senders: loopback only
    pin.install()
    redis = RedisServer()
    result: dict[str, Any] = {"bench": "chaos", "runs": args.runs}
    try:
        embedded = []
        for i in range(args.runs):
            embedded.append(await kill_run(work / f"embedded-{i}", source, postgres_url=None,
                                           redis=None))
            log(f"embedded kill {i + 1}: {embedded[-1]}")
        await redis.start()
        over_redis = []
        for i in range(args.runs):
            over_redis.append(await kill_run(work / f"redis-{i}", source,
                                             postgres_url=postgres_url, redis=redis))
            log(f"redis kill {i + 1}: {over_redis[-1]}")
        failover = []
        for i in range(args.runs):
            failover.append(await kill_run(work / f"failover-{i}", source,
                                           postgres_url=postgres_url, redis=redis, failover=True))
            log(f"redis kill, failover {i + 1}: {failover[-1]}")
        routing = []
        for i in range(args.runs):
            routing.append(await routing_recovery(work / f"routing-{i}", postgres_url, redis))
            log(f"redis restart {i + 1}: {routing[-1]}")
        result |= {
            "kill_gap_s_embedded": max(r["gap_s"] for r in embedded),
            "kill_gap_s_redis": max(r["gap_s"] for r in over_redis),
            "kill_gap_s_redis_failover": max(r["gap_s"] for r in failover),
            "redis_routing_recovery_s": max(r["recovery_s"] for r in routing),
            "embedded": embedded, "redis": over_redis, "failover": failover, "routing": routing,
        }
    finally:
        redis.stop()
        pin.uninstall()
        if args.keep:
            log(f"work directory: {work}")
        else:
            await asyncio.to_thread(shutil.rmtree, work, ignore_errors=True)
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    asyncio.run(main())
