"""Which variant is compared with which, on what, and how: the ``comparisons`` of the summary.

The pairs follow the matrix (``stack.variants``): in every (runtime, memory) cell arm64 against x86_64 (baseline
x86_64); for every runtime and architecture each memory size against the next smaller one (the memory curve's
steps: where it bends is where the money is); in every (architecture, memory) cell each runtime against every
older one (baseline the older); each control twin against the subject it copies (the measured noise floor). Only
subjects are paired, except in the control rows.

The unit is the execution environment, not the work item: items that share an environment share its speed, so
every metric is first reduced to one figure per environment (``analysis.clustered``) — the median of its warm
successful items, their p90 and p99, the mean cost per item — and two variants are compared on those figures with a
Welch t interval on the log scale. A run with rounds (``loadgen --rounds``) compares the per-round figures pairwise
instead (the rounds are randomised interleaved trials). Init durations are one per environment already. Each row is
then decided by ``analysis.decision`` (margin, minimum units, recorded resolution, local emulation).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import combinations, pairwise

import pandas as pd

from analysis import clustered
from analysis.decision import Decision, decide
from analysis.grouping import Split
from core import ComparisonKind, ComparisonRow
from stack import Variant

# metric → the per-environment statistic of the warm items' WorkloadMs (the cost and init rows are built apart)
WARM_METRICS = {"warm_workload_ms": "median", "warm_p90_ms": "p90", "warm_p99_ms": "p99"}
SAME_CPU_METRIC = "warm_workload_ms_largest_cpu"  # the architecture row again, within each side's commonest CPU
USED_COLUMNS = ("variant", "workload", "environment", "environment_code", "round", "cpu_model", "error", "cold",
                "workload_ms", "cost_usd")
TAIL_OR_COST = {"warm_p90_ms", "warm_p99_ms", "cost_per_million_usd"}  # descriptive below DESCRIPTIVE_BELOW units


@dataclass(frozen=True)
class Pair:
    kind: ComparisonKind
    baseline: str  # variant id
    candidate: str


@dataclass(frozen=True)
class Rule:
    """How the rows are decided: the equivalence margin, and whether every function ran on one host CPU."""

    margin: float
    local: bool


def pairs(variants: Iterable[Variant]) -> list[Pair]:
    """Every comparison the matrix asks for, in kind order, each kind in the matrix's order."""
    ordered = sorted(set(variants), key=Variant.sort_key)
    subjects = [v for v in ordered if not v.is_control]
    found: list[Pair] = []
    for runtime, memory in dict.fromkeys(v.cell for v in subjects):
        by_arch = {v.architecture: v for v in subjects if v.cell == (runtime, memory)}
        if {"arm64", "x86_64"} <= set(by_arch):
            found.append(Pair("architecture", by_arch["x86_64"].id, by_arch["arm64"].id))
    for runtime, arch in dict.fromkeys((v.runtime, v.architecture) for v in subjects):
        curve = [v for v in subjects if (v.runtime, v.architecture) == (runtime, arch)]
        found += [Pair("memory", smaller.id, larger.id) for smaller, larger in pairwise(curve)]
    for arch, memory in dict.fromkeys((v.architecture, v.memory_mb) for v in subjects):
        runtimes = [v for v in subjects if (v.architecture, v.memory_mb) == (arch, memory)]
        found += [Pair("runtime", older.id, newer.id) for older, newer in combinations(runtimes, 2)]
    known = {v.id for v in ordered}
    found += [Pair("control", v.sibling.id, v.id) for v in ordered if v.is_control and v.sibling.id in known]
    return found


def has_rounds(items: pd.DataFrame) -> bool:
    """At least two rounds were run: the workload rows are then per round."""
    return "round" in items and items["round"].dropna().nunique() >= 2


