"""The comparison summary, built from a run's records: the JSON contract typed in ``core.summary`` and described in
docs/architecture.md.

Timings describe successful work only; errors are counted. Warm and cold work items are analysed apart: the
headline median ratio is on warm items' ``WorkloadMs`` (cold starts import and allocate, a different question),
cold starts get their own init-duration comparison. Failed Lambda invocations (REPORT ``Status`` timeout/error,
and the invocations without a work item, ``analysis.dataset``) are counted per architecture in
``failed_invocations`` and billed in ``cost_usd``; the duration distributions keep describing the invocations that
ran work items.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import pandas as pd

from analysis import cost as costs
from analysis import stats
from analysis.dataset import RunData
from analysis.parse import SUCCESS
from analysis.verdict import verdict
from core import ARCHITECTURES as ARCHES
from core import (
    ArchitectureSummary,
    Findings,
    Parsing,
    Reconciliation,
    RunManifest,
    Summary,
    Window,
    WorkloadArchitecture,
    WorkloadSummary,
    arch_of_machine,
    prices_for,
)
from stack import StackOutputs


@dataclass(frozen=True)
class Context:
    """Everything besides the records that the summary states."""

    source: str  # logs-insights | log-events
    outputs: StackOutputs
    reconciliation: Reconciliation
    window: Window
    manifest: RunManifest | None


def host_machine(items: pd.DataFrame) -> str | None:
    """The CPU the handler saw (``platform.machine()``); several if the documents disagree."""
    machines = Counter(m for m in items["host_machine"].dropna())
    return ", ".join(name for name, _ in machines.most_common()) if machines else None


def is_local_emulation(data: RunData, outputs: StackOutputs) -> bool:
    """A local cloud, or a function whose CPU is not its label's (both ran on one host)."""
    if outputs.is_local:
        return True
    for arch, group in data.items.groupby("architecture"):
        machines = {arch_of_machine(str(m)) or str(m) for m in group["host_machine"].dropna()}
        if machines and machines != {arch}:
            return True
    return False


@dataclass(frozen=True)
class Result:
    summary: Summary
    items: pd.DataFrame  # work items with their invocation's REPORT, billed duration and cost share
    invocations: pd.DataFrame  # Lambda invocations with billed duration, cost and init duration (cold only)


def summarize(data: RunData, context: Context) -> Result:
    estimate = context.outputs.is_local
    prices = prices_for(context.outputs.region)
    configured_memory = {arch: fn.memory_mb for arch, fn in context.outputs.functions.items()}
    invocations = data.invocations.assign(billed_duration_used_ms=costs.billed_ms(data.invocations, estimate),
                                          init_used_ms=_init_values(data.invocations))
    invocations["cost_usd"] = costs.invocation_cost(invocations, invocations["billed_duration_used_ms"], prices,
                                                    configured_memory)
    per_request = invocations.set_index("request_id")
    items = data.items.assign(cost_usd=costs.item_cost(data.items, invocations, invocations["cost_usd"]),
                              billed_duration_used_ms=data.items["request_id"].map(
                                  per_request["billed_duration_used_ms"]))
    architectures = {
        arch: _architecture(items[items["architecture"] == arch], invocations[invocations["architecture"] == arch],
                            data.init_reports[data.init_reports["architecture"] == arch])
        for arch in sorted(set(items["architecture"]) | set(invocations["architecture"])
                           | set(context.outputs.functions))
    }
    init = {arch: invocations.loc[invocations["architecture"] == arch, "init_used_ms"] for arch in ARCHES}
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
        "local_emulation": is_local_emulation(data, context.outputs),
        "window": context.window,
        "interrupted": context.manifest.interrupted if context.manifest else None,
        "architectures": architectures,
        "workloads": {name: _workload(group) for name, group in items.groupby("workload", sort=True)},
        "cold_starts": {"init_duration_ms": stats.compare(init["arm64"], init["x86_64"]).to_dict(),
                        "init_source": "REPORT Init Duration" if invocations["init_duration_ms"].notna().any()
                        else "handler InitMs"},
        # PriceList.to_dict() is the Prices contract (core.pricing is typed loosely: dict[str, object]).
        "cost": {**prices.to_dict(), "billed_duration": "estimated" if estimate else "reported",
                 "unit": "USD per million work items"},
        "reconciliation": context.reconciliation,
        "parsing": parsing,
    }
    return Result({**findings, "verdict": verdict(findings)}, items, invocations)


