"""The recording follows the hearing: domain changes drive the media service, media events
come back as audited state changes and alerts, and a closed hearing is composed and sealed.

`RecordingDriver` is the seam between three packages that must not import each other:
hearings publishes `RecordingChanged`, media reports `RecordingEvent`, signaling pushes
what clients must see. Only web knows all three.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from hearings.actors import SYSTEM
from hearings.commands import ChangeRecording
from hearings.control import Control
from hearings.errors import HearingsError, NotFound
from hearings.events import RecordingChanged
from hearings.hearing import Hearing
from hearings.scheduling import Scheduling
from hearings.states import ParticipantState, RecordingState
from media.composer import compose_hearing
from media.errors import MediaError
from media.manifest import Manifest
from media.participant import ParticipantInfo
from media.peers import MediaService
from media.recorder import RecordingEvent
from media.recovery import recover_hearing
from web.archive import is_hearing_directory

__all__ = ["HEARING_MANIFEST", "HEARING_TOKEN", "RecordingDriver", "media_id"]

log = logging.getLogger("yunting.recording")

HEARING_MANIFEST = "manifest.json"
HEARING_TOKEN = "manifest.tsr"
Publish = Callable[[str, str, dict[str, Any], str], Awaitable[None]]
Timestamp = Callable[[bytes], Awaitable[bytes]]
Describe = Callable[[str, str], Awaitable[ParticipantInfo]]


def media_id(identity: str) -> str:
    """Signaling identities ("staff:<id>") become safe directory names for the archive."""
    return identity.replace(":", "-")


@dataclass
class RecordingDriver:
    """Wired in create_app once media, signaling and the services exist."""

    archive_dir: Path
    media: MediaService | None = None
    control: Control | None = None
    scheduling: Scheduling | None = None
    publish: Publish | None = None
    timestamp: Timestamp | None = None
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    # -- hearings → media -------------------------------------------------------------
    async def on_recording(self, event: RecordingChanged) -> None:
        media = self.media
        if media is not None:
            state = event.state
            if state is RecordingState.RECORDING and event.previous is RecordingState.PAUSED:
                media.resume(event.hearing_id)
            elif state is RecordingState.RECORDING and event.previous is RecordingState.STANDBY:
                media.start(event.hearing_id)
            elif state is RecordingState.PAUSED:
                media.pause(event.hearing_id)
            elif state is RecordingState.PROCESSING:
                await media.stop(event.hearing_id)
                self._spawn(self._finish(event.hearing_id))
        await self._push(event.hearing_id, "recording.state", {
            "state": event.state.value, "previous": event.previous.value,
            "because": event.because, "by": event.by}, "everyone")

    async def align(self, hearing_id: str) -> None:
        """Before a participant's media is answered: a recorder that restarted (or never saw
        the hearing start) learns from the database that this hearing is being recorded."""
        media = self.media
        if media is None or media.hearing(hearing_id).state != "standby":
            return
        hearing = await self._hearing(hearing_id)
        if hearing is not None:
            self._follow(hearing)

    def _follow(self, hearing: Hearing) -> None:
        media = self.media
        if media is None or not hearing.is_live:
            return
        if hearing.recording_state in (RecordingState.RECORDING, RecordingState.FAILED,
                                       RecordingState.PAUSED):
            media.start(hearing.id)
            if hearing.recording_state is RecordingState.PAUSED:
                media.pause(hearing.id)

    async def _hearing(self, hearing_id: str) -> Hearing | None:
        if self.scheduling is None:
            return None
        try:
            return await self.scheduling.hearing(SYSTEM, hearing_id)
        except NotFound:
            return None

    # -- media → hearings -------------------------------------------------------------
    def on_media_event(self, event: RecordingEvent) -> None:
        """Called by the recorder on the event loop; the work it causes runs as a task."""
        if event.state == "failed":
            self._spawn(self._participant_failed(event))
        elif event.state == "recording":
            self._spawn(self._participant_recording(event))

    async def _participant_failed(self, event: RecordingEvent) -> None:
        if event.reason == "media_timeout" and await self._has_left(event):
            # Closing the tab is leaving, not a recording failure: hang up that peer only.
            log.info("%s left %s; their media peer is closed", event.participant_id,
                     event.hearing_id)
            if self.media is not None:
                await self.media.close_participant(event.hearing_id, event.participant_id)
            return
        detail = f"{event.participant_id}: {event.reason or 'failed'}"
        if event.detail:
            detail += f" ({event.detail})"
        # The alert goes first: the judge must know within seconds even if the database lags.
        await self._push(event.hearing_id, "recording.alert", {
            "participant_id": event.participant_id, "reason": event.reason,
            "detail": event.detail, "at": event.at}, "staff")
        await self._change(event.hearing_id, "fail", detail)

    async def _has_left(self, event: RecordingEvent) -> bool:
        hearing = await self._hearing(event.hearing_id)
        if hearing is None:
            return False
        for p in hearing.participants:
            if media_id(p.id) == event.participant_id:
                return p.state in (ParticipantState.DISCONNECTED, ParticipantState.WAITING,
                                   ParticipantState.REMOVED)
        return False

    async def _participant_recording(self, event: RecordingEvent) -> None:
        """One participant's media is back: the hearing is recording again only if no other
        connected publisher is still failed (a left one's peer is closed, so not counted)."""
        still_failed = sorted(pid for pid, state in self._states(event.hearing_id).items()
                              if state == "failed" and pid != event.participant_id)
        if still_failed:
            log.info("%s recording again in %s, still failed: %s", event.participant_id,
                     event.hearing_id, ", ".join(still_failed))
            return
        await self._change(event.hearing_id, "recover", f"{event.participant_id} recording again",
                           only_from=RecordingState.FAILED)

    def _states(self, hearing_id: str) -> dict[str, str]:
        return dict(self.media.states(hearing_id)) if self.media is not None else {}

    async def _change(self, hearing_id: str, action: str, detail: str,
                      only_from: RecordingState | None = None) -> None:
        if self.control is None:
            return
        try:
            await self.control.change_recording(
                SYSTEM, ChangeRecording(hearing_id, action, detail), only_from=only_from)
        except HearingsError as exc:  # e.g. already failed, or the hearing moved on
            log.info("recording %s for %s not applied: %s", action, hearing_id, exc)

    # -- after the hearing ------------------------------------------------------------
    async def _finish(self, hearing_id: str) -> None:
        """Compose the archive file, write and timestamp the manifest, then finish or fail."""
        hearing_dir = self.archive_dir / hearing_id
        try:
            if not hearing_dir.is_dir() or not any(hearing_dir.iterdir()):
                raise MediaError("no media was received for this hearing")
            await compose_hearing(hearing_dir)
            digest = await asyncio.to_thread(self._write_manifest, hearing_id, hearing_dir)
            if self.timestamp is not None:
                token = await self.timestamp(digest)
                await asyncio.to_thread((hearing_dir / HEARING_TOKEN).write_bytes, token)
        except (MediaError, OSError, ValueError) as exc:
            log.warning("recording of %s could not be finished: %s", hearing_id, exc)
            await self._change(hearing_id, "fail", f"processing: {exc}")
            return
        await self._change(hearing_id, "finish", f"manifest sha256 {digest.hex()}")

    @staticmethod
    def _write_manifest(hearing_id: str, hearing_dir: Path) -> bytes:
        files = [p for p in sorted(hearing_dir.rglob("*"))
                 if p.is_file() and p.name not in (HEARING_MANIFEST, HEARING_TOKEN)
                 and not p.name.endswith(".tmp")]
        body = Manifest.build(hearing_id, hearing_dir, files).to_bytes()
        (hearing_dir / HEARING_MANIFEST).write_bytes(body)
        return hashlib.sha256(body).digest()

    async def recover(self) -> list[str]:
        """After a restart: mark the gaps a killed recorder left, in the archive and the audit
        log; live hearings are recorded again (the recording recovers when the participants'
        media arrives again), and a composition the restart interrupted runs again."""
        recovered, hearing_ids = await asyncio.to_thread(self._recover_archive)
        for hearing_id, gaps in recovered.items():
            await self._change(hearing_id, "fail", f"recorder restarted; gaps: {gaps}",
                               only_from=RecordingState.RECORDING)
        for hearing_id in hearing_ids:
            hearing = await self._hearing(hearing_id)
            if hearing is None:
                continue
            self._follow(hearing)
            if hearing.recording_state is RecordingState.PROCESSING:
                self._spawn(self._finish(hearing_id))
        return list(recovered)

    def _recover_archive(self) -> tuple[dict[str, str], list[str]]:
        recovered: dict[str, str] = {}
        hearing_ids: list[str] = []
        if self.archive_dir.is_dir():
            for hearing_dir in sorted(p for p in self.archive_dir.iterdir()
                                      if is_hearing_directory(p)):
                hearing_ids.append(hearing_dir.name)
                if (hearing_dir / HEARING_MANIFEST).exists():
                    continue  # sealed: nothing in it may change
                gaps = recover_hearing(hearing_dir)
                if gaps:
                    recovered[hearing_dir.name] = json.dumps(
                        [asdict(g) for g in gaps], ensure_ascii=False)
        return recovered, hearing_ids

    # -- plumbing ---------------------------------------------------------------------
    async def _push(self, hearing_id: str, event: str, payload: dict[str, Any],
                    audience: str) -> None:
        if self.publish is not None:
            await self.publish(hearing_id, event, {"hearing_id": hearing_id, **payload}, audience)

    def _spawn(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait for compositions and alerts in flight (on shutdown, and in tests)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

