"""Signature-pad payloads: garbage is rejected with exact messages."""

from __future__ import annotations

import base64
import contextlib
import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from docforge.capture import parse_capture
from docforge.config import CaptureLimits
from docforge.errors import InvalidSignatureCapture
from tests.unit.docforge.conftest import capture_json


def _with(change: dict[str, Any]) -> dict[str, Any]:
    data = copy.deepcopy(capture_json())
    data.update(change)
    return data


def _point(**kw: Any) -> dict[str, Any]:
    return {"x": 1, "y": 1, "time": 1, "pressure": 0.5, **kw}


def test_valid_capture_round_trips() -> None:
    capture = parse_capture(capture_json())
    assert len(capture.strokes) == 3 and capture.pad_width == 400
    assert parse_capture(capture.to_json()) == capture


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "capture must be a JSON object (got list)"),
        ({"strokes": []}, "missing field(s): ['pad', 'device', 'site', 'signed_at', 'snapshot_jpeg_b64']"),
        (_with({"extra": 1}), "unknown field(s): ['extra']"),
        (_with({"strokes": []}), "'strokes' must be a non-empty list"),
        (_with({"strokes": [[]]}), "stroke 0 must be a non-empty list of points"),
        (_with({"strokes": [[{"x": 1}]]}), "stroke 0 point 0 must be an object with keys ['x', 'y', 'time', 'pressure']"),
        (_with({"strokes": [[_point(x=401)]]}), "stroke 0 point 0 (401, 1) lies outside the 400x160 pad"),
        (_with({"strokes": [[_point(y=-1)]]}), "stroke 0 point 0 (1, -1) lies outside the 400x160 pad"),
        (_with({"strokes": [[_point(pressure=1.5)]]}), "stroke 0 point 0.pressure must be in 0..1 (got 1.5)"),
        (_with({"strokes": [[_point(x="1")]]}), "stroke 0 point 0.x must be a finite number (got '1')"),
        (_with({"strokes": [[_point(x=float("nan"))]]}), "stroke 0 point 0.x must be a finite number (got nan)"),
        (_with({"strokes": [[_point(time=5), _point(time=4)]]}), "stroke 0 point 1: time goes backwards"),
        (_with({"pad": {"width": 0, "height": 10}}), "'pad.width' must be an integer in 1..4096 (got 0)"),
        (_with({"pad": [1, 2]}), "'pad' must be an object with 'width' and 'height'"),
        (_with({"device": ""}), "'device' must be a non-empty string of at most 200 characters"),
        (_with({"signed_at": "yesterday"}), "'signed_at' must be an ISO 8601 time (got 'yesterday')"),
        (_with({"signed_at": "2026-11-22T10:00:00"}), "'signed_at' must include a UTC offset"),
        (_with({"snapshot_jpeg_b64": "***"}), "'snapshot_jpeg_b64' is not valid base64"),
        (_with({"snapshot_jpeg_b64": base64.b64encode(b"GIF89a").decode()}), "snapshot is not a JPEG image"),
    ],
)
def test_rejected_with_exact_message(data: Any, message: str) -> None:
    with pytest.raises(InvalidSignatureCapture) as err:
        parse_capture(data)
    assert str(err.value) == message


def test_limits() -> None:
    limits = CaptureLimits(max_strokes=2, max_points=50, max_snapshot_bytes=100)
    with pytest.raises(InvalidSignatureCapture, match=r"^too many strokes: 3 > 2$"):
        parse_capture(capture_json(), limits)
    many = _with({"strokes": [[_point(time=i) for i in range(51)]]})
    with pytest.raises(InvalidSignatureCapture, match=r"^too many points: more than 50$"):
        parse_capture(many, limits)
    with pytest.raises(InvalidSignatureCapture, match=r"^snapshot larger than 100 bytes$"):
        parse_capture(_with({"strokes": [[_point()]]}), limits)


def test_limits_validate_themselves() -> None:
    with pytest.raises(ValueError, match=r"^'max_points' must be positive \(got 0\)$"):
        CaptureLimits(max_points=0)


json_values = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(json_values)
def test_arbitrary_json_is_rejected_cleanly(value: Any) -> None:
    with pytest.raises(InvalidSignatureCapture):
        parse_capture(value)


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(["strokes", "pad", "device", "site", "signed_at", "snapshot_jpeg_b64"]), json_values)
def test_any_field_replaced_by_garbage_never_crashes(key: str, value: Any) -> None:
    with contextlib.suppress(InvalidSignatureCapture):
        parse_capture(_with({key: value}))


@pytest.mark.parametrize("text", ["洛碛镇\u202e法官e站", "kiosk\udfff", "kiosk\x1b[2J"])
@pytest.mark.parametrize("key", ["site", "device"])
def test_texts_with_bidi_or_control_characters_are_refused(key: str, text: str) -> None:
    data = capture_json()
    data[key] = text
    with pytest.raises(InvalidSignatureCapture, match=f"^'{key}' must not contain"):
        parse_capture(data, CaptureLimits())
