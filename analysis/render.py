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
from rich.text import Text

from analysis.reconcile import FIELDS, describe_apart, describe_problem
from core import Interval, Method, Stats, Summary, VariantSummary

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


def variant_table(summary: Summary) -> TextTable:
    """One column per variant, one row per figure."""
    variants = summary["variants"]
    estimated = summary["cost"]["billed_duration"] == "estimated"

    def cells(text: Callable[[VariantSummary], str]) -> list[str]:
        return [text(block) for block in variants.values()]

    def row(label: str, pick: Callable[[VariantSummary], float | None], digits: int = 2) -> list[str]:
        return [label, *cells(lambda block: num(pick(block), digits))]

    rows = [
        ["architecture", *cells(lambda b: b["architecture"])],
        row("memory (MB, configured)", lambda b: b["memory_mb"], 0),
        ["runtime (configured)", *cells(lambda b: b["runtime"] or "–")],
        ["role", *cells(lambda b: b["role"])],
        row("work items (EMF documents)", lambda b: b["invocations"]),
        row("Lambda invocations (REPORT lines)", lambda b: b["lambda_invocations"]),
        row("errors", lambda b: b["errors"]),
        row("failed Lambda invocations", lambda b: b["failed_invocations"]["total"]),
        row("cold starts", lambda b: b["cold_starts"]),
        ["host CPU (HostMachine)", *cells(lambda b: b["host_machine"] or "–")],
        ["interpreter (handler's Runtime)", *cells(lambda b: b["handler_runtime"] or "–")],
        row("memory (MB, REPORT)", lambda b: b["reported_memory_mb"], 0),
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
    ]
    if any(block["user_init_ms"]["n"] for block in variants.values()):
        rows.append(row("of it, your function's import ms, p50", lambda b: b["user_init_ms"]["p50"]))
    rows += [
        row("peak RSS MB, max", lambda b: b["peak_rss_mb"]["max"], 1),
        row("queue lag ms, p50", lambda b: b["queue_lag_ms"]["p50"]),
        ["cost per million work items", *cells(lambda b: usd(b["cost_per_million_usd"]))],
    ]
    return TextTable("Per variant", ["", *variants], rows)


def _failure_notes(summary: Summary) -> list[str]:
    """Per variant: how its invocations failed, what they cost, and the failed inits."""
    out = []
    for vid, block in summary["variants"].items():
        failed = block["failed_invocations"]
        if not (failed["total"] or failed["init_failures"]):
            continue
        text = f"{vid}: {failed['total']} failed Lambda invocations"
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


def _warm_workload(name: Percentile) -> Callable[[VariantSummary], float | None]:
    return lambda block: block["warm"]["workload_ms"][name]


def _mean_sd(block: Stats) -> str:
    if block["mean"] is None:
        return "–"
    return f"{num(block['mean'])} ± {num(block['stdev'])}"


METRICS = {"warm_workload_ms": "warm median", "warm_p90_ms": "warm p90", "warm_p99_ms": "warm p99",
           "warm_workload_ms_largest_cpu": "warm median, commonest CPU", "cost_per_million_usd": "$/M",
           "init_duration_ms": "init"}


def comparison_table(summary: Summary) -> TextTable:
    """One row per comparison, over environments (or rounds): ratio = baseline / candidate, above 1 the candidate
    takes less; the decision in words."""
    rows = [[row["kind"], row["baseline"], row["candidate"], row["workload"] or "(all)", METRICS[row["metric"]],
             num(row["ratio"], 3), _interval(row["ci95"], 3),
             f"{row['n_baseline']:,} / {row['n_candidate']:,} {row['unit']}",
             f"±{row['mde']:.1%}" if row["mde"] is not None else "–",
             row["reason"] + (" (descriptive)" if row["descriptive"] else "")]
            for row in summary["comparisons"]]
    header = ["kind", "baseline", "candidate", "workload", "metric", "base/cand", "95 % CI", "units",
              "detectable", "decision"]
    return TextTable("Comparisons (one figure per execution environment; ratio = baseline / candidate: above 1 the "
                     "candidate is faster or cheaper)", header, rows)


