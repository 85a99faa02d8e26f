// WebRTC of a hearing room: ONE connection per page, to the server's media peer
// (`"to": "media"`), which records and forwards (selective forwarding, issue 15). The page
// sends one audio and one video upstream and offers receive-only "slots" (AUDIO_SLOTS
// audio, VIDEO_SLOTS video sections); the server says which participant each slot carries
// (`media.slots` {"audio": {mid: id}, "video": {mid: id}}) and the page shows one tile per
// participant it is sent. Who may see and hear whom (the consultation wall, the lobby,
// mute, observers) is the server's rule, not the page's. docs/protocol.md §5.
//
// What goes upstream are clones of the local tracks: in the lobby a clone is disabled, so
// it sends black frames and silence and the recorder's watchdog sees no gap. Audio-only mode
// gives the video sender no track (nothing is sent) and tells the server
// (`media.audio_only`), which then sends this page no video and does not count the missing
// camera as a recording failure.
//
// The connection is kept up for as long as the room is: when it goes `failed`, stays
// `disconnected` for DISCONNECTED_MS, is not connected CONNECT_MS after its offer, the offer
// is refused, or the server says it lost its side (`media.lost`), it is closed and a fresh
// one offered after a backoff (RETRY_MS: 0.5, 1, 2, 4, 4… s). The server answers the new
// offer as the same participant's recording (a new segment; the gap is in the manifest). No
// ICE restart: aiortc cannot restart ICE, and a peer that failed on the server is gone anyway.

const CONNECTED = new Set(["host", "staff", "party", "consulting", "observer"]);
const RECEIVE_ONLY = new Set(["observer"]);
const AUDIO_SLOTS = 8; // everyone one may hear (more than this: the most recent speakers)
const VIDEO_SLOTS = 5; // the server's last-N (4) plus the presiding judge
const RETRY_MS = [500, 1000, 2000, 4000];
const DISCONNECTED_MS = 2000;
const CONNECT_MS = 10000;
// "relay" when the deployment is relay-only (YUNTING_ICE_RELAY_ONLY, in base.html's meta):
// the browser then gathers no host or server-reflexive candidates, only TURN relays.
const ICE_POLICY = document.querySelector('meta[name="yunting-ice-policy"]')?.content === "relay"
  ? "relay" : "all";

export class Room {
  constructor({ socket, me, grid, iceServers = [], names = () => null }) {
    this.socket = socket;
    this.me = me;
    this.grid = grid;
    this.iceServers = iceServers;
    this.names = names;
    this.localStream = null;
    this.localTile = null;
    this.tiles = new Map(); // participant id → { el, video, caption, tracks }
    this.slots = { audio: {}, video: {} }; // mid → participant id, as the server says
    this.media = null; // { pc, audio, video, videoSender, pending } — the one connection
    this.standing = "waiting";
    this.consultation = null;
    this.people = [];
    this.muted = false;
    this.audioOnly = false;
    this.lastStats = null;
    // Negotiation waits for open(): an offer made while the camera is still opening
    // carries no tracks (issue 13.5).
    this.opened = new Promise((resolve) => { this.markOpened = resolve; });
    this.isOpen = false;
    this.inbox = Promise.resolve();
    // `owed`: offers not yet answered or refused; an answer that arrives while a later
    // offer is owed belongs to a connection given up already.
    this.mediaRetry = { attempt: 0, timer: null, watch: null, owed: 0 };
    this.closed = false;
    if (socket) this.attach();
  }

