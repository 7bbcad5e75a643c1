"""Event adapters: recognise the trigger from the event's shape and turn item results into its response.

- SQS batch (``Records`` with ``eventSource == "aws:sqs"``) → ``{"batchItemFailures": [...]}``
- API Gateway HTTP API payload 2.0 and REST/payload 1.0 proxy events → ``{"statusCode", "headers", "body"}``
- anything else is a direct invoke whose event is the work request → the result dict or ``{"error": {...}}``

Each item's workload runs within the invocation's remaining time minus a reserve (``handlers.deadline``). An SQS
item is not started when too little time is left: it and every later item of the batch are handed back
unprocessed as batch item failures (no EMF document: SQS delivers them again and they are processed then). An item
that ran out of its budget runs after the other records of any later batch in this environment
(``handlers.batches``), and an item SQS delivered before leaves the later records of its batch time to start, so
its neighbours are processed when SQS delivers them again.
"""

from __future__ import annotations

import binascii
import json
import math
import time
from collections.abc import Mapping
from functools import partial
from typing import Any

from handlers.batches import OverBudget, message_id_of, receive_count
from handlers.contract import TRIGGER_API, TRIGGER_DIRECT, TRIGGER_SQS
from handlers.deadline import RESERVE_MS, InvocationClock
from handlers.environment import FunctionInfo
from handlers.logs import DEFERRED_IDS_MAX, DEFERRED_RECORD_TYPE, log_record
from handlers.processing import BAD_REQUEST, BUILTIN, OK, TIMED_OUT, QueueTiming, Runner, process_item
from handlers.validation import INVALID_JSON, RequestError

_STATUS = {OK: 200, BAD_REQUEST: 400, TIMED_OUT: 504}  # anything else (a failure on our side): 500
_JSON_HEADERS = {"content-type": "application/json"}
OVER_BUDGET = OverBudget()  # this execution environment's memory of the SQS messages that ran out of their budget


def trigger_of(event: Any) -> str:
    """Which trigger sent this event, from its shape alone."""
    if isinstance(event, Mapping):
        records = event.get("Records")
        if isinstance(records, list) and all(
                isinstance(r, Mapping) and r.get("eventSource") == "aws:sqs" for r in records):
            return TRIGGER_SQS
        context = event.get("requestContext")
        if isinstance(context, Mapping) and ("http" in context or "httpMethod" in event):
            return TRIGGER_API
    return TRIGGER_DIRECT


def handle_sqs(event: Mapping[str, Any], info: FunctionInfo, init_ms: float | None,
               clock: InvocationClock | None = None, runner: Runner = BUILTIN) -> dict[str, Any]:
    """Process every record; report exactly the failed ones so only they are retried (ReportBatchItemFailures).

    Records that cannot be started in time are reported too, unprocessed, so SQS delivers them again. The records
    run in ``OVER_BUDGET.run_order``: those that ran out of their budget here before run last.
    """
    clock = clock or InvocationClock(None)
    received_ms = time.time() * 1000.0
    failures: list[dict[str, str]] = []
    records = OVER_BUDGET.run_order(event["Records"])
    for index, record in enumerate(records):
        if not clock.can_start():
            deferred = [message_id_of(r) for r in records[index:]]
            failures.extend({"itemIdentifier": message_id} for message_id in deferred)
            log_record(DEFERRED_RECORD_TYPE, "WARNING", RequestId=info.request_id, count=len(deferred),
                       remaining_ms=clock.remaining_ms(), reserve_ms=RESERVE_MS,
                       message_ids=deferred[:DEFERRED_IDS_MAX])
            break
        started = time.perf_counter()
        message_id = message_id_of(record)
        queue = QueueTiming(received_ms=received_ms, sent_ms=_sent_timestamp_ms(record))
        waiting = len(records) - index - 1 if receive_count(record) > 1 else 0  # a retry leaves them time to start
        result = process_item(record.get("body", ""), trigger=TRIGGER_SQS, info=info, started=started,
                              message_id=message_id, queue=queue, init_ms=init_ms,
                              budget_s=partial(clock.item_budget_s, waiting), runner=runner)
        init_ms = None
        if result.status == TIMED_OUT:
            OVER_BUDGET.remember(message_id)
        if result.status != OK:
            failures.append({"itemIdentifier": message_id})
    return {"batchItemFailures": failures}


def handle_api(event: Mapping[str, Any], info: FunctionInfo, init_ms: float | None,
               clock: InvocationClock | None = None, runner: Runner = BUILTIN) -> dict[str, Any]:
    """One request per call; 400 for a bad request, 500 with the request id (never a traceback) for a failure,
    504 ``deadline_exceeded`` for a workload stopped at the end of its time budget."""
    started = time.perf_counter()
    context = event.get("requestContext") or {}
    api_request_id = context.get("requestId") if isinstance(context, Mapping) else None
    try:
        body: Any = _api_body(event)
    except RequestError as err:
        body = err  # process_item reports it like any other invalid body
    result = process_item(body, trigger=TRIGGER_API, info=info, started=started, message_id=api_request_id,
                          init_ms=init_ms, budget_s=(clock or InvocationClock(None)).item_budget_s, runner=runner)
    return {"statusCode": _STATUS.get(result.status, 500), "headers": dict(_JSON_HEADERS),
            "body": json.dumps(result.body), "isBase64Encoded": False}


def handle_direct(event: Any, info: FunctionInfo, init_ms: float | None,
                  clock: InvocationClock | None = None, runner: Runner = BUILTIN) -> dict[str, Any]:
    """The event is the work request; the answer is the result dict or an error dict (never an exception)."""
    return process_item(event, trigger=TRIGGER_DIRECT, info=info, started=time.perf_counter(), init_ms=init_ms,
                        budget_s=(clock or InvocationClock(None)).item_budget_s, runner=runner).body


def _api_body(event: Mapping[str, Any]) -> Any:
    body = event.get("body")
    if body is None:
        return ""
    if event.get("isBase64Encoded"):
        try:
            import base64  # only for a base64 body: it is not part of every cold start

            return base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError, TypeError):
            raise RequestError(INVALID_JSON, "body is marked base64 but does not decode") from None
    return body


def _sent_timestamp_ms(record: Mapping[str, Any]) -> float | None:
    """SQS's own SentTimestamp attribute (epoch ms, a string in the event), if present, numeric and finite (an EMF
    metric value must be)."""
    attributes = record.get("attributes")
    sent = attributes.get("SentTimestamp") if isinstance(attributes, Mapping) else None
    try:
        value = float(sent) if sent is not None else None
    except (TypeError, ValueError):
        return None
    return value if value is not None and math.isfinite(value) else None