def environment_table(summary: Summary) -> TextTable:
    """Per variant its execution environments: the unit every comparison counts."""
    rows = []
    for vid, block in summary["variants"].items():
        env = block["environments"]
        cpus = ", ".join(f"{name} {n}" for name, n in env["cpu_models"]["environments"].items()) or "–"
        rows.append([vid, num(env["count"]), num(env["kept"]), num(env["excluded"]),
                     f"{env['spread']:.1%}" if env["spread"] is not None else "–",
                     num(env["items_per_environment"]["p50"], 0), cpus, num(env["rounds"])])
    method = summary["method"]
    return TextTable(f"Execution environments (kept: {method['min_items_per_environment']}+ warm successful items; "
                     "spread: sd of the log medians)",
                     ["variant", "environments", "kept", "left out", "spread", "items each, p50", "CPU models",
                      "rounds"], rows)


def stability_table(summary: Summary) -> TextTable:
    """Per variant: latency at the end against the start, memory growth per environment, scaling."""
    rows = []
    for vid, block in summary["variants"].items():
        trend, growth = block["stability"]["trend"], block["stability"]["memory_growth"]
        scaling = block["stability"].get("scaling")
        rows.append([vid, f"{num(trend['ratio'], 3)} ({_interval(trend['ci95'], 3)})" + (" ⚠" if trend["warning"]
                                                                                        else ""),
                     f"{growth['growing']} / {growth['environments']}, median {num(growth['median_growth_mb'], 1)} MB"
                     + (" ⚠" if growth["warning"] else ""),
                     num(scaling["spearman"], 2) if scaling else "–"])
    return TextTable("Over the run (trend = last part / first part of the warm latency; memory = environments whose "
                     "peak RSS grew)", ["variant", "trend", "memory growth", "latency ~ environments (Spearman)"],
                     rows)


def recommendation_table(summary: Summary) -> TextTable:
    recommendation = summary["recommendation"]
    rows = []
    for strategy, what, fmt in (("cheapest", "cost per million", usd), ("fastest", "median warm ms", num),
                                ("balanced", "score (0–1)", _score)):
        choice = recommendation[strategy]  # type: ignore[literal-required]
        value = choice["value"]
        rows.append([strategy, choice["variant"] or ("tie: " + ", ".join(choice["tie"]) if choice["tie"] else "–"),
                     f"{what} {fmt(value['value'])}", _interval(value["ci95"], 3, fmt)])
    return TextTable("Recommendation (subjects only; a tie when the 95 % intervals do not separate)",
                     ["strategy", "variant", "best", "95 % CI"], rows)


def memory_curve_table(summary: Summary) -> TextTable:
    """Per runtime and architecture, each memory size's median and p99 warm time and cost, with intervals."""
    variants = summary["variants"]
    rows = []
    for curve, ids in summary["memory_curve"].items():
        for vid in ids:
            headline = variants[vid]["headline"]
            rows.append([curve, num(variants[vid]["memory_mb"], 0),
                         *(_with_interval(headline[key], fmt) for key, fmt in (  # type: ignore[literal-required]
                             ("median_ms", num), ("p99_ms", num), ("cost_per_million_usd", usd)))])
    return TextTable("Memory curve (warm WorkloadMs; 95 % intervals)",
                     ["runtime-architecture", "memory MB", "median ms", "p99 ms", "$ per million"], rows)


def _with_interval(block: Interval, fmt: Callable[[float | None], str]) -> str:
    text = fmt(block["value"])
    return f"{text} ({_interval(block['ci95'], 2, fmt)})" if block["ci95"] else text


def _score(value: float | None) -> str:
    return num(value, 3)


def _interval(ci: list[float] | None, digits: int, fmt: Callable[[float | None], str] | None = None) -> str:
    if not ci:
        return "–"
    if fmt is None:
        return f"{ci[0]:.{digits}f}–{ci[1]:.{digits}f}"
    return f"{fmt(ci[0])}–{fmt(ci[1])}"


