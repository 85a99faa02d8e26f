// Device self-test before the waiting room: camera preview, microphone level meter
// (WebAudio), a speaker test tone, and a network check (round trips to /healthz and a
// loopback WebRTC connection) ending in one verdict: good | poor | bad | failed.
import { t } from "/static/js/lib/i18n.js";
import { byTestId } from "/static/js/lib/ui.js";

function mark(node, state, text) {
  node.dataset.state = state;
  node.textContent = text;
}

// Why getUserMedia failed, as the self-test tells it: the user (or a site setting)
// refused access, there is no such device, or another program holds it.
const REFUSED = new Set(["NotAllowedError", "SecurityError", "PermissionDeniedError"]);
const BUSY = new Set(["NotReadableError", "TrackStartError", "AbortError"]);
const why = (error) => (REFUSED.has(error?.name) ? "denied" : BUSY.has(error?.name) ? "busy" : "missing");

async function acquire(constraints) {
  try {
    return { stream: await navigator.mediaDevices.getUserMedia(constraints) };
  } catch (error) {
    return { error };
  }
}

/** Which browser's steps to show first for allowing camera and microphone. */
export function browserFamily(ua = navigator.userAgent) {
  if (/Firefox\/|FxiOS\//.test(ua)) return "firefox";
  if (/iPhone|iPad|iPod/.test(ua) || (/Safari\//.test(ua) && !/Chrome\/|Chromium\/|Edg\//.test(ua))) return "safari";
  return "chrome";
}

export class SelfTest {
  constructor(root) {
    this.root = root;
    this.stream = null;
    this.audio = null;
    this.results = {};
    this.stopMeter = null;
    this.speakerOk = false;
    this.verdict = null;
    byTestId(root, "speaker-test").addEventListener("click", () => this.tone());
    byTestId(root, "speaker-confirm").addEventListener("click", () => {
      mark(byTestId(root, "selftest-speaker"), "ok", t("Speaker works"));
      byTestId(root, "speaker-confirm").hidden = true;
      this.speakerOk = true;
      this.showVerdict();
    });
    // Browsers start audio only after a gesture: any click resumes the meter.
    root.addEventListener("click", () => this.audio?.resume().catch(() => {}));
  }

  /** Run every check; resolves with { verdict, stream, video, camera, mic }. */
  async run() {
    this.stopMeter?.();
    for (const track of this.stream?.getTracks() || []) track.stop();
    this.stream = null;
    const line = byTestId(this.root, "selftest-verdict");
    line.dataset.verdict = "pending";
    line.textContent = t("Checking your devices…");
    const [devices, network] = await Promise.all([this.devices(), this.network()]);
    this.verdict = devices.mic === "denied" ? "denied" : !devices.audio ? "failed" : network;
    this.devicesState = devices;
    this.showVerdict();
    byTestId(this.root, "selftest-continue").disabled = !devices.audio;
    const help = byTestId(this.root, "permission-help");
    if (help) {
      help.hidden = devices.camera !== "denied" && devices.mic !== "denied";
      help.dataset.browser = browserFamily();
      for (const item of help.querySelectorAll("[data-browser]")) {
        item.classList.toggle("current", item.dataset.browser === help.dataset.browser);
      }
    }
    const ask = byTestId(this.root, "selftest-ask-clerk");
    if (ask) ask.hidden = devices.audio;
    return { verdict: this.verdict, stream: this.stream, video: devices.video,
      camera: devices.camera, mic: devices.mic };
  }

  /** The verdict line: "everything works" only once the speaker was confirmed too. */
  showVerdict() {
    if (!this.verdict) return;
    const line = byTestId(this.root, "selftest-verdict");
    const cameraRefused = this.devicesState?.camera === "denied";
    const texts = {
      good: this.speakerOk
        ? t("Everything works. You can continue.")
        : t("Camera, microphone and network work. Play the test tone to check your speaker, then continue."),
      poor: t("Your connection is weak: the picture may be poor. Audio only is recommended."),
      bad: t("Your connection is bad: please use audio only, or ask for help."),
      failed: this.devicesState?.mic === "busy"
        ? t("The microphone is in use by another program. Close it and test again, or ask the clerk for help.")
        : t("No microphone was found. Please check the device or ask for help."),
      denied: t("Access to the microphone was refused. Allow it in your browser (see below) and press Test again, or ask the clerk for help."),
    };
    line.dataset.verdict = this.verdict;
    line.dataset.speaker = this.speakerOk ? "ok" : "untested";
    let text = texts[this.verdict];
    if (cameraRefused && this.verdict !== "denied") {
      text = `${text} ${t("Camera access was refused: you can continue with audio only, or allow the camera and test again.")}`;
    }
    line.textContent = text;
  }

  async devices() {
    const camera = byTestId(this.root, "selftest-camera");
    const mic = byTestId(this.root, "selftest-mic");
    let video = false;
    let cameraState = "ok";
    let micState = "ok";
    const both = await acquire({ video: { width: 640, height: 360 }, audio: true });
    if (both.stream) {
      this.stream = both.stream;
    } else {
      const audio = await acquire({ audio: true });
      if (audio.stream) {
        this.stream = audio.stream;
        cameraState = why(both.error); // the microphone alone works: the camera failed
      } else {
        micState = why(audio.error);
        const camOnly = await acquire({ video: true });
        cameraState = camOnly.stream ? "ok" : why(camOnly.error);
        for (const track of camOnly.stream?.getTracks() || []) track.stop();
      }
    }
    const cameraTexts = {
      denied: t("Camera access refused"),
      busy: t("The camera is in use by another program"),
      missing: t("No camera: you can join with audio only"),
    };
    const micTexts = {
      denied: t("Microphone access refused"),
      busy: t("The microphone is in use by another program"),
      missing: t("No microphone"),
    };
    camera.dataset.reason = cameraState;
    mic.dataset.reason = micState;
    if (!this.stream) {
      mark(camera, cameraState === "ok" ? "ok" : "failed", cameraState === "ok" ? t("Camera works") : cameraTexts[cameraState]);
      mark(mic, "failed", micTexts[micState]);
      return { audio: false, video: false, camera: cameraState, mic: micState };
    }
    const preview = byTestId(this.root, "selftest-preview");
    if (this.stream.getVideoTracks().length) {
      preview.srcObject = this.stream;
      video = await new Promise((resolve) => {
        const done = () => resolve(preview.videoWidth > 0);
        preview.addEventListener("loadeddata", done, { once: true });
        setTimeout(done, 4000);
      });
      if (!video) cameraState = "missing";
    }
    mark(camera, video ? "ok" : "failed", video ? t("Camera works") : cameraTexts[cameraState]);
    const heard = await this.meter();
    mark(mic, heard ? "ok" : "warn", heard ? t("Microphone works") : t("No sound yet: please say something"));
    return { audio: true, video, camera: cameraState, mic: micState };
  }

  /** Level meter from an AnalyserNode; resolves true once a sound is heard (or false after 5 s). */
  meter() {
    const AudioContext = window.AudioContext || window.webkitAudioContext;
    this.audio = this.audio || new AudioContext();
    this.audio.resume().catch(() => {});
    const source = this.audio.createMediaStreamSource(this.stream);
    const analyser = this.audio.createAnalyser();
    analyser.fftSize = 512;
    source.connect(analyser);
    const samples = new Float32Array(analyser.fftSize);
    const meter = byTestId(this.root, "mic-level");
    let running = true;
    this.stopMeter = () => { running = false; source.disconnect(); };
    return new Promise((resolve) => {
      let heard = false;
      const started = performance.now();
      const tick = () => {
        if (!running) return;
        analyser.getFloatTimeDomainData(samples);
        let sum = 0;
        for (const s of samples) sum += s * s;
        const level = Math.min(1, Math.sqrt(sum / samples.length) * 4);
        meter.value = level;
        if (!heard && level > 0.02) { heard = true; resolve(true); }
        if (!heard && performance.now() - started > 5000) { heard = true; resolve(false); }
        requestAnimationFrame(tick);
      };
      tick();
      // requestAnimationFrame stops in background tabs: decide anyway.
      setTimeout(() => resolve(heard), 5500);
    });
  }

  tone() {
    const AudioContext = window.AudioContext || window.webkitAudioContext;
    this.audio = this.audio || new AudioContext();
    const osc = this.audio.createOscillator();
    const gain = this.audio.createGain();
    osc.frequency.value = 660;
    gain.gain.value = 0.2;
    osc.connect(gain).connect(this.audio.destination);
    this.audio.resume().catch(() => {});
    osc.start();
    osc.stop(this.audio.currentTime + 1.2);
    byTestId(this.root, "speaker-confirm").hidden = false;
    mark(byTestId(this.root, "selftest-speaker"), "pending", t("Did you hear a tone?"));
  }

  /** Round trips to the server and a loopback WebRTC connection → good | poor | bad. */
  async network() {
    const node = byTestId(this.root, "selftest-network");
    const rtts = [];
    for (let i = 0; i < 3; i += 1) {
      const started = performance.now();
      try {
        const r = await fetch(`/healthz?probe=${i}`, { cache: "no-store" });
        if (r.ok) rtts.push(performance.now() - started);
      } catch (e) { /* counted as lost */ }
    }
    const webrtc = await loopback();
    if (!rtts.length) {
      mark(node, "failed", t("The court's server cannot be reached"));
      return "bad";
    }
    // The median: one stalled round trip (a busy device, the first connection's setup)
    // does not make a good network look weak.
    const sorted = [...rtts].sort((a, b) => a - b);
    const rtt = Math.round(sorted[Math.floor((sorted.length - 1) / 2)]);
    const lost = 3 - rtts.length;
    let verdict = rtt < 300 && lost === 0 ? "good" : rtt < 1000 && lost <= 1 ? "poor" : "bad";
    if (!webrtc) verdict = "bad";
    const texts = { good: t("Good ({rtt} ms)", { rtt }), poor: t("Weak ({rtt} ms)", { rtt }), bad: t("Bad ({rtt} ms)", { rtt }) };
    mark(node, verdict === "good" ? "ok" : verdict === "poor" ? "warn" : "failed",
      webrtc ? texts[verdict] : t("Video calls are blocked on this network"));
    node.dataset.rttMs = String(rtt);
    return verdict;
  }

  stop() { this.stopMeter?.(); }
}

/** Two local RTCPeerConnections with a data channel: does WebRTC connect here at all? */
async function loopback() {
  const a = new RTCPeerConnection({ iceServers: [] });
  const b = new RTCPeerConnection({ iceServers: [] });
  try {
    a.onicecandidate = (e) => e.candidate && b.addIceCandidate(e.candidate).catch(() => {});
    b.onicecandidate = (e) => e.candidate && a.addIceCandidate(e.candidate).catch(() => {});
    const channel = a.createDataChannel("probe");
    // Whether WebRTC connects at all, not how fast: a slow or busy device gets 10 s
    // before the verdict says video calls are blocked.
    const open = new Promise((resolve) => {
      channel.onopen = () => resolve(true);
      setTimeout(() => resolve(false), 10000);
    });
    await a.setLocalDescription(await a.createOffer());
    await b.setRemoteDescription(a.localDescription);
    await b.setLocalDescription(await b.createAnswer());
    await a.setRemoteDescription(b.localDescription);
    return await open;
  } catch (e) {
    return false;
  } finally {
    setTimeout(() => { a.close(); b.close(); }, 100);
  }
}
