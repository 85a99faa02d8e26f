// Handwritten signature capture: every stroke point (x, y, time, pressure) from
// signature_pad with nothing dropped, the pad's size, the device, the site, the
// moment of signing and a camera snapshot taken at that moment. The transcript has
// the shape docforge.capture.parse_capture accepts.

import SignaturePad from "/static/vendor/signature_pad.js";

const MAX_TEXT = 200; // parse_capture's limit for device and site
const SNAPSHOT_WIDTH = 320;

export class SignatureCapture {
  // canvas: the pad; options.site: where the signer is; options.stream: a live
  // camera MediaStream (or a function returning one) for the snapshot.
  constructor(canvas, { site = "", stream = null } = {}) {
    this.canvas = canvas;
    this.site = site;
    this.stream = stream;
    this.pad = new SignaturePad(canvas, {
      throttle: 0, // keep every point: the trace is the biometric record
      minDistance: 0,
      minWidth: 0.8,
      maxWidth: 3,
      penColor: "#101820",
      backgroundColor: "rgba(0,0,0,0)",
    });
    this.fit();
    this._onResize = () => this.fit();
    window.addEventListener("resize", this._onResize);
  }

  // Match the backing store to the displayed size (sharp on high-DPI screens);
  // points stay in CSS pixels, which is what `pad` reports.
  fit() {
    const data = this.pad.toData();
    const ratio = Math.max(window.devicePixelRatio || 1, 1);
    const rect = this.canvas.getBoundingClientRect();
    if (!rect.width || !rect.height) return;
    this.canvas.width = Math.round(rect.width * ratio);
    this.canvas.height = Math.round(rect.height * ratio);
    this.canvas.getContext("2d").scale(ratio, ratio);
    this.pad.clear();
    if (data.length) this.pad.fromData(data);
  }

  clear() { this.pad.clear(); }

  isEmpty() { return this.pad.isEmpty(); }

  pointCount() {
    return this.pad.toData().reduce((n, group) => n + group.points.length, 0);
  }

  padSize() {
    const rect = this.canvas.getBoundingClientRect();
    return { width: Math.max(1, Math.round(rect.width)), height: Math.max(1, Math.round(rect.height)) };
  }

  // Strokes as lists of {x, y, time, pressure}. A pointer dragged off the pad
  // keeps reporting positions outside it: those points were not written on the
  // pad, so they are left out (and a stroke left empty with them).
  strokes() {
    const { width, height } = this.padSize();
    const strokes = [];
    for (const group of this.pad.toData()) {
      const points = [];
      let last = -Infinity;
      for (const p of group.points) {
        if (p.x < 0 || p.y < 0 || p.x > width || p.y > height) continue;
        const time = Math.max(p.time, last);
        last = time;
        const pressure = Math.min(1, Math.max(0, Number.isFinite(p.pressure) ? p.pressure : 0));
        points.push({ x: round2(p.x), y: round2(p.y), time, pressure: round2(pressure) });
      }
      if (points.length) strokes.push(points);
    }
    return strokes;
  }

  // The capture record; takes the camera snapshot now, at the moment of signing.
  async record() {
    const strokes = this.strokes();
    if (!strokes.length) throw new Error("empty signature");
    const snapshot = await snapshotJpeg(await this._stream());
    return {
      strokes,
      pad: this.padSize(),
      device: (navigator.userAgent || "unknown browser").slice(0, MAX_TEXT),
      site: (this.site || "unknown site").slice(0, MAX_TEXT),
      signed_at: isoWithOffset(new Date()),
      snapshot_jpeg_b64: snapshot,
    };
  }

  async _stream() {
    let stream = typeof this.stream === "function" ? this.stream() : this.stream;
    if (stream && stream.getVideoTracks().some((t) => t.readyState === "live")) return stream;
    stream = await navigator.mediaDevices.getUserMedia({ video: true, audio: false });
    this._own = stream;
    return stream;
  }

  close() {
    window.removeEventListener("resize", this._onResize);
    if (this._own) this._own.getTracks().forEach((t) => t.stop());
    this.pad.off();
  }
}

// One frame of the camera as a base64 JPEG (no data: prefix), small enough for
// the capture limit (512 KB): 320 px wide at quality 0.8 is ~15–30 KB.
export async function snapshotJpeg(stream) {
  const video = document.createElement("video");
  video.muted = true;
  video.playsInline = true;
  video.srcObject = stream;
  await video.play();
  if (!video.videoWidth) {
    await new Promise((resolve) => video.addEventListener("loadeddata", resolve, { once: true }));
  }
  const scale = Math.min(1, SNAPSHOT_WIDTH / video.videoWidth);
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(video.videoWidth * scale);
  canvas.height = Math.round(video.videoHeight * scale);
  canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
  video.pause();
  video.srcObject = null;
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.8));
  const bytes = new Uint8Array(await blob.arrayBuffer());
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

function round2(v) { return Math.round(v * 100) / 100; }

// ISO 8601 with the local UTC offset (parse_capture requires an offset).
export function isoWithOffset(d) {
  const pad = (n, w = 2) => String(Math.abs(n)).padStart(w, "0");
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? "+" : "-";
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}` +
    `T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}` +
    `${sign}${pad(Math.trunc(off / 60))}:${pad(off % 60)}`;
}
