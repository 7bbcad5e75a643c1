"""The comparison summary, built from a run's records: the JSON contract typed in ``core.summary`` and described in
docs/architecture.md.

Everything is per variant (``stack.variants``): the stack outputs say what each variant is (architecture, memory,
runtime, role), the records what it measured. Timings describe successful work only; errors are counted. Warm and
cold work items are analysed apart: the comparisons (``analysis.comparisons``) are on warm items' ``WorkloadMs``
(cold starts import and allocate, a different question), cold starts get their own init-duration rows. Failed
Lambda invocations (REPORT ``Status`` timeout/error, and the invocations without a work item,
``analysis.dataset``) are counted per variant in ``failed_invocations`` and billed in ``cost_usd``; the duration
distributions keep describing the invocations that ran work items.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis import clustered, stats
from analysis import cost as costs
from analysis.comparisons import Rule, compare_variants, has_rounds
from analysis.dataset import RunData
from analysis.decision import DEFAULT_MARGIN
from analysis.grouping import Split
from analysis.parse import SUCCESS
from analysis.recommend import recommend
from analysis.stability import stability
from analysis.verdict import verdict
from core import (
    ComparisonRow,
    Environments,
    Findings,
    Headline,
    Interval,
    Method,
    Parsing,
    Reconciliation,
    RunManifest,
    Summary,
    VariantSummary,
    Window,
    WorkloadVariant,
    arch_of_machine,
    prices_for,
)
from stack import StackOutputs, Variant, runtime_tag


@dataclass(frozen=True)
class Context:
    """Everything besides the records that the summary states."""

    source: str  # logs-insights | log-events
    outputs: StackOutputs
    reconciliation: Reconciliation
    window: Window
    manifest: RunManifest | None
    margin: float = DEFAULT_MARGIN  # the equivalence margin, ± relative (``--margin``)

    @property
    def profile(self) -> str | None:
        """The load profile (sustained, burst, ramp, cold) when the manifest says."""
        return str(self.manifest.config.get("profile")) if self.manifest else None


def is_local_emulation(items: pd.DataFrame, outputs: StackOutputs) -> bool:
    """A local cloud, or a function whose CPU is not its label's (all of them ran on one host)."""
    if outputs.is_local:
        return True
    for arch, group in items.groupby("architecture"):
        machines = {arch_of_machine(str(m)) or str(m) for m in group["host_machine"].dropna()}
        if machines and machines != {arch}:
            return True
    return False


# What the per-variant and per-workload blocks read of a work item (its stability included).
VARIANT_COLUMNS = ("variant", "workload", "environment", "environment_code", "round", "cpu_model", "error",
                   "error_type", "cold", "workload_ms", "handler_ms", "peak_rss_mb", "queue_lag_ms", "cost_usd",
                   "architecture", "runtime", "host_machine", "request_id", "timestamp_ms", "seq")


@dataclass(frozen=True)
class Result:
    summary: Summary
    items: pd.DataFrame  # work items with their invocation's REPORT, billed duration and cost share
    invocations: pd.DataFrame  # Lambda invocations with billed duration, cost and init duration (cold only)


