"""Reading EMF documents back from the session's MiniStack, and making late ones reach the log, for the end-to-end
tests."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from handlers.contract import P_RUN_ID
from localcloud import noop_request
from stack import StackOutputs


def emf_documents(outputs: StackOutputs, log_group: str, run_id: str) -> list[dict[str, Any]]:
    """Every EMF document of ``run_id`` in one log group (one log event per document).

    A quoted term is honoured by MiniStack's filter_log_events (a JSON pattern is not); the tests stay far below
    its 10,000-event cap per call.
    """
    assert outputs.endpoint_url
    events = outputs.client("logs").filter_log_events(
        logGroupName=log_group, filterPattern=f'"{run_id}"')["events"]
    documents = [json.loads(e["message"]) for e in events if e["message"].strip().startswith("{")]
    return [d for d in documents if "_aws" in d and d.get(P_RUN_ID) == run_id]


def emf_documents_since(outputs: StackOutputs, log_group: str, start_ms: int) -> list[dict[str, Any]]:
    """Every EMF document in one log group since ``start_ms``, of any run or of none (a body without a usable run
    id): the fault tests find a bad message's documents by its ``MessageId``."""
    assert outputs.endpoint_url
    events = outputs.client("logs").filter_log_events(
        logGroupName=log_group, startTime=start_ms, filterPattern='"MessageId"')["events"]
    documents = [json.loads(e["message"]) for e in events if e["message"].strip().startswith("{")]
    return [d for d in documents if "_aws" in d]


def nudge_workers(outputs: StackOutputs, calls: int = 12) -> None:
    """MiniStack files a worker's output until its pipe is quiet for 5 ms: on a busy machine the last document
    of an invocation waits in the pipe for that worker's next invocation. Invoke every worker once more (noop,
    another run id) so that late documents reach the log."""
    lam = outputs.client("lambda")
    names = [fn.name for fn in outputs.functions.values()] * calls
    with ThreadPoolExecutor(max_workers=calls) as pool:
        list(pool.map(lambda name: lam.invoke(FunctionName=name, Payload=noop_request().to_json().encode()),
                      names))
