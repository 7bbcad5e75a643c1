"""The PNG plots of a run, drawn headless (matplotlib's ``Figure`` without pyplot: no display, no global state).

Colour says the architecture, the line style or marker which variant of it (memory, runtime, twin).
latency_cdf.png — warm workload time CDF per variant; latency_over_time.png — every work item's workload time
across the run; cold_start_init.png — init durations of cold starts per variant; cost_per_million.png — cost per
million work items per workload and variant; cost_vs_duration.png — every variant's cost per million against its
median warm workload time, with both intervals, memory labelled; memory_curve.png — per architecture (and
runtime), median and p99 warm workload time and cost per million against the memory size.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from analysis.grouping import Split
from core import COLOURS, Interval, Summary, VariantSummary

DPI = 110
STYLES = ["-", "--", ":", "-."]
MARKERS = ["o", "s", "^", "D", "v", "P"]
OTHER_COLOUR = "grey"
PLOTTED_COLUMNS = ("variant", "workload", "workload_ms", "timestamp_ms", "cold", "error")
CDF_POINTS = 2_000  # a CDF line's steps: finer than the plot's pixels, however many items it has


def write_plots(out_dir: Path, summary: Summary, items: pd.DataFrame,
                invocations: pd.DataFrame) -> list[str]:
    """Draw every plot into ``out_dir``; returns the file names."""
    items = items[list(PLOTTED_COLUMNS)]  # the rest would be copied by every selection
    ok = items[~items["error"]]
    title = f"run {summary['run_id']}" + (" — local emulation (host CPU)" if summary["local_emulation"] else "")
    drawn = {
        "latency_cdf.png": _latency_cdf(ok[~ok["cold"]], summary, title),
        "latency_over_time.png": _latency_over_time(ok, summary, title),
        "cold_start_init.png": _cold_start_init(invocations, summary, title),
        "cost_per_million.png": _cost_per_million(summary, title),
        "cost_vs_duration.png": _cost_vs_duration(summary, title),
        "memory_curve.png": _memory_curve(summary, title),
    }
    for name, figure in drawn.items():
        figure.savefig(out_dir / name, dpi=DPI)
    return list(drawn)


def _figure(columns: int = 1, width: float = 8.0) -> tuple[Figure, Any]:
    figure = Figure(figsize=(width, 4.8), layout="constrained")
    return figure, figure.subplots(1, columns) if columns > 1 else figure.add_subplot()


def _empty(axes: Any, text: str) -> None:
    axes.text(0.5, 0.5, text, ha="center", va="center", transform=axes.transAxes, color="grey")


def _labelled(figure: Figure, axes: Any, empty: str | None, grid: str = "both", **labels: str) -> Figure:
    """Every single-axes plot's last steps: ``empty``'s note when nothing was drawn, the labels, a light grid."""
    if empty:
        _empty(axes, empty)
    axes.set(**labels)
    axes.grid(alpha=0.3, axis=grid)
    return figure


def _colour(block: VariantSummary) -> str:
    return COLOURS.get(block["architecture"], OTHER_COLOUR)


def _style_index(summary: Summary) -> dict[str, int]:
    """Each variant's rank among the variants of its architecture: its line style and marker."""
    seen: dict[str, int] = {}
    index: dict[str, int] = {}
    for vid, block in summary["variants"].items():
        index[vid] = seen.get(block["architecture"], 0)
        seen[block["architecture"]] = index[vid] + 1
    return index


def _latency_cdf(warm: pd.DataFrame, summary: Summary, title: str) -> Figure:
    figure, axes = _figure()
    style = _style_index(summary)
    workloads = sorted(set(warm["workload"].unique()))
    of = Split(warm, ["variant", "workload"])
    for vid, block in summary["variants"].items():
        for workload in workloads:
            mine = of[vid, workload]
            values = mine["workload_ms"].dropna().to_numpy(float)
            if values.size:
                label = vid if len(workloads) == 1 else f"{vid} {workload}"
                axes.step(*_cdf_steps(values), where="post", color=_colour(block),
                          linestyle=STYLES[style[vid] % len(STYLES)], label=label)
    if axes.lines:
        axes.set_xscale("log")
        axes.legend(loc="lower right", fontsize=7)
    return _labelled(figure, axes, None if axes.lines else "no warm work items",
                     xlabel="workload time (ms, log scale)", ylabel="fraction of work items ≤ x",
                     title=f"Warm workload time CDF\n{title}")


