"""Forwarding benchmark: the media worker's CPU per forwarded stream, and what one core carries.

One publisher (640×360 VP8 30 fps + Opus, pre-encoded, sent by aiortc with
`MediaPlayer(decode=False)`) is recorded by a worker process (`MediaService`, as the
server runs it) for D seconds; then the same publisher again with N subscribers, each
receiving its audio and video through the forwarder (aiortc clients that drop the frames
at the frame tap: nothing is decoded anywhere). Clients run in a process of their own;
only the worker's CPU time (getrusage, all threads) is counted, normalised by the RTP
packets the worker actually received from the publisher (a starved sender delivers less).

    forward_cpu_pct_per_stream = (CPU with N subscribers − its received packets × the
        recording-only CPU per packet) ÷ packets forwarded × one stream's packet rate
    six_party_hearings_per_core = 100 / (6 × recording % + 30 × forward %)

(six publishers, each recorded and each forwarded to the five others.)

    .venv/bin/python bench/forwarding.py [--subscribers N] [--seconds D]

Ends with one JSON line: {"bench": "forwarding", "forward_cpu_pct_per_stream": …,
"recording_cpu_pct_per_stream": …, "six_party_hearings_per_core": …, …}
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from media.forwarding_audience import MAIN_SIDE, Audience, Seat  # noqa: E402
from media.ice import ice_configuration, pinned_host_addresses  # noqa: E402
from media.participant import ParticipantInfo  # noqa: E402
from media.peers import MediaService, MediaSettings  # noqa: E402

LOOPBACK = ("127.0.0.1",)


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def emit(payload: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(payload) + "\n")
    sys.stdout.flush()


async def read(loop: asyncio.AbstractEventLoop) -> dict[str, Any]:
    return json.loads(await loop.run_in_executor(None, sys.stdin.readline))  # type: ignore[no-any-return]


# ---- worker process ---------------------------------------------------------------------


async def run_worker(archive: Path, subscribers: int) -> None:
    loop = asyncio.get_running_loop()
    settings = MediaSettings(archive_dir=archive, host_addresses=LOOPBACK)
    seats = {"p1": Seat(MAIN_SIDE, presiding=True)} | {
        f"s{n + 1}": Seat(MAIN_SIDE, publishes=False) for n in range(subscribers)}
    async with MediaService(settings, lambda event: None) as service:
        service.start("bench")
        await service.set_audience("bench", Audience(seats))
        started = 0.0
        while True:
            command = await read(loop)
            if command["do"] == "answer":
                role = "observer" if command["pid"].startswith("s") else "judge"
                info = ParticipantInfo("bench", command["pid"], role=role)
                emit({"answer": await service.answer(info, command["sdp"])})
            elif command["do"] == "mark":
                received, sent = await counts(service)
                started = cpu_seconds()
                emit({"marked": True})
            elif command["do"] == "report":
                cpu = cpu_seconds() - started
                now_received, now_sent = await counts(service)
                emit({"cpu_seconds": cpu, "received": now_received - received,
                      "forwarded": now_sent - sent})
                break
        await service.stop("bench")


async def counts(service: MediaService) -> tuple[int, int]:
    """RTP packets received from publishers, and sent to subscribers, so far."""
    received = sent = 0
    for peer in service.hearing("bench").peers.values():
        for stats in (await peer.pc.getStats()).values():
            if stats.type == "inbound-rtp":
                received += stats.packetsReceived
            elif stats.type == "outbound-rtp":
                sent += stats.packetsSent
    return received, sent


# ---- clients process --------------------------------------------------------------------


async def run_clients(source: Path, subscribers: int) -> None:
    from aiortc import RTCBundlePolicy, RTCPeerConnection, RTCSessionDescription
    from aiortc.contrib.media import MediaPlayer

    from media import passthrough

    loop = asyncio.get_running_loop()
    peers = []

    def configuration() -> Any:
        config = ice_configuration([])
        config.bundlePolicy = RTCBundlePolicy.MAX_BUNDLE
        return config

    async def connect(pid: str, pc: Any, slots: list[Any]) -> None:
        await pc.setLocalDescription(await pc.createOffer())
        for transceiver in slots:  # frames dropped where they complete: no decoding
            passthrough.enable(transceiver.receiver, sink=lambda packet, mime: None)
        emit({"offer": pc.localDescription.sdp, "pid": pid})
        reply = await read(loop)
        await pc.setRemoteDescription(RTCSessionDescription(reply["sdp"], "answer"))
        peers.append(pc)

    with pinned_host_addresses(LOOPBACK):
        player = MediaPlayer(str(source), decode=False)
        publisher = RTCPeerConnection(configuration())
        publisher.addTransceiver(player.audio, direction="sendonly")
        publisher.addTransceiver(player.video, direction="sendonly")
        await connect("p1", publisher, [])
        for n in range(subscribers):
            pc = RTCPeerConnection(configuration())
            slots = [pc.addTransceiver(kind, direction="recvonly") for kind in ("audio", "video")]
            await connect(f"s{n + 1}", pc, slots)
        emit({"connected": 1 + subscribers})
        await loop.run_in_executor(None, sys.stdin.readline)  # until told to stop
        for pc in peers:
            await pc.close()


# ---- orchestrator -----------------------------------------------------------------------


async def spawn(*args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, __file__, *args, stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, cwd=ROOT)


async def send(process: asyncio.subprocess.Process, payload: dict[str, Any]) -> None:
    assert process.stdin is not None
    process.stdin.write((json.dumps(payload) + "\n").encode())
    await process.stdin.drain()


async def receive(process: asyncio.subprocess.Process) -> dict[str, Any]:
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), 120)
    if not line:
        raise RuntimeError("child process ended early")
    return json.loads(line)  # type: ignore[no-any-return]


async def measure(archive: Path, source: Path, subscribers: int, seconds: float
                  ) -> dict[str, float]:
    print(f"measuring 1 publisher, {subscribers} subscribers ...", file=sys.stderr, flush=True)
    worker = await spawn("--role", "worker", "--archive", str(archive),
                         "--subscribers", str(subscribers))
    clients = await spawn("--role", "clients", "--source", str(source),
                          "--subscribers", str(subscribers))
    for _ in range(1 + subscribers):
        offer = await receive(clients)
        await send(worker, {"do": "answer", "pid": offer["pid"], "sdp": offer["offer"]})
        await send(clients, {"sdp": (await receive(worker))["answer"]})
    await receive(clients)
    await asyncio.sleep(3)  # ICE/DTLS settled, first keyframes through
    await send(worker, {"do": "mark"})
    await receive(worker)
    await asyncio.sleep(seconds)
    await send(worker, {"do": "report"})
    report = await receive(worker)
    await send(clients, {"do": "stop"})
    await clients.wait()
    await worker.wait()
    return report


def make_source(path: Path, seconds: float) -> Path:
    from tests.integration.media.streams import make_source as generate

    return generate(path, seconds=seconds)


async def orchestrate(subscribers: int, seconds: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-forwarding-") as work:
        base = Path(work)
        source = make_source(base / "source.webm", seconds + 20)
        alone = await measure(base / "alone", source, 0, seconds)
        fanned = await measure(base / "fanned", source, subscribers, seconds)
    full = max(alone["received"], fanned["received"]) / seconds  # packets/s at best
    # Per packet, so that a starved sender (or starved subscribers) do not skew it: the
    # recording run gives the cost of a received packet; what the fanned run spent beyond
    # its received packets' share is the forwarding, per packet forwarded.
    per_received = alone["cpu_seconds"] / max(alone["received"], 1)
    beyond = max(0.0, fanned["cpu_seconds"] - per_received * fanned["received"])
    per_forwarded = beyond / max(fanned["forwarded"], 1)
    record, forward = 100 * per_received * full, 100 * per_forwarded * full
    both = record + subscribers * forward
    per_hearing = 6 * record + 30 * forward
    hearings = 100 / per_hearing if per_hearing else 0.0
    delivered = fanned["forwarded"] / max(fanned["received"] * subscribers, 1)
    print(f"publisher: 640x360 VP8 30 fps + Opus, {full:.0f} RTP packets/s; {seconds:.0f} s")
    print(f"recording only: {alone['cpu_seconds']:.2f} CPU s → {record:.2f} % of a core")
    print(f"recording + {subscribers} forwarded: {fanned['cpu_seconds']:.2f} CPU s → {both:.2f} %"
          f" ({fanned['forwarded']} packets forwarded, {100 * delivered:.0f} % of received × N)")
    print(f"forwarding: {forward:.2f} % of a core per forwarded stream")
    print(f"six-party hearing (6 recordings + 30 forwarded streams): {per_hearing:.1f} % "
          f"→ {hearings:.1f} hearings per core")
    return {"bench": "forwarding", "subscribers": subscribers, "seconds": seconds,
            "forward_cpu_pct_per_stream": round(forward, 2),
            "recording_cpu_pct_per_stream": round(record, 2),
            "six_party_hearings_per_core": round(hearings, 2),
            "raw_cpu_seconds": {"alone": round(alone["cpu_seconds"], 2),
                                "fanned": round(fanned["cpu_seconds"], 2)},
            "packets": {"alone": alone["received"], "fanned": fanned["received"],
                        "forwarded": fanned["forwarded"]}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--role", choices=["worker", "clients"])
    parser.add_argument("--archive", type=Path)
    parser.add_argument("--source", type=Path)
    args = parser.parse_args()
    if args.role == "worker":
        asyncio.run(run_worker(args.archive, args.subscribers))
    elif args.role == "clients":
        asyncio.run(run_clients(args.source, args.subscribers))
    else:
        started = time.monotonic()
        result = asyncio.run(orchestrate(args.subscribers, args.seconds))
        print(f"(benchmark took {time.monotonic() - started:.0f} s)")
        print(json.dumps(result))


if __name__ == "__main__":
    main()