def summarize(data: RunData, context: Context) -> Result:
    outputs = context.outputs
    estimate = outputs.is_local
    prices = prices_for(outputs.region)
    configured = outputs.variants
    # What a variant is comes from the stack outputs; a document of a function outside them keeps its own label.
    architecture_of = {vid: fn.architecture for vid, fn in configured.items()}
    invocations = data.invocations.assign(
        architecture=lambda frame: frame["variant"].map(architecture_of).fillna(frame.get("architecture")),
        billed_duration_used_ms=costs.billed_ms(data.invocations, estimate),
        init_used_ms=_init_values(data.invocations))
    invocations["cost_usd"] = costs.invocation_cost(invocations, invocations["billed_duration_used_ms"], prices,
                                                    {vid: fn.memory_mb for vid, fn in configured.items()})
    per_request = invocations.set_index("request_id")
    items = data.items.assign(
        architecture=data.items["variant"].map(architecture_of).fillna(data.items["architecture"]),
        cost_usd=costs.item_cost(data.items, invocations, invocations["cost_usd"]),
        billed_duration_used_ms=data.items["request_id"].map(per_request["billed_duration_used_ms"]))
    seen = set(items["variant"].unique()) | set(invocations["variant"].unique())
    variant_ids = [*configured, *sorted(seen - set(configured))]
    narrow = items[[column for column in VARIANT_COLUMNS if column in items]]  # the rest: copied by every split
    items_of, invocations_of, init_reports_of = (Split(frame, "variant")
                                                 for frame in (narrow, invocations, data.init_reports))
    variants = {vid: _variant(vid, context, items_of[vid], invocations_of[vid], init_reports_of[vid])
                for vid in variant_ids}
    matrix = {vid: fn.variant for vid, fn in configured.items()}
    local = is_local_emulation(items, outputs)
    comparisons = compare_variants(matrix, items, invocations, Rule(context.margin, local))
    counts = data.counts.to_dict()
    parsing: Parsing = {
        "emf_documents": counts["emf_documents"], "other_runs": counts["other_runs"], "reports": counts["reports"],
        "malformed_emf": counts["malformed_emf"], "malformed_report": counts["malformed_report"],
        "ignored": counts["ignored"], "items_without_report": data.items_without_report,
        "duplicate_reports": data.duplicate_reports, "samples": data.counts.samples,
        "init_reports": counts["init_reports"], "runtime_done": counts["runtime_done"],
        "malformed_init_report": counts["malformed_init_report"],
        "malformed_runtime_done": counts["malformed_runtime_done"],
        "reports_other_runs": data.reports_other_runs,
        "invocations_without_work_item": int(data.invocations["orphan"].sum()),
        "reports_unattributed": data.reports_unattributed,
    }
    findings: Findings = {
        "run_id": data.run_id,
        "source": context.source,
        "local_emulation": local,
        "local_cloud": outputs.is_local,
        "window": context.window,
        "interrupted": context.manifest.interrupted if context.manifest else None,
        "variants": variants,
        "workloads": _workloads(narrow, variant_ids),
        "comparisons": comparisons,
        "method": method(comparisons, variants, rounds=has_rounds(items), margin=context.margin),
        "memory_curve": memory_curve(matrix.values()),
        "recommendation": recommend(variants),
        "cold_starts": {"init_source": "REPORT Init Duration" if invocations["init_duration_ms"].notna().any()
                        else "handler InitMs"},
        # PriceList.to_dict() is the Prices contract (core.pricing is typed loosely: dict[str, object]).
        "cost": {**prices.to_dict(), "billed_duration": "estimated" if estimate else "reported",
                 "unit": "USD per million work items"},
        "reconciliation": context.reconciliation,
        "parsing": parsing,
    }
    return Result({**findings, "verdict": verdict(findings)}, items, invocations)


def memory_curve(variants: Iterable[Variant]) -> dict[str, list[str]]:
    """Per runtime and architecture, its subjects' ids from the smallest memory size to the largest."""
    curve: dict[str, list[str]] = {}
    for variant in sorted((v for v in variants if not v.is_control), key=Variant.sort_key):
        curve.setdefault(f"{runtime_tag(variant.runtime)}-{variant.architecture}", []).append(variant.id)
    return curve


def method(comparisons: list[ComparisonRow], variants: dict[str, VariantSummary], *, rounds: bool,
           margin: float) -> Method:
    """The decision rule as applied: what it needs, whether the A/A twins passed, and advice when the run had too
    few environments for any verdict."""
    controls = [row for row in comparisons if row["kind"] == "control" and row["metric"] == "warm_workload_ms"]
    failed = [row for row in controls if row["verdict"] != "equivalent"]
    flagged = list(dict.fromkeys(f"{variants[row['baseline']]['runtime']} {variants[row['baseline']]['memory_mb']} MB"
                                 for row in failed if row["baseline"] in variants))
    kept = [block["environments"]["kept"] for block in variants.values() if block["role"] == "subject"]
    advice = None
    if not rounds and kept and min(kept) < clustered.MIN_UNITS:
        advice = (f"only {min(kept)} execution environment{'s' if min(kept) != 1 else ''} with "
                  f"{clustered.MIN_ITEMS}+ warm items on the smallest side: run the load with --rounds 10 (every "
                  f"round gives every variant fresh environments) for a verdict")
    return {"margin": margin, "min_units": clustered.MIN_UNITS, "min_items_per_environment": clustered.MIN_ITEMS,
            "descriptive_below": clustered.DESCRIPTIVE_BELOW, "unit": "rounds" if rounds else "environments",
            "noise_floor_ok": (not failed) if controls else None, "flagged_cells": flagged,
            "recommend_rounds": advice}


