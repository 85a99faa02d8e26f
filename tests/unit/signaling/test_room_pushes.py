"""The mediation's, the confirmation's and the transcript's events: their JSON envelope,
and the socket event each becomes (signaling/follow.py `push_of`) — names, payloads and
audiences as the room and the court's consoles have always had them (docs/protocol.md)."""

from __future__ import annotations

import json

import pytest

from hearings.domain.events import (
    ApplicationQueued,
    ApplicationTaken,
    ApplicationWithdrawn,
    DocumentDelivered,
    Event,
    HearingChanged,
    MediationChanged,
    PleaChanged,
    TranscriptChanged,
    envelope,
    from_envelope,
)
from hearings.domain.states import HearingState, RecordingState
from signaling.follow import PUSHED, Push, push_of

VIEW = {"hearing_id": "h1", "case_number": "（2026）渝0116民初1号", "state": "signing",
        "signing": {"order": [{"field": "party1", "signed": False}], "next": "party1"}}
ENTRY = {"id": "a1", "case_number": "（2026）渝0116民特1号", "mediation_hearing_id": "h1",
         "parties": ["张三", "李四"], "applied_at": "2026-12-02T10:00:00+00:00",
         "state": "queued", "taken_by": None}
REOPENED = {**VIEW, "state": "drafting", "signing": None, "reopened": {
    "by": "张小某", "reason": "第二个回答不对", "refused": False, "at": "2026-12-03T08:00:00+00:00"}}
REFUSED = {**REOPENED, "reopened": {**REOPENED["reopened"], "refused": True}}  # type: ignore[dict-item]
PLEA = {"hearing_id": "h1", "kind": "plea_statement", "state": "signing", "charges": "盗窃罪",
        "signing": {"order": [{"field": "party1", "signed": False}], "next": "party1"}}
RULING = DocumentDelivered("h1", "d1", "confirmation_ruling", "民事裁定书",
                           "/api/documents/d1/pdf", decision="confirmed")
TRANSCRIPT = DocumentDelivered("h1", "d2", "hearing_record", "庭审笔录", "/api/documents/d2/pdf")

CASES: list[tuple[Event, Push]] = [
    (MediationChanged("h1", "mediation.signed", VIEW),
     Push("mediation.state", VIEW, hearing_id="h1")),
    (TranscriptChanged("h1", "record.saved", VIEW),
     Push("record.updated", VIEW, hearing_id="h1")),
    (TranscriptChanged("h1", "record.frozen", VIEW),
     Push("record.signing", VIEW, hearing_id="h1")),
    (TranscriptChanged("h1", "record.signed", VIEW),
     Push("record.signing", VIEW, hearing_id="h1")),
    # sent back by a signer, and the new version sent after it: told by their own names
    (TranscriptChanged("h1", "record.correction_requested", REOPENED),
     Push("record.correction_requested", REOPENED, hearing_id="h1")),
    (TranscriptChanged("h1", "record.refused", REFUSED),
     Push("record.refused", REFUSED, hearing_id="h1")),
    (TranscriptChanged("h1", "record.revised", VIEW),
     Push("record.revised", VIEW, hearing_id="h1")),
    # the plea statement: out for signature (drafted, each signature) or refused
    (PleaChanged("h1", "plea.drafted", PLEA), Push("plea.signing", PLEA, hearing_id="h1")),
    (PleaChanged("h1", "plea.signed", PLEA), Push("plea.signing", PLEA, hearing_id="h1")),
    (PleaChanged("h1", "plea.refused", PLEA), Push("plea.refused", PLEA, hearing_id="h1")),
    (RULING, Push("document.delivered", {
        "document_id": "d1", "kind": "confirmation_ruling", "title": "民事裁定书",
        "url": "/api/documents/d1/pdf", "hearing_id": "h1", "decision": "confirmed"},
        hearing_id="h1")),
    (TRANSCRIPT, Push("document.delivered", {  # no "decision" key: a transcript is not a ruling
        "document_id": "d2", "kind": "hearing_record", "title": "庭审笔录",
        "url": "/api/documents/d2/pdf", "hearing_id": "h1"}, hearing_id="h1")),
    (ApplicationQueued("h1", "c1", "a1", ENTRY),
     Push("duty.application", ENTRY, court_id="c1")),
    (ApplicationTaken("h1", "c1", "a1", "u7"),
     Push("duty.taken", {"id": "a1", "by": "u7"}, court_id="c1")),
    (ApplicationWithdrawn("h1", "c1", "a1"),
     Push("duty.withdrawn", {"id": "a1"}, court_id="c1")),
]


@pytest.mark.parametrize(("event", "push"), CASES, ids=[f"{e.event_type}-{p.name}" for e, p in CASES])
def test_each_event_crosses_as_json_and_becomes_the_push_it_always_was(
        event: Event, push: Push) -> None:
    message = json.loads(json.dumps(envelope(event), ensure_ascii=False))
    assert message["v"] == 1 and message["type"] == event.event_type
    back = from_envelope(message)
    assert back == event
    assert push_of(back) == push


def test_every_pushed_kind_is_covered_and_the_hearing_is_not_pushed_as_it_is() -> None:
    assert {type(e) for e, _ in CASES} == set(PUSHED)
    with pytest.raises(TypeError):
        push_of(HearingChanged("h1", "close", HearingState.CLOSED, RecordingState.PROCESSING,
                               "t", "trial", None, "n", "a"))
