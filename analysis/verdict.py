"""The short answer: which architecture was faster and cheaper in each (runtime, memory) cell, how sure we are,
what the noise floor was, and which variant to pick.

A winner is named only when the 95 % interval of the ratio excludes 1, otherwise "no significant difference". A
local run says first, plainly, that every function ran on the host CPU: functional evidence that the pipeline
works, not evidence about Graviton versus x86.
"""

from __future__ import annotations

from collections.abc import Mapping

from core import Choice, ComparisonRow, Findings, VariantSummary


def fmt_p(p_value: float | None) -> str:
    if p_value is None:
        return "p n/a"
    return "p < 0.001" if p_value < 0.001 else f"p = {p_value:.3f}"


class Labels:
    """How the two sides of an architecture comparison are named: by architecture, after "at python3.13 1024 MB, "
    when the matrix has more than one (runtime, memory) cell."""

    def __init__(self, variants: Mapping[str, VariantSummary]) -> None:
        self._variants = variants
        self._several_cells = len({(b["runtime"], b["memory_mb"]) for b in variants.values()}) > 1

    def __call__(self, vid: str) -> str:
        return self._variants[vid]["architecture"] if vid in self._variants else vid

    def cell(self, vid: str) -> str:
        block = self._variants.get(vid)
        if not self._several_cells or block is None:
            return ""
        return f"at {block['runtime']} {block['memory_mb']} MB, "


def workload_clause(row: ComparisonRow, label: Labels) -> str:
    return label.cell(row["candidate"]) + _workload_clause(row, label)


def _workload_clause(row: ComparisonRow, label: Labels) -> str:
    base, cand, name = label(row["baseline"]), label(row["candidate"]), row["workload"]
    ratio, ci = row["ratio"], row["ci95"]
    if ratio is None or ci is None:
        return (f"not enough warm work items to compare {name} ({cand} {row['n_candidate']}, "
                f"{base} {row['n_baseline']})")
    interval = f"{base}/{cand} median ratio {ratio:.2f}, 95 % CI {ci[0]:.2f}–{ci[1]:.2f}, {fmt_p(row['p_value'])}"
    if row["verdict"] == "no_difference":
        return f"no significant difference on {name} ({interval})"
    if ratio > 1:
        return f"{cand} ran {name} {ratio:.2f}× as fast as {base} ({interval})"
    return f"{base} ran {name} {1 / ratio:.2f}× as fast as {cand} ({interval})"


def cost_clause(baseline: str, candidate: str, variants: Mapping[str, VariantSummary], label: Labels,
                estimated: bool) -> str | None:
    base, cand = (variants[vid]["cost_per_million_usd"] if vid in variants else None for vid in (baseline, candidate))
    if not base or not cand:
        return None
    cheaper, dearer = (candidate, baseline) if cand <= base else (baseline, candidate)
    saving = abs(base - cand) / max(base, cand) * 100
    kind = "estimated " if estimated else ""
    return (f"{label.cell(candidate)}{label(cheaper)} cost {saving:.0f} % less than {label(dearer)} per million "
            f"work items ({kind}${min(base, cand):.2f} vs ${max(base, cand):.2f})")


def control_clause(row: ComparisonRow) -> str:
    """The A/A twin against its sibling: the difference the benchmark measures between identical functions."""
    ratio, ci = row["ratio"], row["ci95"]
    if ratio is None or ci is None:
        return f"too few work items to measure the noise floor on {row['workload']}"
    outcome = ("within the noise" if row["verdict"] == "no_difference"
               else "a difference between identical functions: read the other differences with care")
    return (f"the A/A twin of {row['baseline']} ran {row['workload']} at a median ratio of {ratio:.2f} "
            f"(95 % CI {ci[0]:.2f}–{ci[1]:.2f}, {outcome})")


def choice_text(strategy: str, choice: Choice) -> str:
    if choice["variant"]:
        return f"{strategy} {choice['variant']}"
    if not choice["tie"]:
        return f"{strategy}: none measured"
    return f"{strategy}: a tie of {', '.join(choice['tie'])}"


def failure_clause(variants: Mapping[str, VariantSummary]) -> str | None:
    """"3 Lambda invocations failed (py313-1024-arm64: 2 timeout; …)", or None when none did."""
    parts, total = [], 0
    for vid, block in variants.items():
        failed = block["failed_invocations"]
        if not (failed["total"] or failed["init_failures"]):
            continue
        total += failed["total"]
        what = [f"{count} {status}" for status, count in failed["by_status"].items()]
        if failed["init_failures"]:
            what.append(f"{failed['init_failures']} failed init{'s' if failed['init_failures'] > 1 else ''}")
        parts.append(f"{vid}: {', '.join(what)}")
    if not parts:
        return None
    return f"{total} Lambda invocation{'s' if total != 1 else ''} failed ({'; '.join(parts)})"


def verdict(summary: Findings) -> str:
    variants = summary["variants"]
    total = sum(block["invocations"] for block in variants.values())
    failures = failure_clause(variants)
    if total == 0:
        found = f"; {failures}" if failures else ""
        return (f"No work items of run {summary['run_id']} were found in the logs, so there is nothing to "
                f"compare{found}.")
    label = Labels(variants)
    warm = [row for row in summary["comparisons"] if row["metric"] == "warm_workload_ms"
            and (row["n_baseline"] or row["n_candidate"])]  # not all-failed
    clauses = [workload_clause(row, label) for row in warm if row["kind"] == "architecture"]
    estimated = summary["cost"]["billed_duration"] == "estimated"
    cells = dict.fromkeys((row["baseline"], row["candidate"]) for row in warm if row["kind"] == "architecture")
    clauses += [clause for pair in cells if (clause := cost_clause(*pair, variants, label, estimated))]
    clauses += [control_clause(row) for row in warm if row["kind"] == "control"]
    recommendation = summary["recommendation"]
    if any(row["kind"] in ("memory", "runtime") for row in summary["comparisons"]):  # more than one cell
        clauses.append("recommended: " + "; ".join(
            choice_text(strategy, recommendation[strategy]) for strategy in ("cheapest", "fastest", "balanced")))
    if failures:
        clauses.append(failures)
    reconciliation = summary["reconciliation"]
    if reconciliation["status"] == "lost":
        clauses.append(f"and the messages do not add up (lost = {reconciliation['lost']})")
    sentence = "; ".join(clauses) or "no two variants could be compared"
    if summary["local_emulation"]:
        hosts = sorted({block["host_machine"] for block in variants.values() if block["host_machine"]})
        where = f"the host's {' and '.join(hosts)} CPU" if hosts else "the host CPU"
        functions = "both functions" if len(variants) == 2 else f"all {len(variants)} functions"
        sentence = (f"Local emulation — {functions} ran on {where}, so this is functional, not architectural, "
                    f"evidence: {sentence}")
    return sentence + "."
