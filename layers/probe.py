"""Run a small request of every workload through the handler's direct-invoke path and print the digests as JSON.

Started by ``layers.verify`` under each architecture's Python with
``PYTHONPATH=<layer python/>:<checkout>``, so it may import only the standard library and ``handlers``.
EMF documents and logs go to stderr; stdout carries one JSON object.
"""

from __future__ import annotations

import contextlib
import json
import platform
import sys
import time
from typing import Any

from handlers.app import handler
from handlers.contract import WorkRequest, new_run_id
from handlers.environment import LocalContext
from handlers.workloads import WORKLOADS

SEED = 7
SIZE_DIVISOR = 10  # a tenth of each default size (at least the minimum): emulated BLAS is ~150x slower
LAYER_MODULES = ("numpy", "pandas")


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


def main() -> None:
    results = run_all()
    modules = {name: getattr(sys.modules.get(name), "__file__", None) for name in LAYER_MODULES}
    print(json.dumps({"machine": platform.machine(), "python": platform.python_version(), "results": results,
                      "modules": modules}))


if __name__ == "__main__":
    main()
