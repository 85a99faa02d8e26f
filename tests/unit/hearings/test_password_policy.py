"""Staff passwords: long enough, not common (nor common with digits around it), no repeats
or runs, not the username — checked offline against the shipped list."""

from __future__ import annotations

import pytest

from hearings.domain.errors import InvalidInput
from hearings.domain.password_policy import MIN_LENGTH, check_password


@pytest.mark.parametrize(("password", "rule"), [
    ("short1!", "at least"),
    ("x" * 300, "at most"),
    ("password123", "common"),
    ("Password2026!", "common"),
    ("qwertyuiop", "common"),
    ("woaini1314", "common"),
    ("1qaz2wsx3edc", "common"),
    ("Dragon123456", "common"),
    ("aaaaaaaaaaaa", "repeat"),
    ("abababababab", "repeat"),
    ("abcdefghijkl", "run"),
    ("9876543210", "run"),
    ("lkjhgfdsalkj", "run"),
    ("hunter-wang-2026", "username"),
    ("6202gnaw-xyz!", "username"),
])
def test_weak_passwords_are_refused_with_the_rule(password: str, rule: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_password(password, username="wang")
    assert rule in str(refused.value) or (rule in ("repeat", "run")
                                          and "repeat or a run" in str(refused.value))


@pytest.mark.parametrize("password", [
    "correct horse battery staple", "渝北法院-庭审-2026-秋", "k7#Vq2!mZp9w", "tea-kettle-orbit-47",
])
def test_reasonable_passwords_pass(password: str) -> None:
    assert len(password) >= MIN_LENGTH
    check_password(password, username="wang")


def test_the_list_is_shipped_and_lower_case() -> None:
    from hearings.domain.password_policy import _common

    common = _common()
    assert len(common) > 500 and "123456" in common and "woaini1314" in common
    assert all(word == word.casefold() for word in common)
