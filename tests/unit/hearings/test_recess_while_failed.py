"""A recess pauses the recording even while it is failed (issue 13.2): one participant's
failure must not leave everyone else recorded through 休庭."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hearings.domain.hearing import Hearing, HearingKind
from hearings.domain.states import HearingState, RecordingState


def failed_in_session() -> Hearing:
    hearing = Hearing(case_id="c", kind=HearingKind.TRIAL, title="庭审",
                      scheduled_at=datetime(2026, 12, 1, 9, tzinfo=UTC))
    hearing.apply("open_doors")
    hearing.apply("start")
    hearing.apply_recording("fail")
    return hearing


@pytest.mark.parametrize("action", ["pause", "suspend"])
def test_a_recess_pauses_a_failed_recording(action: str) -> None:
    hearing = failed_in_session()
    hearing.apply(action, reason="网络故障" if action == "suspend" else None)
    assert hearing.recording_state is RecordingState.PAUSED
    hearing.apply("resume")
    assert hearing.state is HearingState.IN_SESSION
    # Recording again; the recorder says whether someone is still failing.
    assert hearing.recording_state is RecordingState.RECORDING


def test_the_judge_may_pause_a_failed_recording() -> None:
    hearing = failed_in_session()
    assert hearing.apply_recording("pause") is RecordingState.PAUSED
