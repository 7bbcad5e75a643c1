"""The comparison dashboard's body: every variant of the matrix, cell by cell, one CloudWatch widget per question.

``dashboard_body`` returns a plain dict (values may be Pulumi inputs; ``components.monitoring`` serialises it with
``Output.json_dumps``). Per-workload percentiles use SEARCH expressions over the EMF dimension set
``[Variant, Workload]``, so workloads added to the handler appear without redeploying the dashboard. Each
(runtime, memory) cell gets its own rows, its architectures (and the twin) side by side; every other widget draws
one line per variant, coloured by architecture. Sized so that ``stack.MAX_VARIANTS`` variants stay within
CloudWatch's dashboard quotas (widgets, metrics per graph and per dashboard, alarms per alarm widget: the tests
check them).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby
from typing import Any

import pulumi

from core import COLOURS
from handlers.contract import (
    DIM_VARIANT,
    DIM_WORKLOAD,
    M_COLD_START,
    M_ERRORS,
    M_HANDLER_MS,
    M_INIT_MS,
    M_WORKLOAD_MS,
    NAMESPACE,
)
from stack import LAMBDA_NAMESPACE, PERIOD_S, SQS_NAMESPACE, FunctionSpec, StackSpec, queue_age_threshold_s

GRID_WIDTH = 24
ROW_HEIGHT = 6
WORKLOAD_PERCENTILES = ("p50", "p99")
ALARMS_PER_WIDGET = 100  # CloudWatch's limit for one alarm status widget

Widget = dict[str, Any]
Row = list[tuple[Widget, int]]


def dashboard_body(stack: StackSpec, *, region: pulumi.Input[str], api_id: pulumi.Input[str],
                   alarm_arns: Sequence[pulumi.Input[str]]) -> dict[str, Any]:
    """Every widget, laid out top to bottom: the verdict-shaped widgets first, plumbing last."""
    fns = stack.functions
    alarm_widgets = _alarm_status(alarm_arns)
    rows: list[Row] = [
        [(_header(stack), 16), (alarm_widgets[0], 8)],
        *_wrapped([(widget, 8) for widget in alarm_widgets[1:]]),
        *_percentile_rows(stack, region),
        [(_workload_table(stack, region), GRID_WIDTH)],
        [(_invocations(fns, region), 8), (_errors(fns, region), 8), (_concurrency(stack, region), 8)],
        [(_duration(fns, region), 8), (_cold_starts(fns, region), 8), (_api(api_id, region), 8)],
        [(_queue_depth(fns, region), 8), (_queue_age(stack, region), 8), (_dlq_depth(fns, region), 8)],
    ]
    return {"start": "-PT3H", "periodOverride": "inherit", "widgets": _layout(rows)}


def _layout(rows: list[Row]) -> list[Widget]:
    """Place each row's widgets left to right at the given widths; rows stack top to bottom."""
    widgets, y = [], 0
    for row in rows:
        x, height = 0, max(w.get("height", ROW_HEIGHT) for w, _ in row)
        for widget, width in row:
            widgets.append({**widget, "x": x, "y": y, "width": width, "height": height})
            x += width
        y += height
    return widgets


def _wrapped(items: Row) -> list[Row]:
    """Widgets in rows no wider than the grid."""
    rows: list[Row] = []
    for widget, width in items:
        if not rows or sum(w for _, w in rows[-1]) + width > GRID_WIDTH:
            rows.append([])
        rows[-1].append((widget, width))
    return rows


def _metric(title: str, region: pulumi.Input[str], metrics: list[list[Any]], *, left_label: str, stat: str = "Sum",
            right_label: str = "", annotations: list[dict[str, Any]] | None = None) -> Widget:
    properties: dict[str, Any] = {
        "title": title, "view": "timeSeries", "region": region, "stat": stat, "period": PERIOD_S,
        "metrics": metrics, "yAxis": {"left": {"min": 0, "label": left_label, "showUnits": False}},
    }
    if right_label:
        properties["yAxis"]["right"] = {"min": 0, "label": right_label, "showUnits": False}
    if annotations:
        properties["annotations"] = {"horizontal": annotations}
    return {"type": "metric", "properties": properties}


def _line(spec: FunctionSpec, label: str, **options: Any) -> dict[str, Any]:
    return {"label": f"{spec.variant_id} {label}", "color": COLOURS[spec.architecture], **options}


