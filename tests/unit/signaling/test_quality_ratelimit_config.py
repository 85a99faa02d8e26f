from __future__ import annotations

import pytest

from signaling import SignalingConfig
from signaling.errors import ConfigError
from signaling.quality import Level, Thresholds, classify
from signaling.ratelimit import TokenBucket


@pytest.mark.parametrize(("loss", "level"), [
    (0, Level.GOOD), (9.99, Level.GOOD), (10, Level.POOR), (14.99, Level.POOR),
    (15, Level.BAD), (100, Level.BAD)])
def test_loss_thresholds(loss: float, level: Level) -> None:
    assert classify(loss) is level


def test_thresholds_come_from_settings() -> None:
    assert classify(6, Thresholds(poor_loss_pct=5, bad_loss_pct=8)) is Level.POOR


def test_bucket_allows_burst_then_rate() -> None:
    now = [0.0]
    bucket = TokenBucket(2, 3, clock=lambda: now[0])
    assert [bucket.take() for _ in range(4)] == [True, True, True, False]
    now[0] += 0.5
    assert bucket.take() and not bucket.take()


@pytest.mark.parametrize("origins", [(), ("*",), ("example.org",)])
def test_origins_never_wildcard(origins: tuple[str, ...]) -> None:
    with pytest.raises(ConfigError, match="never '\\*'"):
        SignalingConfig(allowed_origins=origins)


def test_sdp_limit_within_message_limit() -> None:
    with pytest.raises(ConfigError, match="max_sdp_bytes"):
        SignalingConfig(allowed_origins=("https://court.example",), max_message_bytes=10,
                        max_sdp_bytes=20)
