"""Dates as news sites write them, read into timezone-aware UTC datetimes.

Feeds use RFC 822 (``Tue, 03 Jun 2008 11:05:30 GMT``), sitemaps W3C datetimes
(``2008-06-03T11:05:30+02:00`` or a bare date), pages ISO 8601 in many spellings.
A value without a time zone is taken as UTC; a bare date is midnight UTC.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

__all__ = ["parse_date"]

# "2024-11-30 10:15:00Z", "2024-11-30T10:15:00.123456+0100": spellings fromisoformat refuses
# on Python 3.11 (a space before the zone, a "Z" after fractions, an offset without a colon).
_ISO_LIKE = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})(?:[T ](?P<time>\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)"
    r"\s*(?P<zone>Z|[+-]\d{2}:?\d{2}|[+-]\d{2})?)?$",
    re.IGNORECASE,
)

# The earliest year a news page can plausibly carry; rejects zeros and typos like "0024".
_MIN_YEAR = 1990


def parse_date(value: str | None) -> datetime | None:
    """Return ``value`` as an aware UTC datetime, or None when it is not a date we can read."""
    if not value:
        return None
    text = value.strip()
    parsed = _parse_iso(text) or _parse_rfc822(text)
    if parsed is None or parsed.year < _MIN_YEAR:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _parse_iso(text: str) -> datetime | None:
    match = _ISO_LIKE.match(text)
    if not match:
        return None
    date, time, zone = match.group("date", "time", "zone")
    if time is None:
        candidate = f"{date}T00:00:00"
    else:
        seconds, _, fraction = time.replace(",", ".").partition(".")
        if seconds.count(":") == 1:
            seconds += ":00"
        candidate = f"{date}T{seconds}" + (f".{fraction[:6].ljust(6, '0')}" if fraction else "")
    if zone:
        zone = zone.upper()
        if zone == "Z":
            zone = "+00:00"
        elif ":" not in zone:
            zone = f"{zone[:3]}:{zone[3:] or '00'}"
        candidate += zone
    try:
        return datetime.fromisoformat(candidate)
    except ValueError:
        return None


def _parse_rfc822(text: str) -> datetime | None:
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
