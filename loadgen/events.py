"""``loadgen --events FILE``: the sample events every work request for the user's function carries.

A ``.jsonl`` file holds one ``{"event": …, "weight": …}`` object per line (``weight`` optional, a number > 0,
default 1: like AWS Lambda Power Tuning's weighted payloads); any other file is one JSON document, the one event.
Each event becomes a share of the mix (``workload`` ``function``), so the plan picks every seq's event by weight,
the same for every variant. A work request larger than SQS's message limit is refused here, before anything is sent.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from core import UsageError
from handlers.contract import USER_WORKLOAD, WorkRequest
from loadgen.parsing import WorkloadShare

SQS_MESSAGE_MAX_BYTES = 256 * 1024
# The largest identity a request can carry: the longest run id, the largest seq and round, a full-precision time.
_WIDEST = WorkRequest(run_id="r" * 64, seq=2**63 - 1, workload=USER_WORKLOAD, size=0, iterations=1000,
                      seed=2**63 - 1, sent_at=1.7976931348623157e308, round=100_000)


def load_events(path: Path) -> tuple[WorkloadShare, ...]:
    """The file's events as weighted shares of the mix; one ``UsageError`` line for any problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeError) as exc:
        raise UsageError(f"--events {path}: cannot read it: {exc}") from None
    if path.suffix == ".jsonl":
        shares = tuple(_line_share(path, number, line) for number, line in enumerate(text.splitlines(), 1)
                       if line.strip())
    else:
        shares = (WorkloadShare(USER_WORKLOAD, 1.0, 0, _decode(path, "", text)),)
    if not shares:
        raise UsageError(f"--events {path}: no events in it")
    for number, share in enumerate(shares, 1):
        size = len(_WIDEST._replace(event=share.event).to_json().encode())
        if size > SQS_MESSAGE_MAX_BYTES:
            raise UsageError(f"--events {path}: event {number} makes a work request of {size:,} bytes, over SQS's "
                             f"{SQS_MESSAGE_MAX_BYTES:,}-byte message limit")
    return shares


def _line_share(path: Path, number: int, line: str) -> WorkloadShare:
    where = f" line {number}"
    item = _decode(path, where, line)
    if not isinstance(item, dict) or "event" not in item or set(item) - {"event", "weight"}:
        raise UsageError(f"--events {path}{where}: expected {{\"event\": …, \"weight\": …}} (weight optional)")
    weight = item.get("weight", 1)
    if isinstance(weight, bool) or not isinstance(weight, int | float) or not (math.isfinite(weight)
                                                                                and weight > 0):
        raise UsageError(f"--events {path}{where}: weight must be a number above 0, got {weight!r}")
    return WorkloadShare(USER_WORKLOAD, float(weight), 0, item["event"])


def _decode(path: Path, where: str, text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise UsageError(f"--events {path}{where}: not valid JSON: {exc}") from None
