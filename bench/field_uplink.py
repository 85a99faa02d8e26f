"""Field uplink benchmark: a six-party hearing whose clinic sends through a 1 Mbit/s uplink,
through the server's forwarder (the product) and through the old full mesh, in one run.

Two network namespaces of the bench's own, joined by one veth pair (nothing else):

    ytfu-court-<pid>   10.77.0.1/30   the app server (create_app, SQLite, demo court) and
                                      one Chromium with the five other participants
    ytfu-clinic-<pid>  10.77.0.2/30   one Chromium: the defendant at the village clinic;
                                      its veth egress (the uplink) is `tbf rate 1mbit`

(The court side is a namespace too, not the root one, so that no browser can gather a
candidate on the machine's own addresses; the namespaces are deleted at the end, also on
failure.) The forwarder phase runs the product as it is: rtc.js sends one upstream to the
server's media peer, which records and forwards. The mesh phase loads a bench-only page
(MESH_PAGE below, the shape of rtc.js before 7206e83: one connection per pair, the
smaller id offers) from a tiny signaling relay in the court namespace: same camera
constraints (640×360), same codec preferences (Opus; VP8 and its RTX), so the clinic
sends five copies through the same uplink. Everyone but the clinic mutes its microphone
(the clinic speaks, so last-N shows it to the judge too).

After a warm-up each of the five receivers samples the clinic's inbound-rtp video
(getStats) every 2 s over a window: frame width and height, frames decoded per second,
kbit/s received, freezes (freezeCount, totalFreezesDuration) in the window. The clinic
samples its outbound-rtp video (encoder resolution and fps, qualityLimitationReason,
target bitrate, availableOutgoingBitrate, RTT and loss reported back). Headline figures
are the worst over the five receivers (the target holds "at every other participant").

    .venv/bin/python bench/field_uplink.py [--rate 1mbit] [--warmup 20] [--window 30]

Root only (namespaces, tc). Progress on stderr; ends with one JSON line: {"bench":
"field_uplink", "clinic_width_sfu", "clinic_fps_sfu", "clinic_kbps_sfu",
"clinic_freezes_sfu", "clinic_freeze_s_sfu", "clinic_av_sync_ms_median_sfu",
"clinic_av_sync_ms_max_abs_sfu", the same for _mesh, and the details}.

A/V sync: at each sample every receiver also reads the clinic's audio inbound-rtp and
subtracts the two tracks' `estimatedPlayoutTimestamp` (what each plays now, on the
sender's RTCP clock): > 0 ms, the sound ahead of the picture. Chromium reports it only
for an audio and a video it synchronises, so a missing figure means no lip sync at all
(`av_why` then says what was missing).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import json
import os
import queue
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHROMIUM = "/usr/bin/chromium"
COURT_IP, CLINIC_IP = "10.77.0.1", "10.77.0.2"
PEERS = ("clerk", "prosecutor", "defence_lawyer", "witness")  # besides judge and clinic
STAFF = ("clerk",)  # court staff: inside at once, never in the lobby
STARTUP_S = 240  # argon2 hashes the demo passwords on a busy 2-core machine


def log(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def emit(payload: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(payload) + "\n")
    sys.stdout.flush()


# ---- what the pages run ----------------------------------------------------------------

# Every RTCPeerConnection a page makes is kept in window.__pcs (for getStats).
KEEP_PEERS = """(() => {
  const Native = window.RTCPeerConnection;
  if (!Native) return;
  window.__pcs = [];
  class Kept extends Native { constructor(...a) { super(...a); window.__pcs.push(this); } }
  window.RTCPeerConnection = Kept;
})();"""

# The inbound video of one participant's tile (either page: both show a tile per
# participant with its tracks), as a sample of counters.
INBOUND = """async (pid) => {
  const video = document.querySelector(`[data-testid=video-remote][data-participant-id='${pid}'] video`);
  if (!video || !video.srcObject) return null;
  const ids = video.srcObject.getVideoTracks().map((t) => t.id);
  const audioIds = video.srcObject.getAudioTracks().map((t) => t.id);
  const pcs = window.__pcs.filter((p) => p.connectionState !== "closed");
  for (const [n, pc] of pcs.entries()) {
    let found = null, audio = null;
    (await pc.getStats()).forEach((s) => {
      if (s.type === "inbound-rtp" && s.kind === "video" && ids.includes(s.trackIdentifier)) found = s;
      if (s.type === "inbound-rtp" && s.kind === "audio" && audioIds.includes(s.trackIdentifier)) audio = s;
    });
    if (found) {
      const s = found;
      // A/V sync: what each of the clinic's tracks is playing now, on the sender's clock
      // (RTCP SR): audio minus video, ms (> 0: the sound is ahead of the picture).
      const av = audio && audio.estimatedPlayoutTimestamp && s.estimatedPlayoutTimestamp
        ? audio.estimatedPlayoutTimestamp - s.estimatedPlayoutTimestamp : null;
      return { key: `${window.__pcs.indexOf(pc)}/${s.id}`, t: s.timestamp / 1000,
               width: s.frameWidth || 0, height: s.frameHeight || 0,
               decoded: s.framesDecoded || 0, dropped: s.framesDropped || 0,
               bytes: s.bytesReceived || 0, lost: s.packetsLost || 0,
               freezes: s.freezeCount || 0, freeze_s: s.totalFreezesDuration || 0,
               nacks: s.nackCount || 0, plis: s.pliCount || 0, fps_now: s.framesPerSecond || 0,
               played: !video.paused && video.videoWidth > 0, av_ms: av,
               av_why: av !== null ? null : { audio_tracks: audioIds.length, audio: !!audio,
                 audio_ept: audio?.estimatedPlayoutTimestamp ?? null,
                 video_ept: s.estimatedPlayoutTimestamp ?? null } };
    }
  }
  return null;
}"""

# Whose tiles a page shows, and their size (why a receiver lacks the clinic's video).
TILES = """() => [...document.querySelectorAll("[data-testid=video-remote]")].map((t) => ({
  id: t.dataset.participantId, w: t.querySelector("video")?.videoWidth }))"""

# What the clinic's encoder does for each of its outbound video streams.
OUTBOUND = """async () => {
  const out = [];
  for (const [n, pc] of window.__pcs.entries()) {
    if (pc.connectionState === "closed") continue;
    const stats = await pc.getStats();
    const all = [...stats.values()];
    const pair = all.find((s) => s.type === "candidate-pair" && s.nominated && s.state === "succeeded");
    const source = all.find((s) => s.type === "media-source" && s.kind === "video");
    for (const s of all) {
      if (s.type !== "outbound-rtp" || s.kind !== "video") continue;
      const remote = all.find((r) => r.type === "remote-inbound-rtp" && r.localId === s.id);
      out.push({ key: `${n}/${s.id}`, t: s.timestamp / 1000, width: s.frameWidth || 0,
                 height: s.frameHeight || 0, encoded: s.framesEncoded || 0, bytes: s.bytesSent || 0,
                 retransmitted: s.retransmittedBytesSent || 0, target: s.targetBitrate || 0,
                 limitation: s.qualityLimitationReason || "",
                 limitation_s: s.qualityLimitationDurations || {},
                 available: pair?.availableOutgoingBitrate || 0,
                 rtt: remote?.roundTripTime ?? null, loss: remote?.fractionLost ?? null,
                 nacks: s.nackCount || 0, plis: s.pliCount || 0,
                 encoder: s.encoderImplementation || "", ssrc: s.ssrc,
                 captured: source?.frames || 0 });
    }
  }
  return out;
}"""

# The old mesh, bench-only: one RTCPeerConnection per other page (the smaller id offers,
# a full offer after gathering, as aiortc-free as rtc.js was), tiles as rtc.js makes them.
MESH_PAGE = """<!doctype html><meta charset="utf-8"><title>mesh</title><div id="grid"></div>
<script type="module">
const params = new URLSearchParams(location.search);
const me = params.get("id");
const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 360 }, audio: true });
for (const t of stream.getAudioTracks()) t.enabled = params.get("mute") !== "1";
const peers = new Map();
const ws = new WebSocket(`ws://${location.host}/ws?id=${encodeURIComponent(me)}`);
const send = (m) => ws.send(JSON.stringify(m));

