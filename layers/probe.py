"""Run a small request of every workload through the handler's direct-invoke path and print the digests as JSON;
with ``ARCHBENCH_VERIFY_EVENTS`` (a JSON list), archbench:function's handler on each of those events instead.

Started by ``layers.verify`` under each architecture's Python with
``PYTHONPATH=<layer python/>:<checkout>[:<codeDir>]``, so it may import only the standard library, ``handlers``
and the user's code.
EMF documents and logs go to stderr; stdout carries one JSON object.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import sys
import time
from typing import Any

from handlers.app import handler
from handlers.contract import USER_WORKLOAD, WorkRequest, new_run_id
from handlers.environment import LocalContext
from handlers.workloads import WORKLOADS

SEED = 7
SIZE_DIVISOR = 10  # a tenth of each default size (at least the minimum): emulated BLAS is ~150x slower
LAYER_MODULES = ("numpy", "pandas")
EVENTS_ENV = "ARCHBENCH_VERIFY_EVENTS"
EVENTS_RUN_ID = "layers-verify"  # fixed: the SQS/HTTP shapes derive ids from it, and both sides must match


def run_all() -> dict[str, dict[str, Any]]:
    run_id = new_run_id()
    results = {}
    for seq, (name, workload) in enumerate(WORKLOADS.items()):
        size = max(workload.min_size, workload.default_size // SIZE_DIVISOR)
        request = WorkRequest(run_id=run_id, seq=seq, workload=name, size=size, iterations=1, seed=SEED)
        started = time.perf_counter()
        with contextlib.redirect_stdout(sys.stderr):
            context = LocalContext(aws_request_id=f"verify-{seq}", function_name="archbench-verify")
            body = handler(json.loads(request.to_json()), context)
        results[name] = {"size": size, "digest": body.get("digest"), "error": body.get("error"),
                         "seconds": round(time.perf_counter() - started, 3)}
    return results


def run_events(path: str) -> dict[str, dict[str, Any]]:
    """The user's handler, through archbench's wrapper, on each sample event: ``event 1``, ``event 2``, …"""
    from handlers.userfunction import handler as wrapper  # only here: importing it imports the user's module

    with open(path, encoding="utf-8") as file:
        events = json.load(file)
    results = {}
    for seq, event in enumerate(events):
        request = WorkRequest(run_id=EVENTS_RUN_ID, seq=seq, workload=USER_WORKLOAD, size=0, event=event)
        started = time.perf_counter()
        with contextlib.redirect_stdout(sys.stderr):
            body = wrapper(json.loads(request.to_json()), LocalContext(aws_request_id=f"verify-{seq}"))
        results[f"event {seq + 1}"] = {"size": 0, "digest": body.get("digest"), "error": body.get("error"),
                                       "seconds": round(time.perf_counter() - started, 3)}
    return results


def main() -> None:
    events = os.environ.get(EVENTS_ENV)
    results = run_events(events) if events else run_all()
    modules = {name: getattr(sys.modules.get(name), "__file__", None) for name in LAYER_MODULES}
    print(json.dumps({"machine": platform.machine(), "python": platform.python_version(), "results": results,
                      "modules": modules}))


if __name__ == "__main__":
    main()
