"""Documents signed while recording (media/marks.py): each signature's moment goes into the
sidecars of the segments recording then, the manifest, the composite (a caption) and the
evidence package's verification, which names a signature moved outside its signer's
recorded track."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import av
import pytest

from media.composer import compose_hearing
from media.evidence import build_package_sync, verify_package
from media.manifest import Manifest
from media.marks import MARKS, offsets_at, record_mark
from media.participant import ParticipantInfo
from tests.integration.media.streams import remux_as_segments
from tests.integration.media.test_media_evidence import hmac_sign, hmac_verify

START = 1_790_000_000.0
SIGNED_AT = START + 5.5


def _mark(signer: str, field: str, track: str, at: float, sha: str) -> dict[str, object]:
    return {"kind": "interrogation_record", "title": "讯问笔录", "document_id": "doc1",
            "sha256": sha, "field": field, "signer": signer, "participant_id": track,
            "track": track, "at": at,
            "captured_at": "2026-09-21T10:00:00+00:00" if track == "nobody" else
            _iso(at - 2)}


def _iso(epoch: float) -> str:
    import datetime as dt

    return dt.datetime.fromtimestamp(epoch, dt.UTC).isoformat()


@pytest.fixture
def hearing(tmp_path: Path, source_webm: Path) -> Path:
    archive = tmp_path / "archive"
    remux_as_segments(source_webm, archive, ParticipantInfo("h1", "detainee"),
                      start_wall=START, seconds=9, segment_seconds=4)
    remux_as_segments(source_webm, archive, ParticipantInfo("h1", "clerk"),
                      start_wall=START + 0.5, seconds=9, segment_seconds=4)
    return archive / "h1"


def _files(hearing: Path) -> list[Path]:
    return [p for p in sorted(hearing.rglob("*")) if p.is_file()]


def _pixels(composite: Path, at: float) -> list[tuple[int, int, int]]:
    """RGB of the caption box's top band (above the text) in the frame shown at `at` s."""
    with av.open(str(composite)) as container:
        stream = container.streams.video[0]
        for frame in container.decode(stream):
            if frame.time is not None and frame.time >= at:
                plane = frame.reformat(format="rgb24").planes[0]
                data, stride = bytes(plane), plane.line_size
                return [tuple(data[y * stride + 3 * x: y * stride + 3 * x + 3])  # type: ignore[misc]
                        for y in range(8, 14) for x in range(10, 150, 7)]
    raise AssertionError(f"no frame at {at} s")


def _yellow(pixels: list[tuple[int, int, int]]) -> bool:
    return all(r > 190 and g > 190 and b < 90 for r, g, b in pixels)


