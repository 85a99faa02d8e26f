"""Connection quality from WebRTC stats: loss < 10 % Good, 10–15 % Poor, ≥ 15 % Bad."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

__all__ = ["Level", "Quality", "Thresholds", "classify"]


class Level(StrEnum):
    GOOD = "good"
    POOR = "poor"
    BAD = "bad"


@dataclass(frozen=True)
class Thresholds:
    poor_loss_pct: float = 10.0
    bad_loss_pct: float = 15.0


def classify(loss_pct: float, thresholds: Thresholds = Thresholds()) -> Level:
    # Loss alone decides: it is what makes speech unintelligible on a clinic's
    # uplink; RTT and bitrate are shown to the judge for context only.
    if loss_pct >= thresholds.bad_loss_pct:
        return Level.BAD
    if loss_pct >= thresholds.poor_loss_pct:
        return Level.POOR
    return Level.GOOD


@dataclass(frozen=True)
class Quality:
    level: Level
    loss_pct: float
    rtt_ms: float
    bitrate_kbps: float
    at: float  # UNIX time of the heartbeat

    def to_json(self) -> dict[str, Any]:
        return {"level": self.level.value, "loss_pct": self.loss_pct, "rtt_ms": self.rtt_ms,
                "bitrate_kbps": self.bitrate_kbps, "at": self.at}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Quality:
        return cls(Level(data["level"]), float(data["loss_pct"]), float(data["rtt_ms"]),
                   float(data["bitrate_kbps"]), float(data["at"]))
