"""A party's mobile number (issue 18.2): masked as 138****8000, one notification per channel
that reaches them with their consent, and the proof's view of the two rows as one notice."""

from __future__ import annotations

import pytest

from hearings.domain.errors import InvalidInput
from hearings.domain.participants import Participant, Role
from hearings.services.notifications import Notification, by_channel, mask_mobile
from hearings.services.service_proof import same_notice


def _party(email: str | None, mobile: str | None, consent: bool = True) -> Participant:
    party = Participant("h", "村民刘大山", Role.PARTY)
    party.set_contact(email, consent, mobile)
    return party


def test_a_number_is_masked_to_its_first_three_and_last_four_digits() -> None:
    assert mask_mobile("13800138000") == "138****8000"
    assert mask_mobile(None) is None and mask_mobile("") is None


def test_a_bad_number_leaves_the_contact_as_it_was() -> None:
    party = _party("liu@example.cn", "13800138000")
    with pytest.raises(InvalidInput, match="mobile must be a mainland China mobile number"):
        party.set_contact("new@example.cn", True, "1234")
    assert (party.email, party.mobile) == ("liu@example.cn", "13800138000")


@pytest.mark.parametrize(("email", "mobile", "consent", "channels"), [
    ("liu@example.cn", "+86 138 0013 8000", True, [("liu@example.cn", None),
                                                  (None, "13800138000")]),
    (None, "138-0013-8000", True, [(None, "13800138000")]),
    ("liu@example.cn", None, True, [("liu@example.cn", None)]),
    ("liu@example.cn", "13800138000", False, []),
])
def test_a_notice_goes_once_per_channel_with_consent(
        email: str | None, mobile: str | None, consent: bool,
        channels: list[tuple[str | None, str | None]]) -> None:
    party = _party(email, mobile, consent)
    note = Notification("h", party.id, party.name, "出庭通知", "请参加。",
                        address=party.service_address, dedupe_key="invitation:p:t")
    rows = by_channel(note, party)
    assert [(r.address, r.mobile) for r in rows] == channels
    assert len({r.id for r in rows}) == len({r.delivery_token for r in rows}) == len(rows)
    assert len({r.dedupe_key for r in rows}) == len(rows)
    assert all(same_notice(a, b) for a in rows for b in rows)


def test_two_notices_of_one_kind_at_two_times_are_not_one() -> None:
    a = Notification("h", "p", "n", "s", "b", dedupe_key="invitation:p:2026-12-03")
    b = Notification("h", "p", "n", "s", "b", dedupe_key="invitation:p:2026-12-04:sms")
    assert not same_notice(a, b)
