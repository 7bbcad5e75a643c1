"""Turn an untrusted work request (SQS body, API body, direct event, loadgen CLI values) into a ``WorkRequest``.

Every problem becomes a ``RequestError`` with a stable code and a one-line message; the handler maps it to an
HTTP 400 or a failed SQS batch item, loadgen to a CLI error.
"""

from __future__ import annotations

import json
import math
from collections.abc import Collection, Mapping
from typing import Any

from handlers.contract import REQUEST_FIELDS, USER_WORKLOAD, WorkRequest, is_run_id, run_id_problem
from handlers.workloads import WORKLOADS, Workload

INVALID_JSON = "invalid_json"
INVALID_TYPE = "invalid_type"
INVALID_VALUE = "invalid_value"
MISSING_FIELD = "missing_field"
UNKNOWN_FIELD = "unknown_field"
UNKNOWN_WORKLOAD = "unknown_workload"
NOT_ALLOWED = "not_allowed"
OUT_OF_BOUNDS = "out_of_bounds"
ERROR_CODES = (INVALID_JSON, INVALID_TYPE, INVALID_VALUE, MISSING_FIELD, UNKNOWN_FIELD, UNKNOWN_WORKLOAD,
               NOT_ALLOWED, OUT_OF_BOUNDS)

RUNTIME_BASELINE_MB = 64  # the interpreter, the runtime and the handler before any workload (Lambda: ~40 MB)
MAX_SEQ = 2**63 - 1
MAX_SEED = 2**63 - 1
MAX_ROUND = 100_000  # loadgen's rounds are a handful to a few hundred; the bound keeps EMF values sane
REQUIRED_FIELDS = ("run_id", "seq", "workload")
MAX_USER_ITERATIONS = 1000  # calls of the user's handler per item
READINESS_WORKLOAD = "noop"  # what the deployers' readiness check sends; the user's function accepts it too


class RequestError(ValueError):
    """A work request the handler refuses; ``code`` is one of ``ERROR_CODES``, ``field`` the request field at fault
    (``None`` when the body as a whole is)."""

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field

    def to_dict(self) -> dict[str, dict[str, str]]:
        return {"error": {"code": self.code, "message": self.message}}


def parse_work_request(obj: Any, allowed: Collection[str] | None = None,
                       memory_mb: int | None = None, user_function: bool = False) -> WorkRequest:
    """Validate a mapping, or JSON text/bytes of one; ``allowed`` (non-empty) restricts the workloads accepted.

    ``memory_mb`` (the function's memory size, when known) refuses a size whose estimated peak would not fit: an
    OOM-killed invocation fails its whole SQS batch, not just the oversized item.
    ``size`` defaults to the workload's default size, ``iterations`` to 1, ``seed`` and ``sent_at`` to 0;
    ``round`` is optional (``None`` when absent: a run without rounds), an integer 0 … ``MAX_ROUND`` when given.
    ``user_function``: the stack runs the user's function, whose requests name workload ``USER_WORKLOAD`` and
    carry an ``event`` (any JSON value); ``READINESS_WORKLOAD`` stays accepted for the deployers' readiness check.
    """
    data = _as_mapping(obj)
    unknown = sorted(set(data) - set(REQUEST_FIELDS))
    if unknown:
        raise RequestError(UNKNOWN_FIELD, f"unknown field(s) {', '.join(unknown)}; "
                                          f"a work request has {', '.join(REQUEST_FIELDS)}")
    for name in REQUIRED_FIELDS:
        if name not in data:
            raise RequestError(MISSING_FIELD, f"missing required field '{name}'", name)

    run_id = _string(data, "run_id")
    if not is_run_id(run_id):
        raise RequestError(INVALID_VALUE, f"run_id {run_id_problem(run_id)}", "run_id")
    seq = _bounded_int(data, "seq", 0, MAX_SEQ)

    name = _string(data, "workload")
    if user_function and name != READINESS_WORKLOAD:
        return _user_request(data, run_id, seq, name)
    if "event" in data:
        raise RequestError(INVALID_VALUE, f"'event' is only for workload {USER_WORKLOAD!r} (archbench:function)",
                           "event")
    workload = find_workload(name)
    if allowed and name not in allowed:
        raise RequestError(NOT_ALLOWED, f"workload {name!r} is not allowed here; allowed: {', '.join(allowed)}",
                           "workload")

    size = _bounded_int(data, "size", workload.min_size, workload.max_size, workload.default_size)
    if memory_mb is not None:
        needed = RUNTIME_BASELINE_MB + workload.peak_mb(size)
        if needed > memory_mb:
            raise RequestError(OUT_OF_BOUNDS, f"'size' {size} of workload {name!r} needs about {needed:.0f} MB; "
                                              f"the function has {memory_mb} MB", "size")
    iterations = _bounded_int(data, "iterations", 1, workload.max_iterations, 1)
    seed = _bounded_int(data, "seed", 0, MAX_SEED, 0)
    sent_at = _sent_at(data)
    trial = _bounded_int(data, "round", 0, MAX_ROUND) if "round" in data else None
    return WorkRequest(run_id=run_id, seq=seq, workload=name, size=size, iterations=iterations, seed=seed,
                       sent_at=sent_at, round=trial)


