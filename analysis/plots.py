"""Four PNG plots of a run, drawn headless (matplotlib's ``Figure`` without pyplot: no display, no global state).

latency_cdf.png — warm workload time CDF per architecture and workload; latency_over_time.png — every work item's
workload time across the run; cold_start_init.png — init durations of cold starts; cost_per_million.png — cost
per million work items per workload and architecture.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from core import ARCHITECTURES as ARCHES
from core import COLOURS, Summary

DPI = 110


def write_plots(out_dir: Path, summary: Summary, items: pd.DataFrame,
                invocations: pd.DataFrame) -> list[str]:
    """Draw every plot into ``out_dir``; returns the file names."""
    ok = items[~items["error"]]
    title = f"run {summary['run_id']}" + (" — local emulation (host CPU)" if summary["local_emulation"] else "")
    drawn = {
        "latency_cdf.png": _latency_cdf(ok[~ok["cold"]], title),
        "latency_over_time.png": _latency_over_time(ok, title),
        "cold_start_init.png": _cold_start_init(invocations, summary, title),
        "cost_per_million.png": _cost_per_million(summary, title),
    }
    for name, figure in drawn.items():
        figure.savefig(out_dir / name, dpi=DPI)
    return list(drawn)


def _figure() -> tuple[Figure, Any]:
    figure = Figure(figsize=(8, 4.8), layout="constrained")
    return figure, figure.add_subplot()


def _empty(axes: Any, text: str) -> None:
    axes.text(0.5, 0.5, text, ha="center", va="center", transform=axes.transAxes, color="grey")


def _latency_cdf(warm: pd.DataFrame, title: str) -> Figure:
    figure, axes = _figure()
    styles = ["-", "--", ":", "-."]
    for index, (workload, group) in enumerate(warm.groupby("workload", sort=True)):
        for arch in ARCHES:
            values = np.sort(group.loc[group["architecture"] == arch, "workload_ms"].dropna().to_numpy(float))
            if values.size:
                axes.step(values, np.arange(1, values.size + 1) / values.size, where="post",
                          color=COLOURS[arch], linestyle=styles[index % len(styles)], label=f"{arch} {workload}")
    if axes.lines:
        axes.set_xscale("log")
        axes.legend(loc="lower right")
    else:
        _empty(axes, "no warm work items")
    axes.set(xlabel="workload time (ms, log scale)", ylabel="fraction of work items ≤ x",
             title=f"Warm workload time CDF\n{title}")
    axes.grid(alpha=0.3)
    return figure


def _latency_over_time(ok: pd.DataFrame, title: str) -> Figure:
    figure, axes = _figure()
    if len(ok):
        start = ok["timestamp_ms"].min()
        for arch in ARCHES:
            mine = ok[ok["architecture"] == arch]
            seconds = (mine["timestamp_ms"] - start) / 1000.0
            # Line markers, not scatter: one path for 100,000 points draws in a fraction of the time.
            axes.plot(seconds, mine["workload_ms"], linestyle="none", marker=".", markersize=2, alpha=0.35,
                      color=COLOURS[arch], label=arch, rasterized=True)
            cold = mine[mine["cold"]]
            axes.scatter((cold["timestamp_ms"] - start) / 1000.0, cold["workload_ms"], s=30, marker="x",
                         color=COLOURS[arch], label=f"{arch} cold start")
        axes.set_yscale("log")
        axes.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), markerscale=2)  # outside: never over points
    else:
        _empty(axes, "no work items")
    axes.set(xlabel="seconds since the first work item", ylabel="workload time (ms, log scale)",
             title=f"Workload time over the run\n{title}")
    axes.grid(alpha=0.3)
    return figure


def _cold_start_init(invocations: pd.DataFrame, summary: Summary, title: str) -> Figure:
    figure, axes = _figure()
    series = [invocations.loc[invocations["architecture"] == arch, "init_used_ms"].dropna().to_numpy(float)
              for arch in ARCHES]
    if any(values.size for values in series):
        rng = np.random.default_rng(0)
        for position, (arch, values) in enumerate(zip(ARCHES, series, strict=True), start=1):
            if values.size:
                axes.boxplot([values], positions=[position], widths=0.5, showfliers=False)
                axes.scatter(position + rng.uniform(-0.15, 0.15, values.size), values, s=14, alpha=0.7,
                             color=COLOURS[arch])
        axes.set_xticks([1, 2], [f"{arch}\n(n={values.size})" for arch, values in zip(ARCHES, series, strict=True)])
    else:
        _empty(axes, "no cold starts")
    source = summary["cold_starts"]["init_source"]
    axes.set(ylabel=f"init duration (ms, {source})", title=f"Cold-start init durations\n{title}")
    axes.grid(alpha=0.3, axis="y")
    return figure


def _cost_per_million(summary: Summary, title: str) -> Figure:
    figure, axes = _figure()
    workloads = list(summary["workloads"])
    width = 0.38
    for offset, arch in zip((-width / 2, width / 2), ARCHES, strict=True):
        values = [summary["workloads"][w][arch]["cost_per_million_usd"] or 0.0 for w in workloads]
        bars = axes.bar(np.arange(len(workloads)) + offset, values, width, color=COLOURS[arch], label=arch)
        axes.bar_label(bars, labels=[f"${v:.2f}" for v in values], fontsize=8)
    if workloads:
        axes.set_xticks(np.arange(len(workloads)), workloads)
        axes.set_xlim(-0.9, len(workloads) - 0.1)
        axes.legend()
    else:
        _empty(axes, "no work items")
    estimated = " (estimated billed duration)" if summary["cost"]["billed_duration"] == "estimated" else ""
    axes.set(ylabel="USD per million work items", title=f"Cost per million work items{estimated}\n{title}")
    axes.grid(alpha=0.3, axis="y")
    return figure
