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
# The decision rule's outcomes (``analysis.decision``), exactly one per comparison:
# candidate_better / baseline_better: ≥ 5 units a side, the 95 % interval of the ratio entirely outside the
#   equivalence margin, a difference of at least two recorded quanta, and not a local run;
# equivalent: the interval entirely inside the margin; inconclusive: neither (``mde`` says what the run could
#   detect); below_resolution: outside the margin but under two recorded quanta; too_few_units: fewer than 5
#   environments (or rounds) on a side; local_emulation: a winner (any winner, on an architecture row any
#   outcome) on a local run, where every function runs on the host CPU; insufficient_data: no interval at all.
Verdict = Literal["candidate_better", "baseline_better", "equivalent", "inconclusive", "below_resolution",
                  "too_few_units", "local_emulation", "insufficient_data"]
Unit = Literal["environments", "rounds", "cold starts"]


class ComparisonRow(TypedDict):
    """One variant against another on one metric (``analysis.comparisons``), over units, not items: one figure per
    execution environment (its median, p90, p99 or mean cost), or per round when the run has rounds.

    ``ratio`` = baseline / candidate, the ratio of the geometric means of the units' figures (exp of the difference
    of the mean logs): above 1 the candidate takes less time or money. ``ci95`` is the Welch t interval on the log
    scale (rounds: the paired t interval of the per-round log differences, R − 1 degrees of freedom). ``workload``
    is None for a metric of the whole run (init durations).
    """

    kind: ComparisonKind
    baseline: str  # variant id
    candidate: str
    workload: str | None
    metric: str  # warm_workload_ms | warm_p90_ms | warm_p99_ms | cost_per_million_usd | init_duration_ms
    unit: Unit
    ratio: float | None
    ci95: list[float] | None
    n_baseline: int  # units kept
    n_candidate: int
    excluded_baseline: int  # environments left out: fewer than 5 items
    excluded_candidate: int
    spread_baseline: float | None  # sd of the units' log figures: ≈ the relative spread between environments
    spread_candidate: float | None
    mde: float | None  # the relative difference this run could detect (80 % power, 5 % two-sided), e.g. 0.04
    descriptive: bool  # fewer than 30 units a side on a tail percentile or cost: the interval is indicative only
    verdict: Verdict
    reason: str  # the decision in words, e.g. "equivalent within ±2 %" or "no verdict: only 3 environments"


class CpuModelSplit(TypedDict):
    """How many environments of a variant ran on each CPU model (``CpuModel``), largest group first."""

    environments: dict[str, int]
    largest: str | None


class Environments(TypedDict):
    """A variant's execution environments: the unit of analysis."""

    count: int  # environments with at least one warm successful item
    kept: int  # with at least 5 such items: the ones the comparisons use
    excluded: int
    spread: float | None  # sd of the log medians of the kept environments
    items_per_environment: Stats
    cpu_models: CpuModelSplit
    rounds: int  # distinct rounds seen (0: the run had none)


class Trend(TypedDict):
    """Latency across the run: the last part against the first (late / early, above 1 the end is slower)."""

    ratio: float | None
    ci95: list[float] | None
    unit: str  # environments | items
    n: int
    warning: bool  # the end is slower than the start beyond the margin


class MemoryGrowth(TypedDict):
    """``PeakRssMb`` over each environment's life: a leak shows as growth in most long-lived environments."""

    environments: int  # long enough to measure
    growing: int  # whose peak RSS rose over its life
    median_growth_mb: float | None  # last minus first peak RSS, the median over those environments
    max_growth_mb: float | None
    warning: bool


class ScalingPoint(TypedDict):
    active_environments: int
    n: int
    p50_ms: float


class Scaling(TypedDict):
    """Burst and ramp profiles: warm latency against the number of environments active at the time."""

    points: list[ScalingPoint]
    spearman: float | None  # rank correlation of latency with active environments
    p_value: float | None


class Stability(TypedDict):
    trend: Trend
    memory_growth: MemoryGrowth
    scaling: NotRequired[Scaling]  # only for burst and ramp profiles


class Method(TypedDict):
    """The decision rule as applied, for the report to state."""

    margin: float  # ±, relative, e.g. 0.02
    min_units: int  # per side, for a winner
    min_items_per_environment: int
    descriptive_below: int  # units a side under which a tail or cost interval is indicative only
    unit: Unit  # what the workload comparisons of this run are over
    noise_floor_ok: bool | None  # every A/A twin row equivalent (None: no twin)
    flagged_cells: list[str]  # "<runtime> <memory> MB" cells whose twin was not equivalent
    recommend_rounds: str | None  # advice when the run had too few environments, else None


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
    user_init_ms: Stats  # archbench:function: the user's module's import at init (UserInitMs); n 0 otherwise
    peak_rss_mb: Stats
    queue_lag_ms: Stats
    warm: WarmOrCold
    cold: WarmOrCold
    cost_usd: float
    cost_per_million_usd: float | None
    error_types: dict[str, int]
    failed_invocations: FailedInvocations
    headline: Headline
    environments: Environments
    stability: Stability


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


class Apart(TypedDict):
    """What a variant's queues and logs hold that is not this run's planned work: shown, never in its row."""

    unplanned_items: int  # this run's work-item documents whose seq was not planned (none, or past the plan)
    dlq_unplanned: int  # this run's DLQ messages that are not a planned seq's first copy
    dlq_other_runs: int  # DLQ messages of other runs
    dlq_unreadable: int  # DLQ bodies that are not a JSON work request with a run id
    dlq_unread: int  # DLQ messages past the read cap that this run's missing seqs cannot explain
    queue_other: int  # main-queue messages beyond this run's unresolved seqs (other runs', or retries)


class Reconciled(ReconciliationRow):
    """Counted: ``lost`` is 0 for every variant (``ok``) or not (``lost``); its own keys are the totals."""

    status: Literal["ok", "lost"]
    target: str  # sqs | api
    by_variant: dict[str, ReconciliationRow]
    apart: dict[str, Apart]  # per variant id, the same order
    unreadable_samples: list[str]  # a few unreadable DLQ bodies, cut short
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
    source: str  # logs-insights | log-events | log-files
    local_emulation: bool  # a local cloud, or a function whose CPU is not its label's
    local_cloud: bool  # the stack outputs name a local endpoint (MiniStack)
    window: Window
    interrupted: bool | None  # None without a manifest
    variants: dict[str, VariantSummary]  # by variant id, in the matrix's order
    workloads: dict[str, dict[str, WorkloadVariant]]  # workload → variant id → figures
    comparisons: list[ComparisonRow]
    method: Method
    memory_curve: dict[str, list[str]]  # "<runtime tag>-<architecture>" → its subjects' ids, smallest memory first
    recommendation: Recommendation
    cold_starts: ColdStarts
    cost: Cost
    reconciliation: Reconciliation
    parsing: Parsing


class Summary(Findings):
    verdict: str