def reconciliation_table(summary: Summary) -> TextTable:
    rec = summary["reconciliation"]
    header = ["", "sent", "processed", "failed", "in DLQ", "in flight", "lost"]
    if rec["status"] == "unknown":
        return TextTable(f"Reconciliation: unknown ({rec['reason']})", header, [])
    rows = [[vid, *(num(row[f]) for f in FIELDS)] for vid, row in rec["by_variant"].items()]
    rows.append(["total", *(num(rec[f]) for f in FIELDS)])
    return TextTable(f"Reconciliation ({rec['status']}, target {rec['target']})", header, rows)


def decision_rule(method: Method) -> str:
    """The rule every comparison was decided by, in one paragraph (the report states it)."""
    interval = ("one figure per round and a paired t 95 % interval of the per-round log differences"
                if method["unit"] == "rounds" else
                "one figure per execution environment and a Welch t 95 % interval on the log scale")
    text = (f"Decision rule: {interval}; a winner only with "
            f"{method['min_units']}+ units a side, the interval entirely outside the ±{method['margin'] * 100:g} % "
            "equivalence margin, a difference of at least two recorded quanta, and not a local run; otherwise "
            f"equivalent, inconclusive (with the detectable effect), below resolution or no verdict. Environments "
            f"with fewer than {method['min_items_per_environment']} warm items are left out; tail and cost intervals "
            f"under {method['descriptive_below']} units a side are descriptive.")
    if method["noise_floor_ok"] is False:
        text += (" The A/A twin was not shown equivalent to its sibling in " + ", ".join(method["flagged_cells"])
                 + " (too few units to tell, or a difference: the verdict says which), so those cells' verdicts "
                 "are flagged.")
    return text


def notes(summary: Summary) -> list[str]:
    """The decision rule as applied, the advice for a run with too few environments, then the caveats."""
    out = [decision_rule(summary["method"])]
    if summary["method"]["recommend_rounds"]:
        out.append(f"Too few environments: {summary['method']['recommend_rounds']}.")
    return out + caveats(summary)


def caveats(summary: Summary) -> list[str]:
    """What the reader must see next to the numbers (index.html shows the rule and the advice in their own
    section)."""
    out = []
    if summary["local_emulation"]:
        out.append("Local emulation: every function ran on the host CPU (see HostMachine); the timings show the "
                   "pipeline works, not how Graviton compares with x86.")
    if summary["local_cloud"]:
        out.append("MiniStack neither enforces the memory size nor changes the interpreter per runtime: the "
                   "handler's Runtime (interpreter row) shows what really ran.")
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
                   "known variant: counted, not billed.")
    if parsing["items_without_report"]:
        out.append(f"{parsing['items_without_report']} work items have no REPORT line in the window "
                   "(their invocation has no duration or cost).")
    if summary.get("interrupted"):
        out.append("The load run was interrupted (Ctrl-C): fewer messages than planned were sent.")
    rec = summary["reconciliation"]
    if rec["status"] != "unknown":
        out += describe_apart(rec)
        if rec.get("in_dlq_whole_queue"):
            out.append(f"The DLQ of {', '.join(rec.get('in_dlq_whole_queue', []))} was too large to read message "
                       "by message: its unread messages count as this run's only up to what the run is missing.")
    problem = describe_problem(summary["reconciliation"])
    if problem:
        out.append(f"NOT EVERYTHING IS ACCOUNTED FOR: {problem}.")
    return out


def tables(summary: Summary) -> list[TextTable]:
    return [variant_table(summary), environment_table(summary), comparison_table(summary),
            memory_curve_table(summary), recommendation_table(summary), stability_table(summary),
            reconciliation_table(summary)]


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
    for note in notes(summary):  # Text, not markup: a note or the verdict may quote "[…]" from the logs
        console.print(Text(f"• {note}", style="dim"), highlight=False)
    console.print(Panel(Text(summary["verdict"]), title="verdict", title_align="left"))


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
