"""The recorder: one participant's received tracks → segments, with a watchdog.

Encoded packets arrive on the event loop as aiortc completes each frame (see
`passthrough`); the recorder stamps them with the wall clock there and queues them for
the process's one writer thread (`_BatchWriter`), which wakes at most every
`BATCH_SECONDS`, muxes everything queued, unchanged, in order, and sleeps again. File
I/O never blocks the loop, and there is no thread wake-up per frame (which cost more
CPU than the muxing). The watchdog on the loop reports a track that stops delivering
(aiortc's "ended" may never fire, aiortc#1129), rotates segments on time, and re-requests
keyframes while a rotation waits for one.

Nothing stops a recording for good but the hearing: a participant whose media returns
records again ("media_resumed"), and a writer that failed (disk full) closes its segment
as far as it got, then tries the disk again with backoff and opens a new segment when
there is room ("writer_recovered"). Whatever its own state, the recorder records only
while the hearing's switch (`start`/`pause`/`resume`) says so.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import av

from media.errors import SegmentWriteError
from media.participant import ParticipantInfo
from media.segments import SegmentSeries, TrackSpec

__all__ = ["OnRecordingEvent", "ParticipantRecorder", "RecordingEvent", "RecordingState"]

logger = logging.getLogger(__name__)

RecordingState = Literal["standby", "recording", "paused", "stopped", "failed"]
_RESYNC_SECONDS = 2.0
_WATCH_INTERVAL = 0.5
# A watchdog tick this late means the process itself stood still (an overloaded loop, a
# paused machine): the packets that arrived meanwhile are still queued, unread, so the
# silence it saw is not the participant's. Each track gets a full media timeout from then.
# (Half the media timeout when that is shorter: any stall long enough to look like a
# timeout is then seen as one, whatever moment of the tick it began.)
_STALL_SECONDS = 1.0
BATCH_SECONDS = 0.1  # what a crash can lose on top of the page cache: well inside ~2 s
WRITER_RETRY_SECONDS = (2.0, 30.0)  # a failed writer's first and longest wait before retrying
_SETTLED_PACKETS = 500  # a retried segment this long (~5 s) shows the disk has room again


@dataclass(frozen=True)
class RecordingEvent:
    """A participant's recording changed state; `reason` says why for "failed"/"stopped"."""

    hearing_id: str
    participant_id: str
    state: RecordingState
    reason: str | None = None
    at: float = 0.0  # wall clock, seconds since the epoch
    segment: str | None = None  # the segment file being written, when recording
    detail: str | None = None  # e.g. which track went silent, the writer's error text

    def as_dict(self) -> dict[str, Any]:
        return {
            "hearing_id": self.hearing_id, "participant_id": self.participant_id,
            "state": self.state, "reason": self.reason, "at": self.at, "segment": self.segment,
            "detail": self.detail,
        }


OnRecordingEvent = Callable[[RecordingEvent], None]
RequestKeyframe = Callable[[], Coroutine[Any, Any, None]]


@dataclass
class _TrackClock:
    """Maps a track's RTP time to wall clock, anchored at its first packet's arrival."""

    anchor_pts: int | None = None
    anchor_wall: float = 0.0
    last_arrival: float = 0.0  # monotonic

    def wall(self, pts: int, tick: float, arrival_wall: float) -> float:
        """`tick`: seconds per RTP clock tick (a float: Fraction arithmetic per frame is slow)."""
        if self.anchor_pts is not None:
            wall = self.anchor_wall + (pts - self.anchor_pts) * tick
            if abs(wall - arrival_wall) < _RESYNC_SECONDS:
                return wall
        # First packet, or the sender's clock jumped (track replaced, long stall).
        self.anchor_pts, self.anchor_wall = pts, arrival_wall
        return arrival_wall