function prefer(transceiver) {  // as rtc.js's preferForwardable
  const kind = transceiver.receiver.track.kind;
  const wanted = kind === "audio" ? ["audio/opus"] : ["video/vp8", "video/rtx"];
  const codecs = RTCRtpReceiver.getCapabilities(kind).codecs.filter((c) => wanted.includes(c.mimeType.toLowerCase()));
  transceiver.setCodecPreferences(codecs);
}
function gathered(pc) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    setTimeout(resolve, 3000);
    pc.addEventListener("icegatheringstatechange", () => { if (pc.iceGatheringState === "complete") resolve(); });
  });
}
function peer(id) {
  const pc = new RTCPeerConnection({ iceServers: [] });
  const remote = new MediaStream();
  peers.set(id, pc);
  pc.ontrack = (e) => {
    remote.addTrack(e.track);
    let tile = document.querySelector(`[data-participant-id='${id}']`);
    if (!tile) {
      tile = document.createElement("figure");
      tile.dataset.testid = "video-remote";
      tile.dataset.participantId = id;
      const video = document.createElement("video");
      video.autoplay = true; video.playsInline = true; video.muted = true;
      tile.append(video);
      document.getElementById("grid").append(tile);
    }
    const video = tile.querySelector("video");
    if (video.srcObject !== remote) video.srcObject = remote;
    video.play().catch(() => {});
  };
  return pc;
}
function addLocal(pc) {
  for (const track of stream.getTracks()) pc.addTrack(track, stream);
  for (const t of pc.getTransceivers()) prefer(t);
}
ws.onmessage = async (e) => {
  const m = JSON.parse(e.data);
  if (m.type === "peers") {
    for (const id of m.ids) {
      if (id === me || peers.has(id) || !(me < id)) continue;
      const pc = peer(id);
      addLocal(pc);
      await pc.setLocalDescription(await pc.createOffer());
      await gathered(pc);
      send({ to: id, type: "offer", sdp: pc.localDescription.sdp });
    }
  } else if (m.type === "offer") {
    const pc = peer(m.from);
    await pc.setRemoteDescription({ type: "offer", sdp: m.sdp });
    addLocal(pc);
    await pc.setLocalDescription(await pc.createAnswer());
    await gathered(pc);
    send({ to: m.from, type: "answer", sdp: pc.localDescription.sdp });
  } else if (m.type === "answer") {
    await peers.get(m.from)?.setRemoteDescription({ type: "answer", sdp: m.sdp });
  }
};
</script>"""


# ---- servers (in the court namespace) ----------------------------------------------------


async def serve_app(data_dir: Path, port: int) -> None:
    """The product: create_app with media on, the demo court seeded, on COURT_IP:port;
    the media peer's host candidates on COURT_IP only."""
    from tests.e2e.server_proc import prepare
    from web.app.application import create_app
    from web.settings import Secret, Settings

    base = f"http://{COURT_IP}:{port}"
    mode = os.environ.get("FIELD_UPLINK_REMB", "product")
    floor = {} if mode == "product" else {"media_remb_floor_kbps": 0}
    settings = Settings(
        host=COURT_IP, port=port, public_url=base, data_dir=data_dir, allowed_origins=(base,),
        ice_servers=(), ice_host_addresses=(COURT_IP,),
        audit_key=Secret("field-uplink-audit-key-0123456789"), media_timeout=3.0, **floor)
    if remb_log := os.environ.get("FIELD_UPLINK_REMB_LOG"):
        record_remb(Path(remb_log), mode=mode)
    links = await prepare(settings)
    await asyncio.to_thread((data_dir / "links.json").write_text, json.dumps(links))
    await _serve(create_app(settings), port)


