"""Recording benchmark: yunting's pass-through recorder vs aiortc's MediaRecorder, same load.

K simulated participants (640×360 VP8 30 fps + Opus, pre-encoded, sent by aiortc with
`MediaPlayer(decode=False)` from a process of their own) are recorded for D seconds by
a recorder process; only the recorder process's CPU time (getrusage, all threads) is
measured. Then the pass-through recording is composed and the compose speed measured.

    .venv/bin/python bench/recording.py [--streams K] [--seconds D]

Prints the figures and ends with one JSON line:
{"bench": "recording", "streams": K, "cpu_pct_per_stream": ..., "mediarecorder_cpu_pct_per_stream": ...,
 "ratio": ..., "compose_x_realtime": ...}
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from media.composer import compose_hearing  # noqa: E402
from media.ice import ice_configuration, pinned_host_addresses  # noqa: E402
from media.participant import ParticipantInfo  # noqa: E402
from media.peers import MediaService, MediaSettings  # noqa: E402
from media.recorder import RecordingEvent  # noqa: E402

LOOPBACK = ("127.0.0.1",)


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def emit(payload: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(payload) + "\n")
    sys.stdout.flush()


async def lines(loop: asyncio.AbstractEventLoop):  # type: ignore[no-untyped-def]
    while line := await loop.run_in_executor(None, sys.stdin.readline):
        yield json.loads(line)


# ---- recorder process -------------------------------------------------------------------


async def run_passthrough(archive: Path) -> None:
    events: list[RecordingEvent] = []
    settings = MediaSettings(archive_dir=archive, host_addresses=LOOPBACK)
    async with MediaService(settings, events.append) as service:
        service.start("bench")
        await serve_commands(
            lambda pid, sdp: service.answer(ParticipantInfo("bench", pid), sdp),
            lambda: [peer.pc for peer in service.hearing("bench").peers.values()],
        )
        await service.stop("bench")
    emit({"failed": [e.as_dict() for e in events if e.state == "failed"]})


async def run_mediarecorder(archive: Path) -> None:
    from aiortc import RTCPeerConnection, RTCSessionDescription
    from aiortc.contrib.media import MediaRecorder

    await asyncio.to_thread(archive.mkdir, parents=True, exist_ok=True)
    peers: list[tuple[Any, Any]] = []

    async def answer(pid: str, sdp: str) -> str:
        pc = RTCPeerConnection(ice_configuration([]))
        recorder = MediaRecorder(str(archive / f"{pid}.mp4"))
        pc.on("track", recorder.addTrack)
        await pc.setRemoteDescription(RTCSessionDescription(sdp, "offer"))
        await pc.setLocalDescription(await pc.createAnswer())
        await recorder.start()
        peers.append((pc, recorder))
        return str(pc.localDescription.sdp)

    with pinned_host_addresses(LOOPBACK):
        await serve_commands(answer, lambda: [pc for pc, _ in peers])
        for pc, recorder in peers:
            await recorder.stop()
            await pc.close()


async def run_floor(archive: Path) -> None:
    """aiortc's receive path alone (complete frames dropped at the frame tap): the floor."""
    from aiortc import RTCPeerConnection, RTCSessionDescription

    from media import passthrough

    peers: list[Any] = []

    async def answer(pid: str, sdp: str) -> str:
        pc = RTCPeerConnection(ice_configuration([]))
        await pc.setRemoteDescription(RTCSessionDescription(sdp, "offer"))
        for transceiver in pc.getTransceivers():
            passthrough.enable(transceiver.receiver, sink=lambda packet, mime_type: None)
        await pc.setLocalDescription(await pc.createAnswer())
        peers.append(pc)
        return str(pc.localDescription.sdp)

    with pinned_host_addresses(LOOPBACK):
        await serve_commands(answer, lambda: peers)
        for pc in peers:
            await pc.close()


async def packets_received(pcs: list[Any]) -> int:
    """RTP packets received so far by every peer: the load actually delivered to this recorder."""
    total = 0
    for pc in pcs:
        report = await pc.getStats()
        total += sum(s.packetsReceived for s in report.values() if s.type == "inbound-rtp")
    return total