class _BatchWriter:
    """The process's writer thread: runs queued work in order, in batches.

    `submit` only appends to a `SimpleQueue` (no wake-up while the thread sleeps); the
    thread blocks while there is nothing to do, and once woken sleeps `BATCH_SECONDS`
    before draining everything queued meanwhile, so a busy recorder wakes it about
    1 / BATCH_SECONDS times a second whatever the number of streams.
    """

    def __init__(self, interval: float = BATCH_SECONDS) -> None:
        self.interval = interval
        self._queue: queue.SimpleQueue[tuple[Callable[..., None], tuple[Any, ...]]] = (
            queue.SimpleQueue())
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def submit(self, work: Callable[..., None], *args: Any) -> None:
        if self._thread is None:
            self._start()
        self._queue.put((work, args))

    def call(self, work: Callable[[], None]) -> concurrent.futures.Future[None]:
        """Run `work` after everything submitted before it; the future says when it ran."""
        done: concurrent.futures.Future[None] = concurrent.futures.Future()

        def run() -> None:
            waited = done.set_running_or_notify_cancel()  # runs even if the waiter left
            try:
                work()
            except BaseException as exc:  # handed to the waiter
                if waited:
                    done.set_exception(exc)
            else:
                if waited:
                    done.set_result(None)

        self.submit(run)
        return done

    def _start(self) -> None:
        with self._start_lock:
            if self._thread is None:
                thread = threading.Thread(target=self._run, name="segment-writer", daemon=True)
                thread.start()
                self._thread = thread

    def _run(self) -> None:
        while True:
            self._do(*self._queue.get())
            time.sleep(self.interval)
            with contextlib.suppress(queue.Empty):
                while True:
                    self._do(*self._queue.get_nowait())

    @staticmethod
    def _do(work: Callable[..., None], args: tuple[Any, ...]) -> None:
        try:
            work(*args)
        except Exception:  # the thread serves every recorder of the process: never die
            logger.exception("segment writer work failed")


_writer = _BatchWriter()


class _Sink:
    """The writer side: takes packets from the loop, owns the `SegmentSeries`; everything
    touching the series runs on the writer thread, in the order it was submitted.

    After a write fails, the open segment is closed at once (its sidecar says what the file
    holds and why it ends) and packets are dropped until the retry time; the packet after it
    goes to the disk again, which opens a new segment, or fails and doubles the wait.
    """

    def __init__(
        self, series: SegmentSeries, loop: asyncio.AbstractEventLoop,
        on_opened: Callable[[Path], None], on_error: Callable[[str, str], None],
    ) -> None:
        self.series = series
        self.failed = False  # written on the writer thread, read on the loop
        self._retry_at = 0.0  # monotonic
        self._retry_wait = WRITER_RETRY_SECONDS[0]
        self._loop = loop
        self._on_opened = on_opened
        self._on_error = on_error

    @property
    def retry_due(self) -> bool:
        return self.failed and time.monotonic() >= self._retry_at

    def write(self, kind: str, packet: av.Packet, wall: float) -> None:
        if not self.failed or self.retry_due:
            _writer.submit(self._write, kind, packet, wall)

    def _write(self, kind: str, packet: av.Packet, wall: float) -> None:
        if self.failed:
            if not self.retry_due:
                return
            self.failed = False
        before = self.series.current
        self._guarded(self.series.add, kind, packet, wall)
        current = self.series.current
        if current is not None and current is not before:
            self._loop.call_soon_threadsafe(self._on_opened, current.path)
        elif current is not None and current.packets == _SETTLED_PACKETS:
            self._retry_wait = WRITER_RETRY_SECONDS[0]

    async def finish(self) -> None:
        """Finish the open segment once the packets queued before have been written."""
        await asyncio.wrap_future(_writer.call(lambda: self._guarded(self.series.finish)))

    def _guarded(self, function: Callable[..., Any], *args: Any) -> None:
        try:
            function(*args)
        except SegmentWriteError as exc:
            self._failed(str(exc))
        except Exception as exc:  # a writer bug must surface as "failed", not kill aiortc's thread
            logger.exception("segment writer crashed")
            self._failed(repr(exc))

    def _failed(self, detail: str) -> None:
        self.failed = True
        self._retry_at = time.monotonic() + self._retry_wait
        self._retry_wait = min(self._retry_wait * 2, WRITER_RETRY_SECONDS[1])
        self._loop.call_soon_threadsafe(self._on_error, "writer_error", detail[:200])
        try:
            self.series.finish()  # seal what reached the disk now, not at the hearing's end
        except Exception as exc:  # recovery closes it later from the file alone
            logger.warning("cannot close the failed segment: %s", exc)


