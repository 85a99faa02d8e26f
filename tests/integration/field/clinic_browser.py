"""A clinic's browser, run INSIDE the clinic's network namespace by the field test:
`ip netns exec <ns> python -m tests.integration.field.clinic_browser '<json>'`.

Playwright launches Debian's Chromium there (fake camera and microphone; the court's
certificate trusted by its SPKI pin), opens the join link over https, passes the
self-test, waits to be admitted, and reports on stdout, one JSON object per line:
{"stage": "waiting"|"hearing"} as it gets there, then {"pairs": [...]}: the selected ICE
candidate pair of each connected peer connection that had ICE servers (from getStats),
with its configured iceTransportPolicy and the types of every local candidate gathered,
and finally {"done": true}. Errors are {"error": "..."}.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
    "--no-sandbox", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--autoplay-policy=no-user-gesture-required",
]
# Every RTCPeerConnection the page makes is kept, so its stats can be read.
KEEP_PEERS = """(() => {
  const Native = window.RTCPeerConnection;
  window.__pcs = [];
  window.RTCPeerConnection = function (...args) {
    const pc = new Native(...args);
    window.__pcs.push(pc);
    // What gathering did, kept past close() (a closed connection's stats are empty):
    // each local candidate, each TURN/STUN error (its code says why an allocation failed).
    pc.__ice = [];
    pc.addEventListener("icecandidate", (e) => pc.__ice.push(
      e.candidate ? `cand ${e.candidate.candidate}` : "cand end"));
    pc.addEventListener("icecandidateerror", (e) => pc.__ice.push(
      `error ${e.errorCode} ${e.errorText} ${e.url}`));
    pc.addEventListener("icegatheringstatechange", () => pc.__ice.push(
      `gathering ${pc.iceGatheringState} ${Math.round(performance.now())}`));
    return pc;
  };
  window.RTCPeerConnection.prototype = Native.prototype;
  window.__answers = [];
  const setRemote = Native.prototype.setRemoteDescription;
  Native.prototype.setRemoteDescription = function (description, ...rest) {
    const sdp = (description && description.sdp) || "";
    window.__answers.push({type: description && description.type,
      candidates: sdp.split(/\\r?\\n/).filter((l) => l.startsWith("a=candidate")).join(" | ")});
    return setRemote.call(this, description, ...rest);
  };
})();"""
SELECTED_PAIRS = """async () => {
  const out = [];
  for (const pc of window.__pcs) {
    if ((pc.getConfiguration().iceServers || []).length === 0) continue;
    if (pc.connectionState !== "connected") continue;
    const stats = await pc.getStats();
    const byId = new Map();
    stats.forEach((s) => byId.set(s.id, s));
    const gathered = [];  // every local candidate's type: relay-only gathers relays alone
    stats.forEach((s) => { if (s.type === "local-candidate") gathered.push(s.candidateType); });
    const policy = pc.getConfiguration().iceTransportPolicy;
    stats.forEach((s) => {
      if (s.type !== "transport" || !s.selectedCandidatePairId) return;
      const pair = byId.get(s.selectedCandidatePairId);
      const local = byId.get(pair.localCandidateId);
      const remote = byId.get(pair.remoteCandidateId);
      out.push({local: local.candidateType, relayProtocol: local.relayProtocol || "",
                remote: remote.candidateType, bytesSent: pair.bytesSent || 0,
                remoteAddress: `${remote.address}:${remote.port}`,
                relayServer: local.url || "", policy, gathered});
    });
  }
  return out;
}"""


DIAGNOSE = """async () => {
  const out = [];
  for (const pc of window.__pcs) {
    const stats = await pc.getStats();
    const local = [];
    stats.forEach((s) => { if (s.type === "local-candidate") local.push(
      `${s.candidateType}/${s.protocol}/${s.relayProtocol || ""} ${s.address}:${s.port}`); });
    const remote = [];
    stats.forEach((s) => { if (s.type === "remote-candidate") remote.push(
      `${s.candidateType} ${s.address}:${s.port}`); });
    const pairs = [];
    stats.forEach((s) => { if (s.type === "candidate-pair") pairs.push(s.state); });
    out.push({servers: (pc.getConfiguration().iceServers || []).map((x) => x.urls),
              state: pc.connectionState, ice: pc.iceConnectionState, local, remote, pairs,
              gathering: (pc.__ice || []).slice(0, 20)});
  }
  out.push({answers: window.__answers});
  return out;
}"""


REPORT: list[str] = []


def say(**message: Any) -> None:
    print(json.dumps(message), flush=True)
    if REPORT:  # the whole message, also where a test can read it after a failure
        with open(REPORT[0], "a", encoding="utf-8") as out:
            out.write(json.dumps(message, ensure_ascii=False, indent=1) + "\n")


def until(check: Any, within: float, what: str) -> Any:
    deadline = time.monotonic() + within
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {within} s: {what} (last: {value!r})")
        time.sleep(0.3)


def main(options: dict[str, Any]) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=[*ARGS, f"--ignore-certificate-errors-spki-list={options['spki']}",
                  *([f"--host-resolver-rules={', '.join(f'MAP {n} {a}' for n, a in resolve)}"]
                    if (resolve := options.get("resolve", {}).items()) else [])])
        try:
            page: Any = None
            console: list[str] = []
            context = browser.new_context(permissions=["camera", "microphone"],
                                          locale="zh-CN")
            context.set_default_timeout(20_000)
            context.add_init_script(KEEP_PEERS)
            page = context.new_page()
            page.on("console", lambda m: console.append(f"{m.type}: {m.text}"[:300]))
            page.on("pageerror", lambda e: console.append(f"pageerror: {e}"[:300]))
            page.goto(options["url"])
            root = page.get_by_test_id("participant-page")
            verdict = page.get_by_test_id("selftest-verdict")
            until(lambda: verdict.get_attribute("data-verdict") != "pending", 40,
                  "self-test verdict")
            if verdict.get_attribute("data-verdict") != "good":
                say(error=f"self-test: {verdict.text_content()}")
                return
            page.get_by_test_id("speaker-test").click()
            page.get_by_test_id("speaker-confirm").click()
            page.get_by_test_id("selftest-continue").click()
            stage = until(lambda: root.get_attribute("data-stage") in ("waiting", "hearing")
                          and root.get_attribute("data-stage"), 20, "past the self-test")
            say(stage=stage)
            until(lambda: root.get_attribute("data-stage") == "hearing", 60, "admitted")
            say(stage="hearing")

            def relayed() -> list[dict[str, Any]]:
                pairs = page.evaluate(SELECTED_PAIRS)
                return pairs if pairs and all(p["bytesSent"] > 0 for p in pairs) else []

            say(pairs=until(relayed, options.get("within", 60), "a connected media peer"))
            time.sleep(options.get("linger", 5))  # media keeps flowing to the recorder
            say(pairs=page.evaluate(SELECTED_PAIRS))
        except Exception as exc:
            try:
                detail = page.evaluate(DIAGNOSE)
            except Exception:
                detail = None
            say(error=f"{type(exc).__name__}: {exc}", peers=detail, console=console[-40:])
        finally:
            browser.close()
    say(done=True)


if __name__ == "__main__":
    given = json.loads(sys.argv[1])
    if given.get("report"):
        REPORT.append(given["report"])
    main(given)
