"""docs/protocol.md prints the authorization table and every event: keep them true."""

from __future__ import annotations

import re
from pathlib import Path

from signaling import messages
from signaling.authz import TABLE, Standing

DOC = (Path(__file__).parents[3] / "docs/protocol.md").read_text()


def test_authorization_table_matches_the_code() -> None:
    rows = re.findall(r"^\| `([a-z_.]+)` \| ([✓–](?: \| [✓–]){6}) \|$", DOC, re.M)
    documented = {event: frozenset(s for s, mark in zip(Standing, cells.split(" | "),
                                                        strict=True) if mark == "✓")
                  for event, cells in rows}
    assert documented == TABLE


def test_every_event_is_documented() -> None:
    for event in messages.EVENTS:
        assert f"`{event}`" in DOC, event
