// The /hearing socket.io connection (docs/protocol.md): join-token or staff-session
// auth, reconnection with a fresh snapshot each time, and acks as promises.
import { io } from "/static/vendor/socket.io.esm.min.js";

// Refusals that retrying cannot fix; anything else (e.g. `unavailable`) is retried.
const FINAL = new Set(["token_expired", "wrong_hearing", "revoked", "hearing_closed",
  "unknown_token", "unauthenticated", "forbidden", "invalid_auth"]);

/**
 * Connect to a hearing. `onState(state, code, message)` hears "connected",
 * "reconnecting", "refused" (final, with the refusal code) and "ended" (the server
 * disconnected us: removed, closed or replaced).
 */
export function connect({ hearingId, token, onState = () => {} }) {
  const auth = token ? { token, hearing_id: hearingId } : { hearing_id: hearingId };
  const socket = io("/hearing", {
    auth, transports: ["websocket"], reconnectionDelay: 500, reconnectionDelayMax: 5000,
  });
  socket.on("connect", () => onState("connected"));
  socket.on("session.ended", toLogin);
  socket.on("disconnect", (reason) => {
    onState(reason === "io server disconnect" || reason === "io client disconnect"
      ? "ended" : "reconnecting");
  });
  socket.on("connect_error", (err) => {
    const code = err && err.data && err.data.code;
    if (code && FINAL.has(code)) {
      socket.disconnect();
      onState("refused", code, err.message);
    } else {
      onState("reconnecting", code || "", err && err.message);
    }
  });
  return socket;
}

/**
 * A staff account disabled (or its password reset) while this page was open: the server
 * ends its session and its connections; the page goes to the login, then back here.
 */
export function toLogin() {
  location.assign(`/login?next=${encodeURIComponent(location.pathname + location.search)}`);
}

/** Emit with an ack; resolves with the ack, rejects with an Error carrying `.code`. */
export function call(socket, event, payload = {}, timeoutMs = 10000) {
  return new Promise((resolve, reject) => {
    socket.timeout(timeoutMs).emit(event, payload, (timedOut, ack) => {
      if (timedOut) {
        const e = new Error(`${event}: no answer`);
        e.code = "timeout";
        reject(e);
      } else if (!ack || ack.ok === false) {
        const error = (ack && ack.error) || {};
        const e = new Error(error.message || `${event} refused`);
        e.code = error.code || "error";
        reject(e);
      } else {
        resolve(ack);
      }
    });
  });
}