def _user_request(data: Mapping[str, Any], run_id: str, seq: int, name: str) -> WorkRequest:
    """A request for the user's function: its event, how many calls, and the fields every request has."""
    if name != USER_WORKLOAD:
        raise RequestError(NOT_ALLOWED, f"this stack runs your function (archbench:function): workload must be "
                                        f"{USER_WORKLOAD!r}, got {name!r}", "workload")
    if "event" not in data:
        raise RequestError(MISSING_FIELD, "missing required field 'event' (the event your handler is called with)",
                           "event")
    if data.get("size", 0) != 0:
        raise RequestError(INVALID_VALUE, "'size' is not used by your function: leave it out or 0", "size")
    iterations = _bounded_int(data, "iterations", 1, MAX_USER_ITERATIONS, 1)
    trial = _bounded_int(data, "round", 0, MAX_ROUND) if "round" in data else None
    return WorkRequest(run_id=run_id, seq=seq, workload=name, size=0, iterations=iterations,
                       seed=_bounded_int(data, "seed", 0, MAX_SEED, 0), sent_at=_sent_at(data), round=trial,
                       event=data["event"])


def find_workload(name: str) -> Workload:
    """The workload called ``name``; a ``RequestError`` naming the known ones otherwise."""
    workload = WORKLOADS.get(name)
    if workload is None:
        raise RequestError(UNKNOWN_WORKLOAD, f"unknown workload {name!r}; known: {', '.join(sorted(WORKLOADS))}",
                           "workload")
    return workload


def salvage_identity(obj: Any) -> tuple[str | None, int | None]:
    """The run id and seq of a request that failed validation, when they are usable, so its error is countable."""
    if isinstance(obj, str | bytes | bytearray):
        try:
            obj = json.loads(obj)
        except ValueError:
            return None, None
    if not isinstance(obj, Mapping):
        return None, None
    run_id, seq = obj.get("run_id"), obj.get("seq")
    return (run_id if is_run_id(run_id) else None,
            seq if isinstance(seq, int) and not isinstance(seq, bool) and 0 <= seq <= MAX_SEQ else None)


def _as_mapping(obj: Any) -> Mapping[str, Any]:
    if isinstance(obj, bytes | bytearray):
        try:
            obj = obj.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise RequestError(INVALID_JSON, f"body is not UTF-8 text: {exc.reason}") from None
    if isinstance(obj, str):
        if not obj.strip():
            raise RequestError(INVALID_JSON, "body is empty; expected a JSON work request")
        try:
            obj = json.loads(obj)
        except ValueError as exc:
            raise RequestError(INVALID_JSON, f"body is not valid JSON: {exc}") from None
    if not isinstance(obj, Mapping):
        raise RequestError(INVALID_TYPE, f"a work request must be a JSON object, got {_json_type(obj)}")
    return obj


def _string(data: Mapping[str, Any], name: str) -> str:
    value = data[name]
    if not isinstance(value, str):
        raise RequestError(INVALID_TYPE, f"'{name}' must be a string, got {_json_type(value)}", name)
    return value


def _bounded_int(data: Mapping[str, Any], name: str, low: int, high: int, default: int | None = None) -> int:
    value = data.get(name, default)
    if value is None:
        raise RequestError(INVALID_TYPE, f"'{name}' must be an integer, got null", name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise RequestError(INVALID_TYPE, f"'{name}' must be an integer, got {_json_type(value)}", name)
    if not low <= value <= high:
        raise RequestError(OUT_OF_BOUNDS, f"'{name}' is {value}, outside {low}–{high}"
                           + (f" for workload {data['workload']!r}" if name in ("size", "iterations") else ""), name)
    return value


def _sent_at(data: Mapping[str, Any]) -> float:
    value = data.get("sent_at", 0.0)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RequestError(INVALID_TYPE, f"'sent_at' must be a number (epoch seconds), got {_json_type(value)}",
                           "sent_at")
    if not math.isfinite(value) or value < 0:
        raise RequestError(OUT_OF_BOUNDS, f"'sent_at' must be finite epoch seconds >= 0, got {value}", "sent_at")
    return float(value)


def _json_type(value: Any) -> str:
    """The JSON name of a value's type, for messages a client author understands."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "array"
    if isinstance(value, Mapping):
        return "object"
    return type(value).__name__
