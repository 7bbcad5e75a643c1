"""The comparison summary contract: ``reports/<run_id>/summary.json`` and ``analysis.compare --format json``.

Types only, so that the code that builds the summary (``analysis.summary``) and every reader (the verdict, the
tables, the plots) are checked against one description of it. Timings are milliseconds, costs USD; ``None`` (JSON
``null``) wherever a figure is undefined, e.g. a percentile of no values or a ratio with too few samples.
"""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict

# n, exact sample percentiles, mean, stdev (n − 1), min and max of the finite values (``analysis.stats.describe``).
Stats = TypedDict("Stats", {
    "n": int, "p50": float | None, "p90": float | None, "p99": float | None, "p99.9": float | None,
    "mean": float | None, "stdev": float | None, "min": float | None, "max": float | None,
})


class Interval(TypedDict):
    """A figure and its 95 % interval ([low, high]; None when there are too few values for one)."""

    value: float | None
    ci95: list[float] | None


ComparisonKind = Literal["architecture", "memory", "runtime", "control"]
# candidate_better / baseline_better: the 95 % interval of the ratio excludes 1; no_difference: it does not;
# insufficient_data: fewer than two values on a side.
Verdict = Literal["candidate_better", "baseline_better", "no_difference", "insufficient_data"]


class ComparisonRow(TypedDict):
    """One variant against another on one metric (``analysis.comparisons``).

    ``ratio`` = baseline / candidate (medians for times, means for cost): above 1 the candidate takes less time or
    money. ``workload`` is None for a metric of the whole run (init durations).
    """

    kind: ComparisonKind
    baseline: str  # variant id
    candidate: str
    workload: str | None
    metric: str  # warm_workload_ms | cold_workload_ms | cost_per_million_usd | init_duration_ms
    ratio: float | None
    ci95: list[float] | None
    p_value: float | None  # two-sided Mann–Whitney U (times); None for cost
    n_baseline: int
    n_candidate: int
    verdict: Verdict


class Window(TypedDict):
    start: str  # ISO 8601, UTC
    end: str
    from_manifest: bool


class WarmOrCold(TypedDict):
    workload_ms: Stats
    duration_ms: Stats


class Headline(TypedDict):
    """What the recommendation and the memory curve rank by: warm work items' WorkloadMs (every workload of the
    run, the same mix for every variant) and the cost per million work items, each with its interval."""

    median_ms: Interval
    p99_ms: Interval
    cost_per_million_usd: Interval


class VariantSummary(TypedDict):
    """One variant: what it is (from the stack outputs), then what it measured."""

    architecture: str
    memory_mb: int | None  # configured
    runtime: str | None  # configured; the handler's own ``Runtime`` is in ``handler_runtime``
    role: str  # subject | control
    invocations: int  # work items (EMF documents)
    lambda_invocations: int  # REPORT lines
    errors: int
    cold_starts: int
    host_machine: str | None  # what the handler's ``platform.machine()`` said; several comma-separated
    handler_runtime: str | None  # what the handler's interpreter said (``Runtime``); several comma-separated
    reported_memory_mb: float | None  # the REPORT's Memory Size (else the handler's)
    workload_ms: Stats
    handler_ms: Stats
    duration_ms: Stats
    billed_duration_ms: Stats
    init_duration_ms: Stats
    peak_rss_mb: Stats
    queue_lag_ms: Stats
    warm: WarmOrCold
    cold: WarmOrCold
    cost_usd: float
    cost_per_million_usd: float | None
    error_types: dict[str, int]
    failed_invocations: FailedInvocations
    headline: Headline


class FailedInvocations(TypedDict):
    """Lambda invocations that did not succeed, by their REPORT (or runtimeDone) status, and failed inits.

    ``total`` counts the invocations whose status is not ``success`` plus every invocation without a work item
    (a REPORT line with no EMF document of any run: a timeout before the first item, an out-of-memory kill). Its
    status is the REPORT's, ``unknown`` when the line has none. ``cost_usd`` is their share of ``cost_usd``.
    ``init_failures`` counts ``INIT_REPORT`` lines / ``platform.initReport`` records of the function's log group
    whose status is not ``success``.
    """

    total: int
    by_status: dict[str, int]  # timeout, error, unknown, …
    error_types: dict[str, int]  # REPORT ``Error Type``, e.g. Runtime.OutOfMemory
    without_work_item: int
    billed_duration_ms: float  # summed, as costed
    cost_usd: float
    init_failures: int
    init_error_types: dict[str, int]


