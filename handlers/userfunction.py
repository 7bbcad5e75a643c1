"""The Lambda entry point ``handlers.userfunction.handler`` when ``archbench:function`` is set: archbench's wrapper
around the user's handler, the same for every variant.

At init it imports the user's module (``ARCHBENCH_FUNCTION_HANDLER``, ``module.function``), timed on its own: the
cold-start item's EMF has ``InitMs`` (the whole init, as for the built-in workloads, so analysis and cost read it
alike) and ``UserInitMs`` (the user's import, part of it; the wrapper's share is the difference). Per work
item it calls the user's handler with the item's event, shaped for ``ARCHBENCH_FUNCTION_EVENT``
(``handlers.events``); the call is the item's workload time, the digest is the sha256 of the JSON-serialised return
value. A handler that raises, returns something JSON cannot serialise, or answers as its trigger reports a failure
(an SQS batch item failure, an HTTP status >= 500), fails its item alone, as a built-in workload would. A module
that cannot be imported fails every invocation with ``FunctionImportError`` naming it, which the readiness check
reports at once.
"""

from __future__ import annotations

import time

_IMPORT_STARTED = time.perf_counter()  # first statement: init time is measured from here to the first invocation

import hashlib  # noqa: E402
import importlib  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
from collections.abc import Callable  # noqa: E402
from functools import partial  # noqa: E402
from typing import Any, NamedTuple  # noqa: E402

from handlers.app import serve  # noqa: E402
from handlers.contract import (  # noqa: E402
    ENV_FUNCTION_DIGEST_EXCLUDE,
    ENV_FUNCTION_EVENT,
    ENV_FUNCTION_HANDLER,
    IMPORT_ERROR_TYPE,
    WorkRequest,
)
from handlers.environment import ColdStartClock, FunctionInfo  # noqa: E402
from handlers.events import HTTP, RAW, SQS, wrap_event  # noqa: E402
from handlers.logs import bounded  # noqa: E402
from handlers.processing import Runner, run_builtin  # noqa: E402
from handlers.validation import READINESS_WORKLOAD, parse_work_request  # noqa: E402


class FunctionImportError(Exception):
    """The user's module could not be imported, or has no such handler: nothing can run. The message starts with
    the class's name, which the readiness check looks for: MiniStack reports every handler exception with its own
    errorType (``Runtime.HandlerError``), AWS with the class's."""

    def __init__(self, problem: str) -> None:
        super().__init__(f"{IMPORT_ERROR_TYPE}: {problem}")


class UnserialisableResult(Exception):
    """The user's handler returned a value ``json.dumps`` refuses (an object, NaN, …): its item fails."""


class ReportedFailure(Exception):
    """The user's handler answered as its trigger reports a failure: an SQS partial batch response listing the
    record, or an HTTP status of 500 or more. Its item fails, as it would have on that trigger."""


class UserFunction(NamedTuple):
    call: Callable[[Any, Any], Any]
    event_kind: str
    init_ms: float  # the import of the user's module
    digest_exclude: tuple[tuple[str, ...], ...] = ()  # key paths left out of the digest, split at the dots


def load(handler_name: str, event_kind: str = RAW, digest_exclude: str = "") -> UserFunction:
    """Import ``module.function``, timed; ``FunctionImportError`` with one line saying why when it cannot."""
    module_name, _, attribute = handler_name.rpartition(".")
    if not module_name:
        raise FunctionImportError(f"{ENV_FUNCTION_HANDLER} must be module.function, got {handler_name!r}")
    started = time.perf_counter()
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # whatever the user's module raises at import
        raise FunctionImportError(bounded(f"cannot import {module_name!r} for handler {handler_name!r}: "
                                          f"{type(exc).__name__}: {exc}")) from None
    init_ms = (time.perf_counter() - started) * 1000.0
    call = getattr(module, attribute, None)
    if not callable(call):
        raise FunctionImportError(f"module {module_name!r} has no function {attribute!r} (handler {handler_name!r})")
    paths = tuple(tuple(path.split(".")) for path in digest_exclude.split(",") if path)
    return UserFunction(call, event_kind, round(init_ms, 3), paths)


def without(value: Any, path: tuple[str, ...]) -> Any:
    """``value`` less the key at ``path`` (a list applies the rest of the path to each element); a copy where
    something is left out, the value itself where the path is absent."""
    if not path:
        return value
    if isinstance(value, list):
        return [without(item, path) for item in value]
    if not isinstance(value, dict) or path[0] not in value:
        return value
    if len(path) == 1:
        return {key: item for key, item in value.items() if key != path[0]}
    return {**value, path[0]: without(value[path[0]], path[1:])}


def result_digest(result: Any, exclude: tuple[tuple[str, ...], ...] = ()) -> str:
    """sha256 of the return value as canonical JSON (sorted keys, no spaces, no NaN), less the ``exclude``d keys."""
    for path in exclude:
        result = without(result, path)
    try:
        text = json.dumps(result, sort_keys=True, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise UnserialisableResult(bounded(f"the handler's return value is not JSON: {exc}")) from None
    return hashlib.sha256(text.encode()).hexdigest()


def run_user(function: UserFunction, context: Any, request: WorkRequest) -> tuple[float, str]:
    """Call the user's handler ``iterations`` times (only the calls are timed); digest the last return value."""
    if request.workload == READINESS_WORKLOAD:
        return run_builtin(request)
    elapsed = 0.0
    result: Any = None
    for _ in range(request.iterations):
        event = wrap_event(function.event_kind, request.event, request)  # fresh: a handler may change its event
        started = time.perf_counter()
        result = function.call(event, context)
        elapsed += time.perf_counter() - started
        _check_answer(function.event_kind, result)
    return round(elapsed * 1000.0, 4), result_digest(result, function.digest_exclude)


def _check_answer(kind: str, result: Any) -> None:
    """``ReportedFailure`` when the answer says, in its trigger's terms, that the event failed."""
    if not isinstance(result, dict):
        return
    if kind == SQS and result.get("batchItemFailures"):
        raise ReportedFailure("the handler listed the record in batchItemFailures")
    status = result.get("statusCode")
    if kind == HTTP and isinstance(status, int) and status >= 500:
        raise ReportedFailure(f"the handler answered HTTP {status}")


def parse_user(raw: Any, info: FunctionInfo) -> WorkRequest:
    return parse_work_request(raw, info.allowed_workloads, info.memory_size_mb, user_function=True)


def _load_from_environment() -> UserFunction | FunctionImportError:
    try:
        return load(os.environ.get(ENV_FUNCTION_HANDLER, ""), os.environ.get(ENV_FUNCTION_EVENT) or RAW,
                    os.environ.get(ENV_FUNCTION_DIGEST_EXCLUDE, ""))
    except FunctionImportError as exc:
        return exc


_FUNCTION = _load_from_environment()
_COLD_START = ColdStartClock(_IMPORT_STARTED)


def handler(event: Any, context: Any) -> dict[str, Any]:
    """archbench's handler around the user's; raises only when the user's module could not be imported."""
    if isinstance(_FUNCTION, FunctionImportError):
        raise _FUNCTION
    runner = Runner(parse_user, partial(run_user, _FUNCTION, context), _FUNCTION.init_ms, names_errors=True)
    return serve(event, context, _COLD_START.claim(), runner)