def _environments(warm: pd.DataFrame) -> Environments:
    """The variant's execution environments as the comparisons see them (warm successful items, known
    environment), the spread measured on its commonest workload."""
    known = warm[warm["environment"] != ""]
    sizes = known.groupby("environment").size()
    spread = None
    if not known.empty:
        commonest = known[known["workload"] == known["workload"].mode().iloc[0]]
        medians = clustered.per_environment(commonest["workload_ms"], commonest["environment_code"]).values
        spread = float(np.std(np.log(medians), ddof=1)) if medians.size > 1 else None
    cpu = known.drop_duplicates("environment")["cpu_model"].fillna("unknown").value_counts()
    kept = int((sizes >= clustered.MIN_ITEMS).sum())
    return {"count": len(sizes), "kept": kept, "excluded": len(sizes) - kept, "spread": spread,
            "items_per_environment": stats.describe(sizes.to_numpy()),
            "cpu_models": {"environments": {str(name): int(n) for name, n in cpu.items()},
                           "largest": str(cpu.index[0]) if len(cpu) else None},
            "rounds": int(known["round"].dropna().nunique())}


def _init_values(invocations: pd.DataFrame) -> pd.Series:
    """Init duration of cold invocations that ran work items: the REPORT's, else the handler's own ``InitMs``
    (MiniStack)."""
    init = invocations["init_duration_ms"].fillna(invocations["init_ms"])
    return init.where(invocations["cold"] & ~invocations["orphan"])


def _counts(values: pd.Series) -> dict[str, int]:
    return {str(key): int(count) for key, count in sorted(Counter(values).items())}


def _variant(vid: str, context: Context, items: pd.DataFrame, all_invocations: pd.DataFrame,
             init_reports: pd.DataFrame) -> VariantSummary:
    ok = items[~items["error"]]
    warm, cold = ok[~ok["cold"]], ok[ok["cold"]]
    total_cost = float(all_invocations["cost_usd"].sum())
    invocations = all_invocations[~all_invocations["orphan"]]  # the distributions: invocations that ran items
    failed = all_invocations[all_invocations["failed"]]
    failed_inits = init_reports[init_reports["init_status"] != SUCCESS]
    function = context.outputs.functions.get(vid)
    cost_per_million = costs.per_million(total_cost, len(items))
    return {
        "architecture": function.architecture if function else _most_common(items["architecture"]) or "unknown",
        "memory_mb": function.memory_mb if function else None,
        "runtime": function.runtime if function else _most_common(items["runtime"]),
        "role": function.role if function else "subject",
        "invocations": len(items),
        "lambda_invocations": len(invocations),
        "errors": int(items["error"].sum()),
        "cold_starts": _cold_starts(items),
        "host_machine": _all_seen(items["host_machine"]),
        "handler_runtime": _all_seen(items["runtime"]),
        "reported_memory_mb": _first(invocations["memory_mb"]),
        "workload_ms": stats.describe(ok["workload_ms"]),
        "handler_ms": stats.describe(ok["handler_ms"]),
        "duration_ms": stats.describe(invocations["duration_ms"]),
        "billed_duration_ms": stats.describe(invocations["billed_duration_used_ms"]),
        "init_duration_ms": stats.describe(invocations["init_used_ms"]),
        "user_init_ms": stats.describe(invocations["user_init_ms"]),
        "peak_rss_mb": stats.describe(items["peak_rss_mb"]),
        "queue_lag_ms": stats.describe(items["queue_lag_ms"]),
        "warm": {"workload_ms": stats.describe(warm["workload_ms"]),
                 "duration_ms": stats.describe(invocations.loc[~invocations["cold"], "duration_ms"])},
        "cold": {"workload_ms": stats.describe(cold["workload_ms"]),
                 "duration_ms": stats.describe(invocations.loc[invocations["cold"], "duration_ms"])},
        "cost_usd": total_cost,
        "cost_per_million_usd": cost_per_million,
        "error_types": dict(Counter(items.loc[items["error"], "error_type"].fillna("unknown"))),
        "failed_invocations": {
            "total": len(failed), "by_status": _counts(failed["status"]),
            "error_types": _counts(failed["report_error_type"].dropna()),
            "without_work_item": int(all_invocations["orphan"].sum()),
            "billed_duration_ms": float(failed["billed_duration_used_ms"].sum()),
            "cost_usd": float(failed["cost_usd"].sum()),
            "init_failures": len(failed_inits),
            "init_error_types": _counts(failed_inits["init_error_type"].fillna(failed_inits["init_status"])),
        },
        "headline": _headline(warm, items, cost_per_million),
        "environments": _environments(warm),
        "stability": stability(items, context.margin, context.profile),
    }