class WorkloadVariant(TypedDict):
    """One workload on one variant."""

    n: int
    errors: int
    cold_starts: int
    workload_ms: Stats
    warm_workload_ms: Stats
    cost_per_million_usd: float | None


class ColdStarts(TypedDict):
    init_source: str  # "REPORT Init Duration" | "handler InitMs"


class Choice(TypedDict):
    """One strategy's pick: ``variant`` when one subject is best beyond doubt, else None and ``tie`` lists every
    subject whose interval does not separate from the best's (the best first)."""

    variant: str | None
    tie: list[str]
    value: Interval  # the best's figure (for balanced: its score, 0–1, lower is better)


class Recommendation(TypedDict):
    """AWS Lambda Power Tuning's three strategies over the subjects (a control twin is never recommended)."""

    basis: str
    cheapest: Choice  # lowest cost per million work items
    fastest: Choice  # lowest median warm WorkloadMs
    balanced: Choice  # lowest 0.5 · cost / max cost + 0.5 · median / max median (Power Tuning's balancedWeight)


class Prices(TypedDict):
    """``core.pricing.PriceList.to_dict()``."""

    region: str  # whose prices are used
    asked_region: str
    usd_per_gb_second: dict[str, float]
    usd_per_million_requests: float
    source: str


class Cost(Prices):
    billed_duration: Literal["estimated", "reported"]
    unit: str


class ReconciliationRow(TypedDict):
    """sent = processed + in_dlq + in_flight + lost; ``failed`` were never accepted, so not part of ``sent``."""

    sent: int
    processed: int
    failed: int
    in_dlq: int
    in_flight: int
    lost: int


class Reconciled(ReconciliationRow):
    """Counted: ``lost`` is 0 for every variant (``ok``) or not (``lost``); its own keys are the totals."""

    status: Literal["ok", "lost"]
    target: str  # sqs | api
    by_variant: dict[str, ReconciliationRow]
    in_dlq_whole_queue: NotRequired[list[str]]  # variants whose DLQ was too large to read message by message


class UnknownReconciliation(TypedDict):
    """Not counted (no manifest, queues out of reach): no claim either way."""

    status: Literal["unknown"]
    reason: str
    sent: None
    processed: None
    failed: None
    in_dlq: None
    in_flight: None
    lost: None
    by_variant: dict[str, ReconciliationRow]  # empty


Reconciliation = Reconciled | UnknownReconciliation


class ParseCountsSummary(TypedDict):
    """``analysis.parse.ParseCounts.to_dict()``."""

    emf_documents: int
    other_runs: int
    reports: int
    malformed_emf: int
    malformed_report: int
    ignored: int
    init_reports: int  # INIT_REPORT lines and platform.initReport records
    runtime_done: int  # platform.runtimeDone records
    malformed_init_report: int
    malformed_runtime_done: int


class Parsing(ParseCountsSummary):
    items_without_report: int
    duplicate_reports: int
    samples: list[str]  # a few malformed lines, for the report
    reports_other_runs: int  # REPORT lines whose request id has an EMF document of another run: left out
    invocations_without_work_item: int  # REPORT lines with no EMF document of any run, kept and billed
    reports_unattributed: int  # such lines in a log group of no known variant: counted only


class Findings(TypedDict):
    """Everything but the verdict, which is written from these."""

    run_id: str
    source: str  # logs-insights | log-events
    local_emulation: bool  # a local cloud, or a function whose CPU is not its label's
    local_cloud: bool  # the stack outputs name a local endpoint (MiniStack)
    window: Window
    interrupted: bool | None  # None without a manifest
    variants: dict[str, VariantSummary]  # by variant id, in the matrix's order
    workloads: dict[str, dict[str, WorkloadVariant]]  # workload → variant id → figures
    comparisons: list[ComparisonRow]
    memory_curve: dict[str, list[str]]  # "<runtime tag>-<architecture>" → its subjects' ids, smallest memory first
    recommendation: Recommendation
    cold_starts: ColdStarts
    cost: Cost
    reconciliation: Reconciliation
    parsing: Parsing


class Summary(Findings):
    verdict: str