  /** Listen for the media events of `this.socket` (set it first if it was not given). */
  attach() {
    const socket = this.socket;
    // In arrival order (candidates after the answer), once the camera is open.
    const queued = (handle, what) => (m) => {
      this.inbox = this.inbox.then(() => this.opened).then(() => handle(m))
        .catch((e) => what && console.warn(what, e));
    };
    socket.on("rtc.answer", queued((m) => this.#onAnswer(m), "answer"));
    socket.on("rtc.candidate", queued((m) => this.#onCandidate(m), null));
    socket.on("media.slots", (m) => { this.slots = { audio: m?.audio || {}, video: m?.video || {} }; this.#showRemote(); });
    // The server lost its side of my connection: a new one now, not once my side
    // notices (`disconnected` comes seconds later, if at all).
    socket.on("media.lost", (m) => {
      if (m?.participant_id === this.me.replaceAll(":", "-")) this.#mediaLost(this.media?.pc, "the server lost it");
    });
  }

  /** Camera and microphone; falls back to audio only when there is no camera. */
  async open(stream = null) {
    try {
      if (!stream) {
        try {
          stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 360 }, audio: true });
        } catch (e) {
          stream = await navigator.mediaDevices.getUserMedia({ audio: true });
        }
      }
      this.localStream = stream;
      if (this.grid) {
        this.localTile = this.localTile || this.#tile(this.me, true);
        this.localTile.video.srcObject = stream;
      }
      this.#applyTrackState();
      return stream;
    } finally {  // with a camera or without one (receive only): negotiate from here on
      this.isOpen = true;
      this.markOpened();
      this.#sync();
    }
  }

  /** From a snapshot: who I am now, who is inside, which consultation I am in, and fresh
   * TURN credentials (every snapshot, so every reconnection, carries new ones). */
  update({ standing, participants, consultation, iceServers }) {
    if (iceServers !== undefined) this.#renewIce(iceServers);
    if (standing !== undefined) this.standing = standing;
    if (participants !== undefined) this.people = participants;
    if (consultation !== undefined) this.consultation = consultation;
    this.#sync();
  }

  #renewIce(iceServers) {
    this.iceServers = iceServers;
    const pc = this.media?.pc;
    if (!pc || pc.signalingState === "closed") return;
    try { pc.setConfiguration({ ...pc.getConfiguration(), iceServers }); } catch (e) { console.warn("ice servers", e); }
  }

  setMuted(muted) { this.muted = muted; this.#applyTrackState(); }

  setAudioOnly(on) {
    this.audioOnly = on;
    this.#applyTrackState();
    this.grid?.classList.toggle("audio-only", on);
    this.#tellAudioOnly();
  }

  #tellAudioOnly() {
    if (this.media && this.socket?.connected) this.socket.emit("media.audio_only", { on: this.audioOnly });
  }

  #connects() { return CONNECTED.has(this.standing); }
  #publishes() { return !RECEIVE_ONLY.has(this.standing); }

  #applyTrackState() {
    const stream = this.localStream;
    if (stream) {
      for (const t of stream.getAudioTracks()) t.enabled = !this.muted;
      for (const t of stream.getVideoTracks()) t.enabled = !this.audioOnly;
    }
    const media = this.media;
    if (!media) return;
    // In the lobby nothing of mine goes out (the server forwards nothing of it either).
    const hidden = !this.#connects() || this.standing === "waiting";
    if (media.audio) media.audio.enabled = !hidden && !this.muted;
    if (media.video) media.video.enabled = !hidden;
    // Audio only: the camera is off the wire altogether.
    const want = this.audioOnly ? null : media.video;
    if (media.videoSender && media.videoSender.track !== want) {
      media.videoSender.replaceTrack(want).catch((e) => console.warn("video sender", e));
    }
  }

  #sync() {
    if (!this.isOpen) return;  // open() syncs when the camera is there
    this.#label(this.localTile, this.me);
    for (const [id, tile] of this.tiles) this.#label(tile, id);
    if (this.#connects() && !this.media && !this.mediaRetry.timer && !this.closed) {
      this.#publish().catch((e) => { console.warn("media peer", e); this.#mediaLost(this.media?.pc, "offer"); });
    }
    this.#applyTrackState();
  }

