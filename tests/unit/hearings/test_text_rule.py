"""The one rule for every text field (hearings/domain/values.py): valid Unicode, no control
characters, no bidi overrides, bounded in characters and in UTF-8 bytes."""

from __future__ import annotations

import contextlib
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hearings.domain.cases import Case
from hearings.domain.courts import Court, Site
from hearings.domain.errors import InvalidInput
from hearings.domain.mediation import AgreementTerm, Mediation
from hearings.domain.participants import Participant, Role
from hearings.domain.transcript import Transcript
from hearings.domain.values import BIDI_CONTROLS, long_text, text

# The explicit embeddings, overrides and isolates: they reorder strong characters.
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


def test_the_bidi_controls_are_the_nine_explicit_formatting_characters() -> None:
    assert frozenset(BIDI) == BIDI_CONTROLS


@pytest.mark.parametrize(("value", "message"), [
    ("王\udfff", "'name' must be valid Unicode: lone surrogate U+DFFF at character 1"),
    ("\ud800王", "'name' must be valid Unicode: lone surrogate U+D800 at character 0"),
    ("王\u202e三", "'name' must not contain the bidirectional control U+202E (at character 1):"
                  " it reorders how the text around it is shown"),
    ("\u2067王三", "'name' must not contain the bidirectional control U+2067 (at character 0):"
                  " it reorders how the text around it is shown"),
    ("王\x00三", "'name' must not contain the control character U+0000 (at character 1)"),
    ("王\x1b[31m三", "'name' must not contain the control character U+001B (at character 1)"),
    ("王\x85三", "'name' must not contain the control character U+0085 (at character 1)"),
    ("王\x7f三", "'name' must not contain the control character U+007F (at character 1)"),
    ("王\u2028三", "'name' must not contain the control character U+2028 (at character 1)"),
    ("王\n三", "'name' must be one line: no line break or tab (U+000A at character 1)"),
    ("王\t三", "'name' must be one line: no line break or tab (U+0009 at character 1)"),
    ("", "'name' must be a non-empty string (got '')"),
    ("  ", "'name' must be a non-empty string (got '  ')"),
    (5, "'name' must be a non-empty string (got 5)"),
    ("王" * 201, "'name' must be at most 200 characters (got 201)"),
])
def test_one_line_text_refuses_with_an_exact_message(value: object, message: str) -> None:
    with pytest.raises(InvalidInput) as err:
        text(value, "name")
    assert str(err.value) == message


def test_length_is_bounded_in_utf8_bytes_too() -> None:
    assert text("𪜀" * 10, "name", max_length=10, max_bytes=40) == "𪜀" * 10
    with pytest.raises(InvalidInput) as err:
        text("𪜀" * 10, "name", max_length=10, max_bytes=39)
    assert str(err.value) == "'name' must be at most 39 bytes in UTF-8 (got 40)"
    # By default a field full of CJK fits (3 bytes each); 4-byte characters get 3/4 of it.
    assert text("王" * 200, "name") == "王" * 200
    with pytest.raises(InvalidInput, match=r"at most 600 bytes in UTF-8 \(got 800\)"):
        text("𪜀" * 200, "name")


def test_one_line_text_is_stripped_and_nfc() -> None:
    assert text("  王𪜀 ", "name") == "王𪜀"
    decomposed = "Jose\u0301"
    assert text(decomposed, "name") == "Jos\u00e9"


def test_long_text_keeps_lines_and_tabs_as_typed() -> None:
    body = "审：现在开庭。\n\t被告人：我叫张某。\n"
    assert long_text(body, "body", max_length=100) == body
    assert long_text("a\r\nb", "body", max_length=100) == "a\nb"
    assert long_text("", "body", max_length=100, required=False) == ""
    decomposed = "Jose\u0301"
    assert long_text(decomposed, "body", max_length=100) == decomposed  # the words as typed


