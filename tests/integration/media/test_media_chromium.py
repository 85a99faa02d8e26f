"""Headless Chromium (fake camera and microphone) → the recorder over 127.0.0.1.

The page negotiates through a tiny POST /offer endpoint defined here; the real
signaling is another package's.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import pytest
from aiohttp import web

from media.participant import ParticipantInfo
from media.peers import MediaService, MediaSettings
from media.recorder import RecordingEvent
from tests.integration.media.streams import count_frames

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
    "--allow-loopback-in-peer-connection", "--disable-features=WebRtcHideLocalIpsWithMdns",
    "--no-sandbox", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--headless",
]
PAGE = """<!doctype html><meta charset="utf-8"><title>recorder test</title>
<script>
async function join() {
  const media = await navigator.mediaDevices.getUserMedia(
    {audio: true, video: {width: 640, height: 360, frameRate: 30}});
  const pc = new RTCPeerConnection({iceServers: []});
  media.getTracks().forEach(t => pc.addTrack(t, media));
  await pc.setLocalDescription(await pc.createOffer());
  // aiortc does not take trickled candidates: send the offer once gathering is complete.
  await new Promise(done => {
    if (pc.iceGatheringState === "complete") return done();
    pc.onicegatheringstatechange = () => pc.iceGatheringState === "complete" && done();
  });
  const response = await fetch("/offer", {method: "POST", body: pc.localDescription.sdp});
  await pc.setRemoteDescription({type: "answer", sdp: await response.text()});
  window.pc = pc;
  return pc.localDescription.sdp;
}
</script>"""

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason="Chromium not installed"),
]


async def test_chromium_fake_devices_are_recorded_as_vp8_opus(tmp_path: Path) -> None:
    from playwright.async_api import async_playwright

    events: list[RecordingEvent] = []
    settings = MediaSettings(archive_dir=tmp_path, host_addresses=("127.0.0.1",))
    async with MediaService(settings, events.append) as service:
        service.start("h1")

        async def offer(request: web.Request) -> web.Response:
            info = ParticipantInfo("h1", "browser", role="party", site="clinic")
            return web.Response(text=await service.answer(info, await request.text()))

        async def page(_: web.Request) -> web.Response:
            return web.Response(text=PAGE, content_type="text/html")

        app = web.Application()
        app.router.add_get("/", page)
        app.router.add_post("/offer", offer)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        try:
            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                tab = await browser.new_page()
                await tab.goto(f"http://127.0.0.1:{port}/")
                offer_sdp = await tab.evaluate("join()")
                assert "VP8" in offer_sdp
                await asyncio.sleep(5)
                await service.stop("h1")
                await browser.close()
        finally:
            await runner.cleanup()
    segment = tmp_path / "h1" / "browser" / "seg-00001.mkv"
    counts = count_frames(segment)
    assert counts["video"] >= 60, counts
    assert counts["audio"] >= 150, counts
    sidecar = json.loads(segment.with_suffix(".json").read_text())
    assert {s["codec"].lower() for s in sidecar["streams"]} == {"video/vp8", "audio/opus"}
    assert not [e for e in events if e.state == "failed"], events
