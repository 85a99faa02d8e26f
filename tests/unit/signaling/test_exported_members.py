"""The surface web/ wires against: change it on purpose, not by accident."""

from __future__ import annotations

import inspect

import signaling


def test_public_surface() -> None:
    assert sorted(signaling.__all__) == sorted([
        "NAMESPACE", "SESSION_COOKIE", "TABLE", "Level", "MediaAnswer", "MediaCandidate",
        "MediaHangup",
        "RoomServices", "ServicesSource", "Signaling", "SignalingConfig", "SignalingError", "Standing",
        "Thresholds", "classify", "create_signaling", "tune_collector"])
    params = inspect.signature(signaling.create_signaling).parameters
    assert list(params) == ["config", "services", "media_answer", "media_candidate", "media_hangup"]
    assert {"attach", "start", "close", "publish"} <= set(dir(signaling.Signaling))
