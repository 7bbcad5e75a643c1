"""Run one work item whatever the trigger: validate, prepare, compute ``iterations`` times, digest, emit EMF.

A bad request, a failing workload and the faults a hostile body can cause while it is decoded (``ITEM_FAULTS``:
nesting too deep for ``json.loads``, memory, undecodable text, numbers too large) are caught here and become an
outcome with ``error_type``, so one bad item never affects the other items of its batch. So does a workload that
runs past its time budget (``handlers.deadline``). Adapters turn ``ItemResult`` into their trigger's response.
Messages that may quote the input are cut to ``handlers.logs.MESSAGE_MAX_CHARS`` in the answer and the log.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial
from typing import Any, NamedTuple

from handlers.contract import WorkRequest
from handlers.deadline import RESERVE_MS, DeadlineExceeded, call_within
from handlers.environment import FunctionInfo
from handlers.logs import (
    DEADLINE_RECORD_TYPE,
    REQUEST_ERROR_RECORD_TYPE,
    bounded,
    log_exception,
    log_record,
)
from handlers.metrics import INVALID_WORKLOAD_DIMENSION, ItemOutcome, emit
from handlers.validation import INVALID_JSON, OUT_OF_BOUNDS, RequestError, parse_work_request, salvage_identity
from handlers.workloads import WORKLOADS

OK = "ok"
BAD_REQUEST = "bad_request"
FAILED = "failed"
TIMED_OUT = "timed_out"
WORKLOAD_FAILED = "workload_failed"  # the error code a client sees for a workload exception
RESOURCE_EXHAUSTED = "resource_exhausted"  # memory ran out decoding the request or in the workload
DEADLINE_EXCEEDED = "deadline_exceeded"  # the workload ran past the item's time budget

# What decoding and validating an untrusted body may raise besides RequestError: a bounded, named set.
ITEM_FAULTS = (RecursionError, MemoryError, UnicodeError, OverflowError)


class ItemResult(NamedTuple):
    status: str  # OK | BAD_REQUEST | FAILED | TIMED_OUT
    body: dict[str, Any]  # the JSON-able answer: the result, or {"error": {...}}
    outcome: ItemOutcome


class Runner(NamedTuple):
    """What an item runs: the built-in workloads (``BUILTIN``) or the user's function (``handlers.userfunction``).

    ``run`` gives the workload's time in ms and the result's digest; ``user_init_ms`` is the import of the user's
    module, stamped on the cold-start item beside ``init_ms``. ``names_errors``: a failed item's answer names the
    exception type (the user's function: its errors are the user's to see; a built-in workload's are not the
    client's business).
    """

    parse: Callable[[Any, FunctionInfo], WorkRequest]
    run: Callable[[WorkRequest], tuple[float, str]]
    user_init_ms: float | None = None
    names_errors: bool = False


def parse_builtin(raw: Any, info: FunctionInfo) -> WorkRequest:
    return parse_work_request(raw, info.allowed_workloads, info.memory_size_mb)


def run_builtin(request: WorkRequest) -> tuple[float, str]:
    """Prepare the workload's input, compute ``iterations`` times (only that is timed), digest the result."""
    workload = WORKLOADS[request.workload]
    data = workload.prepare(request.size, request.seed)
    compute_started = time.perf_counter()
    for _ in range(request.iterations):
        result = workload.compute(data)
    workload_ms = _ms_since(compute_started)
    return workload_ms, workload.digest(result)


BUILTIN = Runner(parse_builtin, run_builtin)


class QueueTiming(NamedTuple):
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
                 queue: QueueTiming | None = None, init_ms: float | None = None,
                 budget_s: Callable[[], float | None] | None = None, runner: Runner = BUILTIN) -> ItemResult:
    """Process one request and emit its EMF document; ``started`` is the item's ``perf_counter`` start.

    ``raw`` is the request as received (mapping, JSON text or bytes), or the ``RequestError`` its transport's
    decoding raised (e.g. bad base64), which is then reported like any other invalid request. ``budget_s``, asked
    just before the workload starts, gives the seconds it may run (``None``: unbounded).
    """
    common: dict[str, Any] = {"trigger": trigger, "message_id": message_id, "init_ms": init_ms,
                              "user_init_ms": runner.user_init_ms if init_ms is not None else None}
    try:
        if isinstance(raw, RequestError):
            raise raw
        request = runner.parse(raw, info)
    except RequestError as err:
        return _refused(raw, err.code, err.message, err.field, started, info, queue, common)
    except RecursionError:
        return _refused(raw, INVALID_JSON, "body is nested too deeply to decode", None, started, info, queue, common)
    except UnicodeError:
        return _refused(raw, INVALID_JSON, "body is not valid UTF-8 text", None, started, info, queue, common)
    except OverflowError:
        return _refused(raw, OUT_OF_BOUNDS, "a number in the request is too large", None, started, info, queue,
                        common)
    except MemoryError:
        return _refused(raw, RESOURCE_EXHAUSTED, "the function ran out of memory decoding the request", None,
                        started, info, queue, common, status=FAILED)

    identity: dict[str, Any] = {"workload": request.workload, "run_id": request.run_id, "seq": request.seq,
                                "round": request.round, "queue_lag_ms": queue.lag_ms(request) if queue else None,
                                **common}
    run = partial(runner.run, request)
    limit_s = budget_s() if budget_s is not None else None
    try:
        workload_ms, digest = call_within(limit_s, run) if limit_s is not None else run()
    except DeadlineExceeded as exc:
        outcome = ItemOutcome(error_type=DEADLINE_EXCEEDED, handler_ms=_ms_since(started), **identity)
        log_record(DEADLINE_RECORD_TYPE, "ERROR", RequestId=info.request_id, RunId=request.run_id, Seq=request.seq,
                   Workload=request.workload, Trigger=trigger, MessageId=message_id,
                   budget_ms=round(exc.budget_s * 1000.0, 1), reserve_ms=RESERVE_MS)
        emit(outcome, info)
        return ItemResult(TIMED_OUT, _failure(DEADLINE_EXCEEDED, info,
                                              f"workload {request.workload!r} did not finish within its "
                                              f"{exc.budget_s:.1f} s budget (the function's remaining time "
                                              f"minus {RESERVE_MS} ms)"), outcome)
    except Exception as exc:  # a workload failure is reported per item, never raised to the runtime
        log_exception(exc, request_id=info.request_id, run_id=request.run_id, seq=request.seq,
                      workload=request.workload, trigger=trigger)
        outcome = ItemOutcome(error_type=type(exc).__name__, handler_ms=_ms_since(started), **identity)
        emit(outcome, info)
        if isinstance(exc, MemoryError):
            return ItemResult(FAILED, _failure(RESOURCE_EXHAUSTED, info,
                                               f"workload {request.workload!r} ran out of memory"), outcome)
        answer = _failure(WORKLOAD_FAILED, info, f"workload {request.workload!r} failed")
        if runner.names_errors:
            answer["error"]["error_type"] = outcome.error_type
        return ItemResult(FAILED, answer, outcome)

    outcome = ItemOutcome(workload_ms=round(workload_ms, 4), digest=digest, handler_ms=_ms_since(started),
                          **identity)
    emit(outcome, info)
    answer = {"run_id": request.run_id, "seq": request.seq, "workload": request.workload, "size": request.size,
              "iterations": request.iterations, "seed": request.seed, "digest": digest,
              "workload_ms": outcome.workload_ms, "architecture": info.architecture}
    return ItemResult(OK, answer, outcome)