async def serve_commands(answer: Any, peers: Any) -> None:
    loop = asyncio.get_running_loop()
    started, packets = 0.0, 0
    async for command in lines(loop):
        if command["do"] == "answer":
            emit({"answer": await answer(command["pid"], command["sdp"])})
        elif command["do"] == "mark":
            packets = await packets_received(peers())
            started = cpu_seconds()
            emit({"marked": True})
        elif command["do"] == "report":
            cpu = cpu_seconds() - started
            emit({"cpu_seconds": cpu, "packets": await packets_received(peers()) - packets})
            return


# ---- sender process ---------------------------------------------------------------------


async def run_senders(source: Path, count: int) -> None:
    from aiortc import RTCPeerConnection, RTCSessionDescription
    from aiortc.contrib.media import MediaPlayer

    loop = asyncio.get_running_loop()
    with pinned_host_addresses(LOOPBACK):
        peers = []
        for n in range(count):
            # No loop=True: on rewind MediaPlayer's throttle sees pts restart at 0 and sends the
            # next pass as a burst. The source is long enough instead.
            player = MediaPlayer(str(source), decode=False)
            pc = RTCPeerConnection(ice_configuration([]))
            pc.addTrack(player.audio)
            pc.addTrack(player.video)
            await pc.setLocalDescription(await pc.createOffer())
            emit({"offer": pc.localDescription.sdp, "pid": f"p{n + 1}"})
            reply = json.loads(await loop.run_in_executor(None, sys.stdin.readline))
            await pc.setRemoteDescription(RTCSessionDescription(reply["sdp"], "answer"))
            peers.append(pc)
        emit({"connected": count})
        await loop.run_in_executor(None, sys.stdin.readline)  # until told to stop
        for pc in peers:
            await pc.close()


# ---- orchestrator -----------------------------------------------------------------------


async def spawn(*args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        # BENCH_CHILD lets a profiling wrapper stand in for this script in the children.
        sys.executable, os.environ.get("BENCH_CHILD", __file__), *args, stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, cwd=ROOT,
    )


async def send(process: asyncio.subprocess.Process, payload: dict[str, Any]) -> None:
    assert process.stdin is not None
    process.stdin.write((json.dumps(payload) + "\n").encode())
    await process.stdin.drain()


async def receive(process: asyncio.subprocess.Process) -> dict[str, Any]:
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), 60)
    if not line:
        raise RuntimeError("child process ended early")
    return json.loads(line)  # type: ignore[no-any-return]


async def measure(
    mode: str, archive: Path, source: Path, streams: int, seconds: float
) -> tuple[float, int]:
    """CPU seconds the recorder process spent over `seconds` of `streams` participants,
    and the RTP packets it received meanwhile (the load a starved sender really delivered)."""
    print(f"measuring {mode} ...", file=sys.stderr, flush=True)
    recorder = await spawn("--role", mode, "--archive", str(archive))
    senders = await spawn("--role", "senders", "--source", str(source), "--streams", str(streams))
    for _ in range(streams):
        offer = await receive(senders)
        await send(recorder, {"do": "answer", "pid": offer["pid"], "sdp": offer["offer"]})
        await send(senders, {"sdp": (await receive(recorder))["answer"]})
    await receive(senders)  # all connected
    await asyncio.sleep(2)  # ICE/DTLS settled, first keyframes in
    await send(recorder, {"do": "mark"})
    await receive(recorder)
    await asyncio.sleep(seconds)
    await send(recorder, {"do": "report"})
    report = await receive(recorder)
    cpu, packets = float(report["cpu_seconds"]), int(report["packets"])
    await send(senders, {"do": "stop"})
    await senders.wait()
    if mode == "passthrough":
        failed = (await receive(recorder))["failed"]
        if failed:
            print(f"  WARNING: recording failures: {failed}")
    await recorder.wait()
    return cpu, packets


def make_source(path: Path, seconds: float) -> Path:
    sys.path.insert(0, str(ROOT))
    from tests.integration.media.streams import make_source as generate

    return generate(path, seconds=seconds)


def count_video_frames(archive: Path) -> int:
    import av

    frames = 0
    for segment in sorted(archive.glob("bench/*/seg-*.mkv")):
        with av.open(str(segment)) as container:
            frames += sum(1 for p in container.demux(video=0) if p.size)
    return frames


