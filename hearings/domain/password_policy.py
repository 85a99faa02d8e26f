"""What a staff password must be: long enough, and not one an attacker tries first.

Checked offline, with no network call: against the list of common passwords shipped
beside this module (`common_passwords.txt`), the same words with digits and symbols
around them ("Password2026!"), one character or a few repeated, runs of the alphabet,
the digits or a keyboard row, and the username. Argon2 makes each guess slow; this keeps
the first guesses from being right.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from hearings.domain.errors import InvalidInput

__all__ = ["MAX_LENGTH", "MIN_LENGTH", "check_password"]

MIN_LENGTH = 10
MAX_LENGTH = 256  # Argon2 takes any length; a megabyte of password is only a load
_ROWS = ("1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm", "1qaz2wsx3edc4rfv5tgb6yhn7ujm",
         "abcdefghijklmnopqrstuvwxyz", "qazwsxedcrfvtgbyhnujmikolp")


@cache
def _common() -> frozenset[str]:
    text = resources.files("hearings.domain").joinpath("common_passwords.txt").read_text("utf-8")
    return frozenset(line.strip() for line in text.splitlines()
                     if line.strip() and not line.startswith("#"))


def _core(password: str) -> str:
    """The word inside: digits and symbols stripped from both ends ("Dragon123!" → dragon)."""
    return password.casefold().strip("0123456789!@#$%^&*()_+-=.,;:?~`'\"[]{}<>/\\| ")


def _walk(password: str) -> bool:
    """A run along the alphabet, the digits or a keyboard row, either way, or repeats of one."""
    lowered = password.casefold()
    for row in _ROWS:
        for line in (row, row[::-1]):
            if lowered in line * 3:
                return True
    return False


def _repetitive(password: str) -> bool:
    """Few distinct characters ("aaaaaaaaaa", "abababab12"), or one short unit repeated."""
    if len(set(password.casefold())) < 4:
        return True
    n = len(password)
    return any(n % size == 0 and password == password[:size] * (n // size)
               for size in range(1, n // 2 + 1))


def check_password(password: str, *, username: str = "") -> None:
    """Refuse (InvalidInput naming the rule) a password that fails any rule."""
    if not isinstance(password, str):
        raise InvalidInput("'password' must be a string")
    if len(password) < MIN_LENGTH:
        raise InvalidInput(f"'password' must have at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise InvalidInput(f"'password' must have at most {MAX_LENGTH} characters")
    lowered = password.casefold()
    core = _core(password)
    common = _common()
    if lowered in common or core in common:
        raise InvalidInput("'password' is a common password (or one with digits added)")
    if _repetitive(password) or _walk(password) or (len(core) >= 4 and _walk(core)):
        raise InvalidInput("'password' is a repeat or a run of characters; choose another")
    name = username.casefold()
    if len(name) >= 3 and (name in lowered or name[::-1] in lowered):
        raise InvalidInput("'password' must not contain the username")