def record_remb(path: Path, *, mode: str) -> None:
    """What the media peer tells each publisher (REMB: bitrate, ssrcs), as JSON lines; the
    bench's server process only. `mode`: product (media/bandwidth.py's floored estimator,
    what it sends logged), aiortc (the floor off: aiortc's estimate as it is), off (an
    experiment: aiortc's estimate computed and logged but never sent)."""
    from aiortc.rate import RemoteBitrateEstimator

    from media.bandwidth import FlooredEstimator

    cls = FlooredEstimator if mode == "product" else RemoteBitrateEstimator
    send = mode != "off"
    original = cls.add
    out = path.open("a", buffering=1)

    def add(self: Any, arrival_time_ms: int, abs_send_time: int, payload_size: int,
            ssrc: int) -> Any:
        remb = original(self, arrival_time_ms=arrival_time_ms, abs_send_time=abs_send_time,
                        payload_size=payload_size, ssrc=ssrc)
        if remb is not None:
            incoming = self.incoming_bitrate.rate(arrival_time_ms)
            out.write(json.dumps({"t": time.time(), "bps": remb[0], "ssrcs": remb[1],
                                  "incoming": incoming}) + "\n")
        return remb if send else None

    cls.add = add  # type: ignore[method-assign]


async def serve_mesh(port: int) -> None:
    """The bench-only mesh: MESH_PAGE, and a WebSocket relay of offers and answers."""
    from aiohttp import web

    sockets: dict[str, web.WebSocketResponse] = {}

    async def page(request: web.Request) -> web.Response:
        return web.Response(text=MESH_PAGE, content_type="text/html")

    async def relay(request: web.Request) -> web.WebSocketResponse:
        me = request.query["id"]
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        sockets[me] = ws
        for other in list(sockets.values()):
            await other.send_json({"type": "peers", "ids": sorted(sockets)})
        async for message in ws:
            m = json.loads(message.data)
            if (to := sockets.get(m.pop("to", ""))) is not None:
                await to.send_json({**m, "from": me})
        sockets.pop(me, None)
        return ws

    app = web.Application()
    app.router.add_get("/mesh", page)
    app.router.add_get("/ws", relay)
    await _serve(app, port)