async def test_a_signature_is_in_the_sidecars_the_manifest_the_composite_and_the_package(
        hearing: Path, tmp_path: Path) -> None:
    where = offsets_at(hearing, SIGNED_AT)
    assert where["detainee"]["segment"] == "seg-00002.mkv"
    assert where["clerk"]["track_offset"] == pytest.approx(5.0, abs=0.01)
    record_mark(hearing, _mark("张小某", "party1", "detainee", SIGNED_AT, "ab" * 32))
    record_mark(hearing, _mark("刘记录", "clerk", "clerk", START + 7.0, "cd" * 32))
    result = await compose_hearing(hearing)

    sidecar = json.loads((hearing / "detainee" / "seg-00002.json").read_text())
    mine = [s for s in sidecar["signatures"] if s["track"] == "detainee"]
    assert [(s["signer"], s["field"], s["sha256"]) for s in mine] == [
        ("张小某", "party1", "ab" * 32)]
    assert mine[0]["offset"] == pytest.approx(SIGNED_AT - sidecar["start_wall_clock"], abs=0.01)
    assert mine[0]["track_offset"] == pytest.approx(5.5, abs=0.01)
    # the clerk's camera saw the detainee's signature too, at its own offset
    seen = json.loads((hearing / "clerk" / "seg-00002.json").read_text())["signatures"]
    assert {s["field"] for s in seen} == {"party1", "clerk"}

    # the caption: black on yellow across the top while shown, the camera's frame otherwise
    on_timeline = SIGNED_AT - START
    assert _yellow(_pixels(result.path, on_timeline + 1.0))
    assert not _yellow(_pixels(result.path, on_timeline - 2.0))

    manifest = Manifest.build("h1", hearing, _files(hearing))
    listed = {s["field"]: s for s in manifest.extra["signatures"]}
    assert listed["party1"]["tracks"]["detainee"]["segment"] == "detainee/seg-00002.mkv"
    (hearing / "manifest.json").write_bytes(manifest.to_bytes())

    package = build_package_sync(hearing, tmp_path / "pkg", hearing_id="h1", sign=hmac_sign)
    report = verify_package(package, verify_signature=hmac_verify)
    assert report.ok, report.problems()
    rows = {(r["track"], r["field"]): r for r in report.signatures}
    assert set(rows) == {("detainee", "party1"), ("clerk", "clerk")}
    assert rows[("detainee", "party1")]["offset"] == pytest.approx(mine[0]["offset"])

    # moved outside the recorded stretch (sidecar edited, package sealed again): named
    moved = {**sidecar, "signatures": [{**s, "offset": s["offset"] + 60} if s["field"] == "party1"
                                       and s["track"] == "detainee" else s
                                       for s in sidecar["signatures"]]}
    (hearing / "detainee" / "seg-00002.json").write_text(json.dumps(moved, ensure_ascii=False))
    resealed = build_package_sync(hearing, tmp_path / "pkg2", hearing_id="h1", sign=hmac_sign)
    report = verify_package(resealed, verify_signature=hmac_verify)
    assert not report.ok
    assert any("张小某 (party1)" in p and "outside the recorded stretch" in p
               for p in report.problems()), report.problems()
    assert report.signature == "valid"  # the court's seal holds: the content is what fails


def test_a_signature_made_where_the_signer_was_not_recorded_is_named(
        hearing: Path, tmp_path: Path) -> None:
    record_mark(hearing, _mark("张小某", "party1", "detainee", START + 60, "ef" * 32))
    from media.marks import annotate_sidecars

    annotate_sidecars(hearing)
    copy = tmp_path / "h1"
    shutil.copytree(hearing, copy)
    report = verify_package(build_package_sync(copy, tmp_path / "pkg", hearing_id="h1",
                                               sign=hmac_sign), verify_signature=hmac_verify)
    assert not report.ok
    assert any("张小某 (party1)" in p and "not found in the recording" in p
               for p in report.problems()), report.problems()
    assert (copy / MARKS).is_file()


def test_a_photo_taken_long_before_the_signature_is_named(hearing: Path, tmp_path: Path
                                                          ) -> None:
    record_mark(hearing, {**_mark("张小某", "party1", "detainee", SIGNED_AT, "12" * 32),
                          "captured_at": _iso(SIGNED_AT - 3600)})
    from media.marks import annotate_sidecars

    annotate_sidecars(hearing)
    report = verify_package(build_package_sync(hearing, tmp_path / "pkg", hearing_id="h1",
                                               sign=hmac_sign), verify_signature=hmac_verify)
    assert any("photo was taken" in p for p in report.problems()), report.problems()


async def test_a_signer_whose_track_is_not_recorded_then_is_off_camera(hearing: Path) -> None:
    """What the signing services ask before they keep a signature made during the
    recording (web/bridges/recording.py `on_camera`): the signer's own track must be recorded at
    that moment, else verify would name it; a signer without a track is not refused."""
    from web.bridges.recording import RecordingDriver

    driver = RecordingDriver(archive_dir=hearing.parent)
    inside = _mark("张小某", "party1", "detainee", SIGNED_AT, "ab" * 32)
    assert await driver.on_camera("h1", inside)
    assert not await driver.on_camera("h1", {**inside, "at": START + 60})  # after the end
    assert not await driver.on_camera("h1", {**inside, "at": START - 5})  # before it began
    assert await driver.on_camera("h1", {**inside, "participant_id": "no-camera"})
    # a hole in the detainee's track (its middle segment lost): refused there
    (hearing / "detainee" / "seg-00002.mkv").unlink()
    assert not await driver.on_camera("h1", inside)
    assert await driver.on_camera("h1", {**inside, "participant_id": "clerk"})
