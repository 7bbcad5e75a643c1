"""Structured log lines that are not metrics, each one JSON object on one line (one log event).

- ``archbench.workload_error``: a workload's exception with its traceback.
- ``archbench.request_error``: a refused request: its code, the field (when the error names one) and the message.
- ``archbench.deadline_exceeded``: an item stopped at the end of its time budget.
- ``archbench.items_deferred``: the items of an SQS batch handed back unstarted for lack of time.

No line and no answer echoes more than ``MESSAGE_MAX_CHARS`` characters of a message built from the input.
"""

from __future__ import annotations

import json
import sys
from typing import Any

ERROR_RECORD_TYPE = "archbench.workload_error"
REQUEST_ERROR_RECORD_TYPE = "archbench.request_error"
DEADLINE_RECORD_TYPE = "archbench.deadline_exceeded"
DEFERRED_RECORD_TYPE = "archbench.items_deferred"

MESSAGE_MAX_CHARS = 300  # of any message that may quote the input (answers and log lines)
TRACEBACK_MAX_CHARS = 8_000  # a traceback's tail; its last line is the (bounded) message
DEFERRED_IDS_MAX = 20  # message ids listed in one items_deferred line


def bounded(text: str, limit: int = MESSAGE_MAX_CHARS) -> str:
    """``text`` cut to ``limit`` characters, saying how many were cut."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit} more characters)"


def log_record(record_type: str, level: str, **fields: Any) -> None:
    """Write one structured record as ONE log event."""
    record = {"level": level, "type": record_type, **fields}
    sys.stdout.write(json.dumps(record, default=str) + "\n")
    sys.stdout.flush()


def log_exception(exc: BaseException, *, request_id: str, run_id: str | None, seq: int | None, workload: str,
                  trigger: str) -> None:
    """The exception with its traceback as ONE log event (a multi-line trace would be split into many)."""
    import traceback  # only when a workload fails: it is not part of every cold start

    message = bounded(str(exc))
    frames = "".join(traceback.format_exception(exc))
    if len(frames) > TRACEBACK_MAX_CHARS:  # the message inside may quote the input: keep the tail, cut the rest
        frames = "".join(traceback.format_tb(exc.__traceback__))[-TRACEBACK_MAX_CHARS:]
        frames = f"Traceback (most recent call last, cut):\n…{frames}{type(exc).__name__}: {message}\n"
    log_record(ERROR_RECORD_TYPE, "ERROR", RequestId=request_id, RunId=run_id, Seq=seq, Workload=workload,
               Trigger=trigger, ErrorType=type(exc).__name__, message=message, traceback=frames)
