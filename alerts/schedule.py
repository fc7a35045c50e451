"""When a watch's digests go out: on every run, or at a daily or weekly slot in a time zone.

`parse_schedule("daily 08:00 Europe/Istanbul")` gives a `Schedule`. A delivery recorded at
time t is due at `schedule.due_at(t)`: at once for `instant`, else at the first slot at or
after t. A run sends what is due, so the first run after 08:00 sends one digest with
everything recorded since the previous slot; rows recorded later wait for the next slot.

Accepted forms (case-insensitive; the zone is an IANA name, UTC when none is given):

    instant
    daily HH:MM [ZONE]
    weekly DAY HH:MM [ZONE]      DAY: mon tue wed thu fri sat sun (or the full name)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["INSTANT", "WEEKDAYS", "Schedule", "check_zone", "parse_schedule"]

_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
WEEKDAYS = tuple(name[:3] for name in _DAY_NAMES)
_FORMS = "use instant, daily HH:MM or weekly DAY HH:MM, optionally followed by a time zone"
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True)
class Schedule:
    """`instant`, or a slot: `at` o'clock in `zone`, every day or on `weekday` (0 = Monday).

    `zone` is also the time zone digests show story times in; None means none was given
    (slots are then in UTC, and story times in this machine's zone).
    """

    kind: str = "instant"
    at: time | None = None
    weekday: int | None = None
    zone: str | None = None

    @property
    def tz(self) -> tzinfo | None:
        return ZoneInfo(self.zone) if self.zone else None

    def due_at(self, recorded: datetime) -> datetime:
        """When a delivery recorded at `recorded` may be sent."""
        if self.at is None:
            return recorded
        tz = self.tz or UTC
        day = recorded.astimezone(tz).date()
        if self.weekday is not None:
            day += timedelta(days=(self.weekday - day.weekday()) % 7)
        step = timedelta(days=1 if self.weekday is None else 7)
        slot = datetime.combine(day, self.at, tzinfo=tz)
        while slot < recorded:
            day += step
            slot = datetime.combine(day, self.at, tzinfo=tz)
        return slot.astimezone(UTC)

    def __str__(self) -> str:
        if self.at is None:
            return "instant"
        day = "daily" if self.weekday is None else f"weekly {WEEKDAYS[self.weekday]}"
        return f"{day} {self.at:%H:%M} {self.zone or 'UTC'}"


INSTANT = Schedule()


def parse_schedule(text: str, zone: str | None = None) -> Schedule:
    """`text` as a `Schedule`; `zone` applies when `text` names none. ValueError says why not."""
    words = str(text).split()
    kind = words[0].lower() if words else ""
    if kind == "instant" and len(words) == 1:
        return Schedule(zone=check_zone(zone)) if zone else INSTANT
    if kind not in ("daily", "weekly"):
        raise ValueError(f"{text!r} is not a delivery schedule; {_FORMS}")
    weekday = None
    if kind == "weekly":
        weekday = _weekday(words[1] if len(words) > 1 else "", text)
        words = words[1:]
    if len(words) < 2 or len(words) > 3:
        raise ValueError(f"{text!r} is not a delivery schedule; {_FORMS}")
    found = _TIME.match(words[1])
    if not found:
        raise ValueError(f"{words[1]!r} in {text!r} is not a time of day; use HH:MM, like 08:00")
    named = words[2] if len(words) == 3 else None
    if named and zone and named != zone:
        raise ValueError(f"{text!r} names time zone {named} but timezone is {zone}; give one")
    return Schedule(
        kind=kind,
        at=time(int(found.group(1)), int(found.group(2))),
        weekday=weekday,
        zone=check_zone(named or zone) if named or zone else None,
    )


def check_zone(name: str) -> str:
    """`name` if it is a time zone this machine knows (IANA names like Europe/Istanbul)."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {name!r}; use an IANA name like Europe/Istanbul or UTC"
        ) from None
    return name


def _weekday(word: str, text: str) -> int:
    day = word.lower()
    for index, name in enumerate(_DAY_NAMES):
        if day in (name, name[:3]):
            return index
    raise ValueError(f"{word!r} in {text!r} is not a day of the week; use mon, tue, … sun")
