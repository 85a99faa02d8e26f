// Video in the mediation room through the shared Room (web/static/js/lib/rtc.js): the mesh
// between the people inside plus the send-only peer to the recorder. `localStream()` is
// the live camera the signature snapshot is drawn from.
//
// The Room listens to the socket from the moment the page has one: whoever is already
// inside offers to a late joiner (the duty judge) as soon as the server lists them, and
// an offer that arrived before the Room existed was lost — the mediator's grid then had
// no tile for the judge (issue 13.5). Who "me" is comes from the page (a party, the
// mediator's seat) or, for a judge given a seat when taking the application, from the
// first snapshot; the Room takes part in the mesh only once it knows.

import { Room } from "/static/js/lib/rtc.js";

export function attachVideo(socket, grid, { me = "", iceServers = [], stream = null } = {}) {
  const known = new Map();
  const room = new Room({ socket, me, grid, iceServers, names: (id) => known.get(id) || null });
  const remember = (list) => { for (const p of list || []) known.set(p.id, p.name); };
  const update = (change) => { if (room.me) room.update(change); };
  socket.on("snapshot", (s) => {
    if (!room.me) {
      room.me = (s.you && (s.you.participant_id || s.you.identity)) || "";
      if (room.localTile) room.localTile.el.dataset.participantId = room.me;
    }
    remember(s.participants);
    update({ standing: s.you?.standing, participants: s.participants || [],
             consultation: s.consultation || null,
             ...(s.ice_servers !== undefined ? { iceServers: s.ice_servers } : {}) });
  });
  socket.on("participants", (m) => { remember(m.participants); update({ participants: m.participants }); });
  socket.on("participant.state", (p) => { if (room.me && p.id === room.me) socket.emit("snapshot.request", {}); });
  socket.on("mute", (m) => { if (room.me && m.participant_id === room.me) room.setMuted(m.muted); });
  socket.io.on("reconnect", () => room.restartMedia());
  room.open(stream)
    .catch((e) => console.warn("camera unavailable: receiving only", e))
    .finally(() => { if (socket.connected) socket.emit("snapshot.request", {}); });
  return { room, localStream: () => room.localStream };
}