def _init_values(invocations: pd.DataFrame) -> pd.Series:
    """Init duration of cold invocations that ran work items: the REPORT's, else the handler's own ``InitMs``
    (MiniStack)."""
    init = invocations["init_duration_ms"].fillna(invocations["init_ms"])
    return init.where(invocations["cold"] & ~invocations["orphan"])


def _counts(values: pd.Series) -> dict[str, int]:
    return {str(key): int(count) for key, count in sorted(Counter(values).items())}


def _architecture(items: pd.DataFrame, all_invocations: pd.DataFrame,
                  init_reports: pd.DataFrame) -> ArchitectureSummary:
    ok = items[~items["error"]]
    warm, cold = ok[~ok["cold"]], ok[ok["cold"]]
    total_cost = float(all_invocations["cost_usd"].sum())
    invocations = all_invocations[~all_invocations["orphan"]]  # the distributions: invocations that ran items
    failed = all_invocations[all_invocations["failed"]]
    failed_inits = init_reports[init_reports["init_status"] != SUCCESS]
    return {
        "invocations": len(items),
        "lambda_invocations": len(invocations),
        "errors": int(items["error"].sum()),
        "cold_starts": _cold_starts(items),
        "host_machine": host_machine(items),
        "memory_mb": _first(invocations["memory_mb"]),
        "workload_ms": stats.describe(ok["workload_ms"]),
        "handler_ms": stats.describe(ok["handler_ms"]),
        "duration_ms": stats.describe(invocations["duration_ms"]),
        "billed_duration_ms": stats.describe(invocations["billed_duration_used_ms"]),
        "init_duration_ms": stats.describe(invocations["init_used_ms"]),
        "peak_rss_mb": stats.describe(items["peak_rss_mb"]),
        "queue_lag_ms": stats.describe(items["queue_lag_ms"]),
        "warm": {"workload_ms": stats.describe(warm["workload_ms"]),
                 "duration_ms": stats.describe(invocations.loc[~invocations["cold"], "duration_ms"])},
        "cold": {"workload_ms": stats.describe(cold["workload_ms"]),
                 "duration_ms": stats.describe(invocations.loc[invocations["cold"], "duration_ms"])},
        "cost_usd": total_cost,
        "cost_per_million_usd": costs.per_million(total_cost, len(items)),
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
    }


def _cold_starts(items: pd.DataFrame) -> int:
    """Cold Lambda invocations: distinct request ids with a cold item (an SQS batch is one cold start)."""
    cold = items[items["cold"]]
    with_id = cold["request_id"] != ""
    return int(cold.loc[with_id, "request_id"].nunique() + (~with_id).sum())


def _first(values: pd.Series) -> float | None:
    present = values.dropna()
    return float(present.iloc[0]) if len(present) else None


def _workload(items: pd.DataFrame) -> WorkloadSummary:
    arm, x86 = (items[items["architecture"] == arch] for arch in ("arm64", "x86_64"))
    warm = stats.compare(_ok_workload_ms(arm, cold=False), _ok_workload_ms(x86, cold=False))
    cold = stats.compare(_ok_workload_ms(arm, cold=True), _ok_workload_ms(x86, cold=True))
    arm_block, x86_block = _workload_architecture(arm), _workload_architecture(x86)
    arm_cost, x86_cost = arm_block["cost_per_million_usd"], x86_block["cost_per_million_usd"]
    return {
        "arm64": arm_block, "x86_64": x86_block, **warm.to_dict(), "basis": "warm work items, WorkloadMs",
        "cold": cold.to_dict(),
        "x86_over_arm_cost_ratio": x86_cost / arm_cost if arm_cost and x86_cost is not None else None,
    }


def _workload_architecture(mine: pd.DataFrame) -> WorkloadArchitecture:
    ok = mine[~mine["error"]]
    return {
        "n": len(mine), "errors": int(mine["error"].sum()), "cold_starts": _cold_starts(mine),
        "workload_ms": stats.describe(ok["workload_ms"]),
        "warm_workload_ms": stats.describe(_ok_workload_ms(mine, cold=False)),
        "cost_per_million_usd": costs.per_million(float(mine["cost_usd"].sum()), len(mine)),
    }


def _ok_workload_ms(items: pd.DataFrame, cold: bool) -> pd.Series:
    """Workload times of the successful cold (or warm) items."""
    ok = items[~items["error"]]
    return ok.loc[ok["cold"] == cold, "workload_ms"]
