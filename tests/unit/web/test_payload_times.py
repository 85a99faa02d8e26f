"""A time in a request body (web/http/payloads.py Body.time): ISO 8601 with a time zone, and one
every time zone can show — a year-10000 instant in UTC passed the parser and failed later as
an OverflowError (a 500) when a service stored or converted it."""

from __future__ import annotations

import pytest

from web.http.errors import ApiError
from web.http.payloads import Body


@pytest.mark.parametrize("raw", ["9999-12-31T23:00:00-12:00", "0001-01-01T00:30:00+14:00",
                                 "2026-12-03T09:00:00", "tomorrow"])
def test_a_time_out_of_range_or_without_a_zone_is_a_400(raw: str) -> None:
    with pytest.raises(ApiError) as refused:
        Body({"at": raw}).time("at")
    assert refused.value.status == 400


def test_an_ordinary_time_is_read() -> None:
    assert Body({"at": "2026-12-03T09:00:00+08:00"}).time("at").utcoffset() is not None
