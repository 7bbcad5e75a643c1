"""One EMF document per work item, through aws-embedded-metrics' own context and serializer, written synchronously.

The library's public API flushes through asyncio; ``asyncio.run`` per document costs several times more than the
whole rest of a noop request (benchmarks/handler_overhead.py, section 2, measures the options side by side).
``MetricsContext`` + ``LogSerializer`` written straight to stdout costs about what the library's ``flush_sync``
does, needs no environment detection (MiniStack's workers lack ``AWS_EXECUTION_ENV``; an undetected environment
would probe the EC2 metadata endpoint, then send to a CloudWatch agent socket) and adds no fields beyond the
contract. Each document is one JSON line on ``sys.stdout``, which CloudWatch Logs (AWS) and MiniStack's log capture
(its worker points ``sys.stdout`` at stderr) both store as one log event.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from aws_embedded_metrics.logger.metrics_context import MetricsContext
from aws_embedded_metrics.serializers.log_serializer import LogSerializer

from handlers import contract as c
from handlers.environment import CPU_MODEL, ENVIRONMENT_ID, HOST_MACHINE, RUNTIME, FunctionInfo, peak_rss_mb

# aws-embedded-metrics 3.5.0 cannot serialise its own Unit enum: units are passed as strings.
MILLISECONDS = "Milliseconds"
MEGABYTES = "Megabytes"
COUNT = "Count"
INVALID_WORKLOAD_DIMENSION = "invalid"  # requests that failed validation: never a client-chosen dimension value


@dataclass(frozen=True)
class ItemOutcome:
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
    digest: str | None = None
    error_type: str | None = None
    round: int | None = None  # the request's ``round``; only then is the ``Round`` property written

    @property
    def failed(self) -> bool:
        return self.error_type is not None


def build_document(outcome: ItemOutcome, info: FunctionInfo, peak_rss: float) -> list[str]:
    """The serialised EMF document(s) for one item (always one: the item has far fewer than 100 metrics)."""
    context = MetricsContext(c.NAMESPACE)
    context.set_dimensions([
        {c.DIM_VARIANT: info.variant, c.DIM_WORKLOAD: outcome.workload},
        {c.DIM_VARIANT: info.variant},
    ])
    if outcome.workload_ms is not None:
        context.put_metric(c.M_WORKLOAD_MS, outcome.workload_ms, MILLISECONDS)
    context.put_metric(c.M_HANDLER_MS, outcome.handler_ms, MILLISECONDS)
    context.put_metric(c.M_PEAK_RSS_MB, round(peak_rss, 3), MEGABYTES)
    if outcome.queue_lag_ms is not None:
        context.put_metric(c.M_QUEUE_LAG_MS, outcome.queue_lag_ms, MILLISECONDS)
    context.put_metric(c.M_COLD_START, 1 if outcome.init_ms is not None else 0, COUNT)
    if outcome.init_ms is not None:
        context.put_metric(c.M_INIT_MS, outcome.init_ms, MILLISECONDS)
    context.put_metric(c.M_ERRORS, 1 if outcome.failed else 0, COUNT)
    properties = {
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
        properties[c.P_ROUND] = outcome.round
    for key, value in properties.items():
        context.set_property(key, value)
    return LogSerializer.serialize(context)


def emit(outcome: ItemOutcome, info: FunctionInfo) -> None:
    """Write the item's EMF document, with the process's peak RSS as of now."""
    write_lines(build_document(outcome, info, peak_rss_mb()))


def write_lines(lines: list[str]) -> None:
    """One JSON object per line on stdout, flushed: a block-buffered pipe would hold documents back."""
    out = sys.stdout
    for line in lines:
        out.write(line + "\n")
    out.flush()
