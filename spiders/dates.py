"""Dates as news sites write them, read into timezone-aware UTC datetimes.

Feeds use RFC 822 (``Tue, 03 Jun 2008 11:05:30 GMT``), sitemaps W3C datetimes
(``2008-06-03T11:05:30+02:00`` or a bare date), pages ISO 8601 in many spellings.
A value without a time zone is taken as UTC; a bare date is midnight UTC.

A date that reads is not yet a date to trust: feeds and pages carry any date, year 9999
included. :func:`publication_time` keeps only times an article can have had when it was
fetched, and is the one place where that rule lives.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

__all__ = ["MAX_AHEAD", "MIN_YEAR", "parse_date", "plausible", "publication_time"]

# "2024-11-30 10:15:00Z", "2024-11-30T10:15:00.123456+0100": spellings fromisoformat refuses
# on Python 3.11 (a space before the zone, a "Z" after fractions, an offset without a colon).
_ISO_LIKE = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})(?:[T ](?P<time>\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)"
    r"\s*(?P<zone>Z|[+-]\d{2}:?\d{2}|[+-]\d{2})?)?$",
    re.IGNORECASE,
)

#: The earliest year a news article can plausibly carry; rejects zeros and typos like "0024".
MIN_YEAR = 1990
#: How far after its fetch an article's publication time may lie: a site's clock or zone may
#: be off by hours, and a story may be dated the moment its embargo lifts; more is a wrong date.
MAX_AHEAD = timedelta(days=1)

_EARLIEST = datetime(MIN_YEAR, 1, 1, tzinfo=UTC)


def parse_date(value: str | None) -> datetime | None:
    """Return ``value`` as an aware UTC datetime, or None when it is not a date we can read."""
    if not value:
        return None
    text = value.strip()
    parsed = _parse_iso(text) or _parse_rfc822(text)
    if parsed is None or parsed.year < MIN_YEAR:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # "9999-12-31T23:30-05:00" is in year 10000 in UTC
        return None


def plausible(when: datetime | None, *, fetched: datetime) -> datetime | None:
    """``when`` if an article fetched at ``fetched`` can have been published then, else None.

    Times before ``MIN_YEAR`` or more than ``MAX_AHEAD`` after the fetch are wrong dates, not
    news. Both times are timezone-aware.
    """
    if when is None or when < _EARLIEST or when - fetched > MAX_AHEAD:
        return None
    return when


def publication_time(page: datetime | None, listing: datetime | None, *,
                     fetched: datetime) -> datetime | None:
    """An article's publication time: the page's own if plausible, else the time its feed
    or sitemap entry gives if plausible, else None (unknown: its fetch time stands in)."""
    return plausible(page, fetched=fetched) or plausible(listing, fetched=fetched)


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
