"""THREAT_MODEL.md prints who may do what (role × court × action): keep it equal to the code's
policy (hearings/domain/policy.py), the way docs/protocol.md's table is kept equal to signaling's."""

from __future__ import annotations

import re
from pathlib import Path

from hearings.domain.policy import EVERY_SEAT, RULES, Rule, Scope
from hearings.domain.staff import StaffRole

DOC = (Path(__file__).parents[3] / "THREAT_MODEL.md").read_text()
COLUMNS = ("admin without a court", "admin", "clerk", "judge", "mediator", "participants",
           "relation")
ROW = re.compile(r"^\| `([a-z_.]+)` \|(.*)\|$", re.M)


def cells(rule: Rule) -> tuple[str, ...]:
    """What a row of the table says for `rule`."""
    def of_court(role: StaffRole) -> str:
        return "own court" if role in rule.staff and rule.scope is not Scope.ALL else "–"

    if rule.participants == EVERY_SEAT:
        seats = "own hearing"
    else:
        seats = ", ".join(sorted(r.value for r in rule.participants)) or "–"
    relation = ", ".join(n for n, on in (("host", rule.host), ("mediator", rule.mediator))
                         if on) or "–"
    if rule.sessions_only:
        relation += " (staff session only)"
    return ("all courts" if StaffRole.ADMIN in rule.staff else "–",
            *(of_court(r) for r in (StaffRole.ADMIN, StaffRole.CLERK, StaffRole.JUDGE,
                                    StaffRole.MEDIATOR)),
            seats, relation)


def documented() -> dict[str, tuple[str, ...]]:
    section = DOC.split("## Who may do what", 1)[1].split("\n## ", 1)[0]
    return {action: tuple(c.strip() for c in rest.split("|"))
            for action, rest in ROW.findall(section)}


def test_the_table_has_the_columns_the_test_reads() -> None:
    header = "| action | " + " | ".join(COLUMNS) + " |"
    assert header in DOC


def test_the_threat_model_table_is_the_code_policy() -> None:
    table = documented()
    assert set(table) == set(RULES), "actions in one but not the other"
    wrong = {a: (table[a], cells(r)) for a, r in RULES.items() if table[a] != cells(r)}
    assert not wrong, wrong


def print_table() -> str:
    """The rows as they belong in THREAT_MODEL.md (python -c 'from tests.unit.hearings.
    test_policy_doc import print_table; print(print_table())')."""
    return "\n".join(f"| `{a}` | " + " | ".join(cells(r)) + " |" for a, r in RULES.items())