def compare_variants(variants: Mapping[str, Variant], items: pd.DataFrame, invocations: pd.DataFrame,
                     rule: Rule) -> list[ComparisonRow]:
    """Per pair: per workload the warm WorkloadMs (median, p90, p99 per environment) and the cost per work item,
    the median within the commonest CPU model where a side ran on several, then the init durations."""
    items = items[[column for column in USED_COLUMNS if column in items]]  # the rest would be copied by every split
    ok = items[~items["error"]]
    warm = ok[~ok["cold"]]
    rounds = has_rounds(warm)
    init = invocations.dropna(subset=["init_used_ms"])
    warm_of = Split(warm, ["variant", "workload"])
    items_of = Split(items, ["variant", "workload"])
    init_of = Split(init, "variant")
    workloads = sorted(set(items["workload"].unique()))
    warm_units = _UnitsOf(warm_of, "workload_ms")
    cost_units = _UnitsOf(items_of, "cost_usd", scale=1e6)  # per million work items
    rows: list[ComparisonRow] = []
    for pair in pairs(variants.values()):
        for workload in workloads:
            base_key, cand_key = (pair.baseline, workload), (pair.candidate, workload)
            sides = [warm_of[base_key], warm_of[cand_key]]
            quantum = clustered.quantum(pd.concat([side["workload_ms"] for side in sides]))
            for metric, statistic in WARM_METRICS.items():
                if rounds and statistic == "median":
                    estimate = _per_round(sides, statistic)
                else:
                    estimate = clustered.welch_ratio(warm_units(base_key, statistic), warm_units(cand_key, statistic))
                rows.append(_row(pair, workload, metric, estimate, rule, quantum))
            if pair.kind == "architecture" and any(_cpu_models(side) > 1 for side in sides):
                base, cand = (_largest_cpu_group(side) for side in sides)
                estimate = clustered.welch_ratio(
                    clustered.per_environment(base["workload_ms"], base["environment_code"]),
                    clustered.per_environment(cand["workload_ms"], cand["environment_code"]))
                rows.append(_row(pair, workload, SAME_CPU_METRIC, estimate, rule, quantum))
            estimate = clustered.welch_ratio(cost_units(base_key, "mean"), cost_units(cand_key, "mean"))
            rows.append(_row(pair, workload, "cost_per_million_usd", estimate, rule, None))
        base_init, cand_init = (clustered.units(init_of[side]["init_used_ms"])
                                for side in (pair.baseline, pair.candidate))
        rows.append(_row(pair, None, "init_duration_ms",
                         clustered.welch_ratio(base_init, cand_init, unit="cold starts"), rule,
                         clustered.quantum(init["init_used_ms"])))
    return rows


class _UnitsOf:
    """One figure per environment of a split's rows, computed once per key and statistic: a variant takes part in
    several pairs (architecture, memory, runtime, control)."""

    def __init__(self, split: Split, column: str, scale: float = 1.0) -> None:
        self._split, self._column, self._scale = split, column, scale
        self._units: dict[tuple[object, str], clustered.Units] = {}

    def __call__(self, key: object, statistic: str) -> clustered.Units:
        if (key, statistic) not in self._units:
            rows = self._split[key]
            self._units[key, statistic] = clustered.per_environment(rows[self._column] * self._scale,
                                                                    rows["environment_code"], statistic)
        return self._units[key, statistic]


def _per_round(sides: list[pd.DataFrame], statistic: str) -> clustered.Estimate:
    base, cand = (clustered.per_round(side["workload_ms"], side["round"], side["environment_code"], statistic)
                  for side in sides)
    return clustered.paired_ratio(base, cand)


def _row(pair: Pair, workload: str | None, metric: str, estimate: clustered.Estimate, rule: Rule,
         quantum: float | None) -> ComparisonRow:
    decision: Decision = decide(estimate, kind=pair.kind, margin=rule.margin, local=rule.local, quantum=quantum)
    smaller_side = min(estimate.n_baseline, estimate.n_candidate)
    return {"kind": pair.kind, "baseline": pair.baseline, "candidate": pair.candidate, "workload": workload,
            "metric": metric, "unit": estimate.unit, "ratio": estimate.ratio,
            "ci95": list(estimate.ci95) if estimate.ci95 else None,
            "n_baseline": estimate.n_baseline, "n_candidate": estimate.n_candidate,
            "excluded_baseline": estimate.excluded_baseline, "excluded_candidate": estimate.excluded_candidate,
            "spread_baseline": estimate.spread_baseline, "spread_candidate": estimate.spread_candidate,
            "mde": estimate.mde, "descriptive": metric in TAIL_OR_COST and smaller_side < clustered.DESCRIPTIVE_BELOW,
            "verdict": decision.verdict, "reason": decision.reason}


def _cpu_models(frame: pd.DataFrame) -> int:
    return int(frame["cpu_model"].dropna().nunique()) if "cpu_model" in frame else 0


def _largest_cpu_group(frame: pd.DataFrame) -> pd.DataFrame:
    """The items of the environments that ran on this side's commonest CPU model (by environments, not items)."""
    per_environment = frame.drop_duplicates("environment")["cpu_model"].dropna()
    if per_environment.empty:
        return frame
    largest = per_environment.value_counts().index[0]
    return frame[frame["cpu_model"] == largest]