def _refused(raw: Any, code: str, message: str, field: str | None, started: float, info: FunctionInfo,
             queue: QueueTiming | None, common: dict[str, Any], *, status: str = BAD_REQUEST) -> ItemResult:
    """A request that did not validate: its EMF document, one log line with code and field, the bounded answer."""
    run_id, seq = _salvage(raw)
    outcome = ItemOutcome(workload=INVALID_WORKLOAD_DIMENSION, run_id=run_id, seq=seq, error_type=code,
                          queue_lag_ms=queue.lag_ms(None) if queue else None,
                          handler_ms=_ms_since(started), **common)
    message = bounded(message)
    log_record(REQUEST_ERROR_RECORD_TYPE, "WARNING", RequestId=info.request_id, RunId=run_id, Seq=seq,
               Trigger=common["trigger"], MessageId=common["message_id"], code=code,
               field=field, message=message)
    emit(outcome, info)
    if status == FAILED:
        return ItemResult(status, _failure(code, info, message), outcome)
    return ItemResult(status, {"error": {"code": code, "message": message}}, outcome)


def _failure(code: str, info: FunctionInfo, what: str) -> dict[str, Any]:
    """The answer for an item that failed on our side: the code, what happened, where the log has the details."""
    return {"error": {"code": code, "request_id": info.request_id,
                      "message": f"{what}; the log has the details under request id {info.request_id}"}}


def _salvage(raw: Any) -> tuple[str | None, int | None]:
    """``salvage_identity``, which decodes the body again: a body that could not be decoded has no identity."""
    try:
        return salvage_identity(raw)
    except ITEM_FAULTS:
        return None, None


def _ms_since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000.0, 4)