def _headline(warm: pd.DataFrame, items: pd.DataFrame, cost_per_million: float | None) -> Headline:
    """Over environments, like the comparisons. Speed: per workload the geometric mean of the environments' median
    (p99) warm WorkloadMs, then weighted by the run's workload mix — an environment's own median would depend on
    which workloads it happened to serve. Cost: the geometric mean of the environments' mean cost per work item,
    scaled to the variant's cost per million (which also bills the invocations without a work item)."""
    cost = _over_environments(items, "cost_usd", "mean")
    if cost_per_million is not None and cost["value"]:
        scale = cost_per_million / cost["value"]
        cost = {"value": cost_per_million, "ci95": [bound * scale for bound in cost["ci95"]] if cost["ci95"] else None}
    else:
        cost = {"value": cost_per_million, "ci95": None}
    return {"median_ms": _mix_weighted(warm, "median"), "p99_ms": _mix_weighted(warm, "p99"),
            "cost_per_million_usd": cost}


def _over_environments(frame: pd.DataFrame, column: str, statistic: str) -> Interval:
    units = clustered.per_environment(frame[column], frame["environment_code"], statistic)
    value, ci = clustered.geometric_interval(units)
    return {"value": value, "ci95": list(ci) if ci else None}


def _mix_weighted(warm: pd.DataFrame, statistic: str) -> Interval:
    """Σ share × per-workload figure; the interval adds the bounds the same way (conservative: as if the workloads'
    errors were perfectly correlated). No interval when a workload has none."""
    if warm.empty:
        return {"value": None, "ci95": None}
    of_workload = Split(warm, "workload")
    shares = warm["workload"].value_counts(normalize=True)
    figures = [(float(share), _over_environments(of_workload[name], "workload_ms", statistic))
               for name, share in shares.items()]
    values = [(share, block["value"]) for share, block in figures if block["value"] is not None]
    if len(values) < len(figures):
        return {"value": None, "ci95": None}
    value = sum(share * figure for share, figure in values)
    bounds = [(share, block["ci95"]) for share, block in figures if block["ci95"] is not None]
    if len(bounds) < len(figures):
        return {"value": value, "ci95": None}
    return {"value": value, "ci95": [sum(share * ci[0] for share, ci in bounds),
                                     sum(share * ci[1] for share, ci in bounds)]}


def _cold_starts(items: pd.DataFrame) -> int:
    """Cold Lambda invocations: distinct request ids with a cold item (an SQS batch is one cold start)."""
    cold = items[items["cold"]]
    with_id = cold["request_id"] != ""
    return int(cold.loc[with_id, "request_id"].nunique() + (~with_id).sum())


def _first(values: pd.Series) -> float | None:
    present = values.dropna()
    return float(present.iloc[0]) if len(present) else None


def _all_seen(values: pd.Series) -> str | None:
    """Every distinct value, the most common first (several when the documents disagree)."""
    seen = Counter(str(value) for value in values.dropna().to_numpy())  # numpy's iterator: pandas' is slower
    return ", ".join(name for name, _ in seen.most_common()) if seen else None


def _most_common(values: pd.Series) -> str | None:
    seen = Counter(str(value) for value in values.dropna().to_numpy())
    return seen.most_common(1)[0][0] if seen else None


def _workloads(items: pd.DataFrame, variant_ids: list[str]) -> dict[str, dict[str, WorkloadVariant]]:
    """Per workload (sorted), every variant's block."""
    blocks = {}
    for name, group in items.groupby("workload", sort=True):
        of_variant = Split(group, "variant")
        blocks[str(name)] = {vid: _workload_variant(of_variant[vid]) for vid in variant_ids}
    return blocks


def _workload_variant(mine: pd.DataFrame) -> WorkloadVariant:
    ok = mine[~mine["error"]]
    return {
        "n": len(mine), "errors": int(mine["error"].sum()), "cold_starts": _cold_starts(mine),
        "workload_ms": stats.describe(ok["workload_ms"]),
        "warm_workload_ms": stats.describe(ok.loc[~ok["cold"], "workload_ms"]),
        "cost_per_million_usd": costs.per_million(float(mine["cost_usd"].sum()), len(mine)),
    }