async def _serve(app: Any, port: int) -> None:
    from aiohttp import web

    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, COURT_IP, port).start()
    emit({"ready": True})
    await asyncio.Event().wait()


# ---- browsers ------------------------------------------------------------------------------


def until(check: Callable[[], Any], within: float, what: str) -> Any:
    deadline = time.monotonic() + within
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {within} s: {what} (last: {value!r})")
        time.sleep(0.3)


def launch(playwright: Any, origin: str, camera_fps: int | None = None) -> Any:
    """`camera_fps`: the fake camera's frame rate (Chromium's default is 20 frames/s; a
    clinic's webcam sends 30)."""
    fake = ("--use-fake-device-for-media-stream" if camera_fps is None
            else f"--use-fake-device-for-media-stream=fps={camera_fps}")
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
        fake, "--use-fake-ui-for-media-stream",
        "--allow-loopback-in-peer-connection", "--disable-features=WebRtcHideLocalIpsWithMdns",
        "--no-sandbox", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--autoplay-policy=no-user-gesture-required",
        "--disable-renderer-backgrounding", "--disable-background-timer-throttling",
        "--disable-backgrounding-occluded-windows",
        # the pages are served over http on 10.77.0.1: getUserMedia needs a secure origin
        f"--unsafely-treat-insecure-origin-as-secure={origin}"])


def new_page(browser: Any, origin: str) -> Any:
    context = browser.new_context(base_url=origin, locale="zh-CN",
                                  permissions=["camera", "microphone"])
    context.set_default_timeout(60_000)
    context.add_init_script(KEEP_PEERS)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)[:300]))
    return page


def pass_self_test(page: Any) -> str:
    """Through the self-test whatever its network verdict (a loaded machine or the shaped
    uplink may say poor); returns the verdict."""
    verdict = page.get_by_test_id("selftest-verdict")
    until(lambda: verdict.get_attribute("data-verdict") != "pending", 60, "self-test verdict")
    said = str(verdict.get_attribute("data-verdict"))
    page.get_by_test_id("speaker-test").click()
    page.get_by_test_id("speaker-confirm").click()
    page.get_by_test_id("selftest-continue").click()
    return said


def stage(page: Any) -> str:
    return str(page.get_by_test_id("participant-page").get_attribute("data-stage"))


def press(page: Any, testid: str, pressed: bool) -> None:
    button = page.get_by_test_id(testid)
    if (button.get_attribute("aria-pressed") == "true") != pressed:
        button.click()


def run_clinic(options: dict[str, Any]) -> None:
    """The clinic's page (in the clinic namespace): joins, then samples its outbound video
    every 2 s until stdin closes."""
    from playwright.sync_api import sync_playwright

    stop = threading.Event()

    def until_stdin_closes() -> None:
        sys.stdin.read()
        stop.set()

    threading.Thread(target=until_stdin_closes, daemon=True).start()
    with sync_playwright() as playwright:
        browser = launch(playwright, options["origin"], options.get("camera_fps"))
        try:
            page = new_page(browser, options["origin"])
            page.goto(options["url"])
            if options["mode"] == "sfu":
                emit({"verdict": pass_self_test(page)})
                until(lambda: stage(page) == "hearing", 300, "admitted")
                press(page, "audio-only", False)  # a poor verdict starts in audio only
            emit({"stage": "hearing"})
            while not stop.wait(2):
                emit({"sample": page.evaluate(OUTBOUND), "t": time.time(),
                      "errors": page.errors[-3:]})
        finally:
            browser.close()


