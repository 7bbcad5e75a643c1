"""Structured log lines that are not metrics: a workload's traceback, as one JSON object on one line."""

from __future__ import annotations

import json
import sys
import traceback

ERROR_RECORD_TYPE = "archbench.workload_error"


def log_exception(exc: BaseException, *, request_id: str, run_id: str | None, seq: int | None, workload: str,
                  trigger: str) -> None:
    """Write the exception with its full traceback as ONE log event (a multi-line trace would be split into many)."""
    record = {
        "level": "ERROR",
        "type": ERROR_RECORD_TYPE,
        "RequestId": request_id,
        "RunId": run_id,
        "Seq": seq,
        "Workload": workload,
        "Trigger": trigger,
        "ErrorType": type(exc).__name__,
        "message": str(exc),
        "traceback": "".join(traceback.format_exception(exc)),
    }
    sys.stdout.write(json.dumps(record, default=str) + "\n")
    sys.stdout.flush()