  async #onAnswer({ from, sdp }) {
    if (from !== "media") return;  // no connections between pages any more
    this.mediaRetry.owed = Math.max(0, this.mediaRetry.owed - 1);
    if (this.mediaRetry.owed > 0) return;  // for an earlier connection
    const media = this.media;
    if (!media || media.pc.signalingState !== "have-local-offer") return;
    await media.pc.setRemoteDescription({ type: "answer", sdp });
    for (const init of media.pending.splice(0)) if (init) await media.pc.addIceCandidate(init).catch(() => {});
    this.#showRemote();
  }

  async #onCandidate({ from, candidate, sdp_mid: sdpMid, sdp_mline_index: sdpMLineIndex }) {
    const media = from === "media" ? this.media : null;
    if (!media) return;
    const init = candidate ? { candidate, sdpMid, sdpMLineIndex } : null;
    if (!media.pc.remoteDescription) media.pending.push(init);
    else if (init) await media.pc.addIceCandidate(init);
  }

  /** The connection to the server: my upstream and the receive slots (a full offer:
   * aiortc does not trickle). */
  async #publish() {
    const pc = new RTCPeerConnection({ iceServers: this.iceServers, iceTransportPolicy: ICE_POLICY,
                                       bundlePolicy: "max-bundle" });
    const sends = this.#publishes() && this.localStream;
    const audio = sends ? this.localStream.getAudioTracks()[0]?.clone() || null : null;
    const video = sends ? this.localStream.getVideoTracks()[0]?.clone() || null : null;
    this.media = { pc, audio, video, videoSender: null, pending: [] };
    pc.onconnectionstatechange = () => this.#mediaState(pc);
    pc.ontrack = () => this.#showRemote();
    const transceivers = [];
    if (audio) transceivers.push(pc.addTransceiver(audio, { direction: "sendonly" }));
    if (video) {
      transceivers.push(pc.addTransceiver(video, { direction: "sendonly" }));
      this.media.videoSender = transceivers.at(-1).sender;
    }
    for (let i = 0; i < AUDIO_SLOTS; i += 1) transceivers.push(pc.addTransceiver("audio", { direction: "recvonly" }));
    for (let i = 0; i < VIDEO_SLOTS; i += 1) transceivers.push(pc.addTransceiver("video", { direction: "recvonly" }));
    for (const t of transceivers) preferForwardable(t);
    this.#applyTrackState();
    this.#watchMedia(pc, CONNECT_MS);
    await pc.setLocalDescription(await pc.createOffer());
    await gathered(pc, 3000);
    if (this.media?.pc !== pc) return;
    this.mediaRetry.owed += 1;
    this.socket.emit("rtc.offer", { to: "media", sdp: pc.localDescription.sdp }, (ack) => {
      if (!ack || ack.ok !== false) { if (this.audioOnly) this.#tellAudioOnly(); return; }
      this.mediaRetry.owed = Math.max(0, this.mediaRetry.owed - 1);
      this.#mediaLost(pc, `refused: ${ack.error?.code || ""}`);
    });
  }

  /** One tile per participant the server sends me, with that participant's slot tracks. */
  #showRemote() {
    const pc = this.media?.pc;
    const wanted = new Map();
    if (pc) {
      const byMid = new Map(pc.getTransceivers().filter((t) => t.mid !== null).map((t) => [t.mid, t]));
      for (const kind of ["audio", "video"]) {
        for (const [mid, who] of Object.entries(this.slots[kind] || {})) {
          const track = byMid.get(mid)?.receiver.track;
          if (!track || who === this.me) continue;
          if (!wanted.has(who)) wanted.set(who, []);
          wanted.get(who).push(track);
        }
      }
    }
    for (const [id, tile] of this.tiles) {
      if (!wanted.has(id)) { tile.el.remove(); this.tiles.delete(id); }
    }
    if (!this.grid) return;
    for (const [id, tracks] of wanted) {
      const tile = this.tiles.get(id) || this.#remoteTile(id);
      const same = tile.tracks.length === tracks.length && tracks.every((t) => tile.tracks.includes(t));
      if (same) continue;
      tile.tracks = tracks;
      tile.video.srcObject = new MediaStream(tracks);
      tile.video.play().catch(() => tile.el.classList.add("needs-click"));
    }
  }

  #remoteTile(id) {
    const tile = this.#tile(id, false);
    tile.tracks = [];
    this.tiles.set(id, tile);
    return tile;
  }

  /** The connection's state: back (the backoff starts over), or lost. */
  #mediaState(pc) {
    if (this.media?.pc !== pc) return;
    const state = pc.connectionState;
    if (state === "connected") {
      this.mediaRetry.attempt = 0;
      this.#watchMedia(pc, null);
    } else if (state === "failed") {
      this.#mediaLost(pc, state);
    } else if (state === "disconnected") {
      this.#watchMedia(pc, DISCONNECTED_MS);
    }
  }

  /** Unless the connection is `connected` in `ms`, it counts as lost (null: stop watching). */
  #watchMedia(pc, ms) {
    clearTimeout(this.mediaRetry.watch);
    this.mediaRetry.watch = ms === null ? null : setTimeout(() => {
      if (this.media?.pc === pc && pc.connectionState !== "connected") {
        this.#mediaLost(pc, `${pc.connectionState} for ${ms} ms`);
      }
    }, ms);
  }

  /** Close the lost connection; a fresh one is offered after the backoff. */
  #mediaLost(pc, why) {
    if (!pc || this.media?.pc !== pc) return;
    const retry = this.mediaRetry;
    const delay = RETRY_MS[Math.min(retry.attempt, RETRY_MS.length - 1)];
    retry.attempt += 1;
    console.info(`media connection lost (${why}); a new one in ${delay} ms`);
    this.#dropMedia();
    clearTimeout(retry.timer);
    retry.timer = setTimeout(() => { retry.timer = null; this.#sync(); }, delay);
  }

  #dropMedia() {
    clearTimeout(this.mediaRetry.watch);
    this.mediaRetry.watch = null;
    if (!this.media) return;
    this.media.pc.onconnectionstatechange = null;
    this.media.pc.ontrack = null;
    this.media.pc.close();
    this.media.audio?.stop();
    this.media.video?.stop();
    this.media = null;
    this.slots = { audio: {}, video: {} };
    this.#showRemote();
  }

  /** Reconnected: the server's peer for us is gone, connect again. */
  restartMedia() {
    this.#dropMedia();
    clearTimeout(this.mediaRetry.timer);
    this.mediaRetry.timer = null;
    this.mediaRetry.attempt = 0;
    this.mediaRetry.owed = 0;
  }

  #tile(id, local) {
    const el = document.createElement("figure");
    el.className = local ? "tile local" : "tile";
    el.dataset.testid = local ? "video-local" : "video-remote";
    el.dataset.participantId = id;
    const video = document.createElement("video");
    video.autoplay = true;
    video.playsInline = true;
    video.muted = local;
    const caption = document.createElement("figcaption");
    el.append(video, caption);
    if (local) this.grid.prepend(el); else this.grid.append(el);
    el.addEventListener("click", () => video.play().then(() => el.classList.remove("needs-click")).catch(() => {}));
    const tile = { el, video, caption };
    this.#label(tile, id);
    return tile;
  }

  #label(tile, id) {
    if (!tile) return;
    const label = this.names(id);
    if (label) tile.caption.textContent = label;
  }

  /** Loss %, RTT and bitrate of my connection to the server (what I send and receive). */
  async stats() {
    const now = performance.now();
    let bytes = 0;
    let lost = 0;
    let packets = 0;
    let rtt = null;
    const pc = this.media?.pc;
    if (pc) {
      const report = await pc.getStats();
      report.forEach((s) => {
        if (s.type === "outbound-rtp") { bytes += s.bytesSent || 0; packets += s.packetsSent || 0; }
        if (s.type === "remote-inbound-rtp") {
          lost += Math.max(0, s.packetsLost || 0);
          if (s.roundTripTime) rtt = Math.max(rtt || 0, s.roundTripTime * 1000);
        }
        if (s.type === "inbound-rtp") {
          lost += Math.max(0, s.packetsLost || 0);
          packets += s.packetsReceived || 0;
        }
        if (s.type === "candidate-pair" && s.nominated && s.currentRoundTripTime && rtt === null) {
          rtt = s.currentRoundTripTime * 1000;
        }
      });
    }
    const previous = this.lastStats || { at: now, bytes, lost, packets };
    this.lastStats = { at: now, bytes, lost, packets };
    const seconds = Math.max(0.001, (now - previous.at) / 1000);
    const dLost = Math.max(0, lost - previous.lost);
    const dPackets = Math.max(0, packets - previous.packets);
    return {
      loss_pct: dPackets + dLost > 0 ? Math.min(100, (100 * dLost) / (dPackets + dLost)) : 0,
      rtt_ms: Math.min(60000, Math.round(rtt || 0)),
      bitrate_kbps: Math.min(1e6, Math.max(0, Math.round(((bytes - previous.bytes) * 8) / 1000 / seconds))),
    };
  }

  close() {
    this.closed = true;
    this.restartMedia();
    for (const t of this.localStream?.getTracks() || []) t.stop();
  }
}

/** Offer only what the server records and forwards as it is (Opus; VP8 and its RTX):
 * fifteen sections of every codec Chromium knows would not fit signaling's SDP limit. */
function preferForwardable(transceiver) {
  const kind = transceiver.receiver.track.kind;
  const wanted = kind === "audio" ? ["audio/opus"] : ["video/vp8", "video/rtx"];
  const codecs = (RTCRtpReceiver.getCapabilities?.(kind)?.codecs || [])
    .filter((c) => wanted.includes(c.mimeType.toLowerCase()));
  if (!codecs.length || !transceiver.setCodecPreferences) return;
  try { transceiver.setCodecPreferences(codecs); } catch (e) { console.warn("codec preferences", e); }
}

/** Resolves when ICE gathering is complete (or after `ms`: the offer then has what it has). */
export function gathered(pc, ms) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    pc.addEventListener("icegatheringstatechange", () => {
      if (pc.iceGatheringState === "complete") { clearTimeout(timer); resolve(); }
    });
  });
}
