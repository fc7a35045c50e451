from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spiders.dates import MAX_AHEAD, MIN_YEAR, parse_date, plausible, publication_time


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


def test_a_date_past_what_utc_can_hold_is_none():
    assert parse_date("Fri, 31 Dec 9999 23:30:00 -0500") is None
    assert parse_date("9999-12-31T23:30:00-05:00") is None
    assert parse_date("Fri, 31 Dec 9999 23:30:00 GMT") == datetime(9999, 12, 31, 23, 30, tzinfo=UTC)


# -- plausible publication times, relative to the fetch ------------------------------------------

EAST = timezone(timedelta(hours=14))  # Kiribati: the first zone into each day
WEST = timezone(timedelta(hours=-12))


@pytest.fixture
def fetched() -> datetime:
    return datetime.now(UTC)


@pytest.mark.parametrize("offset", [
    timedelta(0), -timedelta(minutes=5), -timedelta(days=400), timedelta(hours=3),
    timedelta(hours=23, minutes=59), MAX_AHEAD,
])
def test_times_up_to_a_day_after_the_fetch_are_plausible(fetched, offset):
    assert plausible(fetched + offset, fetched=fetched) == fetched + offset


@pytest.mark.parametrize("offset", [
    MAX_AHEAD + timedelta(seconds=1), timedelta(days=2), timedelta(days=365),
])
def test_times_more_than_a_day_after_the_fetch_are_not(fetched, offset):
    assert plausible(fetched + offset, fetched=fetched) is None


def test_year_9999_and_times_before_1990_are_not_plausible(fetched):
    assert plausible(parse_date("Fri, 31 Dec 9999 23:30:00 GMT"), fetched=fetched) is None
    assert plausible(datetime.max.replace(tzinfo=UTC), fetched=fetched) is None
    assert plausible(datetime(MIN_YEAR - 1, 12, 31, 23, 59, tzinfo=UTC), fetched=fetched) is None
    assert plausible(datetime.min.replace(tzinfo=UTC), fetched=fetched) is None
    assert plausible(datetime(MIN_YEAR, 1, 1, tzinfo=UTC), fetched=fetched) is not None
    # 1990 begins in UTC: what is still 1989 in New York is already 1990 in UTC, and kept.
    new_year = datetime(MIN_YEAR - 1, 12, 31, 20, 0, tzinfo=timezone(timedelta(hours=-5)))
    assert plausible(new_year, fetched=fetched) == new_year
    assert plausible(None, fetched=fetched) is None


def test_plausible_is_judged_from_the_fetch_time_not_the_clock(fetched):
    """An article fetched long ago is judged by that fetch: the rule reads no clock."""
    long_ago = fetched - timedelta(days=3 * 365)
    assert plausible(long_ago + timedelta(hours=5), fetched=long_ago) is not None
    assert plausible(long_ago + timedelta(days=2), fetched=long_ago) is None
    assert plausible(fetched, fetched=long_ago) is None


@pytest.mark.parametrize("zone", [EAST, WEST, timezone(timedelta(hours=5, minutes=30))])
def test_a_time_written_in_any_zone_is_judged_as_an_instant(fetched, zone):
    # The wall clock there may read tomorrow (east) or yesterday (west): the instant counts.
    local = fetched.astimezone(zone)
    assert plausible(parse_date(local.isoformat()), fetched=fetched) == fetched
    ahead = (fetched + timedelta(days=2)).astimezone(zone)
    assert plausible(parse_date(ahead.isoformat()), fetched=fetched) is None


@pytest.mark.parametrize("zone", [EAST, WEST])
def test_a_local_time_written_without_its_zone_is_still_plausible(fetched, zone):
    # Read as UTC, a site's local time is off by at most 14 hours: within the day allowed.
    wall_clock = fetched.astimezone(zone).strftime("%Y-%m-%dT%H:%M:%S")
    assert plausible(parse_date(wall_clock), fetched=fetched) is not None


def test_the_page_time_wins_when_plausible(fetched):
    page, listing = fetched - timedelta(hours=2), fetched - timedelta(hours=3)
    assert publication_time(page, listing, fetched=fetched) == page


@pytest.mark.parametrize("page", [
    None, datetime(9999, 12, 31, 23, 30, tzinfo=UTC), datetime(1970, 1, 1, tzinfo=UTC),
])
def test_else_the_listing_time_when_plausible(fetched, page):
    listing = fetched - timedelta(hours=3)
    assert publication_time(page, listing, fetched=fetched) == listing


@pytest.mark.parametrize("listing", [
    None, datetime(9999, 12, 31, 23, 30, tzinfo=UTC), datetime(1985, 6, 1, tzinfo=UTC),
])
def test_else_unknown(fetched, listing):
    far = fetched + timedelta(days=30)
    assert publication_time(far, listing, fetched=fetched) is None
    assert publication_time(None, listing, fetched=fetched) is None


@given(fetched=st.datetimes(min_value=datetime(1995, 1, 1), max_value=datetime(9000, 1, 1),
                            timezones=st.just(UTC)),
       offset=st.timedeltas(min_value=timedelta(days=-3000), max_value=timedelta(days=3000)))
def test_plausible_keeps_exactly_the_times_within_the_rule(fetched, offset):
    when = fetched + offset
    expected = when.year >= MIN_YEAR and offset <= MAX_AHEAD
    assert (plausible(when, fetched=fetched) == when) is expected
    assert (plausible(when, fetched=fetched) is None) is not expected