async def orchestrate(streams: int, seconds: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-recording-") as work:
        base = Path(work)
        # Connection setup + settling + window + stop, for the slowest (last) participant.
        source = make_source(base / "source.webm", seconds + 10 + 2 * streams)
        runs = {
            mode: await measure(mode, base / mode, source, streams, seconds)
            for mode in ("floor", "passthrough", "mediarecorder")
        }
        frames = count_video_frames(base / "passthrough")
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        composed = await compose_hearing(base / "passthrough" / "bench")
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        compose_cpu = (after.ru_utime + after.ru_stime) - (children.ru_utime + children.ru_stime)
    stream_seconds = streams * seconds
    # On a shared machine the sender process can be starved: compare CPU per packet actually
    # received, scaled to the best-delivered run's packet rate.
    full_rate = max(packets for _, packets in runs.values()) / stream_seconds
    pct = {m: 100 * cpu / max(packets, 1) * full_rate for m, (cpu, packets) in runs.items()}
    print(f"load: {streams} participants × 640x360 VP8 30 fps + Opus, {seconds:.0f} s measured, "
          f"{full_rate:.0f} RTP packets/s per participant at best")
    names = {"floor": "aiortc receive floor (encoded frames dropped)",
             "passthrough": "yunting pass-through recorder",
             "mediarecorder": "aiortc MediaRecorder (MP4/x264+AAC)"}
    for mode, (cpu, packets) in runs.items():
        print(f"{names[mode]}: {cpu:.2f} CPU s, {packets} packets "
              f"({100 * packets / (full_rate * stream_seconds):.0f} % of full load) → "
              f"{pct[mode]:.2f} % of a core per stream at full load "
              f"({0.6 * pct[mode]:.2f} CPU s per stream-minute)")
    starved = [m for m, (_, packets) in runs.items() if packets < 0.9 * full_rate * stream_seconds]
    if starved:
        print(f"WARNING: the sender was starved during {', '.join(starved)} (< 90 % of the "
              "load delivered): per-packet scaling is unreliable there; rerun")
    ratio = pct["mediarecorder"] / pct["passthrough"]
    print(f"pass-through wrote {frames} video frames; ratio MediaRecorder / pass-through: {ratio:.1f}x")
    print(f"compose: {composed.duration:.1f} s hearing, {composed.participants} tiles, "
          f"{composed.elapsed:.2f} s wall = {composed.x_realtime:.1f}x real time "
          f"(ffmpeg CPU {compose_cpu:.2f} s = {composed.duration / compose_cpu:.1f}x real time "
          "per core)")
    return {
        "bench": "recording", "streams": streams,
        "cpu_pct_per_stream": round(pct["passthrough"], 2),
        "mediarecorder_cpu_pct_per_stream": round(pct["mediarecorder"], 2),
        "ratio": round(ratio, 1),
        "receive_floor_cpu_pct_per_stream": round(pct["floor"], 2),
        "raw_cpu_seconds": {m: round(cpu, 2) for m, (cpu, _) in runs.items()},
        "packets": {m: packets for m, (_, packets) in runs.items()},
        "compose_x_realtime": round(composed.x_realtime, 1),
        "compose_cpu_seconds": round(compose_cpu, 2),
        "starved_runs": starved,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, default=int(os.environ.get("BENCH_STREAMS", "3")))
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--role", choices=["passthrough", "mediarecorder", "floor", "senders"])
    parser.add_argument("--archive", type=Path)
    parser.add_argument("--source", type=Path)
    args = parser.parse_args()
    if args.role == "passthrough":
        asyncio.run(run_passthrough(args.archive))
    elif args.role == "floor":
        asyncio.run(run_floor(args.archive))
    elif args.role == "mediarecorder":
        asyncio.run(run_mediarecorder(args.archive))
    elif args.role == "senders":
        asyncio.run(run_senders(args.source, args.streams))
    else:
        started = time.monotonic()
        result = asyncio.run(orchestrate(args.streams, args.seconds))
        print(f"(benchmark took {time.monotonic() - started:.0f} s)")
        print(json.dumps(result))


if __name__ == "__main__":
    main()