def run_room(options: dict[str, Any]) -> None:
    """The five others (in the court namespace): join, wait for the clinic's video at each,
    warm up, sample the clinic's inbound video every 2 s over the window."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright, options["origin"], options.get("others_fps"))
        try:
            if options["mode"] == "sfu":
                pages, clinic_id = join_hearing(browser, options)
            else:
                clinic_id = "clinic"
                pages = {}
                for n in range(1, options["others"] + 1):
                    pages[f"p{n}"] = new_page(browser, options["origin"])
                    pages[f"p{n}"].goto(f"/mesh?id=p{n}&mute=1")
            missing = {}
            for key, page in pages.items():
                try:
                    until(functools.partial(decoding, page, clinic_id), 120,
                          f"the clinic's video at {key}")
                except AssertionError as exc:  # measured as nothing, and told why
                    missing[key] = {"error": str(exc)[:200], "tiles": page.evaluate(TILES)}
                    log(f"room: {missing[key]}")
            emit({"receiving": sorted(set(pages) - set(missing))})
            time.sleep(options["warmup"])
            samples: dict[str, list[Any]] = {key: [] for key in pages}
            started = time.time()
            while time.time() - started < options["window"]:
                for key, page in pages.items():
                    samples[key].append(page.evaluate(INBOUND, clinic_id))
                time.sleep(2)
            emit({"window": [started, time.time()], "samples": samples, "missing": missing,
                  "errors": {k: p.errors[-3:] for k, p in pages.items()}})
        finally:
            browser.close()


def decoding(page: Any, pid: str) -> bool:
    sample = page.evaluate(INBOUND, pid)
    return bool(sample and sample["decoded"] > 0)


def join_hearing(browser: Any, options: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The judge's console admits everyone (the clinic's defendant too, who joins from the
    other namespace), starts the hearing and calls the witness; all but the clinic mute."""
    from web.app.demo import DEMO_STAFF

    links = options["links"]
    peers = PEERS[:options["others"] - 1]
    judge = new_page(browser, options["origin"])
    assert judge.context.request.post("/api/session", data={
        "username": "judge", "password": DEMO_STAFF["judge"][2]}).ok
    judge.goto(f"/hearings/{links['judge']['hearing_id']}/console")
    judge.get_by_test_id("connection-state").and_(
        judge.locator("[data-state=connected]")).wait_for()
    others = {}
    for key in peers:
        others[key] = new_page(browser, options["origin"])
        others[key].goto(links[key]["url"])
    for page in others.values():
        pass_self_test(page)
    log("room: self-tests passed")
    judge.get_by_test_id("control-open-doors").click()
    ids = {}
    for key in (*(k for k in others if k not in STAFF), "defendant"):
        entry = judge.locator("[data-testid=lobby-entry]", has_text=links[key]["name"])
        entry.wait_for(timeout=300_000)
        ids[key] = str(entry.get_attribute("data-participant-id"))
        if key != "witness":
            entry.get_by_test_id("lobby-admit").click()
        log(f"room: {key} in the lobby")
    judge.get_by_test_id("control-start").click()
    until(lambda: judge.get_by_test_id("hearing-state").get_attribute("data-state")
          == "in_session", 30, "in session")
    if "witness" in ids:
        judge.locator(f"[data-testid=lobby-entry][data-participant-id='{ids['witness']}'] "
                      "[data-testid=witness-call]").click()
    until(lambda: all(stage(p) == "hearing" for p in others.values()), 60, "all inside")
    for page in others.values():
        press(page, "audio-only", False)
        press(page, "self-mute", True)
    press(judge, "self-mute", True)
    log("room: all inside, muted")
    return {"judge": judge, **others}, ids["defendant"]


# ---- the orchestrator (root namespace) ------------------------------------------------------


def sh(*args: str) -> None:
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)}: {done.stderr.strip()}")


@contextlib.contextmanager
def field_network(rate: str) -> Iterator[tuple[str, str]]:
    """Two namespaces joined by one veth pair; the clinic's egress shaped by tbf."""
    court, clinic = f"ytfu-court-{os.getpid()}", f"ytfu-clinic-{os.getpid()}"
    made: list[str] = []
    try:
        for ns in (court, clinic):
            sh("ip", "netns", "add", ns)
            made.append(ns)
        sh("ip", "link", "add", "court0", "netns", court, "type", "veth",
           "peer", "name", "clinic0", "netns", clinic)
        for ns, dev, address in ((court, "court0", COURT_IP), (clinic, "clinic0", CLINIC_IP)):
            sh("ip", "-n", ns, "addr", "add", f"{address}/30", "dev", dev)
            sh("ip", "-n", ns, "link", "set", dev, "up")
            sh("ip", "-n", ns, "link", "set", "lo", "up")
        # A modem's uplink: 1 Mbit/s, a 10 kB token bucket, at most 200 ms of queue.
        sh("ip", "netns", "exec", clinic, "tc", "qdisc", "add", "dev", "clinic0", "root",
           "tbf", "rate", rate, "burst", "10kb", "latency", "200ms")
        yield court, clinic
    finally:
        for ns in made:
            with contextlib.suppress(RuntimeError):
                sh("ip", "netns", "del", ns)


