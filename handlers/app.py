"""The Lambda entry point ``handlers.app.handler``: the same code for arm64 and x86_64, for every trigger."""

from __future__ import annotations

import time

_IMPORT_STARTED = time.perf_counter()  # first statement: init time is measured from here to the first invocation

from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402

from handlers.adapters import handle_api, handle_direct, handle_sqs, trigger_of  # noqa: E402
from handlers.contract import TRIGGER_API, TRIGGER_SQS  # noqa: E402
from handlers.deadline import InvocationClock  # noqa: E402
from handlers.environment import ColdStartClock, FunctionInfo  # noqa: E402
from handlers.processing import BUILTIN, Runner  # noqa: E402

_COLD_START = ColdStartClock(_IMPORT_STARTED)
Adapter = Callable[[Any, FunctionInfo, float | None, InvocationClock, Runner], dict[str, Any]]
_ADAPTERS: dict[str, Adapter] = {TRIGGER_SQS: handle_sqs, TRIGGER_API: handle_api}


def handler(event: Any, context: Any) -> dict[str, Any]:
    """Dispatch on the event's shape; never raises for a bad request, a failing workload or one out of time."""
    return serve(event, context, _COLD_START.claim(), BUILTIN)


def serve(event: Any, context: Any, init_ms: float | None, runner: Runner) -> dict[str, Any]:
    """Run ``event``'s items with ``runner`` through its trigger's adapter; ``init_ms`` only on a cold start."""
    info = FunctionInfo.from_context(context)
    adapter = _ADAPTERS.get(trigger_of(event), handle_direct)
    return adapter(event, info, None if init_ms is None else round(init_ms, 3), InvocationClock.from_context(context),
                   runner)
