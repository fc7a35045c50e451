"""One figure of a benchmark: printed as ``BENCH <name> key=value ...`` and kept for the JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Figure:
    name: str
    values: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """Its key in results.json: the name, and the part of the data set when one figure is
        measured on several (``extract_real.tuning``, ``fleet_poll.1000``)."""
        part = self.values.get("half") or self.values.get("sites")
        return f"{self.name}.{part}" if part else self.name

    def line(self) -> str:
        parts = " ".join(f"{k}={_fmt(v)}" for k, v in self.values.items())
        return f"BENCH {self.name} {parts}".rstrip()


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