class Child:
    """A process of this script inside a namespace; its JSON stdout lines in a queue."""

    def __init__(self, ns: str, log_path: Path, *args: str, **env: str) -> None:
        self.name, self.lines = args[0], queue.Queue[dict[str, Any]]()
        self.log_path = log_path
        with log_path.open("ab") as err:
            self.proc = subprocess.Popen(
                ["ip", "netns", "exec", ns, sys.executable, __file__, *args],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err, cwd=ROOT,
                env={**os.environ, "PYTHONPATH": str(ROOT), **env}, start_new_session=True)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            with contextlib.suppress(ValueError):
                self.lines.put(json.loads(raw))

    def next(self, within: float, what: str) -> dict[str, Any]:
        try:
            return self.lines.get(timeout=within)
        except queue.Empty:
            tail = self.log_path.read_text(errors="replace")[-3000:]
            raise AssertionError(f"{self.name}: no {what} in {within} s\n{tail}") from None

    def wait_for(self, key: str, within: float) -> dict[str, Any]:
        deadline = time.monotonic() + within
        while True:
            try:
                line = self.lines.get(timeout=2)
            except queue.Empty:
                line = {}
            if key in line:
                return line
            if time.monotonic() > deadline:
                self.next(0, key)  # raises, with the log's tail
            if self.proc.poll() is not None and self.lines.empty():
                raise AssertionError(f"{self.name} exited: "
                                     f"{self.log_path.read_text(errors='replace')[-3000:]}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(OSError):
                assert self.proc.stdin is not None
                self.proc.stdin.close()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGTERM)  # our own session, by its id
                try:
                    self.proc.wait(10)
                except subprocess.TimeoutExpired:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                    self.proc.wait(5)


def phase(mode: str, court: str, clinic: str, work: Path, args: argparse.Namespace
          ) -> dict[str, Any]:
    """One hearing (sfu: the product; mesh: the bench's mesh page) → its figures."""
    port = 18000 + os.getpid() % 1000
    origin = f"http://{COURT_IP}:{port}"
    data = work / mode
    data.mkdir()
    children: list[Child] = []
    try:
        remb = work / f"{mode}-remb.jsonl"
        server = (Child(court, work / f"{mode}-server.log", "serve", str(data), str(port),
                        FIELD_UPLINK_REMB_LOG=str(remb), FIELD_UPLINK_REMB=args.remb)
                  if mode == "sfu" else
                  Child(court, work / f"{mode}-server.log", "mesh-relay", str(port)))
        children.append(server)
        server.wait_for("ready", STARTUP_S)
        log(f"{mode}: server ready at {origin}")
        links = json.loads((data / "links.json").read_text()) if mode == "sfu" else {}
        url = links["defendant"]["url"] if mode == "sfu" else f"{origin}/mesh?id=clinic"
        common = {"mode": mode, "origin": origin}
        clinic_proc = Child(clinic, work / f"{mode}-clinic.log", "clinic",
                            json.dumps({**common, "url": url, "camera_fps": args.camera_fps}))
        children.append(clinic_proc)
        room = Child(court, work / f"{mode}-room.log", "room", json.dumps({
            **common, "links": links, "warmup": args.warmup, "window": args.window,
            "others": args.others, "others_fps": args.others_fps}))
        children.append(room)
        receiving = room.wait_for("receiving", 600)["receiving"]
        log(f"{mode}: the clinic's video arrives at {receiving}; warming up {args.warmup} s")
        result = room.wait_for("window", args.warmup + args.window + 300)
        clinic_proc.stop()
        sent = [line for line in _drain(clinic_proc) if "sample" in line]
        figures = summary(result, sent)
        if remb.exists():
            figures["remb"] = remb_summary(remb, result["window"], sent)
        return figures
    finally:
        for child in reversed(children):
            child.stop()


