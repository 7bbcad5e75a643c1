"""Wait until every function answers a ``noop`` work request through both triggers: direct invoke and its route.

A deployed function is not yet a working one: its first invocation starts a worker (cold start) and imports the
handlers. ``up`` returns only once both paths have answered, so the next command measures, not warms up.
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from handlers.contract import IMPORT_ERROR_TYPE, WorkRequest, new_run_id
from handlers.workloads import WORKLOADS
from localcloud.errors import LocalCloudError
from localcloud.http import post_json
from stack import FunctionOutputs, StackOutputs


def noop_request(seq: int = 0) -> WorkRequest:
    return WorkRequest(run_id=new_run_id(), seq=seq, workload="noop", size=WORKLOADS["noop"].default_size)


def wait_ready(outputs: StackOutputs, sign: bool = True, timeout_s: float = 60.0) -> None:
    """Poll every function (in parallel: each first call is a cold start) until both triggers succeed."""
    assert outputs.endpoint_url is not None
    lam = outputs.client("lambda")
    deadline = time.monotonic() + timeout_s
    with ThreadPoolExecutor(max_workers=len(outputs.functions)) as pool:
        problems = list(pool.map(lambda fn: _wait_one(lam, outputs.api_url, fn, sign, deadline),
                                 outputs.functions.values()))
    for fn, problem in zip(outputs.functions.values(), problems, strict=True):
        if isinstance(problem, _Fatal):
            raise LocalCloudError(f"{fn.name} cannot run: {problem}")
        if problem:
            raise LocalCloudError(f"{fn.name} is not ready after {timeout_s:.0f} s: {problem}")


class _Fatal(str):
    """A problem that waiting cannot cure: the user's module does not import (``handlers.userfunction``)."""


def _wait_one(lam: Any, api_url: str, fn: FunctionOutputs, sign: bool, deadline: float) -> str:
    """The last problem seen before the deadline, or "" once invoke and route both answered."""
    while True:
        problem = _invoke_problem(lam, fn.name) or _route_problem(api_url + fn.route, sign)
        if not problem or isinstance(problem, _Fatal) or time.monotonic() > deadline:
            return problem
        time.sleep(0.2)


def _invoke_problem(lam: Any, name: str) -> str:
    try:
        answer = lam.invoke(FunctionName=name, Payload=noop_request().to_json().encode())
    except (ClientError, BotoCoreError) as exc:
        return f"invoke failed: {exc}"
    if answer.get("FunctionError"):
        payload = answer["Payload"].read()
        try:
            error = json.loads(payload)
        except ValueError:
            error = None
        message = str(error.get("errorMessage", "")) if isinstance(error, dict) else ""
        if message.startswith(f"{IMPORT_ERROR_TYPE}: "):
            return _Fatal(message)
        return f"invoke answered {answer['FunctionError']}: {payload[:300]!r}"
    return ""


def _route_problem(url: str, sign: bool) -> str:
    try:
        status, body = post_json(url, noop_request().to_json(), sign=sign, timeout_s=10)
    except OSError as exc:
        return f"POST {url} failed: {exc}"
    if status != 200:
        return f"POST {url} answered {status}: {json.dumps(body)[:300]}"
    return ""
