"""The transcript (笔录): its state table, versioned saves, freezing and signing order."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hearings.domain.errors import Conflict, IllegalTransition, InvalidInput, PermissionDenied
from hearings.domain.participants import Participant, Role
from hearings.domain.states import TRANSCRIPT, ParticipantState, TranscriptState
from hearings.domain.transcript import (
    Transcript,
    apply_edit,
    edit_between,
    interrogation_persons,
    interrogation_slots,
    interrogators,
    recorded_persons,
    trial_slots,
    utterances,
)

N = TranscriptState


def test_the_table_is_drafting_then_signing_then_signed() -> None:
    state = N.DRAFTING
    for action, expected in [("edit", N.DRAFTING), ("freeze", N.SIGNING), ("sign", N.SIGNING),
                             ("complete_signing", N.SIGNED)]:
        state = TRANSCRIPT.next(state, action)
        assert state is expected
    assert TRANSCRIPT.allowed(N.SIGNED) == frozenset()
    for state, action in [(N.SIGNING, "edit"), (N.SIGNED, "edit"), (N.DRAFTING, "sign"),
                          (N.SIGNING, "freeze"), (N.SIGNED, "sign")]:
        with pytest.raises(IllegalTransition) as refused:
            TRANSCRIPT.next(state, action)
        assert refused.value.code == "illegal_transition"


def _person(name: str, role: Role, state: ParticipantState) -> Participant:
    return Participant(hearing_id="h", name=name, role=role, state=state)


def test_saves_count_versions_and_a_stale_one_is_a_conflict() -> None:
    record = Transcript(hearing_id="h", case_id="c")
    record.save("审：现在开庭。", 0, "staff:clerk")
    record.save("审：现在开庭。\n被告人：听清楚了。", 1, "staff:judge")
    assert record.version == 2 and record.updated_by == "staff:judge"
    with pytest.raises(Conflict, match="version 2"):
        record.save("审：lost?", 1, "staff:clerk")
    assert record.body.endswith("听清楚了。")
    for body, version in [(None, 2), ("x", "2"), ("x", True), ("x" * 200_001, 2)]:
        with pytest.raises(InvalidInput):
            record.save(body, version, "staff:clerk")


def test_freeze_orders_persons_then_clerk_then_judge_and_signing_goes_in_order() -> None:
    people = [_person("张某", Role.DEFENDANT, ParticipantState.IN_HEARING),
              _person("孙强", Role.PROSECUTOR, ParticipantState.IN_HEARING),
              _person("没来", Role.WITNESS, ParticipantState.INVITED),
              _person("被请出", Role.WITNESS, ParticipantState.REMOVED),
              _person("刘大山", Role.WITNESS, ParticipantState.DISCONNECTED)]
    persons = recorded_persons(people)
    assert [p.name for p in persons] == ["张某", "刘大山"]
    record = Transcript(hearing_id="h", case_id="c")
    with pytest.raises(InvalidInput, match="empty"):
        record.check_freezable()
    record.save("审：现在开庭。", 0, "staff:clerk")
    record.freeze("doc1", trial_slots(persons, ("u-clerk", "书记员王芳"),
                                      ("u-judge", "审判员李明")))
    assert record.state is N.SIGNING and record.frozen_at is not None
    assert [(s.field, s.role) for s in record.slots] == [
        ("party1", "person"), ("party2", "person"), ("clerk", "clerk"), ("judge", "judge")]
    with pytest.raises(IllegalTransition):
        record.save("审：改一下", 1, "staff:clerk")
    with pytest.raises(Conflict, match="party1"):
        record.check_turn("clerk")
    with pytest.raises(InvalidInput):
        record.check_turn("mediator")
    assert not record.record_signature("party1", "hand")
    assert not record.record_signature("party2", "hand")
    assert not record.record_signature("clerk", "key")
    assert record.record_signature("judge", "key")
    assert record.state is N.SIGNED and record.next_slot is None
    with pytest.raises(IllegalTransition):
        record.check_turn("judge")


def test_the_body_reads_as_speaker_lines() -> None:
    body = "审：现在开庭。\n  核对身份。\n\n被告人: 我叫张某。\n（休庭十分钟）\nhttp://x：y"
    assert utterances(body) == [("审", "现在开庭。\n核对身份。"), ("被告人", "我叫张某。\n（休庭十分钟）"),
                                ("http", "//x：y")]
    assert utterances("（开庭前）") == [("", "（开庭前）")]
    assert utterances(" \n ") == []


TEXTS = st.text(alphabet="审：原告被告人证人问答。\n abc", max_size=80)


@given(TEXTS, TEXTS)
def test_an_edit_turns_one_version_into_the_next(old: str, new: str) -> None:
    edit = edit_between(old, new)
    assert apply_edit(old, edit) == new
    assert len(str(edit["insert"])) <= len(new)


def test_typing_in_one_place_is_a_small_edit() -> None:
    old = "审：现在开庭。\n" * 2000
    new = old[:9000] + "被告人：没有意见。" + old[9000:]
    assert edit_between(old, new) == {"at": 9000, "cut": 0, "insert": "被告人：没有意见。"}
    assert edit_between(new, old) == {"at": 9000, "cut": 9, "insert": ""}


def test_an_edit_that_does_not_fit_the_text_is_refused() -> None:
    with pytest.raises(InvalidInput, match="not an edit"):
        apply_edit("abc", {"at": 2, "cut": 5, "insert": ""})
    with pytest.raises(InvalidInput, match="not an edit"):
        apply_edit("abc", {"at": "0", "cut": 0, "insert": "x"})


def test_an_interrogation_signs_detainee_adult_lawyer_interpreter_then_interrogators_and_recorder(
) -> None:
    detainee = _person("张小某", Role.DEFENDANT, ParticipantState.IN_HEARING)
    detainee.minor = True
    people = [_person("检察员孙强", Role.PROSECUTOR, ParticipantState.IN_HEARING),
              _person("译员", Role.INTERPRETER, ParticipantState.DISCONNECTED),
              _person("律师王", Role.DEFENCE_LAWYER, ParticipantState.IN_HEARING),
              detainee,
              _person("母亲", Role.APPROPRIATE_ADULT, ParticipantState.IN_HEARING),
              _person("没来的律师", Role.DEFENCE_LAWYER, ParticipantState.INVITED),
              _person("侦查员", Role.INVESTIGATOR, ParticipantState.REMOVED)]
    persons = interrogation_persons(people)
    assert [p.name for p in persons] == ["张小某", "母亲", "律师王", "译员"]
    slots = interrogation_slots(persons, interrogators(people), None, ("u-c", "记录人刘"))
    assert [(s.field, s.signer, s.role) for s in slots] == [
        ("party1", "张小某", "person"), ("party2", "母亲", "person"),
        ("party3", "律师王", "person"), ("party4", "译员", "person"),
        ("interrogator1", "检察员孙强", "interrogator"), ("clerk", "记录人刘", "clerk")]
    detainee.minor = False  # an adult detainee: the appropriate adult does not sign
    assert "母亲" not in [p.name for p in interrogation_persons(people)]
    judge_asks = interrogation_slots(persons[:1], [], ("u-j", "审判员李"), ("u-c", "记录人刘"))
    assert [(s.field, s.staff_user_id) for s in judge_asks] == [
        ("party1", None), ("interrogator1", "u-j"), ("clerk", "u-c")]
    with pytest.raises(InvalidInput, match="no interrogator"):
        interrogation_slots(persons, [], None, ("u-c", "记录人刘"))


def test_a_signer_asks_for_a_correction_and_the_record_goes_back_to_drafting() -> None:
    detainee = _person("张小某", Role.DEFENDANT, ParticipantState.IN_HEARING)
    record = Transcript(hearing_id="h", case_id="c")
    record.save("问：你叫什么？\n答：张小某。", 0, "staff:clerk")
    record.freeze("doc1", interrogation_slots([detainee], [], ("u-j", "审判员李"),
                                              ("u-c", "记录人刘")))
    with pytest.raises(PermissionDenied):
        record.reopen("someone-else", "写错了")
    with pytest.raises(InvalidInput):
        record.reopen(detainee.id, "")
    assert record.reopen(detainee.id, "第二个回答写错了") == ("doc1", "第二个回答写错了")
    assert record.state is N.DRAFTING and record.signing == [] and record.document_id is None
    record.save("问：你叫什么？\n答：我叫张小某。", 1, "staff:clerk")
    assert record.version == 2
    with pytest.raises(IllegalTransition):
        record.reopen(detainee.id, "again")