def _drain(child: Child) -> list[dict[str, Any]]:
    out = []
    while True:
        try:
            out.append(child.lines.get_nowait())
        except queue.Empty:
            return out


def remb_summary(path: Path, window: list[float], clinic: list[dict[str, Any]]
                 ) -> dict[str, Any]:
    """The REMB the media peer sent the clinic during the window (kbit/s), and the
    incoming rate its estimator measured."""
    ssrcs = {s["ssrc"] for line in clinic for s in line["sample"]}
    told = [json.loads(line) for line in path.read_text().splitlines()]
    mine = [r for r in told if ssrcs & set(r["ssrcs"]) and window[0] <= r["t"] <= window[1]]
    if not mine:
        return {}
    kbps = [r["bps"] / 1000 for r in mine]
    return {"kbps_mean": round(statistics.mean(kbps), 1), "kbps_min": round(min(kbps), 1),
            "kbps_max": round(max(kbps), 1), "count": len(mine),
            "incoming_kbps_mean": round(statistics.mean(
                (r["incoming"] or 0) / 1000 for r in mine), 1)}


def summary(room: dict[str, Any], clinic: list[dict[str, Any]]) -> dict[str, Any]:
    """Per receiver: median width, fps, kbit/s, freezes over the window; the clinic's
    encoder over the same window."""
    receivers = {}
    for key, samples in room["samples"].items():
        got = [s for s in samples if s]
        if not got:  # the clinic never arrived there
            receivers[key] = {"width": 0, "height": 0, "width_min": 0, "fps": 0.0, "kbps": 0.0,
                              "freezes": 0, "freeze_s": 0.0, "missing": room["missing"].get(key)}
            continue
        last = [s for s in got if s["key"] == got[-1]["key"]]  # one slot/connection
        a, b = last[0], last[-1]
        dt = max(1e-3, b["t"] - a["t"])
        receivers[key] = {
            "width": statistics.median(s["width"] for s in last),
            "height": statistics.median(s["height"] for s in last),
            "width_min": min(s["width"] for s in last),
            "fps": round((b["decoded"] - a["decoded"]) / dt, 1),
            "kbps": round((b["bytes"] - a["bytes"]) * 8 / dt / 1000, 1),
            "freezes": b["freezes"] - a["freezes"],
            "freeze_s": round(b["freeze_s"] - a["freeze_s"], 2),
            "lost": b["lost"] - a["lost"], "plis": b["plis"] - a["plis"],
            "seconds": round(dt, 1), **_av_sync(last),
            **({"av_why": last[-1]["av_why"]} if last[-1].get("av_why") else {})}
    t0, t1 = room["window"]
    inside = [line for line in clinic if t0 <= line.get("t", t0) <= t1] or clinic
    streams: dict[str, list[Any]] = {}
    for line in inside:
        for s in line["sample"]:
            streams.setdefault(s["key"], []).append(s)
    sender = []
    for series in streams.values():
        a, b = series[0], series[-1]
        dt = max(1e-3, b["t"] - a["t"])
        sender.append({
            "width": b["width"], "height": b["height"],
            "fps": round((b["encoded"] - a["encoded"]) / dt, 1),
            "capture_fps": round((b["captured"] - a["captured"]) / dt, 1),
            "kbps": round((b["bytes"] - a["bytes"]) * 8 / dt / 1000, 1),
            "target_kbps": round(statistics.mean(s["target"] for s in series) / 1000, 1),
            "available_kbps": round(statistics.mean(s["available"] for s in series) / 1000, 1),
            "limitation": b["limitation"], "rtt_ms": round((b["rtt"] or 0) * 1000),
            "loss": b["loss"], "plis": b["plis"] - a["plis"], "nacks": b["nacks"] - a["nacks"],
            "encoder": b["encoder"]})
    worst = min(receivers.values(), key=lambda r: (r["width"], r["fps"]))
    offsets = [r["av_ms_max_abs"] for r in receivers.values() if "av_ms_max_abs" in r]
    return {"width": min(r["width"] for r in receivers.values()),
            "height": worst["height"],
            "fps": min(r["fps"] for r in receivers.values()),
            "fps_mean": round(statistics.mean(r["fps"] for r in receivers.values()), 1),
            "kbps": min(r["kbps"] for r in receivers.values()),
            "freezes": max(r["freezes"] for r in receivers.values()),
            "freeze_s": max(r["freeze_s"] for r in receivers.values()),
            "av_sync_ms_max_abs": max(offsets) if offsets else None,
            "av_sync_ms_median": (statistics.median(
                r["av_ms_median"] for r in receivers.values() if "av_ms_median" in r)
                if offsets else None),
            "receivers": receivers, "clinic_sends": sender}


