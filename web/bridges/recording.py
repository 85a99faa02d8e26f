"""The recording follows the hearing: domain changes drive the media service, media events
come back as audited state changes and alerts, and a closed hearing is composed and sealed.

`RecordingDriver` is the seam between three packages that must not import each other:
hearings publishes `RecordingChanged` on the bus (the driver subscribes to it in
create_app), media reports `RecordingEvent`, signaling pushes what clients must see (the
media's alerts through `publish`; `recording.state` follows the bus itself,
signaling/follow.py). Only web knows all three.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from hearings.domain.actors import SYSTEM
from hearings.domain.audit import AuditEntry, interruptions
from hearings.domain.commands import ChangeRecording
from hearings.domain.errors import HearingsError, NotFound
from hearings.domain.events import RecordingChanged
from hearings.domain.hearing import Hearing
from hearings.domain.states import ParticipantState, RecordingState
from hearings.services.control import Control
from hearings.services.scheduling import Scheduling
from media.composer import COMPOSITE_NAME, compose_hearing
from media.coverage import Span, holes, missing_seconds, recorded_spans
from media.errors import ComposeError, MediaError
from media.manifest import Manifest, segment_notes
from media.marks import offsets_at, record_mark
from media.participant import ParticipantInfo
from media.peers import MediaService
from media.recorder import RecordingEvent
from media.recovery import recover_hearing
from web.bridges.archive import is_hearing_directory
from web.bridges.jobs import Jobs

__all__ = ["HEARING_MANIFEST", "HEARING_TOKEN", "RecordingDriver", "RecordingLog",
           "media_id", "recording_intervals", "recording_truth"]

log = logging.getLogger("yunting.recording")

HEARING_MANIFEST = "manifest.json"
LEAVING_GRACE = 0.5  # s: a lost connection whose participant is leaving is not a failure
HEARING_TOKEN = "manifest.tsr"
Publish = Callable[[str, str, dict[str, Any], str], Awaitable[None]]
Timestamp = Callable[[bytes], Awaitable[bytes]]
Describe = Callable[[str, str], Awaitable[ParticipantInfo]]


class RecordingLog(Protocol):
    """What the driver reads and writes of a hearing's audit log (hearings.services.recordings
    `Recordings`): its entries, and the system's note of a participant's gap and its end."""

    async def entries(self, hearing_id: str, /) -> list[AuditEntry]: ...

    async def note(self, action: str, hearing_id: str, payload: dict[str, Any], /) -> None: ...


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
    audit_log: RecordingLog | None = None  # the audit log: when it was recording, who had a gap
    # False when media workers write the archive (YUNTING_MEDIA_WORKERS): their segments
    # are live, only the worker a participant returns to closes them out (media/worker.py).
    recovers_archive: bool = True
    jobs: Jobs | None = None  # None: seal in this process (the embedded default)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    # (hearing, participant) → (since, reason): whose recording is failing, for the judge
    _failing: dict[tuple[str, str], tuple[float, str]] = field(default_factory=dict)

    # -- hearings → media -------------------------------------------------------------
    async def on_recording(self, event: RecordingChanged) -> None:
        media = self.media
        if media is not None:
            state = event.state
            if state is RecordingState.RECORDING and event.previous is RecordingState.PAUSED:
                media.resume(event.hearing_id)
                # A recess paused a failed recording too: whoever is still failing fails it
                # again now (after the state change below reached the clients).
                self._spawn(self._still_failing(event.hearing_id))
            elif state is RecordingState.RECORDING and event.previous is RecordingState.STANDBY:
                media.start(event.hearing_id)
            elif state is RecordingState.PAUSED:
                media.pause(event.hearing_id)
            elif state is RecordingState.PROCESSING:
                for key in [k for k in self._failing if k[0] == event.hearing_id]:
                    del self._failing[key]
                await media.stop(event.hearing_id)
                await self._seal_later(event.hearing_id)
        # The room hears `recording.state` from signaling's own subscriber, next on the bus.

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
        elif event.state == "stopped" and event.reason == "participant_left":
            self._spawn(self._participant_left(event))

    async def _participant_failed(self, event: RecordingEvent) -> None:
        if event.reason == "connection_lost":
            # The page offers a new connection at once (it would notice only seconds later).
            await self._push(event.hearing_id, "media.lost",
                             {"participant_id": event.participant_id}, "everyone")
            # A closed tab closes its connection as its socket goes: give the departure
            # (which hangs the peer up) a moment to land before calling it a failure.
            await asyncio.sleep(LEAVING_GRACE)
            if self._states(event.hearing_id).get(event.participant_id) != "failed":
                log.info("%s: lost connection resolved (left or back) in %s",
                         event.participant_id, event.hearing_id)
                return
        if event.reason in ("media_timeout", "connection_lost") and await self._has_left(event):
            # Closing the tab is leaving, not a recording failure: hang up that peer only.
            log.info("%s left %s; their media peer is closed", event.participant_id,
                     event.hearing_id)
            if self.media is not None:
                await self.media.close_participant(event.hearing_id, event.participant_id)
            return
        detail = f"{event.participant_id}: {event.reason or 'failed'}"
        if event.detail:
            detail += f" ({event.detail})"
        key = (event.hearing_id, event.participant_id)
        first = key not in self._failing
        since = self._failing[key][0] if not first else event.at
        self._failing[key] = (since, event.reason or "failed")
        # The alert goes first: the judge must know within seconds even if the database lags.
        await self._push(event.hearing_id, "recording.alert", {
            "participant_id": event.participant_id, **self._who(event),
            "reason": event.reason, "detail": event.detail, "at": event.at,
            "since": since}, "staff")
        if first:
            await self._audit(event.hearing_id, "recording.gap", {
                "participant_id": event.participant_id, "reason": event.reason,
                "detail": event.detail, "at": event.at})
        # A failure during a recess is the resume's to report (the recess is not recorded).
        await self._change(event.hearing_id, "fail", detail, only_from=RecordingState.RECORDING)

    async def _participant_back(self, event: RecordingEvent, because: str) -> None:
        """A failing participant is recorded again (or left): the judge's banner clears."""
        failing = self._failing.pop((event.hearing_id, event.participant_id), None)
        if failing is None:
            return
        since, reason = failing
        gap = round(max(event.at - since, 0.0), 3)
        await self._push(event.hearing_id, "recording.recovered", {
            "participant_id": event.participant_id, **self._who(event), "because": because,
            "reason": reason, "since": since, "at": event.at, "gap_seconds": gap}, "staff")
        await self._audit(event.hearing_id, "recording.resumed", {
            "participant_id": event.participant_id, "because": because, "reason": reason,
            "since": since, "at": event.at, "gap_seconds": gap})

    def _who(self, event: RecordingEvent) -> dict[str, str]:
        """Name and role of the participant, for the judge's banner (empty if unknown)."""
        info = (self.media.participant(event.hearing_id, event.participant_id)
                if self.media is not None else None)
        if info is None:
            return {}
        return {"name": info.display_name, "role": info.role, "role_label": info.role_label}

    async def _still_failing(self, hearing_id: str) -> None:
        failed = sorted(pid for pid, state in self._states(hearing_id).items()
                        if state == "failed")
        if failed:
            await self._change(hearing_id, "fail", "after the recess, still failed: "
                               + ", ".join(failed), only_from=RecordingState.RECORDING)

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
        await self._participant_back(event, event.reason or "reconnected")
        await self._recover_unless_failing(event, "recording again")

    async def _participant_left(self, event: RecordingEvent) -> None:
        """A participant hung up (left, removed): if they were the one failing, the others
        are the recording now."""
        if (event.hearing_id, event.participant_id) in self._failing:
            await self._participant_back(event, "left")
            await self._recover_unless_failing(event, "left")

    async def _recover_unless_failing(self, event: RecordingEvent, what: str) -> None:
        still_failed = sorted(pid for pid, state in self._states(event.hearing_id).items()
                              if state == "failed" and pid != event.participant_id)
        if still_failed:
            log.info("%s %s in %s, still failed: %s", event.participant_id, what,
                     event.hearing_id, ", ".join(still_failed))
            return
        await self._change(event.hearing_id, "recover", f"{event.participant_id} {what}",
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

    # -- documents signed while recording (hearings.services.signature_marks.SignatureMarks) ----
    async def offsets(self, hearing_id: str, at: float) -> dict[str, Any]:
        """Where each participant's recorded track is at `at` (for the audit entry)."""
        return await asyncio.to_thread(offsets_at, self.archive_dir / hearing_id, at)

    async def signed(self, hearing_id: str, mark: dict[str, Any]) -> None:
        """Keep a committed signature's mark with the recording (media/marks.py), in the
        signer's own track: their seat's, or the staff account's when it joined by session.
        A sealed archive is never written to."""
        hearing_dir = self.archive_dir / hearing_id
        if (hearing_dir / HEARING_MANIFEST).exists():
            log.warning("signature on %s after the recording was sealed: not marked", hearing_id)
            return
        track = _signer_track(hearing_dir, mark)
        await asyncio.to_thread(record_mark, hearing_dir, {**mark, "track": track})

    async def on_camera(self, hearing_id: str, mark: dict[str, Any]) -> bool:
        """Whether the signer's own track is being recorded at the mark's time: a signer
        whose track is in a gap then would be named by `yunting verify`, so the signature
        is refused (`OffCamera`) and made again. A signer with no track is not refused."""
        hearing_dir = self.archive_dir / hearing_id
        track = _signer_track(hearing_dir, mark)
        if track is None or not (hearing_dir / track).is_dir():
            return True
        tracks = await asyncio.to_thread(offsets_at, hearing_dir, float(mark["at"]),
                                         slack=_ON_CAMERA_SLACK)
        return track in tracks

    # -- after the hearing ------------------------------------------------------------
    async def _seal_later(self, hearing_id: str) -> None:
        """In this process as a task, or as a `recording.seal` job on the queue."""
        if self.jobs is None:
            self._spawn(self._finish(hearing_id))
            return
        try:
            await self.jobs.submit("recording.seal", hearing_id=hearing_id)
        except Exception as exc:  # Redis away: the next start's recover() submits it again
            log.warning("sealing %s not queued: %s", hearing_id, exc)

    async def seal(self, hearing_id: str) -> None:
        """The `recording.seal` job: only a recording still `processing` is sealed, so a job
        run twice (a retry, a restart's recover) changes nothing the second time."""
        hearing = await self._hearing(hearing_id)
        if hearing is None or hearing.recording_state is not RecordingState.PROCESSING:
            log.info("sealing %s: nothing to do (%s)", hearing_id,
                     hearing.recording_state.value if hearing else "no such hearing")
            return
        await self._finish(hearing_id)

    async def give_up(self, hearing_id: str, why: str) -> None:
        """The job failed for good (it kept killing its workers): the recording says so."""
        await self._change(hearing_id, "fail", f"processing: {why}",
                           only_from=RecordingState.PROCESSING)

    async def _finish(self, hearing_id: str) -> None:
        """Seal what the archive holds, then say what it is: `available` only if complete.

        Whatever a crash or a full disk left open is closed first; a composition that
        fails (disk full) still gets the manifest of what exists, naming the error, and
        the recording is failed. Gaps (seconds missing per participant of the time the
        hearing was being recorded) make it `incomplete`.
        """
        hearing_dir = self.archive_dir / hearing_id
        if not hearing_dir.is_dir() or not any(hearing_dir.iterdir()):
            await self._change(hearing_id, "fail", "processing: no media was received")
            return
        if (hearing_dir / HEARING_MANIFEST).is_file():  # sealed by a run that died after it
            await self._finish_sealed(hearing_id, hearing_dir)
            return
        # A run killed mid-way left its partial files: gone, so that nothing is listed twice
        # (an orphaned ffmpeg keeps writing to the unlinked file, not to the new one).
        await asyncio.to_thread(_discard_partials, hearing_dir)
        await asyncio.to_thread(recover_hearing, hearing_dir)
        composite_error: str | None = None
        try:
            await compose_hearing(hearing_dir)
        except ComposeError as exc:
            composite_error = str(exc)
            log.warning("recording of %s could not be composed: %s", hearing_id, exc)
        entries = await self._entries(hearing_id)
        wanted, failed_at_stop = recording_intervals(entries)
        try:
            digest, truth = await asyncio.to_thread(
                self._write_manifest, hearing_id, hearing_dir, wanted=wanted,
                composite_error=composite_error, failed_at_stop=failed_at_stop,
                interruptions=interruptions(entries))
            if self.timestamp is not None:
                token = await self.timestamp(digest)
                await asyncio.to_thread(_write_atomically, hearing_dir / HEARING_TOKEN, token)
        except (MediaError, OSError, ValueError) as exc:
            log.warning("recording of %s could not be sealed: %s", hearing_id, exc)
            await self._change(hearing_id, "fail", f"processing: {exc}")
            return
        await self._say_sealed(hearing_id, digest, truth)

    async def _finish_sealed(self, hearing_id: str, hearing_dir: Path) -> None:
        """The manifest was written (it is never rewritten): timestamp it if the token is
        missing, then say what it holds."""
        try:
            body = await asyncio.to_thread((hearing_dir / HEARING_MANIFEST).read_bytes)
            truth = json.loads(body)["extra"]
            digest = hashlib.sha256(body).digest()
            if self.timestamp is not None and not (hearing_dir / HEARING_TOKEN).is_file():
                token = await self.timestamp(digest)
                await asyncio.to_thread(_write_atomically, hearing_dir / HEARING_TOKEN, token)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("sealed recording of %s unreadable: %s", hearing_id, exc)
            await self._change(hearing_id, "fail", f"processing: {exc}")
            return
        await self._say_sealed(hearing_id, digest, truth)

    async def _say_sealed(self, hearing_id: str, digest: bytes, truth: dict[str, Any]) -> None:
        composite_error = truth.get("composite_error")
        if composite_error is not None:
            await self._change(hearing_id, "fail", f"processing: {composite_error}")
        elif not truth["complete"]:
            await self._change(hearing_id, "finish_incomplete",
                               f"manifest sha256 {digest.hex()}; missing seconds "
                               + json.dumps(truth["missing_seconds"], sort_keys=True))
        else:
            await self._change(hearing_id, "finish", f"manifest sha256 {digest.hex()}")

    async def _entries(self, hearing_id: str) -> list[AuditEntry]:
        """The hearing's audit log: when it was being recorded (`recording_intervals`), and
        each participant's interruptions (`interruptions`)."""
        if self.audit_log is None:  # create_app hands it in with the services
            return []
        return await self.audit_log.entries(hearing_id)

    @staticmethod
    def _write_manifest(hearing_id: str, hearing_dir: Path, *, wanted: Sequence[Span] = (),
                        composite_error: str | None = None, failed_at_stop: bool = False,
                        interruptions: Sequence[dict[str, Any]] = ()
                        ) -> tuple[bytes, dict[str, Any]]:
        files = [p for p in sorted(hearing_dir.rglob("*"))
                 if p.is_file() and p.name not in (HEARING_MANIFEST, HEARING_TOKEN)
                 and not p.name.endswith(".tmp")]
        truth = recording_truth(hearing_dir, list(wanted), composite_error=composite_error,
                                failed_at_stop=failed_at_stop)
        notes = segment_notes(hearing_dir, files)
        body = Manifest.build(hearing_id, hearing_dir, files, **truth,
                              **({"segments": notes} if notes else {}),
                              **({"interruptions": list(interruptions)} if interruptions else {})
                              ).to_bytes()
        _write_atomically(hearing_dir / HEARING_MANIFEST, body)
        return hashlib.sha256(body).digest(), truth

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
                await self._seal_later(hearing_id)
        return list(recovered)

    def _recover_archive(self) -> tuple[dict[str, str], list[str]]:
        recovered: dict[str, str] = {}
        hearing_ids: list[str] = []
        if self.archive_dir.is_dir():
            for hearing_dir in sorted(p for p in self.archive_dir.iterdir()
                                      if is_hearing_directory(p)):
                hearing_ids.append(hearing_dir.name)
                if (hearing_dir / HEARING_MANIFEST).exists() or not self.recovers_archive:
                    continue  # sealed: nothing in it may change (or a worker's to close)
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

    async def _audit(self, hearing_id: str, action: str, payload: dict[str, Any]) -> None:
        """A participant's gap and its end, in the hearing's audit log (not a state change)."""
        if self.audit_log is None:
            return
        try:
            await self.audit_log.note(action, hearing_id, payload)
        except Exception as exc:  # the alert went out already; the log says what was lost
            log.warning("audit %s for %s not written: %s", action, hearing_id, exc)

    def _spawn(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait for compositions and alerts in flight (on shutdown, and in tests)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)



def _write_atomically(path: Path, data: bytes) -> None:
    """Whole or absent: a reader (or a retried job) never sees half a manifest or token."""
    partial = path.with_name(path.name + ".tmp")
    with partial.open("wb") as stream:
        stream.write(data)
        stream.flush()
        os.fsync(stream.fileno())
    os.replace(partial, path)


def _discard_partials(hearing_dir: Path) -> None:
    for name in (COMPOSITE_NAME, HEARING_MANIFEST, HEARING_TOKEN):
        (hearing_dir / (name + ".tmp")).unlink(missing_ok=True)


# How long after an open segment's last sidecar rewrite (about once a second while media
# flows) its track still counts as recorded when a signature is made.
_ON_CAMERA_SLACK = 1.5


def _signer_track(hearing_dir: Path, mark: dict[str, Any]) -> str | None:
    """The signer's own track: their seat's, or the staff account's when it joined by
    session (the one with a directory when both could be)."""
    candidates = [mark.get("participant_id"),
                  media_id(f"staff:{mark['staff_user_id']}") if mark.get("staff_user_id")
                  else None]
    return next((c for c in candidates if c and (hearing_dir / c).is_dir()),
                next((c for c in candidates if c), None))


# Recording states in which the hearing was meant to be recorded (a failure is a gap).
_WANTED = frozenset({RecordingState.RECORDING.value, RecordingState.FAILED.value})


def recording_intervals(entries: list[AuditEntry]) -> tuple[list[Span], bool]:
    """The wall-clock spans the hearing's recording state was `recording` or `failed`, and
    whether it was `failed` when it stopped (nothing recorded after that failure)."""
    spans: list[Span] = []
    opened: float | None = None
    state = RecordingState.STANDBY.value
    failed_at_stop = False
    for e in sorted(entries, key=lambda e: e.seq):
        new = _recording_state_after(e)
        if new is None:
            continue
        now = e.at.timestamp()
        if new == RecordingState.PROCESSING.value:
            failed_at_stop = state == RecordingState.FAILED.value
        if new in _WANTED and opened is None:
            opened = now
        elif new not in _WANTED and opened is not None:
            spans.append((opened, now))
            opened = None
        state = new
    return spans, failed_at_stop


def _recording_state_after(entry: AuditEntry) -> str | None:
    """A command's entry names the state it led to (`recording.fail`, state `failed`); a
    change the hearing caused is named after the state (`recording.processing`)."""
    if not entry.action.startswith("recording."):
        return None
    if "state" in entry.payload:
        return str(entry.payload["state"])
    named = entry.action.removeprefix("recording.")
    return named if named in {s.value for s in RecordingState} else None


def recording_truth(hearing_dir: Path, wanted: list[Span], *, composite_error: str | None,
                    failed_at_stop: bool) -> dict[str, Any]:
    """What the manifest says of itself: seconds missing per participant (of the wanted time
    between their first and last recorded moment: a late arrival or an early departure is
    not a gap), the composition's error, and whether the recording is complete. Blocking."""
    missing: dict[str, float] = {}
    gaps: list[dict[str, Any]] = []
    for participant, spans in recorded_spans(hearing_dir).items():
        if not spans or not wanted:
            continue
        first, last = spans[0][0], spans[-1][1]
        theirs = [(max(a, first), min(b, last)) for a, b in wanted if b > first and a < last]
        seconds = missing_seconds(spans, theirs)
        if seconds:
            missing[participant] = seconds
            gaps += [{"participant_id": participant, "from": start, "to": end,
                      "seconds": round(end - start, 3)} for start, end in holes(spans, theirs)]
    complete = not missing and composite_error is None and not failed_at_stop
    return {"complete": complete, "missing_seconds": missing,
            **({"gaps": sorted(gaps, key=lambda g: (g["from"], g["participant_id"]))}
               if gaps else {}),
            "composite_error": composite_error, "failed_at_stop": failed_at_stop}
