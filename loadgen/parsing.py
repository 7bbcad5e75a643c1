"""Parse the user's words for rates and workload mixes; every mistake is one clear ``UsageError``.

Durations are every command's: ``core.cli.parse_duration``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from core import UsageError

_RATE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*/\s*(s|m)\s*$")
# NAME[@SIZE][:WEIGHT], e.g. ``sort``, ``sort:3``, ``sort@20000:3``.
_SHARE_RE = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:@(?P<size>\d+))?(?::(?P<weight>\d+(?:\.\d+)?))?$")


@dataclass(frozen=True)
class WorkloadShare:
    """One workload of the mix: its relative weight and the size every request of it uses (None = default)."""

    name: str
    weight: float = 1.0
    size: int | None = None
    event: object = None  # ``--events``: the user's sample event every request of this share carries


def parse_rate(text: str, *, allow_zero: bool = False) -> float:
    """``50/s`` or ``3000/m`` → requests per second (> 0, or ≥ 0 with ``allow_zero``)."""
    match = _RATE_RE.match(text)
    if not match:
        raise UsageError(f"rate {text!r} is not like 50/s or 3000/m")
    value = float(match.group(1)) / (60.0 if match.group(2) == "m" else 1.0)
    if (value == 0 and not allow_zero) or not math.isfinite(value):
        raise UsageError(f"rate {text!r} must be more than zero")
    return value


def parse_mix(text: str) -> tuple[WorkloadShare, ...]:
    """``sort,numpy_matmul`` (equal weights) or ``sort:3,noop:1`` or ``sort@20000:3`` → the workload mix."""
    shares: list[WorkloadShare] = []
    for part in (p.strip() for p in text.split(",")):
        match = _SHARE_RE.match(part)
        if not match:
            raise UsageError(f"workload {part!r} is not like NAME, NAME:WEIGHT or NAME@SIZE:WEIGHT")
        weight = float(match.group("weight") or 1)
        if weight <= 0:
            raise UsageError(f"workload {part!r}: the weight must be more than zero")
        size = int(match.group("size")) if match.group("size") else None
        shares.append(WorkloadShare(match.group("name"), weight, size))
    names = [s.name for s in shares]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise UsageError(f"workload {duplicates[0]!r} appears twice in {text!r}")
    return tuple(shares)
