"""The short answer: per (runtime, memory) cell what the architectures' comparison decided, how sure it is, what the
noise floor was, what changed over the run, and which variant to pick.

Every clause follows its row's decision (``analysis.decision``): a winner only with enough environments (or rounds),
an interval clear of the equivalence margin and of the recorded resolution, on a run that was not local emulation;
otherwise the row says exactly why not ("equivalent within ±2 %", "inconclusive — this run could detect about
±6 %", "no verdict: only 3 environments", …). A local run says first, plainly, that every function ran on the host
CPU. An A/A twin that is not equivalent to its sibling flags every verdict of its cell.
"""

from __future__ import annotations

from collections.abc import Mapping

from core import Choice, ComparisonRow, Findings, Method, VariantSummary, WorkloadVariant

WINNERS = ("candidate_better", "baseline_better")
UNMEASURED = "; the noise floor is unmeasured, so the verdicts of those cells are flagged"
WIDER = "; the noise floor is wider than the method assumes, so the verdicts of those cells are flagged"
UNRESOLVED = ("; identical functions could not be shown equivalent within the margin, so the verdicts of those cells "
              "are flagged")
CONTROL_TAILS = {"equivalent": "; the noise floor holds", "too_few_units": UNMEASURED, "insufficient_data": UNMEASURED,
                 "inconclusive": UNRESOLVED, "below_resolution": WIDER, "candidate_better": WIDER,
                 "baseline_better": WIDER, "local_emulation": WIDER}


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

    def place(self, row: ComparisonRow) -> str:
        """"sort", or "sort at python3.13 1024 MB" when the matrix has several cells."""
        block = self._variants.get(row["candidate"])
        if not self._several_cells or block is None:
            return row["workload"] or "init"
        return f"{row['workload'] or 'init'} at {block['runtime']} {block['memory_mb']} MB"

    def cell_name(self, vid: str) -> str:
        block = self._variants.get(vid)
        return f"{block['runtime']} {block['memory_mb']} MB" if block else vid


def figures(row: ComparisonRow) -> str:
    """"ratio 1.12, 95 % CI 1.08–1.16, 12 / 12 environments" — what every clause cites."""
    sizes = f"{row['n_baseline']} / {row['n_candidate']} {row['unit']}"
    if row["ratio"] is None or row["ci95"] is None:
        return sizes
    low, high = row["ci95"]
    return f"ratio {row['ratio']:.2f}, 95 % CI {low:.2f}–{high:.2f}, {sizes}"


def winner_clause(row: ComparisonRow, label: Labels, flagged: bool) -> str:
    """"arm64 ran sort 1.20× as fast as x86_64 (ratio 1.20, 95 % CI 1.17–1.22, 15 / 15 environments)"."""
    base, cand, ratio = label(row["baseline"]), label(row["candidate"]), row["ratio"] or 1.0
    faster, slower, times = (cand, base, ratio) if row["verdict"] == "candidate_better" else (base, cand, 1 / ratio)
    text = (f"{label.cell(row['candidate'])}{faster} ran {row['workload']} {times:.2f}× as fast as {slower} "
            f"({figures(row)})")
    return text + (" (flagged: the A/A twin of this cell was not equivalent)" if flagged else "")


def cost_winner_clause(row: ComparisonRow, workloads: Mapping[str, Mapping[str, WorkloadVariant]], label: Labels,
                       estimated: bool) -> str:
    """"arm64 cost 32 % less than x86_64 per million sort items (…)": the cost row of a pair that names a winner."""
    name = row["workload"] or ""
    per_variant = workloads.get(name, {})
    base, cand = (per_variant[vid]["cost_per_million_usd"] if vid in per_variant else None
                  for vid in (row["baseline"], row["candidate"]))
    cheaper, dearer = ((row["candidate"], row["baseline"]) if row["verdict"] == "candidate_better"
                       else (row["baseline"], row["candidate"]))
    prices = ""
    if base and cand:
        kind = "estimated " if estimated else ""
        prices = f"{kind}${min(base, cand):.2f} vs ${max(base, cand):.2f}; "
    ratio = row["ratio"] or 1.0
    saving = 1 - min(ratio, 1 / ratio)  # the cheaper side's cost below the dearer's, as a share of the dearer's
    return (f"{label.cell(row['candidate'])}{label(cheaper)} cost {saving * 100:.0f} % less than {label(dearer)} "
            f"per million {name} items ({prices}{figures(row)}{', descriptive' if row['descriptive'] else ''})")


