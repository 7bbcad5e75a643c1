"""One EMF document per work item, written with the standard library, byte for byte what aws-embedded-metrics writes.

The library costs ~270 ms of import at every cold start (it imports aiohttp for an agent mode the handler never
uses), which is the very init time a benchmark compares. Its ``MetricsContext`` + ``LogSerializer`` lay a document
out as: the dimension values, then the properties, then ``_aws`` (``Timestamp`` in epoch ms, one
``CloudWatchMetrics`` directive: ``Dimensions``, ``Metrics`` as ``{"Name", "Unit"}`` in put order, ``Namespace``),
then each metric's value, all through ``json.dumps`` with its defaults. ``build_document`` writes exactly that; the
unit tests compare it with the library's output (the library is a dev dependency only).

The limits the library enforces cannot be reached here, so nothing is split or refused: a document has at most 8
metrics of one value each (EMF: ≤ 100 metrics, ≤ 100 values per metric), 2 dimension sets of ≤ 2 ASCII dimensions
(≤ 30) whose values are a variant id or a workload name (≤ 1024 characters), and a constant namespace; every
metric value is a finite duration, size or count. Each document is one JSON line on ``sys.stdout``, which
CloudWatch Logs (AWS) and MiniStack's log capture (its worker points ``sys.stdout`` at stderr) both store as one log
event.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any, NamedTuple

from handlers import contract as c
from handlers.environment import CPU_MODEL, ENVIRONMENT_ID, HOST_MACHINE, RUNTIME, FunctionInfo, peak_rss_mb

MILLISECONDS = "Milliseconds"
MEGABYTES = "Megabytes"
COUNT = "Count"
INVALID_WORKLOAD_DIMENSION = "invalid"  # requests that failed validation: never a client-chosen dimension value
DIMENSION_SETS = [[c.DIM_VARIANT, c.DIM_WORKLOAD], [c.DIM_VARIANT]]


class ItemOutcome(NamedTuple):
    """What happened to one work item: the measurements and identity that its EMF document carries."""

    workload: str
    trigger: str
    handler_ms: float
    run_id: str | None = None
    seq: int | None = None
    message_id: str | None = None
    workload_ms: float | None = None
    queue_lag_ms: float | None = None
    init_ms: float | None = None  # set on exactly one item per execution environment: its cold start
    user_init_ms: float | None = None  # with init_ms, for the user's function: the import of the user's module
    digest: str | None = None
    error_type: str | None = None
    round: int | None = None  # the request's ``round``; only then is the ``Round`` property written

    @property
    def failed(self) -> bool:
        return self.error_type is not None


def build_document(outcome: ItemOutcome, info: FunctionInfo, peak_rss: float,
                   timestamp_ms: int | None = None) -> list[str]:
    """The item's serialised EMF document, as the one-line list the library's serializer returns;
    ``timestamp_ms`` defaults to now, rounded as the library rounds it."""
    metrics: list[tuple[str, float, str]] = []
    if outcome.workload_ms is not None:
        metrics.append((c.M_WORKLOAD_MS, outcome.workload_ms, MILLISECONDS))
    metrics.append((c.M_HANDLER_MS, outcome.handler_ms, MILLISECONDS))
    metrics.append((c.M_PEAK_RSS_MB, round(peak_rss, 3), MEGABYTES))
    if outcome.queue_lag_ms is not None:
        metrics.append((c.M_QUEUE_LAG_MS, outcome.queue_lag_ms, MILLISECONDS))
    metrics.append((c.M_COLD_START, 1 if outcome.init_ms is not None else 0, COUNT))
    if outcome.init_ms is not None:
        metrics.append((c.M_INIT_MS, outcome.init_ms, MILLISECONDS))
    if outcome.user_init_ms is not None:
        metrics.append((c.M_USER_INIT_MS, outcome.user_init_ms, MILLISECONDS))
    metrics.append((c.M_ERRORS, 1 if outcome.failed else 0, COUNT))
    document: dict[str, Any] = {
        c.DIM_VARIANT: info.variant,
        c.DIM_WORKLOAD: outcome.workload,
        c.P_ARCHITECTURE: info.architecture,
        c.P_RUN_ID: outcome.run_id,
        c.P_SEQ: outcome.seq,
        c.P_REQUEST_ID: info.request_id,
        c.P_MESSAGE_ID: outcome.message_id,
        c.P_FUNCTION_NAME: info.function_name,
        c.P_FUNCTION_VERSION: info.function_version,
        c.P_MEMORY_SIZE_MB: info.memory_size_mb,
        c.P_RUNTIME: RUNTIME,
        c.P_HOST_MACHINE: HOST_MACHINE,
        c.P_TRIGGER: outcome.trigger,
        c.P_RESULT_DIGEST: outcome.digest,
        c.P_ERROR_TYPE: outcome.error_type,
        c.P_ENVIRONMENT_ID: ENVIRONMENT_ID,
        c.P_LOG_STREAM: info.log_stream,
        c.P_CPU_MODEL: CPU_MODEL,
    }
    if outcome.round is not None:
        document[c.P_ROUND] = outcome.round
    document["_aws"] = {
        "Timestamp": round(time.time() * 1000) if timestamp_ms is None else timestamp_ms,
        "CloudWatchMetrics": [{"Dimensions": DIMENSION_SETS,
                               "Metrics": [{"Name": name, "Unit": unit} for name, _, unit in metrics],
                               "Namespace": c.NAMESPACE}],
    }
    document.update((name, value) for name, value, _ in metrics)
    return [json.dumps(document)]


def emit(outcome: ItemOutcome, info: FunctionInfo) -> None:
    """Write the item's EMF document, with the process's peak RSS as of now."""
    write_lines(build_document(outcome, info, peak_rss_mb()))


def write_lines(lines: list[str]) -> None:
    """One JSON object per line on stdout, flushed: a block-buffered pipe would hold documents back."""
    out = sys.stdout
    for line in lines:
        out.write(line + "\n")
    out.flush()
