"""Handwritten signature captures as a browser ``signature_pad`` sends them, validated."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from .config import CaptureLimits
from .errors import InvalidSignatureCapture
from .printable import printable

_KEYS = ("strokes", "pad", "device", "site", "signed_at", "snapshot_jpeg_b64")
_POINT_KEYS = ("x", "y", "time", "pressure")


@dataclass(frozen=True)
class StrokePoint:
    x: float
    y: float
    time: float  # ms since epoch, as signature_pad reports
    pressure: float


@dataclass(frozen=True)
class SignatureCapture:
    strokes: tuple[tuple[StrokePoint, ...], ...]
    pad_width: int
    pad_height: int
    device: str
    site: str
    signed_at: dt.datetime
    snapshot_jpeg: bytes

    def to_json(self) -> dict[str, Any]:
        return {
            "strokes": [
                [{"x": p.x, "y": p.y, "time": p.time, "pressure": p.pressure} for p in s]
                for s in self.strokes
            ],
            "pad": {"width": self.pad_width, "height": self.pad_height},
            "device": self.device,
            "site": self.site,
            "signed_at": self.signed_at.isoformat(),
            "snapshot_jpeg_b64": base64.b64encode(self.snapshot_jpeg).decode("ascii"),
        }


def _fail(message: str) -> InvalidSignatureCapture:
    return InvalidSignatureCapture(message)


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _fail(f"{where} must be a finite number (got {value!r})")
    return float(value)


def _text(data: dict[str, Any], key: str) -> str:
    value = data[key]
    if not isinstance(value, str) or not value.strip() or len(value) > 200:
        raise _fail(f"'{key}' must be a non-empty string of at most 200 characters")
    if printable(value) != value:
        raise _fail(f"'{key}' must not contain control or bidi characters or lone surrogates")
    return value


def _pad(value: Any, limits: CaptureLimits) -> tuple[int, int]:
    if not isinstance(value, dict) or set(value) != {"width", "height"}:
        raise _fail("'pad' must be an object with 'width' and 'height'")
    size = []
    for key in ("width", "height"):
        n = value[key]
        if isinstance(n, bool) or not isinstance(n, int) or not 0 < n <= limits.max_pad_size:
            raise _fail(f"'pad.{key}' must be an integer in 1..{limits.max_pad_size} (got {n!r})")
        size.append(n)
    return size[0], size[1]


def _point(raw: Any, where: str, width: int, height: int) -> StrokePoint:
    if not isinstance(raw, dict) or set(raw) != set(_POINT_KEYS):
        raise _fail(f"{where} must be an object with keys {list(_POINT_KEYS)}")
    x, y = _number(raw["x"], f"{where}.x"), _number(raw["y"], f"{where}.y")
    time, pressure = (
        _number(raw["time"], f"{where}.time"),
        _number(raw["pressure"], f"{where}.pressure"),
    )
    if not (0 <= x <= width and 0 <= y <= height):
        raise _fail(f"{where} ({x:g}, {y:g}) lies outside the {width}x{height} pad")
    if not 0 <= pressure <= 1:
        raise _fail(f"{where}.pressure must be in 0..1 (got {pressure:g})")
    return StrokePoint(x, y, time, pressure)


def _strokes(value: Any, width: int, height: int, limits: CaptureLimits) -> tuple:
    if not isinstance(value, list) or not value:
        raise _fail("'strokes' must be a non-empty list")
    if len(value) > limits.max_strokes:
        raise _fail(f"too many strokes: {len(value)} > {limits.max_strokes}")
    total, strokes = 0, []
    for i, raw in enumerate(value):
        if not isinstance(raw, list) or not raw:
            raise _fail(f"stroke {i} must be a non-empty list of points")
        total += len(raw)
        if total > limits.max_points:
            raise _fail(f"too many points: more than {limits.max_points}")
        points = tuple(_point(p, f"stroke {i} point {j}", width, height) for j, p in enumerate(raw))
        for j in range(1, len(points)):
            if points[j].time < points[j - 1].time:
                raise _fail(f"stroke {i} point {j}: time goes backwards")
        strokes.append(points)
    return tuple(strokes)


def _snapshot(value: Any, limits: CaptureLimits) -> bytes:
    if not isinstance(value, str):
        raise _fail("'snapshot_jpeg_b64' must be a base64 string")
    if len(value) > (limits.max_snapshot_bytes * 4) // 3 + 4:
        raise _fail(f"snapshot larger than {limits.max_snapshot_bytes} bytes")
    try:
        data = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise _fail("'snapshot_jpeg_b64' is not valid base64") from None
    if len(data) > limits.max_snapshot_bytes:
        raise _fail(f"snapshot larger than {limits.max_snapshot_bytes} bytes")
    if not data.startswith(b"\xff\xd8\xff"):
        raise _fail("snapshot is not a JPEG image")
    return data


def _signed_at(value: Any) -> dt.datetime:
    try:
        when = dt.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise _fail(f"'signed_at' must be an ISO 8601 time (got {value!r})") from None
    if when.tzinfo is None:
        raise _fail("'signed_at' must include a UTC offset")
    return when


def parse_capture(data: Any, limits: CaptureLimits | None = None) -> SignatureCapture:
    limits = limits or CaptureLimits()
    if not isinstance(data, dict):
        raise _fail(f"capture must be a JSON object (got {type(data).__name__})")
    missing = [k for k in _KEYS if k not in data]
    if missing:
        raise _fail(f"missing field(s): {missing}")
    unknown = sorted(set(data) - set(_KEYS))
    if unknown:
        raise _fail(f"unknown field(s): {unknown}")
    width, height = _pad(data["pad"], limits)
    return SignatureCapture(
        strokes=_strokes(data["strokes"], width, height, limits),
        pad_width=width,
        pad_height=height,
        device=_text(data, "device"),
        site=_text(data, "site"),
        signed_at=_signed_at(data["signed_at"]),
        snapshot_jpeg=_snapshot(data["snapshot_jpeg_b64"], limits),
    )