def grouped_clauses(what: str, rows: list[ComparisonRow], label: Labels,
                    tails: Mapping[str, str] | None = None) -> list[str]:
    """Rows that name no winner, one clause per outcome: "warm latency — equivalent within ±2 %: sort (ratio 1.00,
    95 % CI 0.99–1.01, 30 / 30 environments)". Where the reasons differ within an outcome (inconclusive, each with
    its own detectable effect) each place says its own; the figures are given while a clause names at most two."""
    groups: dict[str, list[ComparisonRow]] = {}
    for row in rows:
        groups.setdefault(row["verdict"], []).append(row)
    out = []
    for outcome, members in groups.items():
        reasons = list(dict.fromkeys(row["reason"] for row in members))
        head = reasons[0] if len(reasons) == 1 else outcome.replace("_", " ")
        with_figures = len(members) <= 2
        places = ", ".join(label.place(row) + _details(row, head, with_figures) for row in members)
        out.append(f"{what} — {head}: {places}{(tails or {}).get(outcome, '')}")
    return out


def _details(row: ComparisonRow, head: str, with_figures: bool) -> str:
    """" (this run could detect about ±6 %; ratio 1.03, …)": what this row adds to its clause's head."""
    parts = [row["reason"].removeprefix(head).lstrip(" —")] if row["reason"] != head else []
    if with_figures:
        parts.append(figures(row))
    return f" ({'; '.join(parts)})" if parts else ""


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


def stability_clauses(variants: Mapping[str, VariantSummary], margin: float) -> list[str]:
    """Warnings from over the run: a variant slower at the end than at the start, environments whose memory grew."""
    out = []
    for vid, block in variants.items():
        trend, growth = block["stability"]["trend"], block["stability"]["memory_growth"]
        if trend["warning"] and trend["ratio"] is not None and trend["ci95"]:
            out.append(f"{vid} slowed down over the run: the last part ran at {trend['ratio']:.2f}× the first's "
                       f"latency (95 % CI {trend['ci95'][0]:.2f}–{trend['ci95'][1]:.2f}, beyond ±{margin * 100:g} %)")
        if growth["warning"]:
            out.append(f"the peak memory of {vid} grew in {growth['growing']} of {growth['environments']} "
                       f"environments (median +{growth['median_growth_mb'] or 0:.1f} MB): a leak?")
    return out


def method_clauses(method: Method) -> list[str]:
    return [method["recommend_rounds"]] if method["recommend_rounds"] else []


def verdict(summary: Findings) -> str:
    variants = summary["variants"]
    total = sum(block["invocations"] for block in variants.values())
    failures = failure_clause(variants)
    if total == 0:
        found = f"; {failures}" if failures else ""
        return (f"No work items of run {summary['run_id']} were found in the logs, so there is nothing to "
                f"compare{found}.")
    label = Labels(variants)
    method = summary["method"]
    flagged = set(method["flagged_cells"])
    rows = summary["comparisons"]
    architecture = [row for row in rows if row["kind"] == "architecture"]
    warm = [row for row in architecture if row["metric"] == "warm_workload_ms"]
    cost = [row for row in architecture if row["metric"] == "cost_per_million_usd"]
    estimated = summary["cost"]["billed_duration"] == "estimated"
    clauses = [winner_clause(row, label, label.cell_name(row["candidate"]) in flagged)
               for row in warm if row["verdict"] in WINNERS]
    clauses += grouped_clauses("warm latency", [row for row in warm if row["verdict"] not in WINNERS], label)
    clauses += [cost_winner_clause(row, summary["workloads"], label, estimated)
                for row in cost if row["verdict"] in WINNERS]
    clauses += grouped_clauses("cost per million", [row for row in cost if row["verdict"] not in WINNERS], label)
    controls = [row for row in rows if row["kind"] == "control" and row["metric"] == "warm_workload_ms"]
    clauses += grouped_clauses("the A/A twins against their siblings", controls, label, CONTROL_TAILS)
    recommendation = summary["recommendation"]
    if any(row["kind"] in ("memory", "runtime") for row in rows):  # more than one cell
        clauses.append("recommended: " + "; ".join(
            choice_text(strategy, recommendation[strategy]) for strategy in ("cheapest", "fastest", "balanced")))
    clauses += stability_clauses(variants, method["margin"])
    clauses += method_clauses(method)
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
