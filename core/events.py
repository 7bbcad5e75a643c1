"""A sample-events file for archbench:function, read the same way by ``loadgen --events`` and ``layers verify``.

A ``.jsonl`` file holds one ``{"event": …, "weight": …}`` object per line (``weight`` optional, a number > 0,
default 1: like AWS Lambda Power Tuning's weighted payloads); any other file is one JSON document, the one event.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from core.cli import UsageError


def read_events(path: Path) -> tuple[tuple[Any, float], ...]:
    """(event, weight) for every event of the file; one ``UsageError`` line for any problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeError) as exc:
        raise UsageError(f"--events {path}: cannot read it: {exc}") from None
    if path.suffix == ".jsonl":
        events = tuple(_line(path, number, line) for number, line in enumerate(text.splitlines(), 1)
                       if line.strip())
    else:
        events = ((_decode(path, "", text), 1.0),)
    if not events:
        raise UsageError(f"--events {path}: no events in it")
    return events


def _line(path: Path, number: int, line: str) -> tuple[Any, float]:
    where = f" line {number}"
    item = _decode(path, where, line)
    if not isinstance(item, dict) or "event" not in item or set(item) - {"event", "weight"}:
        raise UsageError(f"--events {path}{where}: expected {{\"event\": …, \"weight\": …}} (weight optional)")
    weight = item.get("weight", 1)
    if isinstance(weight, bool) or not isinstance(weight, int | float) or not (math.isfinite(weight)
                                                                                and weight > 0):
        raise UsageError(f"--events {path}{where}: weight must be a number above 0, got {weight!r}")
    return item["event"], float(weight)


def _decode(path: Path, where: str, text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise UsageError(f"--events {path}{where}: not valid JSON: {exc}") from None
