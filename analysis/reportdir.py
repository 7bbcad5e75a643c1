"""``reports/<run_id>/``: summary.json, report.md, index.html, invocations.csv and the PNG plots of one
comparison.

The reports root is ``core.paths.reports_dir()``; ``--out DIR`` replaces the whole path.
"""

from __future__ import annotations

from pathlib import Path

from analysis.csvfile import write_csv
from analysis.html import Plot, html_page
from analysis.plots import write_plots
from analysis.render import markdown, to_json
from analysis.summary import Result
from core import reports_dir

CSV_COLUMNS = [
    "run_id", "variant", "architecture", "workload", "seq", "request_id", "message_id", "timestamp_ms", "trigger",
    "cold", "error", "error_type", "workload_ms", "handler_ms", "init_ms", "user_init_ms", "peak_rss_mb",
    "queue_lag_ms", "duration_ms", "billed_duration_ms", "billed_duration_used_ms", "init_duration_ms",
    "max_memory_used_mb", "memory_size_mb",
    "cost_usd", "host_machine", "function_name", "runtime", "result_digest",
]


def write_report(result: Result, out_dir: Path | None = None, plots: bool = True) -> Path:
    """Write every file of the report; returns the directory."""
    directory = out_dir or reports_dir() / result.summary["run_id"]
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "summary.json").write_text(to_json(result.summary) + "\n")
    write_csv(result.items[CSV_COLUMNS], directory / "invocations.csv")
    names = write_plots(directory, result.summary, result.items, result.invocations) if plots else []
    (directory / "report.md").write_text(markdown(result.summary, names))
    embedded = [Plot(name, (directory / name).read_bytes()) for name in names]
    (directory / "index.html").write_text(html_page(result.summary, embedded), encoding="utf-8")
    return directory
