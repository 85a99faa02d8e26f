"""Fixtures for media integration tests: a generated VP8/Opus file and a loopback sender."""

from __future__ import annotations

import subprocess
from pathlib import Path

import imageio_ffmpeg
import pytest

from tests.integration.media.streams import make_source


@pytest.fixture(scope="session")
def source_webm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """20 s of 640×360 testsrc VP8 (keyframe every second) and a 440 Hz Opus sine."""
    return make_source(tmp_path_factory.mktemp("media-src") / "source.webm", seconds=20)


@pytest.fixture(scope="session")
def ffprobe_ok() -> str:
    exe = imageio_ffmpeg.get_ffmpeg_exe()
    subprocess.run([exe, "-version"], check=True, capture_output=True)
    return exe
