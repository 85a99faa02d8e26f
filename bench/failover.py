"""Failover benchmark: what the SIGKILL of a hearing's media worker costs (issue 15.6).

Real processes: two `yunting serve` web processes (`tests/integration/web/court_proc.py`,
YUNTING_MEDIA_WORKERS=true) and two media workers (`yunting media`) on a redis-server and a
PostgreSQL database of our own (`yunting_failover`, dropped and created); the defendant
(on web B) and the lawyer (on web A) publish a pre-encoded VP8/Opus file through aiortc
peers, and offer again when told `media.lost`, as rtc.js does.

Each run kills the worker holding the hearing's lease (SIGKILL) and measures
- media_back_s: from the kill to the last of the two participants' new answers (the new
  worker answering: media flows from then on, ICE on loopback taking milliseconds);
- recording_back_s: from the kill to the last of the two participants' first recorded
  moment after it (the sidecars' wall-clock spans, media/coverage.py);
- replaced_s: from the kill to the lease naming another worker (polled every 50 ms).
Then a worker is started again (a new one: a new id) so that two are alive for the next run.

    .venv/bin/python bench/failover.py [--runs 5] [--postgres-url postgresql://postgres@127.0.0.1:5432/postgres]

Progress on stderr; ends with one JSON line: {"bench": "failover", "runs": N,
"failover_media_back_s_max", "failover_recording_back_s_max", "failover_replaced_s_max",
and each run}. YUNTING_MEDIA_WORKER_TTL_SECONDS=2. About 2 minutes with 5 runs.
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
from media.coverage import recorded_spans  # noqa: E402
from media.ice import HostAddresses  # noqa: E402
from tests.factories import make_trial  # noqa: E402
from tests.integration.media.streams import make_source  # noqa: E402
from tests.integration.media.workers_kit import (  # noqa: E402
    MediaWorkerProcess,
    Publisher,
    lease_of,
    web_server,
)
from tests.integration.signaling.serve_kit import (  # noqa: E402
    Participant,
    RedisServer,
    admit_and_start,
    until,
)
from tests.wiring import wire  # noqa: E402

FAILOVER_DB = "yunting_failover"


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def ensure_database(admin_url: str) -> str:
    """Our own database next to the suite's (never the suite's `test`)."""
    base = admin_url.rsplit("/", 1)[0]
    exists = subprocess.run(
        ["psql", admin_url, "-tAc", f"SELECT 1 FROM pg_database WHERE datname='{FAILOVER_DB}'"],
        capture_output=True, text=True, check=True).stdout.strip()
    if not exists:
        subprocess.run(["psql", admin_url, "-c", f"CREATE DATABASE {FAILOVER_DB}"],
                       capture_output=True, check=True)
    return f"{base}/{FAILOVER_DB}"


async def moved_from(redis_url: str, hearing_id: str, worker_id: str) -> None:
    for _ in range(1200):  # a minute at 50 ms
        lease = await lease_of(redis_url, hearing_id)
        if lease is not None and lease.worker_id != worker_id:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"hearing {hearing_id} still on {worker_id} after a minute")


def recording_now(hearing_dir: Path, pid: str) -> bool:
    newest = sorted((hearing_dir / pid).glob("seg-*.mkv"))[-1:]
    return bool(newest) and newest[0].stat().st_mtime > time.time() - 3


def first_after(hearing_dir: Path, pid: str, moment: float) -> float | None:
    spans = recorded_spans(hearing_dir).get(pid, [])
    return next((start for start, _ in spans if start > moment), None)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/postgres",
                        help="an admin connection; the benchmark creates its own database")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args()
    postgres_url = ensure_database(args.postgres_url)
    work = Path(tempfile.mkdtemp(prefix="yunting-failover-"))
    # Each run's new offers play the file from its start: a minute covers a run.
    source = Path(tempfile.gettempdir()) / "yunting-workers-source-60s.webm"
    if not source.exists():
        make_source(source.with_suffix(".part.webm"), seconds=60).rename(source)
    pin = HostAddresses(("127.0.0.1",))  # our aiortc senders: loopback only
    pin.install()
    redis = RedisServer()
    db = Database(postgres_url)
    await db.drop_all()
    await db.create_all()
    trial = await make_trial(wire(db))
    await db.dispose()
    hid = trial.hearing.id
    hearing_dir = work / "archive" / hid
    runs: list[dict[str, Any]] = []
    await redis.start()
    a = web_server(work, work / "web-a.log", postgres_url=postgres_url, redis_url=redis.url)
    b = web_server(work, work / "web-b.log", postgres_url=postgres_url, redis_url=redis.url)
    workers = {f"worker-{n}": MediaWorkerProcess(f"worker-{n}", work, work / f"worker-{n}.log",
                                                 redis.url) for n in (1, 2)}
    judge = Participant(trial, "judge", source)
    defendant, lawyer = Participant(trial, "defendant", source), Participant(trial, "lawyer",
                                                                           source)
    publishers = [Publisher(defendant, source), Publisher(lawyer, source)]
    following: list[asyncio.Future[None]] = []
    failure = ""
    try:
        for process in (a, b, *workers.values()):  # one by one: imports are slow under load
            await process.start()
        j = await judge.join(a.url)
        await admit_and_start(j, await defendant.join(b.url), trial.people["defendant"].id)
        lw = await lawyer.join(a.url)
        assert (await j.call("lobby.admit", {"participant_id": trial.people["lawyer"].id}))["ok"]
        await lw.wait("participant.state", lambda d: d["state"] == "in_hearing")
        for p in publishers:
            await p.offer()
        following += [asyncio.ensure_future(p.follow()) for p in publishers]  # as rtc.js
        for run in range(args.runs):
            for p in publishers:  # being recorded: its newest segment is growing
                await until(lambda p=p: recording_now(hearing_dir, p.media_id), 60,
                            "recording")
            await asyncio.sleep(2)
            lease = await lease_of(redis.url, hid)
            assert lease is not None
            await asyncio.to_thread(workers.pop(lease.worker_id).kill)
            killed = time.time()
            await moved_from(redis.url, hid, lease.worker_id)
            replaced = time.time()
            for p in publishers:
                await until(lambda p=p, killed=killed: p.answered_after(killed) is not None,
                            60, "a new answer")
            answered = [p.answered_after(killed) or 0.0 for p in publishers]
            for p in publishers:
                await until(lambda p=p, killed=killed: first_after(
                    hearing_dir, p.media_id, killed) is not None, 30, "recorded again")
            recorded = [first_after(hearing_dir, p.media_id, killed) or 0.0 for p in publishers]
            result = {"media_back_s": round(max(answered) - killed, 2),
                      "recording_back_s": round(max(recorded) - killed, 2),
                      "replaced_s": round(replaced - killed, 2)}
            runs.append(result)
            log(f"run {run + 1}: {result}")
            name = f"worker-{len(runs) + 2}"  # a new worker (a new id), as a restart is
            workers[name] = MediaWorkerProcess(name, work, work / f"{name}.log", redis.url)
            await workers[name].start()
    except AssertionError as exc:  # a saturated machine: report the runs that completed
        failure = str(exc)
        log(f"stopped after {len(runs)} run(s): {failure}")
    finally:
        for task in following:
            task.cancel()
        for p in publishers:
            await p.close()
        for who in (judge, defendant, lawyer):
            await who.close()
        for server in (a, b):
            await asyncio.to_thread(server.stop)
        for w in workers.values():
            await asyncio.to_thread(w.stop)
        redis.stop()
        pin.uninstall()
        if args.keep:
            log(f"work directory: {work}")
        else:
            await asyncio.to_thread(shutil.rmtree, work, ignore_errors=True)
    out = {"bench": "failover", "runs": len(runs), "asked": args.runs, "stopped": failure,
           "failover_media_back_s_max": max((r["media_back_s"] for r in runs), default=None),
           "failover_recording_back_s_max": max((r["recording_back_s"] for r in runs),
                                                default=None),
           "failover_replaced_s_max": max((r["replaced_s"] for r in runs), default=None),
           "each": runs}
    sys.stdout.write(json.dumps(out) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    asyncio.run(main())
