"""Signaling load: N socket.io connections in M hearings join, negotiate and beat.

    .venv/bin/python bench/signaling_load.py --connections 2000 --hearings 400
    .venv/bin/python bench/signaling_load.py --connections 2000 --hearings 400 --processes 2

Each hearing has a judge and (N/M - 1) parties. Every client connects with its join
token; the judge admits the others from the lobby (the join time runs from connect to
"in_hearing"). Then, in rounds, every pair in a hearing does a mesh negotiation
(offer → answer, two ICE candidates each way) while everyone sends heartbeats. The
relay latency is measured sender → receiver inside one generator process (a hearing
never spans generators), so no clocks are compared across processes.

Server processes run `tests/integration/signaling/server_proc.py` on 127.0.0.1: one
over SQLite, or two over PostgreSQL + Redis. Load generators are processes of their
own (one Python generator saturates at ~500 clients). Everything stays on 127.0.0.1,
bounded by --max-seconds. Prints figures, then ONE JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import math
import multiprocessing as mp
import os
import queue
import random
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

NAMESPACE = "/hearing"
ROLES = ["judge", "defendant", "defence_lawyer", "prosecutor", "witness", "plaintiff",
         "agent_ad_litem", "interpreter"]


@dataclass
class Seat:
    hearing_id: str
    participant_id: str
    role: str
    secret: str


# -- seeding ----------------------------------------------------------------------------
async def seed(database_url: str, hearings: int, per_hearing: int) -> list[list[Seat]]:
    from hearings.adapters.database import Database
    from hearings.domain.cases import Case
    from hearings.domain.courts import Court
    from hearings.domain.hearing import Hearing
    from hearings.domain.participants import Role
    from hearings.domain.tokens import issue_join_token
    from tests.wiring import wire

    db = Database(database_url)
    await db.drop_all()
    await db.create_all()
    services = wire(db)
    court = Court(name="重庆市渝北区人民法院", code="渝0112")
    async with services.uow() as uow:
        uow.courts.add(court)
        await uow.commit()
    out: list[list[Seat]] = []
    now = datetime.now(UTC)
    for i in range(hearings):
        case = Case(court_id=court.id, number=f"(2026)渝0112刑初{i + 1}号",
                    case_type="criminal", title=f"压力测试案{i + 1}")  # type: ignore[arg-type]
        hearing = Hearing(case_id=case.id, kind="trial", title=f"压力测试庭审{i + 1}",  # type: ignore[arg-type]
                          scheduled_at=now)
        people = [hearing.invite(f"参与人{j}", Role(ROLES[j % len(ROLES)]))
                  for j in range(per_hearing)]
        async with services.uow() as uow:
            uow.cases.add(case)
            uow.hearings.add(hearing)
            await uow.commit()
        seats = []
        async with services.uow() as uow:
            for p in people:
                secret, token = issue_join_token(hearing.id, p.id, p.role,
                                                 valid_for=timedelta(hours=2))
                uow.tokens.add(token)
                seats.append(Seat(hearing.id, p.id, p.role.value, secret))
            await uow.commit()
        out.append(seats)
    await db.dispose()
    return out


# -- load generator (a process of its own) ---------------------------------------------
@dataclass(frozen=True)
class Load:
    rounds: int  # mesh negotiations per hearing in the window
    window_s: float  # the measured phase
    heartbeat_s: float  # each connection's heartbeat interval
    trickle_s: float  # gap between a pair's ICE candidates


def generator(index: int, urls: list[str], hearings: list[list[Seat]], load: Load,
              ready: Any, go: Any, results: Any) -> None:
    try:
        results.put(asyncio.run(_generate(index, urls, hearings, load, ready, go)))
    except BaseException as exc:  # report, so the parent does not wait for ever
        results.put({"error": f"generator {index}: {exc!r}"})
        raise


async def _generate(index: int, urls: list[str], hearings: list[list[Seat]], load: Load,
                    ready: Any, go: Any) -> dict[str, Any]:
    import aiohttp
    import socketio

    http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
    sent: dict[str, float] = {}
    latencies: list[float] = []
    join_times: list[float] = []
    clients: list[socketio.AsyncClient] = []
    counts = {"sent": 0, "errors": 0, "retries": 0, "dropped": 0}
    gate = asyncio.Semaphore(20)  # connection attempts in flight per generator

    async def emit(sio: Any, event: str, data: dict[str, Any]) -> None:
        try:
            await sio.emit(event, data, namespace=NAMESPACE)
        except socketio.exceptions.SocketIOError:
            counts["dropped"] += 1  # the connection went away under load

    def received(payload: dict[str, Any]) -> None:
        key = payload.get("sdp_mid") or _bench_id(payload.get("sdp", ""))
        t0 = sent.pop(key, None) if key else None
        if t0 is not None:
            latencies.append((time.perf_counter() - t0) * 1000)

    async def connect(seat: Seat, url: str, judge: bool) -> tuple[Any, asyncio.Event]:
        sio = socketio.AsyncClient(reconnection=False, http_session=http)
        inside = asyncio.Event()
        peers: dict[str, Any] = {"sio": sio, "seat": seat}

        @sio.on("participant.state", namespace=NAMESPACE)
        async def state(d: dict[str, Any]) -> None:
            if d["state"] == "in_hearing":
                inside.set()

        @sio.on("snapshot", namespace=NAMESPACE)
        async def snapshot(d: dict[str, Any]) -> None:
            if d["you"]["state"] == "in_hearing":
                inside.set()

        admitted: set[str] = set()

        @sio.on("lobby", namespace=NAMESPACE)
        async def lobby(d: dict[str, Any]) -> None:
            if judge:
                for p in d["waiting"]:
                    if p["id"] not in admitted:
                        admitted.add(p["id"])
                        await emit(sio, "lobby.admit", {"participant_id": p["id"]})

        @sio.on("rtc.offer", namespace=NAMESPACE)
        async def offer(d: dict[str, Any]) -> None:
            received(d)
            key = f"a{secrets.token_hex(6)}"
            sent[key] = time.perf_counter()
            counts["sent"] += 1
            await emit(sio, "rtc.answer", {"to": d["from"], "sdp": _sdp(key)})

        @sio.on("rtc.answer", namespace=NAMESPACE)
        async def answer(d: dict[str, Any]) -> None:
            received(d)

        @sio.on("rtc.candidate", namespace=NAMESPACE)
        async def candidate(d: dict[str, Any]) -> None:
            received(d)

        @sio.on("error", namespace=NAMESPACE)
        async def error(d: dict[str, Any]) -> None:
            counts["errors"] += 1

        for attempt in range(6):
            try:
                async with gate:
                    await sio.connect(url, namespaces=[NAMESPACE], transports=["websocket"],
                                      auth={"token": seat.secret,
                                            "hearing_id": seat.hearing_id},
                                      wait_timeout=30)
                break
            except socketio.exceptions.ConnectionError:
                # As a browser would: back off and try again (counted in the report).
                counts["retries"] += 1
                if attempt == 5:
                    raise
                await asyncio.sleep(0.5 * 2 ** attempt)
        clients.append(sio)
        return peers, inside

    async def join_hearing(h: int, seats: list[Seat]) -> list[dict[str, Any]]:
        # Hearings alternate between the servers; within one, people do too, so that
        # with two processes most relays cross Redis.
        joined = []
        for k, seat in enumerate(seats):
            t0 = time.perf_counter()
            peer, inside = await connect(seat, urls[(h + k) % len(urls)], judge=k == 0)
            await asyncio.wait_for(inside.wait(), 300)
            join_times.append(time.perf_counter() - t0)
            joined.append(peer)
        return joined

    t_join = time.perf_counter()
    rooms = await asyncio.gather(*(join_hearing(h + index * 100_000, seats)
                                   for h, seats in enumerate(hearings)))
    join_wall = time.perf_counter() - t_join
    # The generator's own garbage collector must not show up as relay latency: move
    # everything built while joining out of the collector's sight.
    gc.collect()
    gc.freeze()
    ready.put(index)
    await asyncio.to_thread(go.wait)  # every generator has joined: relay together

    async def beat(peer: dict[str, Any], until: float) -> None:
        await asyncio.sleep(random.random() * load.heartbeat_s)
        while time.perf_counter() < until:
            counts["sent"] += 1
            await emit(peer["sio"], "heartbeat", {"loss_pct": random.random() * 20,
                                                  "rtt_ms": 40.0, "bitrate_kbps": 800.0})
            await asyncio.sleep(load.heartbeat_s)

    async def negotiate(room: list[dict[str, Any]]) -> None:
        # Each round starts at a random moment of its share of the window, as people
        # in different hearings do not all renegotiate at the same instant.
        share = load.window_s / load.rounds
        for _ in range(load.rounds):
            start = random.random() * share * 0.9
            await asyncio.sleep(start)
            for i, a in enumerate(room):
                for b in room[i + 1:]:
                    key = f"o{secrets.token_hex(6)}"
                    sent[key] = time.perf_counter()
                    counts["sent"] += 1
                    await emit(a["sio"], "rtc.offer", {"to": b["seat"].participant_id,
                                                       "sdp": _sdp(key)})
                    # Trickle ICE: candidates follow as the browser gathers them.
                    for sender, target in ((a, b), (b, a), (a, b), (b, a)):
                        await asyncio.sleep(load.trickle_s)
                        ckey = f"c{secrets.token_hex(6)}"
                        sent[ckey] = time.perf_counter()
                        counts["sent"] += 1
                        await emit(sender["sio"], "rtc.candidate", {
                            "to": target["seat"].participant_id, "candidate": CANDIDATE,
                            "sdp_mid": ckey, "sdp_mline_index": 0})
            await asyncio.sleep(share - start)

    until = time.perf_counter() + load.window_s
    t_relay = time.perf_counter()
    cpu0 = time.process_time()
    await asyncio.gather(*(negotiate(r) for r in rooms),
                         *(beat(p, until) for r in rooms for p in r))
    await asyncio.sleep(2)  # let the last answers arrive
    relay_wall = time.perf_counter() - t_relay
    generator_cpu = time.process_time() - cpu0
    lost = len(sent)
    for sio in clients:
        with contextlib.suppress(Exception):
            await sio.disconnect()
    await http.close()
    return {"latencies": latencies, "join_times": join_times, "join_wall": join_wall,
            "relay_wall": relay_wall, "sent": counts["sent"], "errors": counts["errors"],
            "lost": lost, "connections": len(clients), "cpu": generator_cpu,
            "retries": counts["retries"], "dropped": counts["dropped"]}


CANDIDATE = "candidate:2960668144 1 udp 2122194687 127.0.0.1 52022 typ host generation 0"


def _sdp(key: str) -> str:
    # A small but well-formed description carrying the message id for timing.
    return ("v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
            "a=group:BUNDLE 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\n"
            "a=mid:0\r\na=sendrecv\r\na=rtpmap:111 opus/48000/2\r\n"
            f"a=x-bench:{key}\r\n")


def _bench_id(sdp: str) -> str | None:
    marker = sdp.rfind("a=x-bench:")
    return sdp[marker + 10:].strip() if marker >= 0 else None


# -- servers ----------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def wait_listening(port: int) -> None:
    for _ in range(200):
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            await writer.wait_closed()
            return
        except OSError:
            await asyncio.sleep(0.1)
    raise RuntimeError(f"server on port {port} never listened")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


async def postgres_database(admin_url: str) -> tuple[str, str]:
    import asyncpg

    name = f"yunting_bench_{secrets.token_hex(4)}"
    conn = await asyncpg.connect(admin_url, timeout=5)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return f"{admin_url.rsplit('/', 1)[0]}/{name}", name


async def drop_postgres(admin_url: str, name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(admin_url, timeout=5)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--connections", type=int, default=2000)
    parser.add_argument("--hearings", type=int, default=400)
    parser.add_argument("--processes", type=int, choices=(1, 2), default=1)
    parser.add_argument("--generators", type=int, default=0,
                        help="load generator processes (default: one per 500 connections)")
    parser.add_argument("--rounds", type=int, default=1,
                        help="mesh negotiations (offer, answer, 2+2 candidates per pair) per "
                             "hearing in the window")
    parser.add_argument("--window", type=float, default=60.0, help="measured phase, seconds")
    parser.add_argument("--heartbeat", type=float, default=10.0,
                        help="heartbeat interval per connection, seconds")
    parser.add_argument("--trickle", type=float, default=0.02,
                        help="gap between ICE candidates of one negotiation, seconds")
    parser.add_argument("--max-seconds", type=float, default=600)
    parser.add_argument("--redis-url", default=os.environ.get("YUNTING_TEST_REDIS_URL",
                                                              "redis://127.0.0.1:6379/0"))
    parser.add_argument("--postgres-url", default=os.environ.get(
        "YUNTING_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"))
    args = parser.parse_args()
    per = args.connections // args.hearings
    if per < 2:
        parser.error("need at least two connections per hearing")
    for url in (args.redis_url, args.postgres_url):
        if "127.0.0.1" not in url and "localhost" not in url:
            parser.error(f"bench traffic stays on 127.0.0.1 (got {url})")
    generators = args.generators or max(1, math.ceil(args.connections / 500))
    load = Load(args.rounds, args.window, args.heartbeat, args.trickle)

    tmp = tempfile.TemporaryDirectory(prefix="yunting-bench-")
    pg_name = None
    if args.processes == 1:
        database_url = f"sqlite:///{tmp.name}/bench.sqlite3"
    else:
        database_url, pg_name = asyncio.run(postgres_database(args.postgres_url))
    print(f"seeding {args.hearings} hearings × {per} seats ...", flush=True)
    t0 = time.perf_counter()
    hearings = asyncio.run(seed(database_url, args.hearings, per))
    print(f"  seeded in {time.perf_counter() - t0:.1f} s", flush=True)

    channel = f"yunting-bench-{secrets.token_hex(4)}"
    servers, ports = [], []
    for _ in range(args.processes):
        port = free_port()
        cmd = [sys.executable, "-m", "tests.integration.signaling.server_proc",
               "--database-url", database_url, "--port", str(port), "--channel", channel]
        if args.processes > 1:
            cmd += ["--redis-url", args.redis_url]
        log = open(f"{tmp.name}/server-{port}.log", "w")  # noqa: SIM115 - closed with tmp
        # Keep the caller's PYTHONPATH after the repository (e.g. an optional parser).
        path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
        servers.append(subprocess.Popen(cmd, cwd=ROOT, env=os.environ | {"PYTHONPATH": path},
                                        stdout=log, stderr=subprocess.STDOUT, text=True))
        ports.append(port)
    try:
        for port in ports:
            asyncio.run(wait_listening(port))
        urls = [f"http://127.0.0.1:{p}" for p in ports]
        ctx = mp.get_context("spawn")
        ready, go, results = ctx.Queue(), ctx.Event(), ctx.Queue()
        slices = [hearings[i::generators] for i in range(generators)]
        procs = [ctx.Process(target=generator,
                             args=(i, urls, s, load, ready, go, results))
                 for i, s in enumerate(slices)]
        deadline = time.monotonic() + args.max_seconds
        t_join = time.perf_counter()
        for p in procs:
            p.start()
        joined = 0
        cpu_before = None
        while joined < len(procs) and time.monotonic() < deadline:
            if not all(p.is_alive() for p in procs):
                break  # a generator failed while joining; its report says why
            try:
                ready.get(timeout=1)
                joined += 1
            except queue.Empty:
                continue
        join_wall = time.perf_counter() - t_join
        if joined == len(procs):
            cpu_before = sum(cpu_seconds(s.pid) for s in servers)
        go.set()
        reports: list[dict[str, Any]] = []
        while len(reports) < len(procs) and time.monotonic() < deadline:
            try:
                reports.append(results.get(timeout=5))
            except queue.Empty:
                if not any(p.is_alive() for p in procs):
                    break
        cpu_after = sum(cpu_seconds(s.pid) for s in servers)
        for p in procs:
            p.join(timeout=10)
            if p.is_alive():
                p.kill()
    finally:
        for s in servers:
            s.terminate()
        for s in servers:
            try:
                s.wait(timeout=15)
            except subprocess.TimeoutExpired:
                s.kill()
        for path in Path(tmp.name).glob("server-*.log"):
            text = path.read_text()
            if "Traceback" in text:
                print(f"--- {path.name} (last 3000 characters)\n{text[-3000:]}", file=sys.stderr)
        if pg_name:
            asyncio.run(drop_postgres(args.postgres_url, pg_name))
        tmp.cleanup()

    errors = [r["error"] for r in reports if "error" in r]
    if errors or len(reports) < len(procs) or cpu_before is None:
        print("FAILED:", errors or "timeout", file=sys.stderr)
        sys.exit(1)
    latencies = [x for r in reports for x in r["latencies"]]
    joins = [x for r in reports for x in r["join_times"]]
    sent = sum(r["sent"] for r in reports)
    connections = sum(r["connections"] for r in reports)
    cpu = cpu_after - cpu_before
    figures = {
        "bench": "signaling", "connections": connections, "hearings": args.hearings,
        "join_per_s": round(connections / join_wall, 1),
        "relay_p50_ms": round(statistics.median(latencies), 2),
        "relay_p99_ms": round(percentile(latencies, 0.99), 2),
        "cpu_s_per_1k_msgs": round(cpu / sent * 1000, 3),
        "processes": args.processes,
    }
    if args.processes > 1:  # redis-py parses replies in C when hiredis is importable
        import importlib.util

        figures["redis_parser"] = "hiredis" if importlib.util.find_spec("hiredis") else "python"
    print(f"servers: {args.processes}   generators: {generators}   "
          f"connections: {connections} in {args.hearings} hearings")
    print(f"join: {connections} in {join_wall:.1f} s = {figures['join_per_s']}/s "
          f"({sum(r['retries'] for r in reports)} connection retries); "
          f"per connection p50 {statistics.median(joins) * 1000:.0f} ms, "
          f"p99 {percentile(joins, 0.99) * 1000:.0f} ms")
    print(f"relay: {len(latencies)} measured of {sent} sent; p50 {figures['relay_p50_ms']} ms, "
          f"p99 {figures['relay_p99_ms']} ms, max {max(latencies):.1f} ms; "
          f"unanswered {sum(r['lost'] for r in reports)}; error events "
          f"{sum(r['errors'] for r in reports)}; sends on dropped connections "
          f"{sum(r['dropped'] for r in reports)}")
    relay_wall = max(r["relay_wall"] for r in reports)
    print(f"CPU during the window ({relay_wall:.0f} s): servers {cpu:.1f} s, generators "
          f"{sum(r['cpu'] for r in reports):.1f} s, for {sent} messages "
          f"({sent / load.window_s:.0f}/s offered)")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
