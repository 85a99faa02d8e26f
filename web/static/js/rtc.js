// WebRTC of a hearing room: a mesh of peer connections between the participants
// inside (each pair negotiates once: the smaller id offers; seatless staff always
// offer, nobody else knows them), plus one send-only connection to the server's
// media peer (`"to": "media"`), which records. docs/protocol.md §5, docs/media.md.
//
// What the recorder receives are clones of the local tracks: during a consultation,
// in the lobby or in audio-only mode a clone is disabled, so it sends black frames and
// silence — nothing private is recorded and the recorder's watchdog sees no gap.
//
// The connection to the recorder is kept up for as long as the room is: when it goes
// `failed`, stays `disconnected` for DISCONNECTED_MS, is not connected CONNECT_MS after
// its offer, the offer is refused, or the server says it lost its side (`media.lost`),
// it is closed and a fresh one offered after a backoff (RETRY_MS: 0.5, 1, 2, 4, 4… s). The server answers the new offer as the same
// participant's recording (a new segment; the gap is in the manifest). No ICE restart:
// aiortc cannot restart ICE, and a peer that failed on the server is gone anyway.
//
// Audio-only mode stops the camera on the wire to the other participants: each mesh
// connection's video sender is given no track (`replaceTrack(null)`), so no video RTP is
// sent at all (only the recorder still gets the disabled clone's black frames).

