"""The /court socket.io namespace: a court's staff consoles, where duty judges hear of
new confirmation applications at once (`duty.application`, `duty.taken`, `duty.withdrawn`).

Only logged-in staff of a court connect (the session cookie, or `auth.session`); each
joins its court's room. Clients send nothing here: the duty queue's state is read over
HTTP (GET /api/duty/queue) and these events say when to read it again.
"""

from __future__ import annotations

import logging
from typing import Any

import socketio

from hearings.domain.errors import HearingsError
from signaling.config import ServicesSource
from signaling.entry import _cookie

__all__ = ["COURT_EVENTS", "COURT_NAMESPACE", "CourtNamespace", "court_room", "user_room"]

log = logging.getLogger("yunting.signaling")
COURT_NAMESPACE = "/court"
COURT_EVENTS = ("duty.application", "duty.taken", "duty.withdrawn")


def court_room(court_id: str) -> str:
    return f"court:{court_id}"


def user_room(user_id: str) -> str:
    """A staff account's consoles on this process."""
    return f"user:{user_id}"


class CourtNamespace(socketio.AsyncNamespace):
    def __init__(self, services: ServicesSource) -> None:
        super().__init__(COURT_NAMESPACE)
        self._services = services

    def _access(self) -> Any:
        services = self._services() if callable(self._services) else self._services
        return services.access

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: object = None) -> None:
        data = auth if isinstance(auth, dict) else {}
        secret = data.get("session") or _cookie(environ)
        if not isinstance(secret, str) or not secret:
            raise socketio.exceptions.ConnectionRefusedError(
                "log in first", {"code": "unauthenticated"})
        try:
            _, user = await self._access().session(secret)
        except HearingsError as exc:
            raise socketio.exceptions.ConnectionRefusedError(
                exc.message, {"code": exc.code}) from None
        if user.court_id is None:
            raise socketio.exceptions.ConnectionRefusedError(
                "your account belongs to no court", {"code": "forbidden"})
        await self.enter_room(sid, court_room(user.court_id))
        await self.enter_room(sid, user_room(user.id))  # signaling.revocation ends it
        await self.emit("court.ready", {"court_id": user.court_id}, to=sid)

    async def trigger_event(self, event: str, *args: Any) -> Any:
        if event in ("connect", "disconnect"):
            return await super().trigger_event(event, *args)
        # Nothing is accepted from clients on this namespace.
        await self.emit("error", {"event": str(event)[:64], "code": "unknown_event",
                                  "message": "the /court namespace only sends"}, to=args[0])
        return {"ok": False}