def _cdf_steps(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The empirical CDF's steps (value, fraction ≤ value); above ``CDF_POINTS`` items, the steps at that many
    evenly spaced ranks, the smallest and the largest item included."""
    ordered = np.sort(values)
    ranks = np.arange(1, ordered.size + 1)
    if ordered.size > CDF_POINTS:
        ranks = np.unique(np.linspace(1, ordered.size, CDF_POINTS).round().astype(np.int64))
    return ordered[ranks - 1], ranks / ordered.size


def _latency_over_time(ok: pd.DataFrame, summary: Summary, title: str) -> Figure:
    figure, axes = _figure()
    style = _style_index(summary)
    if len(ok):
        start = ok["timestamp_ms"].min()
        of = Split(ok, "variant")
        for vid, block in summary["variants"].items():
            mine = of[vid]
            marker = MARKERS[style[vid] % len(MARKERS)]
            # Line markers, not scatter: one path for 100,000 points draws in a fraction of the time.
            axes.plot((mine["timestamp_ms"] - start) / 1000.0, mine["workload_ms"], linestyle="none",
                      marker=marker, markersize=2, alpha=0.35, color=_colour(block), label=vid, rasterized=True)
            cold = mine[mine["cold"]]
            axes.scatter((cold["timestamp_ms"] - start) / 1000.0, cold["workload_ms"], s=30, marker="x",
                         color=_colour(block), label=f"{vid} cold start")
        axes.set_yscale("log")
        axes.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), markerscale=2, fontsize=7)  # never over points
    return _labelled(figure, axes, None if len(ok) else "no work items",
                     xlabel="seconds since the first work item", ylabel="workload time (ms, log scale)",
                     title=f"Workload time over the run\n{title}")


def _cold_start_init(invocations: pd.DataFrame, summary: Summary, title: str) -> Figure:
    figure, axes = _figure()
    variants = summary["variants"]
    series = {vid: invocations.loc[invocations["variant"] == vid, "init_used_ms"].dropna().to_numpy(float)
              for vid in variants}
    drawn = any(values.size for values in series.values())
    if drawn:
        rng = np.random.default_rng(0)
        for position, (vid, values) in enumerate(series.items(), start=1):
            if values.size:
                axes.boxplot([values], positions=[position], widths=0.5, showfliers=False)
                axes.scatter(position + rng.uniform(-0.15, 0.15, values.size), values, s=14, alpha=0.7,
                             color=_colour(variants[vid]))
        axes.set_xticks(range(1, len(series) + 1), [f"{vid}\n(n={values.size})" for vid, values in series.items()],
                        rotation=30 if len(series) > 3 else 0, fontsize=7)
    source = summary["cold_starts"]["init_source"]
    return _labelled(figure, axes, None if drawn else "no cold starts", grid="y",
                     ylabel=f"init duration (ms, {source})", title=f"Cold-start init durations\n{title}")


def _cost_per_million(summary: Summary, title: str) -> Figure:
    figure, axes = _figure()
    workloads = list(summary["workloads"])
    variants = summary["variants"]
    width = 0.8 / max(len(variants), 1)
    for index, (vid, block) in enumerate(variants.items()):
        values = [summary["workloads"][w][vid]["cost_per_million_usd"] or 0.0 for w in workloads]
        offset = (index - (len(variants) - 1) / 2) * width
        bars = axes.bar(np.arange(len(workloads)) + offset, values, width, color=_colour(block),
                        hatch="//" if block["role"] == "control" else None, label=vid,
                        alpha=1.0 - 0.5 * _style_index(summary)[vid] / max(len(variants), 1))
        axes.bar_label(bars, labels=[f"${v:.2f}" for v in values], fontsize=6)
    if workloads:
        axes.set_xticks(np.arange(len(workloads)), workloads)
        axes.legend(fontsize=7)
    estimated = " (estimated billed duration)" if summary["cost"]["billed_duration"] == "estimated" else ""
    return _labelled(figure, axes, None if workloads else "no work items", grid="y",
                     ylabel="USD per million work items", title=f"Cost per million work items{estimated}\n{title}")


def _error_bar(block: Interval) -> list[list[float]] | None:
    value, ci = block["value"], block["ci95"]
    if value is None or ci is None:
        return None
    return [[max(value - ci[0], 0.0)], [max(ci[1] - value, 0.0)]]


def _cost_vs_duration(summary: Summary, title: str) -> Figure:
    """Every variant at (median warm ms, cost per million), both with their intervals, labelled by memory."""
    figure, axes = _figure()
    style = _style_index(summary)
    drawn = 0
    for vid, block in summary["variants"].items():
        headline = block["headline"]
        x, y = headline["median_ms"]["value"], headline["cost_per_million_usd"]["value"]
        if x is None or y is None:
            continue
        axes.errorbar([x], [y], xerr=_error_bar(headline["median_ms"]),
                      yerr=_error_bar(headline["cost_per_million_usd"]), color=_colour(block),
                      marker=MARKERS[style[vid] % len(MARKERS)], markersize=7, capsize=3, linestyle="none",
                      mfc="none" if block["role"] == "control" else _colour(block), label=vid)
        memory = f"{block['memory_mb']} MB" if block["memory_mb"] else vid
        axes.annotate(memory + (" (twin)" if block["role"] == "control" else ""), (x, y),
                      textcoords="offset points", xytext=(6, 6), fontsize=7)
        drawn += 1
    if drawn:
        axes.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7)
    return _labelled(figure, axes, None if drawn else "no warm work items",
                     xlabel="median warm workload time (ms), 95 % interval", ylabel="USD per million work items",
                     title=f"Cost against speed, every variant\n{title}")


def _memory_curve(summary: Summary, title: str) -> Figure:
    """Per architecture and runtime: median and p99 warm workload time (left), cost per million (right)."""
    figure, (times, money) = _figure(columns=2, width=11.0)
    variants = summary["variants"]
    for index, (curve, ids) in enumerate(summary["memory_curve"].items()):
        blocks = [variants[vid] for vid in ids if vid in variants and variants[vid]["memory_mb"]]
        if not blocks:
            continue
        memory = [float(block["memory_mb"] or 0) for block in blocks]
        colour, style = _colour(blocks[0]), STYLES[index % len(STYLES)]
        for axes, key, label in ((times, "median_ms", "median"), (times, "p99_ms", "p99"),
                                 (money, "cost_per_million_usd", "")):
            figures: list[Interval] = [block["headline"][key] for block in blocks]  # type: ignore[literal-required]
            values = [np.nan if f["value"] is None else f["value"] for f in figures]
            bars = [_error_bar(f) or [[0.0], [0.0]] for f in figures]
            axes.errorbar(memory, values, yerr=[[bar[0][0] for bar in bars], [bar[1][0] for bar in bars]],
                          color=colour, capsize=3, marker="o",
                          linestyle=style if key != "p99_ms" else ":", label=f"{curve} {label}".strip())
    if times.lines:
        for axes in (times, money):
            axes.set_xscale("log", base=2)
            axes.legend(fontsize=7)
            axes.grid(alpha=0.3)
    else:
        _empty(times, "no memory sizes to draw")
    times.set(xlabel="memory (MB, log scale)", ylabel="warm workload time (ms)", title="Time against memory")
    money.set(xlabel="memory (MB, log scale)", ylabel="USD per million work items", title="Cost against memory")
    figure.suptitle(f"Memory curve per architecture\n{title}")
    return figure