const INSIDE = new Set(["host", "staff", "party", "consulting"]);
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
    this.peers = new Map(); // participant id → { pc, pending: [], tile }
    this.media = null; // { pc, audio, video } clones sent to the recorder
    this.standing = "waiting";
    this.consultation = null;
    this.people = [];
    this.muted = false;
    this.audioOnly = false;
    this.lastStats = null;
    // Negotiation waits for open(): an answer given while the camera is still opening
    // carries no tracks, and the other side never gets a tile for us (issue 13.5).
    this.opened = new Promise((resolve) => { this.markOpened = resolve; });
    this.isOpen = false;
    this.inbox = Promise.resolve();
    // `owed`: offers to the recorder not yet answered or refused; an answer that arrives
    // while a later offer is owed belongs to a connection given up already.
    this.mediaRetry = { attempt: 0, timer: null, watch: null, owed: 0 };
    this.closed = false;
    if (socket) this.attach();
  }

  /** Listen for the rtc.* events of `this.socket` (set it first if it was not given). */
  attach() {
    const socket = this.socket;
    // In arrival order (an offer's candidates after the offer), once the camera is open.
    const queued = (handle, what) => (m) => {
      this.inbox = this.inbox.then(() => this.opened).then(() => handle(m))
        .catch((e) => what && console.warn(what, e));
    };
    socket.on("rtc.offer", queued((m) => this.#onOffer(m), "offer"));
    socket.on("rtc.answer", queued((m) => this.#onAnswer(m), "answer"));
    socket.on("rtc.candidate", queued((m) => this.#onCandidate(m), null));
    // The server lost its side of my recorder connection: a new one now, not once my
    // side notices (`disconnected` comes seconds later, if at all).
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
    for (const pc of [this.media?.pc, ...[...this.peers.values()].map((p) => p.pc)]) {
      if (!pc || pc.signalingState === "closed") continue;
      try { pc.setConfiguration({ ...pc.getConfiguration(), iceServers }); } catch (e) { console.warn("ice servers", e); }
    }
  }

  setMuted(muted) { this.muted = muted; this.#applyTrackState(); }
  setAudioOnly(on) { this.audioOnly = on; this.#applyTrackState(); this.grid?.classList.toggle("audio-only", on); }

  #inside() { return INSIDE.has(this.standing); }
  #private() { return this.standing === "consulting" || !!this.consultation || !this.#inside(); }

  #applyTrackState() {
    const stream = this.localStream;
    if (!stream) return;
    for (const t of stream.getAudioTracks()) t.enabled = !this.muted;
    for (const t of stream.getVideoTracks()) t.enabled = !this.audioOnly;
    for (const peer of this.peers.values()) this.#applyVideoSender(peer);
    if (this.media) {
      const hidden = this.#private();
      if (this.media.audio) this.media.audio.enabled = !hidden && !this.muted;
      if (this.media.video) this.media.video.enabled = !hidden && !this.audioOnly;
    }
  }

  /** Audio only: the mesh sender of my camera sends nothing; back on: the camera again. */
  #applyVideoSender(peer) {
    const camera = this.localStream?.getVideoTracks()[0] || null;
    const sender = peer.videoSender;
    if (!sender || !camera) return;
    const want = this.audioOnly ? null : camera;
    if (sender.track === want) return;
    sender.replaceTrack(want).catch((e) => console.warn("video sender", e));
  }

  /** Whom I should be connected to, given the wall of a consultation. */
  #wanted() {
    if (!this.#inside()) return new Set();
    const members = this.consultation ? new Set(this.consultation.members || []) : null;
    const ids = this.people.filter((p) => p.id !== this.me && p.online !== false && (
      members ? members.has(p.id) : p.state === "in_hearing")).map((p) => p.id);
    return new Set(ids);
  }

  #sync() {
    if (!this.isOpen) return;  // open() syncs when the camera is there
    const wanted = this.#wanted();
    for (const id of [...this.peers.keys()]) if (!wanted.has(id)) this.#hangUp(id);
    for (const id of wanted) {
      if (!this.peers.has(id) && this.#offersTo(id)) this.#call(id).catch((e) => console.warn("call", e));
    }
    for (const [id, peer] of this.peers) this.#label(peer.tile, id);
    this.#label(this.localTile, this.me);
    // Not while consulting: the server's peer takes nothing from a consultation.
    if (this.#inside() && this.standing !== "consulting" && !this.media && this.localStream
        && !this.mediaRetry.timer && !this.closed) {
      this.#publish().catch((e) => { console.warn("media peer", e); this.#mediaLost(this.media?.pc, "offer"); });
    }
    this.#applyTrackState();
  }

  #offersTo(id) { return this.me.startsWith("staff:") || this.me < id; }

  #peer(id) {
    const pc = new RTCPeerConnection({ iceServers: this.iceServers, iceTransportPolicy: ICE_POLICY });
    const peer = { pc, pending: [], tile: null, stream: new MediaStream(), videoSender: null };
    this.peers.set(id, peer);
    pc.onicecandidate = (e) => {
      this.socket.emit("rtc.candidate", e.candidate
        ? { to: id, candidate: e.candidate.candidate, sdp_mid: e.candidate.sdpMid, sdp_mline_index: e.candidate.sdpMLineIndex }
        : { to: id, candidate: "" });
    };
    pc.ontrack = (e) => {
      peer.stream.addTrack(e.track);
      if (!this.grid) return;
      peer.tile = peer.tile || this.#tile(id, false);
      const video = peer.tile.video;
      if (video.srcObject !== peer.stream) video.srcObject = peer.stream;
      video.play().catch(() => peer.tile.el.classList.add("needs-click"));
    };
    pc.onconnectionstatechange = () => {
      if (pc.connectionState === "failed" && this.peers.get(id)?.pc === pc) {
        this.#hangUp(id);
        if (this.#offersTo(id)) this.#sync();
      }
    };
    return peer;
  }

  async #call(id) {
    const peer = this.#peer(id);
    this.#addLocalTracks(peer);
    if (!this.localStream) {
      peer.pc.addTransceiver("audio", { direction: "recvonly" });
      peer.pc.addTransceiver("video", { direction: "recvonly" });
    }
    await peer.pc.setLocalDescription(await peer.pc.createOffer());
    this.socket.emit("rtc.offer", { to: id, sdp: peer.pc.localDescription.sdp });
  }

  async #onOffer({ from, sdp }) {
    if (from === "media") return;
    if (this.peers.has(from)) this.#hangUp(from); // they started over (reload, restart)
    const peer = this.#peer(from);
    await peer.pc.setRemoteDescription({ type: "offer", sdp });
    this.#addLocalTracks(peer);
    await peer.pc.setLocalDescription(await peer.pc.createAnswer());
    this.socket.emit("rtc.answer", { to: from, sdp: peer.pc.localDescription.sdp });
    await this.#flush(peer);
  }

  #addLocalTracks(peer) {
    for (const track of this.localStream?.getTracks() || []) {
      const sender = peer.pc.addTrack(track, this.localStream);
      if (track.kind === "video") peer.videoSender = sender;
    }
    this.#applyVideoSender(peer);
  }

  async #onAnswer({ from, sdp }) {
    if (from === "media") {
      this.mediaRetry.owed = Math.max(0, this.mediaRetry.owed - 1);
      if (this.mediaRetry.owed > 0) return;  // for an earlier connection
    }
    const peer = from === "media" ? this.media : this.peers.get(from);
    if (!peer || peer.pc.signalingState !== "have-local-offer") return;
    await peer.pc.setRemoteDescription({ type: "answer", sdp });
    await this.#flush(peer);
  }

  async #onCandidate({ from, candidate, sdp_mid: sdpMid, sdp_mline_index: sdpMLineIndex }) {
    const peer = from === "media" ? this.media : this.peers.get(from);
    if (!peer) return;
    const init = candidate ? { candidate, sdpMid, sdpMLineIndex } : null;
    if (!peer.pc.remoteDescription) peer.pending.push(init);
    else if (init) await peer.pc.addIceCandidate(init);
  }

  async #flush(peer) {
    for (const init of peer.pending.splice(0)) if (init) await peer.pc.addIceCandidate(init).catch(() => {});
  }

  /** The send-only connection to the server's recorder: a full offer (aiortc does not trickle). */
  async #publish() {
    const pc = new RTCPeerConnection({ iceServers: this.iceServers, iceTransportPolicy: ICE_POLICY });
    const audio = this.localStream.getAudioTracks()[0]?.clone() || null;
    const video = this.localStream.getVideoTracks()[0]?.clone() || null;
    this.media = { pc, audio, video, pending: [] };
    this.#applyTrackState();
    pc.onconnectionstatechange = () => this.#mediaState(pc);
    if (audio) pc.addTransceiver(audio, { direction: "sendonly" });
    if (video) pc.addTransceiver(video, { direction: "sendonly" });
    this.#watchMedia(pc, CONNECT_MS);
    await pc.setLocalDescription(await pc.createOffer());
    await gathered(pc, 3000);
    if (this.media?.pc !== pc) return;
    this.mediaRetry.owed += 1;
    this.socket.emit("rtc.offer", { to: "media", sdp: pc.localDescription.sdp }, (ack) => {
      if (!ack || ack.ok !== false) return;
      this.mediaRetry.owed = Math.max(0, this.mediaRetry.owed - 1);
      this.#mediaLost(pc, `refused: ${ack.error?.code || ""}`);
    });
  }

  /** The recorder connection's state: back (the backoff starts over), or lost. */
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
    console.info(`recorder connection lost (${why}); a new one in ${delay} ms`);
    this.#dropMedia();
    clearTimeout(retry.timer);
    retry.timer = setTimeout(() => { retry.timer = null; this.#sync(); }, delay);
  }

  #dropMedia() {
    clearTimeout(this.mediaRetry.watch);
    this.mediaRetry.watch = null;
    if (!this.media) return;
    this.media.pc.onconnectionstatechange = null;
    this.media.pc.close();
    this.media.audio?.stop();
    this.media.video?.stop();
    this.media = null;
  }

  /** Reconnected: the server's peer for us is gone, publish again. */
  restartMedia() {
    this.#dropMedia();
    clearTimeout(this.mediaRetry.timer);
    this.mediaRetry.timer = null;
    this.mediaRetry.attempt = 0;
    this.mediaRetry.owed = 0;
    for (const id of [...this.peers.keys()]) this.#hangUp(id);
  }

  #hangUp(id) {
    const peer = this.peers.get(id);
    if (!peer) return;
    peer.pc.close();
    peer.tile?.el.remove();
    this.peers.delete(id);
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

  /** Loss %, RTT and bitrate of what I send to the recorder (or receive in the mesh). */
  async stats() {
    const now = performance.now();
    let bytes = 0;
    let lost = 0;
    let packets = 0;
    let rtt = null;
    const pcs = [this.media?.pc, ...[...this.peers.values()].map((p) => p.pc)].filter(Boolean);
    for (const pc of pcs) {
      const report = await pc.getStats();
      report.forEach((s) => {
        if (s.type === "outbound-rtp" && pc === this.media?.pc) bytes += s.bytesSent || 0;
        if (s.type === "remote-inbound-rtp") {
          lost += Math.max(0, s.packetsLost || 0);
          if (s.roundTripTime) rtt = Math.max(rtt || 0, s.roundTripTime * 1000);
        }
        if (s.type === "inbound-rtp") {
          lost += Math.max(0, s.packetsLost || 0);
          packets += s.packetsReceived || 0;
        }
        if (s.type === "outbound-rtp") packets += s.packetsSent || 0;
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
