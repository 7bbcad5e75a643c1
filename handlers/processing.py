"""Run one work item whatever the trigger: validate, prepare, compute ``iterations`` times, digest, emit EMF.

A bad request or a failing workload is caught here and becomes an outcome with ``error_type``, so one bad item
never affects the other items of its batch. Adapters turn ``ItemResult`` into their trigger's response.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from handlers.contract import WorkRequest
from handlers.environment import FunctionInfo
from handlers.logs import log_exception
from handlers.metrics import INVALID_WORKLOAD_DIMENSION, ItemOutcome, emit
from handlers.validation import RequestError, parse_work_request, salvage_identity
from handlers.workloads import WORKLOADS

OK = "ok"
BAD_REQUEST = "bad_request"
FAILED = "failed"
WORKLOAD_FAILED = "workload_failed"  # the error code a client sees for a workload exception


@dataclass(frozen=True)
class ItemResult:
    status: str  # OK | BAD_REQUEST | FAILED
    body: dict[str, Any]  # the JSON-able answer: the result, or {"error": {...}}
    outcome: ItemOutcome


@dataclass(frozen=True)
class QueueTiming:
    """When an SQS batch arrived (epoch ms) and when SQS says the message was sent (SentTimestamp, if present)."""

    received_ms: float
    sent_ms: float | None

    def lag_ms(self, request: WorkRequest | None) -> float | None:
        """Send-to-handler lag: SQS's SentTimestamp, else the request's ``sent_at`` (the sender's clock)."""
        sent_ms = self.sent_ms
        if sent_ms is None and request is not None and request.sent_at > 0:
            sent_ms = request.sent_at * 1000.0
        return None if sent_ms is None else round(self.received_ms - sent_ms, 3)


def process_item(raw: Any, *, trigger: str, info: FunctionInfo, started: float, message_id: str | None = None,
                 queue: QueueTiming | None = None, init_ms: float | None = None) -> ItemResult:
    """Process one request and emit its EMF document; ``started`` is the item's ``perf_counter`` start.

    ``raw`` is the request as received (mapping, JSON text or bytes), or the ``RequestError`` its transport's
    decoding raised (e.g. bad base64), which is then reported like any other invalid request.
    """
    common: dict[str, Any] = {"trigger": trigger, "message_id": message_id, "init_ms": init_ms}
    try:
        if isinstance(raw, RequestError):
            raise raw
        request = parse_work_request(raw, info.allowed_workloads, info.memory_size_mb)
    except RequestError as err:
        run_id, seq = salvage_identity(raw)
        outcome = ItemOutcome(workload=INVALID_WORKLOAD_DIMENSION, run_id=run_id, seq=seq, error_type=err.code,
                              queue_lag_ms=queue.lag_ms(None) if queue else None,
                              handler_ms=_ms_since(started), **common)
        emit(outcome, info)
        return ItemResult(BAD_REQUEST, err.to_dict(), outcome)

    identity: dict[str, Any] = {"workload": request.workload, "run_id": request.run_id, "seq": request.seq,
                "queue_lag_ms": queue.lag_ms(request) if queue else None, **common}
    workload = WORKLOADS[request.workload]
    try:
        data = workload.prepare(request.size, request.seed)
        compute_started = time.perf_counter()
        for _ in range(request.iterations):
            result = workload.compute(data)
        workload_ms = _ms_since(compute_started)
        digest = workload.digest(result)
    except Exception as exc:  # a workload failure is reported per item, never raised to the runtime
        log_exception(exc, request_id=info.request_id, run_id=request.run_id, seq=request.seq,
                      workload=request.workload, trigger=trigger)
        outcome = ItemOutcome(error_type=type(exc).__name__, handler_ms=_ms_since(started), **identity)
        emit(outcome, info)
        body: dict[str, Any] = {"error": {"code": WORKLOAD_FAILED, "request_id": info.request_id,
                          "message": f"workload {request.workload!r} failed; "
                                     f"the log has the details under request id {info.request_id}"}}
        return ItemResult(FAILED, body, outcome)

    outcome = ItemOutcome(workload_ms=round(workload_ms, 4), digest=digest, handler_ms=_ms_since(started),
                          **identity)
    emit(outcome, info)
    answer = {"run_id": request.run_id, "seq": request.seq, "workload": request.workload, "size": request.size,
            "iterations": request.iterations, "seed": request.seed, "digest": digest,
            "workload_ms": outcome.workload_ms, "architecture": info.architecture}
    return ItemResult(OK, answer, outcome)


def _ms_since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000.0, 4)
