// Video in the mediation room through the shared rtc module (web/static/js/rtc.js,
// joinRoom): the mesh between the people inside plus the send-only peer to the
// recorder. `localStream()` is the live camera the signature snapshot is drawn from.
// Who "me" is comes from the page (a party, the mediator's seat) or, for a judge who
// was given a seat when taking the application, from the first snapshot.

export function attachVideo(socket, grid, { me = "", iceServers = [] } = {}) {
  const state = { room: null, stream: null };
  const handle = { localStream: () => (state.room && state.room.localStream) || state.stream };
  if (grid) start(socket, grid, state, me, iceServers).catch((e) => console.warn("video unavailable", e));
  return handle;
}

async function start(socket, grid, state, me, iceServers) {
  if (!me) {
    me = await new Promise((resolve) => socket.once("snapshot", (s) =>
      resolve((s.you && (s.you.participant_id || s.you.identity)) || "")));
  }
  let rtc = null;
  try {
    rtc = await import("/static/js/rtc.js");
  } catch (e) {
    rtc = null;
  }
  if (rtc && typeof rtc.joinRoom === "function" && me) {
    state.room = await rtc.joinRoom({ socket, grid, me, iceServers });
    return;
  }
  // No shared room module: at least the local camera, for the snapshot.
  state.stream = await navigator.mediaDevices.getUserMedia({ video: true, audio: true });
  const video = document.createElement("video");
  video.muted = true;
  video.autoplay = true;
  video.playsInline = true;
  video.dataset.testid = "video-local";
  video.srcObject = state.stream;
  grid.append(video);
}
