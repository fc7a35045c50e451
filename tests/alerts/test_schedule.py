"""Delivery schedules: parsing, and when a delivery recorded at some time is due."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from alerts.schedule import INSTANT, Schedule, parse_schedule

# Monday 30 November 2026, 06:00 UTC = 09:00 in Istanbul (UTC+3 all year).
MONDAY_6_UTC = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "zone", "expected"),
    [
        ("instant", None, INSTANT),
        ("daily 08:00", None, Schedule("daily", time(8, 0))),
        ("Daily 8:05 Europe/Istanbul", None, Schedule("daily", time(8, 5), zone="Europe/Istanbul")),
        ("daily 08:00", "Europe/Istanbul", Schedule("daily", time(8), None, "Europe/Istanbul")),
        ("weekly mon 08:00", None, Schedule("weekly", time(8), 0)),
        ("weekly Sunday 23:59 UTC", None, Schedule("weekly", time(23, 59), 6, "UTC")),
    ],
)
def test_parse(text: str, zone: str | None, expected: Schedule) -> None:
    assert parse_schedule(text, zone) == expected


@pytest.mark.parametrize(
    ("text", "zone", "message"),
    [
        ("hourly", None, "'hourly' is not a delivery schedule; use instant, daily HH:MM or "
         "weekly DAY HH:MM, optionally followed by a time zone"),
        ("daily", None, "'daily' is not a delivery schedule"),
        ("daily 8am", None, "'8am' in 'daily 8am' is not a time of day; use HH:MM, like 08:00"),
        ("daily 24:00", None, "'24:00' in 'daily 24:00' is not a time of day"),
        ("weekly 08:00", None, "'08:00' in 'weekly 08:00' is not a day of the week"),
        ("weekly funday 08:00", None, "'funday' in 'weekly funday 08:00' is not a day"),
        ("daily 08:00 Mars/Olympus", None, "unknown time zone 'Mars/Olympus'; use an IANA name"),
        ("daily 08:00 Europe/Paris", "Europe/Istanbul",
         "'daily 08:00 Europe/Paris' names time zone Europe/Paris but timezone is "
         "Europe/Istanbul; give one"),
        ("instant", "Nowhere/Land", "unknown time zone 'Nowhere/Land'"),
    ],
)
def test_bad_schedules_say_what_is_wrong(text: str, zone: str | None, message: str) -> None:
    with pytest.raises(ValueError) as raised:
        parse_schedule(text, zone)
    assert str(raised.value).startswith(message)


def test_instant_is_due_when_recorded() -> None:
    assert INSTANT.due_at(MONDAY_6_UTC) == MONDAY_6_UTC


def test_daily_is_due_at_the_next_slot_in_its_zone() -> None:
    istanbul = parse_schedule("daily 08:00 Europe/Istanbul")
    # 09:00 in Istanbul is past today's slot: tomorrow 08:00 Istanbul = 05:00 UTC.
    assert istanbul.due_at(MONDAY_6_UTC) == datetime(2026, 12, 1, 5, 0, tzinfo=UTC)
    # Recorded at 07:59 Istanbul: today's slot; recorded exactly at the slot: that slot.
    assert istanbul.due_at(datetime(2026, 11, 30, 4, 59, tzinfo=UTC)) == datetime(
        2026, 11, 30, 5, 0, tzinfo=UTC
    )
    slot = datetime(2026, 11, 30, 5, 0, tzinfo=UTC)
    assert istanbul.due_at(slot) == slot
    # Without a zone the slot is in UTC.
    assert parse_schedule("daily 08:00").due_at(MONDAY_6_UTC) == datetime(
        2026, 11, 30, 8, 0, tzinfo=UTC
    )


def test_weekly_is_due_on_its_day() -> None:
    monday = parse_schedule("weekly mon 08:00")
    assert monday.due_at(MONDAY_6_UTC) == datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    nine = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    assert monday.due_at(nine) == datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
    friday = parse_schedule("weekly fri 17:30 Europe/Berlin")
    assert friday.due_at(MONDAY_6_UTC) == datetime(2026, 12, 4, 16, 30, tzinfo=UTC)


def test_slots_follow_daylight_saving_time() -> None:
    berlin = parse_schedule("daily 08:00 Europe/Berlin")
    # 08:00 in Berlin is 07:00 UTC in winter and 06:00 UTC in summer.
    before = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)  # the day before clocks go forward
    assert berlin.due_at(before) == datetime(2026, 3, 29, 6, 0, tzinfo=UTC)
    assert berlin.due_at(datetime(2026, 3, 27, 12, 0, tzinfo=UTC)) == datetime(
        2026, 3, 28, 7, 0, tzinfo=UTC
    )


def test_zone_is_the_digest_time_zone() -> None:
    assert INSTANT.tz is None  # story times in this machine's zone
    assert str(parse_schedule("instant", "Asia/Tokyo").tz) == "Asia/Tokyo"
    assert str(parse_schedule("weekly tue 07:00 Asia/Tokyo")) == "weekly tue 07:00 Asia/Tokyo"
