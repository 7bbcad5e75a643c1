"""The summary as a terminal table (rich), Markdown or JSON. The tables are built once, as rows of text, and
each format only lays them out, so the terminal and ``report.md`` always say the same thing."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from analysis.reconcile import FIELDS, describe_problem
from analysis.verdict import fmt_p
from core import ARCHITECTURES as ARCHES
from core import ArchitectureSummary, Stats, Summary, WorkloadSummary

Percentile = Literal["p50", "p90", "p99", "p99.9"]
WARM_PERCENTILES: tuple[Percentile, ...] = ("p50", "p90", "p99", "p99.9")


@dataclass(frozen=True)
class TextTable:
    title: str
    header: list[str]
    rows: list[list[str]]


def num(value: float | None, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.{digits}f}"


def usd(value: float | None) -> str:
    return "–" if value is None else f"${value:,.4f}" if value < 1 else f"${value:,.2f}"


def architecture_table(summary: Summary) -> TextTable:
    arch = summary["architectures"]
    estimated = summary["cost"]["billed_duration"] == "estimated"

    def cells(text: Callable[[ArchitectureSummary], str]) -> list[str]:
        return [text(arch[a]) if a in arch else "–" for a in ARCHES]

    def row(label: str, pick: Callable[[ArchitectureSummary], float | None], digits: int = 2) -> list[str]:
        return [label, *cells(lambda block: num(pick(block), digits))]

    rows = [
        row("work items (EMF documents)", lambda b: b["invocations"]),
        row("Lambda invocations (REPORT lines)", lambda b: b["lambda_invocations"]),
        row("errors", lambda b: b["errors"]),
        row("failed Lambda invocations", lambda b: _failed_total(b)),
        row("cold starts", lambda b: b["cold_starts"]),
        ["host CPU (HostMachine)", *cells(lambda b: b["host_machine"] or "–")],
        row("memory (MB)", lambda b: b["memory_mb"], 0),
    ]
    rows += [row(f"workload ms, warm, {name}", _warm_workload(name)) for name in WARM_PERCENTILES]
    rows += [
        ["workload ms, warm, mean ± sd", *cells(lambda b: _mean_sd(b["warm"]["workload_ms"]))],
        row("workload ms, cold, p50", lambda b: b["cold"]["workload_ms"]["p50"]),
        row("duration ms (REPORT), p50", lambda b: b["duration_ms"]["p50"]),
        row("duration ms (REPORT), p99", lambda b: b["duration_ms"]["p99"]),
        row(f"billed duration ms{' (estimated)' if estimated else ''}, p50",
            lambda b: b["billed_duration_ms"]["p50"]),
        row("init duration ms (cold starts), p50", lambda b: b["init_duration_ms"]["p50"]),
        row("peak RSS MB, max", lambda b: b["peak_rss_mb"]["max"], 1),
        row("queue lag ms, p50", lambda b: b["queue_lag_ms"]["p50"]),
        ["cost per million work items", *cells(lambda b: usd(b["cost_per_million_usd"]))],
    ]
    return TextTable("Per architecture", ["", *ARCHES], rows)


def _failed_total(block: ArchitectureSummary) -> int | None:
    failed = block.get("failed_invocations")
    return failed["total"] if failed else None


def _failure_notes(summary: Summary) -> list[str]:
    """Per architecture: how its invocations failed, what they cost, and the failed inits."""
    out = []
    for arch, block in summary["architectures"].items():
        failed = block.get("failed_invocations")
        if not failed or not (failed["total"] or failed["init_failures"]):
            continue
        text = f"{arch}: {failed['total']} failed Lambda invocations"
        if failed["by_status"]:
            text += " (" + ", ".join(f"{status} {count}" for status, count in failed["by_status"].items()) + ")"
        if failed["error_types"]:
            text += "; error types " + ", ".join(f"{name} {n}" for name, n in failed["error_types"].items())
        if failed["without_work_item"]:
            text += f"; {failed['without_work_item']} without a work item (no EMF document), billed"
        if failed["total"]:
            text += f"; {num(failed['billed_duration_ms'], 0)} billed ms, {usd(failed['cost_usd'])}"
        if failed["init_failures"]:
            text += (f"; {failed['init_failures']} failed inits ("
                     + ", ".join(f"{name} {n}" for name, n in failed["init_error_types"].items()) + ")")
        out.append(text + ".")
    return out


def _warm_workload(name: Percentile) -> Callable[[ArchitectureSummary], float | None]:
    return lambda block: block["warm"]["workload_ms"][name]


def _mean_sd(block: Stats) -> str:
    if block["mean"] is None:
        return "–"
    return f"{num(block['mean'])} ± {num(block['stdev'])}"


def workload_table(summary: Summary) -> TextTable:
    """One column per workload (a run has a few), so the table fits an 80-column terminal."""
    workloads = summary["workloads"]
    columns = {name: _workload_column(block) for name, block in workloads.items()}
    labels = ["n arm64 / x86_64", "p50 ms arm64", "p50 ms x86_64", "median x86/arm", "95 % CI",
              "Mann–Whitney p", "$/M arm64", "$/M x86_64", "faster"]
    rows = [[label, *(column[index] for column in columns.values())] for index, label in enumerate(labels)]
    return TextTable("Per workload (warm work items)", ["", *workloads], rows)


def _workload_column(block: WorkloadSummary) -> list[str]:
    ratio, ci = block["x86_over_arm_median_ratio"], block["ratio_ci95"]
    if ratio is None:
        faster = "not enough data"
    elif not block["significant"]:
        faster = "not significant"
    else:
        faster = "arm64" if ratio > 1 else "x86_64"
    return [f"{block['arm64']['n']:,} / {block['x86_64']['n']:,}",
            num(block["arm64"]["warm_workload_ms"]["p50"]), num(block["x86_64"]["warm_workload_ms"]["p50"]),
            num(ratio, 3), f"{ci[0]:.3f}–{ci[1]:.3f}" if ci else "–", fmt_p(block["p_value"]),
            usd(block["arm64"]["cost_per_million_usd"]), usd(block["x86_64"]["cost_per_million_usd"]), faster]


def reconciliation_table(summary: Summary) -> TextTable:
    rec = summary["reconciliation"]
    header = ["", "sent", "processed", "failed", "in DLQ", "in flight", "lost"]
    if rec["status"] == "unknown":
        return TextTable(f"Reconciliation: unknown ({rec['reason']})", header, [])
    rows = [[arch, *(num(row[f]) for f in FIELDS)] for arch, row in rec["by_architecture"].items()]
    rows.append(["total", *(num(rec[f]) for f in FIELDS)])
    return TextTable(f"Reconciliation ({rec['status']}, target {rec['target']})", header, rows)


def notes(summary: Summary) -> list[str]:
    """Caveats the reader must see next to the numbers."""
    out = []
    if summary["local_emulation"]:
        out.append("Local emulation: both functions ran on the host CPU (see HostMachine); the timings show the "
                   "pipeline works, not how Graviton compares with x86.")
    cost = summary["cost"]
    if cost["billed_duration"] == "estimated":
        out.append("Billed duration estimated: MiniStack's REPORT has whole-ms durations and no billed INIT, so "
                   "billed = ceil(Duration + init) on cold starts (AWS bills INIT since 2025-08-01).")
    if cost["region"] != cost["asked_region"]:
        out.append(f"No price list for {cost['asked_region']} in the table: {cost['region']} prices used.")
    out += _failure_notes(summary)
    parsing = summary["parsing"]
    kinds = {"EMF": parsing["malformed_emf"], "REPORT": parsing["malformed_report"],
             "INIT_REPORT": parsing.get("malformed_init_report", 0),
             "runtimeDone": parsing.get("malformed_runtime_done", 0)}
    malformed = sum(kinds.values())
    if malformed:
        shown = ", ".join(f"{count} {kind}" for kind, count in kinds.items() if count or kind in ("EMF", "REPORT"))
        out.append(f"{malformed} malformed log lines skipped ({shown}), e.g. {parsing['samples'][0]}")
    if parsing.get("reports_other_runs"):
        out.append(f"{parsing['reports_other_runs']} REPORT lines belong to invocations of other runs (their request "
                   "ids have other runs' EMF documents): left out.")
    if parsing.get("reports_unattributed"):
        out.append(f"{parsing['reports_unattributed']} REPORT lines without a work item are in a log group of no "
                   "known architecture: counted, not billed.")
    if parsing["items_without_report"]:
        out.append(f"{parsing['items_without_report']} work items have no REPORT line in the window "
                   "(their invocation has no duration or cost).")
    if summary.get("interrupted"):
        out.append("The load run was interrupted (Ctrl-C): fewer messages than planned were sent.")
    rec = summary["reconciliation"]
    whole_queue = rec.get("in_dlq_whole_queue") if rec["status"] != "unknown" else None
    if whole_queue:
        out.append(f"The DLQ of {', '.join(whole_queue)} was too large to read: its whole-queue count is used, "
                   "messages of other runs included.")
    problem = describe_problem(summary["reconciliation"])
    if problem:
        out.append(f"NOT EVERYTHING IS ACCOUNTED FOR: {problem}.")
    return out


def tables(summary: Summary) -> list[TextTable]:
    return [architecture_table(summary), workload_table(summary), reconciliation_table(summary)]


def print_table(summary: Summary, console: Console) -> None:
    console.print(f"[bold]archbench comparison[/] — run {summary['run_id']} ({summary['source']}"
                  f"{', local emulation' if summary['local_emulation'] else ''})")
    for table in tables(summary):
        if not table.rows:
            console.print(f"[bold]{table.title}[/]")
            continue
        rich_table = Table(title=table.title, title_justify="left", header_style="bold")
        for index, column in enumerate(table.header):
            rich_table.add_column(column, justify="left" if index == 0 else "right")
        for row in table.rows:
            rich_table.add_row(*row)
        console.print(rich_table)
    problem = describe_problem(summary["reconciliation"])
    if problem:
        console.print(Panel(f"[bold]Messages lost or unaccounted for:[/] {problem}", style="bold red"))
    for note in notes(summary):
        console.print(f"[dim]• {note}[/]", highlight=False)
    console.print(Panel(summary["verdict"], title="verdict", title_align="left"))


def markdown(summary: Summary, plots: list[str] | None = None) -> str:
    lines = [f"# archbench comparison — run `{summary['run_id']}`", "",
             f"**Verdict.** {summary['verdict']}", "",
             f"Source: {summary['source']}; window {summary['window']['start']} – {summary['window']['end']}; "
             f"local emulation: {'yes' if summary['local_emulation'] else 'no'}.", ""]
    for table in tables(summary):
        lines += [f"## {table.title}", ""]
        if table.rows:
            lines.append("| " + " | ".join(table.header) + " |")
            lines.append("|" + "|".join(["---", *["---:"] * (len(table.header) - 1)]) + "|")
            lines += ["| " + " | ".join(row) + " |" for row in table.rows]
            lines.append("")
    caveats = notes(summary)
    if caveats:
        lines += ["## Notes", "", *(f"- {note}" for note in caveats), ""]
    if plots:
        lines += ["## Plots", "", *(f"![{name}]({name})" for name in plots), ""]
    cost = summary["cost"]
    lines += [f"Prices: {cost['region']}, x86_64 ${cost['usd_per_gb_second']['x86_64']}/GB-s, arm64 "
              f"${cost['usd_per_gb_second']['arm64']}/GB-s, ${cost['usd_per_million_requests']} per million "
              f"requests ({cost['source']}).", ""]
    return "\n".join(lines)


def to_json(summary: Summary) -> str:
    return json.dumps(plain(summary), indent=2, allow_nan=False)


def plain(value: object) -> object:
    """JSON-safe: numpy scalars become numbers, NaN becomes null (JSON has no NaN)."""
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