def _av_sync(samples: list[dict[str, Any]]) -> dict[str, Any]:
    """The clinic's sound against its picture at one receiver over the window: median and
    worst |audio − video| of the tracks' estimated playout timestamps (ms)."""
    offsets = [s["av_ms"] for s in samples if isinstance(s.get("av_ms"), int | float)]
    if not offsets:
        return {}
    return {"av_ms_median": round(statistics.median(offsets), 1),
            "av_ms_max_abs": round(max(abs(o) for o in offsets), 1), "av_samples": len(offsets)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rate", default="1mbit", help="the clinic's uplink (tc tbf rate)")
    parser.add_argument("--warmup", type=float, default=20.0)
    parser.add_argument("--window", type=float, default=30.0)
    parser.add_argument("--modes", default="sfu,mesh")
    parser.add_argument("--remb", default="product", choices=("product", "aiortc", "off"),
                        help="product: the REMB floor (media/bandwidth.py); aiortc: the floor "
                             "off; off (experiment): the media peer sends publishers no REMB")
    parser.add_argument("--camera-fps", type=int, default=30,
                        help="the clinic's camera (a webcam sends 30 frames/s; Chromium's "
                             "fake camera 20 unless told)")
    parser.add_argument("--others-fps", type=int, default=None,
                        help="the five others' cameras (default: Chromium's 20); 5 keeps their "
                             "one shared machine from starving the receivers' decoders")
    parser.add_argument("--keep", action="store_true", help="keep the logs and recordings")
    parser.add_argument("--others", type=int, default=5, choices=range(1, 6),
                        help="participants besides the clinic (5: a six-party hearing)")
    args = parser.parse_args()
    if os.geteuid() != 0 or not shutil.which("tc") or not Path(CHROMIUM).exists():
        log("needs root (network namespaces, tc) and /usr/bin/chromium: skipped")
        emit({"bench": "field_uplink", "skipped": True})
        return 0
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # the namespaces go, also then
    work = Path(tempfile.mkdtemp(prefix="field-uplink-"))
    log(f"logs in {work}")
    figures: dict[str, Any] = {"bench": "field_uplink", "rate": args.rate, "remb_mode": args.remb,
                               "camera_fps": args.camera_fps, "others_fps": args.others_fps,
                               "warmup_s": args.warmup, "window_s": args.window}
    details = {}
    with field_network(args.rate) as (court, clinic):
        for mode in args.modes.split(","):
            log(f"== {mode}")
            result = phase(mode, court, clinic, work, args)
            details[mode] = result
            for name in ("width", "height", "fps", "fps_mean", "kbps", "freezes", "freeze_s",
                         "av_sync_ms_median", "av_sync_ms_max_abs"):
                figures[f"clinic_{name}_{mode}"] = result[name]
            sends = result["clinic_sends"]
            figures[f"clinic_uplink_kbps_{mode}"] = round(sum(s["kbps"] for s in sends), 1)
            figures[f"clinic_encoded_{mode}"] = [
                f"{s['width']}x{s['height']}@{s['fps']} {s['limitation']}" for s in sends]
            if result.get("remb"):
                figures[f"clinic_remb_kbps_{mode}"] = result["remb"]["kbps_mean"]
            log(f"{mode}: {json.dumps({k: v for k, v in result.items() if k != 'receivers'})}")
            for key, r in result["receivers"].items():
                log(f"  at {key}: {json.dumps(r)}")
    figures["target_met"] = (figures.get("clinic_width_sfu", 0) >= 640
                             and figures.get("clinic_fps_sfu", 0) >= 20)
    figures["details"] = details
    if not args.keep:  # kept (and named above) when the run failed
        shutil.rmtree(work, ignore_errors=True)
    emit(figures)
    return 0


def child_main(argv: list[str]) -> int:
    role = argv[0]
    if role == "serve":
        asyncio.run(serve_app(Path(argv[1]), int(argv[2])))
    elif role == "mesh-relay":
        asyncio.run(serve_mesh(int(argv[1])))
    elif role == "clinic":
        run_clinic(json.loads(argv[1]))
    elif role == "room":
        run_room(json.loads(argv[1]))
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] in ("serve", "mesh-relay", "clinic", "room"):
        sys.exit(child_main(sys.argv[1:]))
    sys.exit(main())