@pytest.mark.parametrize(("value", "message"), [
    ("审：\udfff", "'body' must be valid Unicode: lone surrogate U+DFFF at character 2"),
    ("审：\u202e付款", "'body' must not contain the bidirectional control U+202E (at character 2):"
                    " it reorders how the text around it is shown"),
    ("审：\x00", "'body' must not contain the control character U+0000 (at character 2)"),
    ("审：a\rb", "'body' must not contain the control character U+000D (at character 3)"),
    ("审：\x0b", "'body' must not contain the control character U+000B (at character 2)"),
    ("  \n ", "'body' must be a non-empty string (got '  \\n ')"),
    ("x" * 11, "'body' must be at most 10 characters (got 11)"),
])
def test_long_text_refuses_with_an_exact_message(value: str, message: str) -> None:
    with pytest.raises(InvalidInput) as err:
        long_text(value, "body", max_length=10)
    assert str(err.value) == message


def test_every_value_object_applies_the_rule() -> None:
    hostile = "王\u202e三"
    with pytest.raises(InvalidInput, match="U\\+202E"):
        Participant(hearing_id="h", name=hostile, role=Role.WITNESS)
    with pytest.raises(InvalidInput, match="U\\+202E"):
        Court(name=hostile, code="渝0113")
    with pytest.raises(InvalidInput, match="U\\+202E"):
        Site(court_id="c", name=hostile, kind="courtroom")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="U\\+202E"):
        Case(court_id="c", number="(2026)渝0113民初1号", case_type="civil",  # type: ignore[arg-type]
             title=hostile)
    with pytest.raises(InvalidInput, match="U\\+202E"):
        AgreementTerm("陈国富", hostile, "赔偿")
    with pytest.raises(InvalidInput, match="lone surrogate"):
        Transcript(hearing_id="h", case_id="c").save("审：\udfff", 0, "clerk")
    with pytest.raises(InvalidInput, match="U\\+0000"):
        Mediation(hearing_id="h", case_id="c").draft("事实\x00", [AgreementTerm("甲", "乙", "赔偿")])


def test_multi_line_fields_take_line_breaks() -> None:
    term = AgreementTerm("陈国富", "刘桂兰", "一、赔偿修复费用；\n二、赔礼道歉。")
    assert "\n" in term.obligation
    mediation = Mediation(hearing_id="h", case_id="c")
    mediation.draft("双方因院墙修缮发生纠纷。\n经调解达成如下协议。", [term])
    assert mediation.facts is not None and "\n" in mediation.facts
    record = Transcript(hearing_id="h", case_id="c")
    record.save("审：现在开庭。\n被告人：我叫张某。", 0, "clerk")
    assert record.version == 1


def _forbidden_in_long(ch: str) -> bool:
    return ch in BIDI or (unicodedata.category(ch) in ("Cc", "Cs", "Zl", "Zp")
                          and ch not in "\n\t")


# Every code point, lone surrogates included, with the troublemakers drawn often.
ANY_CHAR = st.one_of(st.characters(codec=None, categories=None),
                     st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF),
                     st.sampled_from(list(BIDI + "\x00\x1b\x7f\x85\u2028\u2029\n\t\r")))


@given(st.text(ANY_CHAR, max_size=30))
def test_whatever_text_accepts_is_utf8_one_line_and_free_of_controls(value: str) -> None:
    with contextlib.suppress(InvalidInput):
        accepted = text(value, "name", max_length=20)
        accepted.encode("utf-8")
        assert not any(_forbidden_in_long(ch) or ch in "\n\t" for ch in accepted)
        assert accepted == unicodedata.normalize("NFC", accepted) == accepted.strip()
        assert 0 < len(accepted) <= 20 and len(accepted.encode()) <= 60


@given(st.text(ANY_CHAR, max_size=30))
def test_whatever_long_text_accepts_is_utf8_and_free_of_controls(value: str) -> None:
    with contextlib.suppress(InvalidInput):
        accepted = long_text(value, "body", max_length=20, required=False)
        accepted.encode("utf-8")
        assert not any(_forbidden_in_long(ch) for ch in accepted)
        assert len(accepted) <= 20 and len(accepted.encode()) <= 60
