"""The one-sentence answer: which architecture was faster and cheaper, and how sure we are.

A winner is named only when the bootstrap 95 % CI of the median ratio excludes 1, otherwise "no significant
difference". A local run says first, plainly, that both functions ran on the host CPU: functional evidence that
the pipeline works, not evidence about Graviton versus x86.
"""

from __future__ import annotations

from core import ArchitectureSummary, Findings, WorkloadSummary


def fmt_p(p_value: float | None) -> str:
    if p_value is None:
        return "p n/a"
    return "p < 0.001" if p_value < 0.001 else f"p = {p_value:.3f}"


def workload_clause(name: str, block: WorkloadSummary) -> str:
    ratio, ci = block["x86_over_arm_median_ratio"], block["ratio_ci95"]
    if ratio is None or ci is None:
        return (f"not enough warm work items to compare {name} (arm64 {block['arm64']['n']}, "
                f"x86_64 {block['x86_64']['n']})")
    interval = f"x86_64/arm64 median ratio {ratio:.2f}, 95 % CI {ci[0]:.2f}–{ci[1]:.2f}, {fmt_p(block['p_value'])}"
    if not block["significant"]:
        return f"no significant difference on {name} ({interval})"
    if ratio > 1:
        return f"arm64 ran {name} {ratio:.2f}× as fast as x86_64 ({interval})"
    return f"x86_64 ran {name} {1 / ratio:.2f}× as fast as arm64 ({interval})"


def cost_clause(architectures: dict[str, ArchitectureSummary], estimated: bool) -> str | None:
    arm, x86 = (architectures[arch]["cost_per_million_usd"] if arch in architectures else None
                for arch in ("arm64", "x86_64"))
    if not arm or not x86:
        return None
    cheaper, dearer = ("arm64", "x86_64") if arm <= x86 else ("x86_64", "arm64")
    saving = abs(x86 - arm) / max(arm, x86) * 100
    kind = "estimated " if estimated else ""
    return (f"{cheaper} cost {saving:.0f} % less than {dearer} per million work items "
            f"({kind}${min(arm, x86):.2f} vs ${max(arm, x86):.2f})")


def failure_clause(architectures: dict[str, ArchitectureSummary]) -> str | None:
    """"3 Lambda invocations failed (arm64: 2 timeout; x86_64: 1 error)", or None when none did."""
    parts, total = [], 0
    for arch, block in architectures.items():
        failed = block.get("failed_invocations")
        if not failed or not (failed["total"] or failed["init_failures"]):
            continue
        total += failed["total"]
        what = [f"{count} {status}" for status, count in failed["by_status"].items()]
        if failed["init_failures"]:
            what.append(f"{failed['init_failures']} failed init{'s' if failed['init_failures'] > 1 else ''}")
        parts.append(f"{arch}: {', '.join(what)}")
    if not parts:
        return None
    return f"{total} Lambda invocation{'s' if total != 1 else ''} failed ({'; '.join(parts)})"


def verdict(summary: Findings) -> str:
    architectures = summary["architectures"]
    total = sum(block["invocations"] for block in architectures.values())
    failures = failure_clause(architectures)
    if total == 0:
        found = f"; {failures}" if failures else ""
        return (f"No work items of run {summary['run_id']} were found in the logs, so there is nothing to "
                f"compare{found}.")
    clauses = [workload_clause(name, block) for name, block in summary["workloads"].items()
               if block["arm64"]["workload_ms"]["n"] or block["x86_64"]["workload_ms"]["n"]]  # not all-failed
    cost = cost_clause(architectures, summary["cost"]["billed_duration"] == "estimated")
    if cost:
        clauses.append(cost)
    if failures:
        clauses.append(failures)
    reconciliation = summary["reconciliation"]
    if reconciliation["status"] == "lost":
        clauses.append(f"and the messages do not add up (lost = {reconciliation['lost']})")
    sentence = "; ".join(clauses)
    if summary["local_emulation"]:
        hosts = sorted({block["host_machine"] for block in architectures.values() if block["host_machine"]})
        where = f"the host's {' and '.join(hosts)} CPU" if hosts else "the host CPU"
        sentence = (f"Local emulation — both functions ran on {where}, so this is functional, not architectural, "
                    f"evidence: {sentence}")
    return sentence + "."