class ParticipantRecorder:
    """Records one participant; states: standby → recording ⇄ paused → stopped, or failed."""

    def __init__(
        self,
        participant: ParticipantInfo,
        specs: list[TrackSpec],
        directory: Path,
        *,
        on_event: OnRecordingEvent,
        request_keyframe: RequestKeyframe | None = None,
        segment_seconds: float = 600.0,
        media_timeout: float = 3.0,
        first_index: int = 1,
    ) -> None:
        self.participant = participant
        self.specs = {spec.kind: spec for spec in specs}
        self.state: RecordingState = "standby"
        self._switch: Literal["standby", "recording", "paused"] = "standby"  # the hearing's
        self.reason: str | None = None
        self.segment_seconds = segment_seconds
        self.media_timeout = media_timeout
        self._on_event = on_event
        self._request_keyframe = request_keyframe
        self._loop = asyncio.get_running_loop()
        self._series = SegmentSeries(directory, participant, specs, first_index=first_index)
        self._sink = _Sink(self._series, self._loop, self._segment_opened, self._fail)
        self._clocks: dict[str, _TrackClock] = {kind: _TrackClock() for kind in self.specs}
        self._tasks: list[asyncio.Task[None]] = []
        self._watch_since = time.monotonic()
        self._last_keyframe_request = 0.0
        self._announce_segment = True
        self._codec_rejected = False
        self._excused: set[str] = set()  # kinds the participant chose not to send

    @property
    def segments(self) -> list[Path]:
        return list(self._series.closed)

    def sink(self, kind: str) -> Callable[[av.Packet, str], None]:
        """The callable the frame tap hands each of this `kind`'s packets to, on the loop,
        with the codec the tap depacketised it with (never read from `packet.opaque`)."""
        spec, clock = self.specs.get(kind), self._clocks.get(kind)
        tick = 1.0 / spec.clock_rate if spec is not None else 0.0
        mime = spec.mime_type if spec is not None else ""

        def deliver(packet: av.Packet, mime_type: str) -> None:
            if spec is None or clock is None:
                return
            clock.last_arrival = time.monotonic()
            if mime_type != mime and mime_type.lower() != mime.lower():
                self._reject_codec(mime_type)
                return
            if self._switch != "recording":
                return
            state, reason = self.state, self.reason
            if state == "failed":
                if reason == "media_timeout":
                    self._loop.call_soon(self._media_resumed)
                elif reason != "writer_error":  # the sink knows when to try the disk again
                    return
            elif state != "recording":
                return
            wall = clock.wall(int(packet.pts or 0), tick, time.time())
            self._sink.write(kind, packet, wall)

        return deliver

    def excuse(self, kind: str, excused: bool) -> None:
        """The participant chose not to send `kind` (audio-only mode): its silence is not
        a media timeout. Taken back, it must arrive again within the timeout."""
        if excused:
            self._excused.add(kind)
        elif kind in self._excused:
            self._excused.discard(kind)
            clock = self._clocks.get(kind)
            if clock is not None:
                clock.last_arrival = time.monotonic()

    def start(self) -> None:
        self._switch = "recording"
        if not self._tasks:
            self._tasks.append(asyncio.create_task(self._watch(), name="recording-watchdog"))
        if self.state in ("standby", "paused"):
            self._enter_recording()

    def pause(self) -> None:
        """Whatever the recorder's state, nothing is recorded until `resume`."""
        if self._switch != "recording":
            return
        self._switch = "paused"
        if self.state == "recording":
            self._set("paused")
        if self.state in ("paused", "failed"):
            self._tasks.append(asyncio.create_task(self._sink.finish()))

    def resume(self) -> None:
        if self._switch == "paused":
            self._switch = "recording"
        if self.state == "paused":
            self._enter_recording()

    async def stop(self, reason: str = "stopped") -> None:
        """Finish the open segment and release everything; idempotent."""
        if self.state == "stopped":
            return
        self.state = "stopped"  # the frame tap's packets are dropped from here on
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._sink.finish()
        self._set("stopped", reason)

    def _enter_recording(self) -> None:
        self._watch_since = time.monotonic()
        self._announce_segment = True
        self._set("recording")
        self._ask_keyframe()

    def _set(
        self, state: RecordingState, reason: str | None = None, segment: Path | None = None,
        detail: str | None = None,
    ) -> None:
        self.state, self.reason = state, reason
        info = self.participant
        event = RecordingEvent(
            info.hearing_id, info.participant_id, state, reason, time.time(),
            str(segment) if segment else None, detail,
        )
        try:
            self._on_event(event)
        except Exception:  # a listener's bug must not stop the recording
            logger.exception("on_recording_event callback failed")

    def _reject_codec(self, mime_type: str) -> None:
        if not self._codec_rejected:
            self._codec_rejected = True
            self._loop.call_soon(self._fail, "unexpected_codec", mime_type)

    def _media_resumed(self) -> None:
        if self.state == "failed" and self.reason == "media_timeout" and (
                self._switch == "recording"):
            self._set("recording", "media_resumed")

    async def _watch(self) -> None:
        while True:
            due = time.monotonic() + _WATCH_INTERVAL
            await asyncio.sleep(_WATCH_INTERVAL)
            if time.monotonic() - due > min(_STALL_SECONDS, self.media_timeout / 2):
                self._watch_since = time.monotonic()
                logger.info("recording of %s: the process stood still %.1f s; its media is "
                            "judged from now", self.participant.participant_id,
                            time.monotonic() - due)
                continue
            if self.state == "failed" and self.reason == "writer_error" and self._sink.retry_due:
                if time.monotonic() - self._last_keyframe_request > 1.0:
                    self._ask_keyframe()  # the retried segment opens at a keyframe
                continue
            if self.state != "recording":
                continue
            now = time.monotonic()
            silent = [
                kind for kind, clock in self._clocks.items()
                if now - max(clock.last_arrival, self._watch_since) > self.media_timeout
                and kind not in self._excused
            ]
            if silent:
                self._fail("media_timeout", ",".join(sorted(silent)))
                continue
            self._maybe_rotate()

    def _maybe_rotate(self) -> None:
        current = self._series.current
        since_request = time.monotonic() - self._last_keyframe_request
        if current is None or self._series.rotation_pending:
            if "video" in self.specs and since_request > 1.0:
                self._ask_keyframe()
        elif time.time() - current.start_wall >= self.segment_seconds:
            self._series.request_rotation()
            self._ask_keyframe()

    def _ask_keyframe(self) -> None:
        self._last_keyframe_request = time.monotonic()
        if self._request_keyframe is not None and "video" in self.specs:
            task = asyncio.create_task(self._request_keyframe())
            task.add_done_callback(_log_failure)

    def connection_lost(self, detail: str | None = None) -> None:
        """The server's peer for this participant failed (aioice's consent expired) or was
        closed under it: failed with that reason, its open segment closed now. The page
        connects again with a new offer, which gets a new recorder (and segment)."""
        if self.state == "stopped" or self._switch == "standby":
            return  # before the hearing starts nothing is recorded: nothing is missing
        self._fail("connection_lost", detail)
        if self.state == "failed" and self.reason == "connection_lost":
            self._tasks.append(asyncio.create_task(self._sink.finish()))

    def _fail(self, reason: str, detail: str | None = None) -> None:
        # The media timeout usually fires before aioice gives up on the connection: the
        # lost connection is the better reason, and the judge is told the new one.
        better = (reason == "connection_lost" and self.state == "failed"
                  and self.reason == "media_timeout")
        if self.state not in ("failed", "stopped") or better:
            if reason == "writer_error":
                logger.error("recording of %s failed: %s", self.participant.participant_id, detail)
            self._set("failed", reason, detail=detail)

    def _segment_opened(self, path: Path) -> None:
        if self.state == "failed" and self.reason == "writer_error" and (
                self._switch == "recording"):
            self._announce_segment = False
            self._set("recording", "writer_recovered", path)
        elif self.state == "recording" and self._announce_segment:
            self._announce_segment = False
            self._set("recording", None, path)


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        logger.warning("keyframe request failed: %s", task.exception())
