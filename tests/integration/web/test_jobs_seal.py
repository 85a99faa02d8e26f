"""The seal is a job that may run again (issue 15.7): what a killed run left is not listed, and
an archive already sealed is never rewritten — a retry only timestamps a manifest whose token
is missing. Real ffmpeg and the development TSA; no Redis needed."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

from docforge.forge import DocumentForge
from media.composer import COMPOSITE_NAME
from media.evidence import verify_package
from media.participant import ParticipantInfo
from tests.integration.media.streams import remux_as_segments
from web.app.wiring import docforge_config
from web.bridges.recording import HEARING_MANIFEST, HEARING_TOKEN, RecordingDriver
from web.settings import Settings


def _archive(tmp_path: Path, source: Path) -> Path:
    info = ParticipantInfo("h1", "p1", role="judge", display_name="审判长")
    remux_as_segments(source, tmp_path / "archive", info, start_wall=time.time() - 30,
                      seconds=4, segment_seconds=2)
    return tmp_path / "archive"


async def test_a_killed_runs_partials_are_gone_and_a_sealed_archive_is_only_restated(
        tmp_path: Path, source_webm: Path) -> None:
    archive = _archive(tmp_path, source_webm)
    hearing = archive / "h1"
    forge = DocumentForge(docforge_config(Settings(data_dir=tmp_path / "data")))
    driver = RecordingDriver(archive, timestamp=forge.atimestamp_digest)
    # What a run killed mid-way leaves: ffmpeg's partial composite, half a manifest.
    (hearing / (COMPOSITE_NAME + ".tmp")).write_bytes(b"\0" * 1000)
    (hearing / (HEARING_MANIFEST + ".tmp")).write_bytes(b'{"half":')

    await driver._finish("h1")  # what the recording.seal job runs

    assert sorted(p.name for p in hearing.iterdir() if p.name.endswith(".tmp")) == []
    manifest = (hearing / HEARING_MANIFEST).read_bytes()
    listed = [f["path"] for f in json.loads(manifest)["files"]]
    assert listed.count(COMPOSITE_NAME) == 1 and not any(p.endswith(".tmp") for p in listed)
    report = verify_package(hearing)
    assert not (report.altered or report.missing or report.unexpected), report.problems()
    assert report.timestamp == "imprint_ok"

    # A retry after the manifest was written but before its token: the same manifest, a
    # token for it; the composite is not made again.
    composite = (hearing / COMPOSITE_NAME).stat()
    (hearing / HEARING_TOKEN).unlink()
    await driver._finish("h1")
    assert (hearing / HEARING_MANIFEST).read_bytes() == manifest
    assert (hearing / COMPOSITE_NAME).stat().st_mtime_ns == composite.st_mtime_ns
    token = (hearing / HEARING_TOKEN).read_bytes()
    assert await forge.averify_timestamp(token, hashlib.sha256(manifest).digest())
    assert verify_package(hearing).timestamp == "imprint_ok"
