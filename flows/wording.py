"""Counts in words, for run reports, state messages and logs: "1 story", "2 stories"."""

from __future__ import annotations

__all__ = ["counted"]


def counted(number: int, singular: str, plural: str | None = None) -> str:
    """``number`` and the noun that agrees with it; the plural defaults to ``singular + "s"``."""
    return f"{number} {singular if number == 1 else plural or singular + 's'}"
