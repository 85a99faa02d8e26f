from __future__ import annotations

import copy

from hypothesis import given
from hypothesis import strategies as st

from hearings.domain.audit import GENESIS, AuditEntry, chain, verify_chain

KEY = b"k" * 32


def build(n: int) -> list[AuditEntry]:
    entries: list[AuditEntry] = []
    prev = GENESIS
    for i in range(1, n + 1):
        e = chain(AuditEntry(seq=i, actor="staff:1", action=f"a{i}", hearing_id="h",
                             payload={"i": i, "名": "张三"}, prev_hash=prev), KEY)
        entries.append(e)
        prev = e.hash
    return entries


def test_intact_chain_verifies() -> None:
    assert verify_chain(build(20), KEY).ok


def test_edit_delete_insert_reorder_are_named() -> None:
    entries = build(6)
    edited = copy.deepcopy(entries)
    edited[2].payload["i"] = 99
    assert (verify_chain(edited, KEY).first_bad_seq, verify_chain(edited, KEY).problem) == (
        3, "edited")
    deleted = entries[:2] + entries[3:]
    assert verify_chain(deleted, KEY).problem == "deleted"
    assert verify_chain(deleted, KEY).first_bad_seq == 3
    forged = chain(AuditEntry(seq=7, actor="x", action="x", hearing_id=None, payload={},
                              prev_hash=entries[-1].hash), b"wrong key")
    verdict = verify_chain([*entries, forged], KEY)
    assert (verdict.first_bad_seq, verdict.problem) == (7, "forged")
    swapped = copy.deepcopy(entries)
    swapped[2], swapped[3] = swapped[3], swapped[2]
    swapped[2].seq, swapped[3].seq = 3, 4
    assert verify_chain(swapped, KEY).problem == "reordered"


@given(st.integers(min_value=0, max_value=9), st.binary(min_size=1, max_size=4))
def test_any_single_edit_is_detected(index: int, junk: bytes) -> None:
    entries = build(10)
    entries[index].actor += junk.hex()
    verdict = verify_chain(entries, KEY)
    assert not verdict.ok
    assert verdict.first_bad_seq == index + 1