def _header(stack: StackSpec) -> Widget:
    settings = stack.settings
    control = "none" if settings.control == "none" else f"an A/A twin of {settings.control} in every cell"
    return {"type": "text", "height": 4, "properties": {"markdown": (
        f"# archbench `{stack.prefix}`: {len(stack.functions)} variants\n"
        f"Runtimes {', '.join(settings.runtimes)} × memory {', '.join(f'{m} MB' for m in settings.memory_sizes)} × "
        f"{' vs '.join(settings.architectures)}; control: {control}. Same code, same settings, same load. "
        f"Per-workload percentiles come from the handlers' own EMF `{M_WORKLOAD_MS}` (namespace `{NAMESPACE}`, "
        f"dimension `{DIM_VARIANT}`); the table below is computed from every log record. For the verdict with "
        "confidence intervals and cost, run `python -m analysis.compare`.")}}


def _alarm_status(alarm_arns: Sequence[pulumi.Input[str]]) -> list[Widget]:
    """One alarm status widget per ``ALARMS_PER_WIDGET`` alarms (CloudWatch's limit), at least one."""
    arns = list(alarm_arns)
    chunks = [arns[start:start + ALARMS_PER_WIDGET] for start in range(0, len(arns), ALARMS_PER_WIDGET)] or [[]]
    return [{"type": "alarm", "height": 4,
             "properties": {"title": "Alarms" if len(chunks) == 1 else f"Alarms {number}/{len(chunks)}",
                            "alarms": chunk, "sortBy": "stateUpdatedTimestamp"}}
            for number, chunk in enumerate(chunks, start=1)]


