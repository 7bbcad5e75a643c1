"""Which variant is compared with which, on what, and how: the ``comparisons`` of the summary.

The pairs follow the matrix (``stack.variants``): in every (runtime, memory) cell arm64 against x86_64 (baseline
x86_64); for every runtime and architecture each memory size against the next smaller one (the memory curve's
steps: where it bends is where the money is); in every (architecture, memory) cell each runtime against every
older one (baseline the older); each control twin against the subject it copies (the measured noise floor). Only
subjects are paired, except in the control rows.

The method is chosen here and nowhere else (``METHODS``), so that issue 14 can swap it: today the warm work items'
median ratio with a bootstrap CI and a Mann–Whitney p-value (``stats.compare``), and the ratio of the mean cost per
work item with a delta-method CI (``stats.compare_means``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from itertools import combinations, pairwise
from typing import Any

import pandas as pd

from analysis import stats
from core import ComparisonKind, ComparisonRow, Verdict
from stack import Variant

# metric → how two samples of it are compared
METHODS: dict[str, Callable[[Any, Any], stats.Comparison]] = {
    "warm_workload_ms": stats.compare,
    "cost_per_million_usd": stats.compare_means,
    "init_duration_ms": stats.compare,
}


@dataclass(frozen=True)
class Pair:
    kind: ComparisonKind
    baseline: str  # variant id
    candidate: str


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


def verdict_of(comparison: stats.Comparison) -> Verdict:
    if comparison.ratio is None or comparison.ci95 is None:
        return "insufficient_data"
    if not comparison.significant:
        return "no_difference"
    return "candidate_better" if comparison.ratio > 1 else "baseline_better"


def row(pair: Pair, workload: str | None, metric: str, baseline: Any, candidate: Any) -> ComparisonRow:
    result = METHODS[metric](baseline, candidate)
    return {"kind": pair.kind, "baseline": pair.baseline, "candidate": pair.candidate, "workload": workload,
            "metric": metric, "ratio": result.ratio, "ci95": list(result.ci95) if result.ci95 else None,
            "p_value": result.p_value, "n_baseline": result.n_baseline, "n_candidate": result.n_candidate,
            "verdict": verdict_of(result)}


def compare_variants(variants: Mapping[str, Variant], items: pd.DataFrame,
                     invocations: pd.DataFrame) -> list[ComparisonRow]:
    """Per pair: per workload the warm WorkloadMs and the cost per work item, then the init durations."""
    ok = items[~items["error"]]
    warm = ok[~ok["cold"]]
    init = invocations.dropna(subset=["init_used_ms"])
    rows: list[ComparisonRow] = []
    for pair in pairs(variants.values()):
        for workload in sorted(set(items["workload"])):
            rows.append(row(pair, workload, "warm_workload_ms", *(
                _sample(warm, "workload_ms", side, workload) for side in (pair.baseline, pair.candidate))))
            rows.append(row(pair, workload, "cost_per_million_usd", *(
                _sample(items, "cost_usd", side, workload) * 1e6 for side in (pair.baseline, pair.candidate))))
        rows.append(row(pair, None, "init_duration_ms", *(
            _sample(init, "init_used_ms", side) for side in (pair.baseline, pair.candidate))))
    return rows


def _sample(frame: pd.DataFrame, column: str, variant: str, workload: str | None = None) -> pd.Series:
    mask = frame["variant"] == variant
    if workload is not None:
        mask &= frame["workload"] == workload
    return frame.loc[mask, column]
