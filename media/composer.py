"""The composer: one archive file per hearing (grid video with name plates, mixed audio).

Runs ffmpeg (imageio-ffmpeg's binary, graph built with ffmpeg-python) at low priority
as a subprocess, so the event loop only waits. Every segment is placed on the hearing's
timeline by its sidecar's wall-clock start: video by `setpts` offsets overlaid onto a
black cell, audio by `adelay`, so gaps (pauses, crashes) stay gaps. An original whose
resolution changes mid-segment is scaled frame by frame into its cell (`-reinit_filter 0`).

ffmpeg writes `composite.mp4.tmp`, renamed into place only when it succeeded: a failed
composition (a full disk) leaves no composite at all — never an empty or cut one — and its
ComposeError says why.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ffmpeg
import imageio_ffmpeg

from media.errors import ComposeError
from media.marks import annotate_sidecars, captions

__all__ = ["COMPOSITE_NAME", "CompositeResult", "SegmentEntry", "compose_hearing", "plan_grid"]

COMPOSITE_NAME = "composite.mp4"
_PARTIAL_SUFFIX = ".tmp"  # the archive lists and manifests skip *.tmp
FONT_CANDIDATES = (
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc"),
)
OUTPUT_SIZE = (1280, 720)
# The composite is the viewing copy (the originals keep every frame): 15 fps spares a
# quarter of ffmpeg's CPU (encoding, overlay and name plates per output frame) against 25.
FPS = 15
# A document signed while recording shows as a caption across the top for this long,
# black on yellow (media/marks.py): the moment of each signature is visible in the archive.
CAPTION_SECONDS = 5.0
CAPTION_BOX = "yellow@0.9"


@dataclass(frozen=True)
class SegmentEntry:
    path: Path
    start: float  # wall clock
    end: float
    kinds: frozenset[str]


@dataclass
class _Participant:
    participant_id: str
    label: str
    segments: list[SegmentEntry] = field(default_factory=list)


@dataclass(frozen=True)
class CompositeResult:
    path: Path
    duration: float  # seconds of hearing timeline
    elapsed: float  # wall seconds ffmpeg took
    participants: int

    @property
    def x_realtime(self) -> float:
        return self.duration / self.elapsed if self.elapsed > 0 else math.inf


def plan_grid(count: int) -> tuple[int, int, int, int]:
    """Columns, rows and even cell width/height for `count` tiles in the output frame."""
    columns = max(1, math.ceil(math.sqrt(count)))
    rows = max(1, math.ceil(count / columns))
    width = OUTPUT_SIZE[0] // columns // 2 * 2
    height = OUTPUT_SIZE[1] // rows // 2 * 2
    return columns, rows, width, height


def _load(hearing_dir: Path) -> list[_Participant]:
    participants: dict[str, _Participant] = {}
    for sidecar_path in sorted(hearing_dir.glob("*/seg-*.json")):
        sidecar = json.loads(sidecar_path.read_text(encoding="utf-8"))
        segment = sidecar_path.with_suffix(".mkv")
        if not segment.exists():
            continue
        pid = sidecar["participant_id"]
        label = " · ".join(x for x in (sidecar.get("display_name"),
                                           sidecar.get("role_label") or sidecar.get("role")) if x)
        who = participants.setdefault(pid, _Participant(pid, label or pid))
        kinds = frozenset(s["kind"] for s in sidecar["streams"] if s["packets"])
        start = float(sidecar["start_wall_clock"])
        end = max(float(sidecar["end_wall_clock"]), start)
        if kinds:
            who.segments.append(SegmentEntry(segment, start, end, kinds))
    return [p for p in participants.values() if p.segments]


def font_file() -> Path | None:
    return next((f for f in FONT_CANDIDATES if f.exists()), None)


def _cell(person: _Participant, origin: float, duration: float, size: tuple[int, int],
          label: Path | None) -> tuple[Any, list[Any]]:
    """One participant's tile (segments overlaid at their offsets) and audio inputs."""
    width, height = size
    cell = ffmpeg.input(f"color=c=black:s={width}x{height}:r={FPS}:d={duration:.3f}", f="lavfi")
    cell, audios = cell.video, []
    for segment in person.segments:
        # An original changes size mid-segment (Chromium lowers its resolution under CPU or
        # bandwidth pressure). By default ffmpeg then rebuilds the whole filter graph, and
        # the cell stayed black from the first change to the end; with reinit off, scale
        # takes each new size in place (aspect kept, padded) and the tile stays filled.
        source = ffmpeg.input(str(segment.path), reinit_filter=0)
        offset = segment.start - origin
        if "video" in segment.kinds:
            video = (
                source.video
                .filter("fps", FPS)  # first: scale, pad and overlay see only what is kept
                .filter("scale", width, height, force_original_aspect_ratio="decrease")
                .filter("pad", width, height, "(ow-iw)/2", "(oh-ih)/2")
                .filter("setpts", f"PTS-STARTPTS+{offset:.3f}/TB")
            )
            cell = ffmpeg.overlay(cell, video, eof_action="pass")
        if "audio" in segment.kinds:
            # aresample fills holes inside a segment; adelay places it on the timeline.
            audios.append(
                source.audio.filter("aresample", **{"async": 1, "first_pts": 0})
                .filter("adelay", delays=str(round(offset * 1000)), all=1)
            )
    font = font_file()
    if font is not None and label is not None:
        label.write_text(person.label, encoding="utf-8")
        cell = cell.drawtext(
            fontfile=str(font), textfile=str(label), fontsize=max(14, height // 16),
            fontcolor="white", box=1, boxcolor="black@0.55", boxborderw=6, x=10, y="h-th-14",
        )
    return cell, audios


def _captions(video: Any, hearing_dir: Path, origin: float, work: Path) -> Any:
    """A caption at each signature's moment on the composite's timeline."""
    font = font_file()
    if font is None:
        return video
    for number, (at, text) in enumerate(captions(hearing_dir)):
        start = at - origin
        caption = work / f"caption-{number}.txt"
        caption.write_text(text, encoding="utf-8")
        video = video.drawtext(
            fontfile=str(font), textfile=str(caption), fontsize=28, fontcolor="black",
            box=1, boxcolor=CAPTION_BOX, boxborderw=10, x=16, y=16,
            enable=f"between(t,{start:.3f},{start + CAPTION_SECONDS:.3f})")
    return video


def build_command(hearing_dir: Path, output: Path, work: Path) -> tuple[list[str], float]:
    """The ffmpeg argument list and the timeline duration (seconds)."""
    people = _load(hearing_dir)
    if not people:
        raise ComposeError(f"no recorded segments under {hearing_dir}")
    origin = min(s.start for p in people for s in p.segments)
    duration = max(max(s.end for p in people for s in p.segments) - origin, 1.0)
    columns, _rows, cell_w, cell_h = plan_grid(len(people))
    cells, audios = [], []
    for number, person in enumerate(people):
        label = work / f"label-{number}.txt"
        cell, sounds = _cell(person, origin, duration, (cell_w, cell_h), label)
        cells.append(cell)
        audios += sounds
    layout = [f"{(i % columns) * cell_w}_{(i // columns) * cell_h}" for i in range(len(cells))]
    grid = cells[0] if len(cells) == 1 else ffmpeg.filter(
        cells, "xstack", inputs=len(cells), fill="black", layout="|".join(layout)
    )
    grid = _captions(grid, hearing_dir, origin, work)
    streams: list[Any] = [grid]
    if audios:
        mixed = audios[0] if len(audios) == 1 else ffmpeg.filter(
            audios, "amix", inputs=len(audios), duration="longest", normalize=0
        )
        # Bounded padding: an unbounded apad once kept ffmpeg spinning after the video ended.
        streams.append(mixed.filter("apad", whole_dur=f"{duration:.3f}"))
    out = ffmpeg.output(
        *streams, str(output), format="mp4", t=f"{duration:.3f}", vcodec="libx264",
        preset="ultrafast",
        tune="zerolatency", crf=30, pix_fmt="yuv420p", acodec="aac", audio_bitrate="96k",
        movflags="+faststart",
    )
    out = out.global_args("-hide_banner", "-loglevel", "error", "-nostdin")
    args = ffmpeg.compile(out, cmd=imageio_ffmpeg.get_ffmpeg_exe(), overwrite_output=True)
    return list(args), duration


async def compose_hearing(
    hearing_dir: Path, output: Path | None = None, *, niceness: int = 10,
    min_speed: float = 0.25,
) -> CompositeResult:
    """Compose `<hearing>/composite.mp4` (H.264/AAC, plays in browsers with HTTP Range).

    ffmpeg is killed (ComposeError) if it runs slower than `min_speed` × real time. On any
    failure no composite is left behind (an earlier one too is gone: it is being redone).
    """
    output = output or hearing_dir / COMPOSITE_NAME
    partial = output.with_name(output.name + _PARTIAL_SUFFIX)
    try:
        result = await _compose(hearing_dir, output, partial, niceness, min_speed)
    except BaseException:
        await asyncio.to_thread(_discard, output, partial)
        raise
    return result


async def _compose(hearing_dir: Path, output: Path, partial: Path, niceness: int,
                   min_speed: float) -> CompositeResult:
    with tempfile.TemporaryDirectory(prefix="compose-") as work:
        await asyncio.to_thread(annotate_sidecars, hearing_dir)  # the recorders have stopped
        args, duration = await asyncio.to_thread(build_command, hearing_dir, partial, Path(work))
        nice = shutil.which("nice")
        if nice and niceness:
            args = [nice, "-n", str(niceness), *args]
        started = time.monotonic()
        process = await asyncio.create_subprocess_exec(
            *args, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
        )
        limit = 30 + duration / min_speed
        try:
            _, stderr = await asyncio.wait_for(process.communicate(), limit)
        except TimeoutError:
            process.kill()
            await process.wait()
            raise ComposeError(f"ffmpeg took more than {limit:.0f} s; killed") from None
        finally:
            if process.returncode is None:  # cancelled: ffmpeg must not outlive the request
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()
        elapsed = time.monotonic() - started
    if process.returncode != 0:
        tail = stderr.decode(errors="replace")[-800:]
        raise ComposeError(f"{_why(tail)}ffmpeg exited {process.returncode}: {tail}")
    await asyncio.to_thread(partial.replace, output)
    return CompositeResult(output, duration, elapsed, len(_load(hearing_dir)))


def _why(stderr: str) -> str:
    """The cause an operator acts on, ahead of ffmpeg's own words."""
    if "No space left on device" in stderr or "Disk quota exceeded" in stderr:
        return "no space left for the composite: "
    return ""


def _discard(*paths: Path) -> None:
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