def _percentile_rows(stack: StackSpec, region: pulumi.Input[str]) -> list[Row]:
    """Per (runtime, memory) cell, one row per percentile: the cell's variants side by side, in matrix order."""
    rows: list[Row] = []
    for _cell, specs in groupby(stack.functions, key=lambda spec: spec.variant.cell):
        cell = list(specs)
        for stat in WORKLOAD_PERCENTILES:
            rows.append([(_workload_percentile(spec, stat, region), GRID_WIDTH // len(cell)) for spec in cell])
    return rows


def _workload_percentile(spec: FunctionSpec, stat: str, region: pulumi.Input[str]) -> Widget:
    """One line per workload: SEARCH finds every Workload value this variant has published."""
    search = (f"SEARCH('{{{NAMESPACE},{DIM_VARIANT},{DIM_WORKLOAD}}} MetricName=\"{M_WORKLOAD_MS}\" "
              f"{DIM_VARIANT}=\"{spec.variant_id}\"', '{stat}', {PERIOD_S})")
    return _metric(
        f"{M_WORKLOAD_MS} {stat} by workload — {spec.variant_id}", region,
        [[{"expression": search, "id": stat, "label": "${PROP('Dim.Workload')}"}]],
        stat=stat, left_label="ms")


def _workload_table(stack: StackSpec, region: pulumi.Input[str]) -> Widget:
    """Exact percentiles from every EMF record (Logs Insights), one row per workload and variant."""
    sources = " | ".join(f"SOURCE '{spec.log_group}'" for spec in stack.functions)
    query = (f"{sources} | filter ispresent({M_WORKLOAD_MS}) "
             f"| stats count(*) as items, pct({M_WORKLOAD_MS}, 50) as p50_ms, pct({M_WORKLOAD_MS}, 99) as p99_ms, "
             f"avg({M_WORKLOAD_MS}) as mean_ms, sum({M_COLD_START}) as cold_starts "
             f"by {DIM_WORKLOAD}, {DIM_VARIANT} | sort {DIM_WORKLOAD} asc, {DIM_VARIANT} asc")
    return {"type": "log", "properties": {
        "title": f"{M_WORKLOAD_MS} per workload and variant (Logs Insights, every record)",
        "query": query, "region": region, "view": "table"}}


def _invocations(fns: Sequence[FunctionSpec], region: pulumi.Input[str]) -> Widget:
    metrics: list[list[Any]] = []
    for spec in fns:
        metrics.append([LAMBDA_NAMESPACE, "Invocations", "FunctionName", spec.function_name,
                        _line(spec, "invocations")])
        # Every work item, failed ones included, has a handler time: its sample count counts them.
        metrics.append([NAMESPACE, M_HANDLER_MS, DIM_VARIANT, spec.variant_id,
                        _line(spec, "work items", stat="SampleCount", yAxis="right")])
    return _metric("Invocations (left) and work items (right)", region, metrics,
                   left_label="invocations", right_label="work items")


def _errors(fns: Sequence[FunctionSpec], region: pulumi.Input[str]) -> Widget:
    metrics: list[list[Any]] = []
    for spec in fns:
        metrics.append([LAMBDA_NAMESPACE, "Errors", "FunctionName", spec.function_name, _line(spec, "Lambda errors")])
        metrics.append([LAMBDA_NAMESPACE, "Throttles", "FunctionName", spec.function_name, _line(spec, "throttles")])
        metrics.append([NAMESPACE, M_ERRORS, DIM_VARIANT, spec.variant_id, _line(spec, "failed work items")])
    return _metric("Errors, throttles and failed work items", region, metrics, left_label="count")


def _concurrency(stack: StackSpec, region: pulumi.Input[str]) -> Widget:
    metrics = [[LAMBDA_NAMESPACE, "ConcurrentExecutions", "FunctionName", spec.function_name, _line(spec, "concurrent")]
               for spec in stack.functions]
    return _metric("Concurrent executions", region, metrics, stat="Maximum", left_label="executions",
                   annotations=[{"label": "SQS maximum concurrency", "value": stack.settings.max_concurrency}])


def _duration(fns: Sequence[FunctionSpec], region: pulumi.Input[str]) -> Widget:
    metrics = [[LAMBDA_NAMESPACE, "Duration", "FunctionName", spec.function_name, _line(spec, stat, stat=stat)]
               for spec in fns for stat in WORKLOAD_PERCENTILES]
    return _metric("Lambda duration p50 / p99 (whole invocation)", region, metrics, left_label="ms")


def _cold_starts(fns: Sequence[FunctionSpec], region: pulumi.Input[str]) -> Widget:
    metrics: list[list[Any]] = []
    for spec in fns:
        metrics.append([NAMESPACE, M_COLD_START, DIM_VARIANT, spec.variant_id, _line(spec, "cold starts")])
        metrics.append([NAMESPACE, M_INIT_MS, DIM_VARIANT, spec.variant_id,
                        _line(spec, "init p50", stat="p50", yAxis="right")])
    return _metric("Cold starts (left) and init time p50 (right)", region, metrics,
                   left_label="cold starts", right_label="ms")


def _api(api_id: pulumi.Input[str], region: pulumi.Input[str]) -> Widget:
    """The HTTP API as a whole (per-route metrics need detailed metrics; per-variant latency is in Duration)."""
    metrics: list[list[Any]] = [
        ["AWS/ApiGateway", "Count", "ApiId", api_id, {"label": "requests"}],
        ["AWS/ApiGateway", "4xx", "ApiId", api_id, {"label": "4xx"}],
        ["AWS/ApiGateway", "5xx", "ApiId", api_id, {"label": "5xx"}],
        ["AWS/ApiGateway", "Latency", "ApiId", api_id, {"label": "latency p99", "stat": "p99", "yAxis": "right"}],
    ]
    return _metric("HTTP API requests (left) and latency p99 (right)", region, metrics,
                   left_label="requests", right_label="ms")


def _queue_depth(fns: Sequence[FunctionSpec], region: pulumi.Input[str]) -> Widget:
    metrics: list[list[Any]] = []
    for spec in fns:
        metrics.append([SQS_NAMESPACE, "ApproximateNumberOfMessagesVisible", "QueueName", spec.queue_name,
                        _line(spec, "waiting")])
        metrics.append([SQS_NAMESPACE, "ApproximateNumberOfMessagesNotVisible", "QueueName", spec.queue_name,
                        _line(spec, "in flight")])
    return _metric("Queue depth", region, metrics, stat="Maximum", left_label="messages")


def _queue_age(stack: StackSpec, region: pulumi.Input[str]) -> Widget:
    metrics = [[SQS_NAMESPACE, "ApproximateAgeOfOldestMessage", "QueueName", spec.queue_name, _line(spec, "oldest")]
               for spec in stack.functions]
    return _metric("Age of the oldest message", region, metrics, stat="Maximum", left_label="s",
                   annotations=[{"label": "alarm", "value": queue_age_threshold_s(stack.settings)}])


def _dlq_depth(fns: Sequence[FunctionSpec], region: pulumi.Input[str]) -> Widget:
    metrics = [[SQS_NAMESPACE, "ApproximateNumberOfMessagesVisible", "QueueName", spec.dlq_name, _line(spec, "in DLQ")]
               for spec in fns]
    return _metric("Dead-letter queue depth (alarm > 0)", region, metrics, stat="Maximum", left_label="messages")
