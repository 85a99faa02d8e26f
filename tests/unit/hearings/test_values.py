from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hearings.domain.cases import Case, CaseNumber, CaseType
from hearings.domain.courts import Court, Site
from hearings.domain.errors import InvalidInput, TokenRefused
from hearings.domain.hearing import Hearing
from hearings.domain.participants import Role
from hearings.domain.tokens import issue_join_token, normalise_secret, secret_digest


def test_case_number_round_trip() -> None:
    number = CaseNumber.parse("(2026)渝0113民初1234号")
    assert number == CaseNumber(2026, "渝0113", "民初", 1234)
    assert str(number) == "(2026)渝0113民初1234号"
    assert number.case_type is CaseType.CIVIL


def test_case_number_accepts_fullwidth_parentheses() -> None:
    assert str(CaseNumber.parse("（2026）渝0113民特7号")) == "(2026)渝0113民特7号"


@pytest.mark.parametrize("bad", ["", "2026渝0113民初1号", "(2026)渝113民初1号",
                                 "(2026)渝0113XX1号", "(2026)渝0113民初0号"])
def test_case_number_rejects(bad: str) -> None:
    with pytest.raises(InvalidInput):
        CaseNumber.parse(bad)


@given(st.text(max_size=40))
def test_case_number_parse_never_crashes(text: str) -> None:
    with contextlib.suppress(InvalidInput):
        CaseNumber.parse(text)


def test_value_objects_give_exact_messages() -> None:
    with pytest.raises(InvalidInput) as err:
        Site(court_id="c", name="x", kind="bogus")  # type: ignore[arg-type]
    assert str(err.value) == (
        "'kind' must be in ['courtroom', 'detention_centre', 'judge_clinic', "
        "'mediation_room', 'remote'] (got 'bogus')")
    with pytest.raises(InvalidInput, match="'code' must be"):
        Court(name="法院", code="CQ13")
    with pytest.raises(InvalidInput, match="'scheduled_at' must carry a time zone"):
        Hearing(case_id="c", kind="trial", title="t",  # type: ignore[arg-type]
                scheduled_at=datetime(2026, 1, 1))
    case = Case(court_id="c", number="（2026）渝0113民初1号", case_type="civil",  # type: ignore[arg-type]
                title="借款合同纠纷")
    assert case.number == "(2026)渝0113民初1号"


def test_join_secret_has_160_bits_and_is_typed_forgivingly() -> None:
    secret, token = issue_join_token("h1", "p1", Role.WITNESS, valid_for=timedelta(hours=1))
    assert len(secret.replace("-", "")) == 32  # 32 base32 symbols = 160 bits
    assert secret_digest(secret.lower().replace("-", " ")) == token.digest
    assert token.digest != secret
    with pytest.raises(InvalidInput):
        normalise_secret("too-short")


def test_join_token_checks_in_order() -> None:
    _, token = issue_join_token("h1", "p1", Role.PARTY, valid_for=timedelta(hours=1))
    token.check("h1", hearing_over=False)
    with pytest.raises(TokenRefused) as err:
        token.check("h2", hearing_over=False)
    assert err.value.code == "wrong_hearing"
    with pytest.raises(TokenRefused) as err:
        token.check("h1", hearing_over=True)
    assert err.value.code == "hearing_closed"
    with pytest.raises(TokenRefused) as err:
        token.check("h1", hearing_over=False, now=datetime.now(UTC) + timedelta(hours=2))
    assert err.value.code == "token_expired"
    token.revoke()
    with pytest.raises(TokenRefused) as err:
        token.check("h1", hearing_over=False)
    assert err.value.code == "revoked"


def test_participant_rejoins_where_they_were() -> None:
    hearing = Hearing(case_id="c", kind="trial", title="t",  # type: ignore[arg-type]
                      scheduled_at=datetime.now(UTC))
    villager = hearing.invite("张三", Role.WITNESS)
    for action in ("connect", "enter_lobby", "admit"):
        villager.apply(action)
    villager.drop()
    villager.rejoin()
    assert villager.state == "in_hearing"
    waiting = hearing.invite("李四", Role.PARTY)
    waiting.apply("connect")
    waiting.apply("enter_lobby")
    waiting.drop()
    waiting.rejoin()
    assert waiting.state == "waiting"


def test_recording_follows_the_hearing() -> None:
    hearing = Hearing(case_id="c", kind="trial", title="t",  # type: ignore[arg-type]
                      scheduled_at=datetime.now(UTC))
    hearing.apply("open_doors")
    assert hearing.recording_state == "standby"
    hearing.apply("start")
    assert hearing.recording_state == "recording"
    hearing.apply("suspend", reason="网络中断")
    assert (hearing.recording_state, hearing.suspend_reason) == ("paused", "网络中断")
    hearing.apply("resume")
    hearing.apply("close")
    assert hearing.recording_state == "processing"
    assert hearing.closed_at is not None
