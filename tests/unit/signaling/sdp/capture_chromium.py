"""Capture a real Chromium offer (audio+video, fake devices) into chromium_offer.sdp.

Run by hand: .venv/bin/python tests/unit/signaling/sdp/capture_chromium.py
Loopback only: no ICE servers, and Chromium told not to reach the network.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from playwright.async_api import async_playwright

FLAGS = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream", "--no-sandbox",
         "--headless", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--allow-loopback-in-peer-connection",
         "--disable-features=WebRtcHideLocalIpsWithMdns"]

SCRIPT = """async () => {
  const pc = new RTCPeerConnection({iceServers: []});
  const stream = await navigator.mediaDevices.getUserMedia({audio: true, video: true});
  stream.getTracks().forEach(t => pc.addTrack(t, stream));
  const offer = await pc.createOffer();
  await pc.setLocalDescription(offer);
  await new Promise(r => { if (pc.iceGatheringState === 'complete') r();
    pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && r();
    setTimeout(r, 3000); });
  const answerer = new RTCPeerConnection({iceServers: []});
  await answerer.setRemoteDescription(pc.localDescription);
  const answer = await answerer.createAnswer();
  const recv = new RTCPeerConnection({iceServers: []});
  recv.addTransceiver('audio', {direction: 'recvonly'});
  recv.addTransceiver('video', {direction: 'recvonly'});
  const recvOffer = await recv.createOffer();
  return {offer: pc.localDescription.sdp, answer: answer.sdp, recvonly: recvOffer.sdp,
          ua: navigator.userAgent};
}"""


async def main() -> None:
    here = Path(__file__).parent
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
        page = await browser.new_page()
        # getUserMedia needs a secure context; http://localhost is one. Playwright
        # serves the page itself, so nothing listens and nothing leaves the machine.
        await page.route("http://localhost/", lambda route: route.fulfill(
            body="<!doctype html><title>capture</title>", content_type="text/html"))
        await page.goto("http://localhost/")
        result = await page.evaluate(SCRIPT)
        await browser.close()
    for name in ("offer", "answer", "recvonly"):
        (here / f"chromium_{name}.sdp").write_bytes(result[name].encode())
    print(result["ua"])


if __name__ == "__main__":
    asyncio.run(main())
