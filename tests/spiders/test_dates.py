from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spiders.dates import parse_date


@pytest.mark.parametrize(("text", "expected"), [
    ("2024-11-30", datetime(2024, 11, 30, tzinfo=UTC)),
    ("2024-11-30T10:15", datetime(2024, 11, 30, 10, 15, tzinfo=UTC)),
    ("2024-11-30T10:15:00Z", datetime(2024, 11, 30, 10, 15, tzinfo=UTC)),
    ("2024-11-30T10:15:00z", datetime(2024, 11, 30, 10, 15, tzinfo=UTC)),
    ("2024-11-30 10:15:00+01:00", datetime(2024, 11, 30, 9, 15, tzinfo=UTC)),
    ("2024-11-30T10:15:00.250+0100", datetime(2024, 11, 30, 9, 15, 0, 250000, tzinfo=UTC)),
    ("2024-11-30T10:15:00.123456789Z", datetime(2024, 11, 30, 10, 15, 0, 123456, tzinfo=UTC)),
    ("2024-11-30T10:15:00-05", datetime(2024, 11, 30, 15, 15, tzinfo=UTC)),
    ("  2024-11-30T10:15:00Z\n", datetime(2024, 11, 30, 10, 15, tzinfo=UTC)),
    ("Sat, 30 Nov 2024 10:15:00 GMT", datetime(2024, 11, 30, 10, 15, tzinfo=UTC)),
    ("Sat, 30 Nov 2024 10:15:00 +0200", datetime(2024, 11, 30, 8, 15, tzinfo=UTC)),
    ("30 Nov 2024 10:15:00 -0000", datetime(2024, 11, 30, 10, 15, tzinfo=UTC)),
])
def test_dates_as_sites_write_them(text, expected):
    parsed = parse_date(text)
    assert parsed == expected
    assert parsed.tzinfo is UTC


@pytest.mark.parametrize("text", [None, "", "yesterday", "2024-13-01", "2024-02-30",
                                  "0024-01-01", "Sat, 99 Nov 2024", "12:00"])
def test_unreadable_dates_are_none(text):
    assert parse_date(text) is None


@given(st.datetimes(min_value=datetime(1990, 1, 2), max_value=datetime(2100, 1, 1),
                    timezones=st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30)),
                                               timezone(timedelta(hours=-8))])))
def test_iso_round_trip(when):
    assert parse_date(when.isoformat()) == when
