"""One comparison as a library call: find the run and its stack, wait for the queues, read, reconcile, summarize,
write the report. ``python -m analysis.compare`` is this plus option parsing and printing; benchmarks and tests
call it directly, with their own stack outputs and window if they like.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from analysis.dataset import build_run_data
from analysis.errors import AnalysisError
from analysis.events import TimeWindow
from analysis.insights import InsightsSource
from analysis.logevents import LogEventsSource
from analysis.reconcile import SqsQueues, describe_problem, reconcile, unknown, wait_for_drain
from analysis.reportdir import write_report
from analysis.run import RunInfo, resolve_outputs, resolve_run
from analysis.summary import Context, Result, summarize
from core import Window
from stack import StackOutputs

SourceChoice = Literal["auto", "logs-insights", "log-events"]
DEFAULT_SINCE_S = 24 * 3600.0
DEFAULT_WAIT_S = 60.0


@dataclass(frozen=True)
class Comparison:
    """What one comparison produced; ``problem`` is the loud sentence when messages are unaccounted for."""

    result: Result
    directory: Path  # the report directory
    source: str  # logs-insights | log-events
    lines: int  # log lines read
    read_s: float  # reading, parsing and joining them
    problem: str | None


def _ignore(message: str) -> None:
    """The default ``progress`` and ``notice``: say nothing."""


def compare_run(run_id: str | None = None, *, since_s: float = DEFAULT_SINCE_S, window: TimeWindow | None = None,
                outputs: StackOutputs | None = None, outputs_file: str | None = None, stack: str | None = None,
                source: SourceChoice = "auto", wait_s: float = DEFAULT_WAIT_S, out_dir: Path | None = None,
                plots: bool = True, progress: Callable[[str], None] = _ignore,
                notice: Callable[[str], None] = _ignore) -> Comparison:
    """Compare one run (the newest manifest's when ``run_id`` is None) and write its report directory.

    Without a manifest the run is searched for in ``window``, else the last ``since_s``, and the reconciliation is
    unknown. The stack is ``outputs``, else ``outputs_file``/``stack``, else the manifest's, else ``find_outputs()``.
    ``progress`` gets spinner text, ``notice`` the lines worth keeping (what was read, what is still in flight).
    ``AnalysisError`` for anything the caller can fix.
    """
    run = resolve_run(run_id, since_s, window=window)
    stack_outputs = outputs or resolve_outputs(run, outputs_file, stack)
    logs, sqs = (stack_outputs.client(service, attempts=8, read_timeout_s=120) for service in ("logs", "sqs"))
    queues = SqsQueues(sqs)
    if run.manifest and run.target == "sqs" and wait_s > 0:
        urls = [fn.queue_url for fn in stack_outputs.functions.values()]
        left = wait_for_drain(queues.count, urls, wait_s, progress)
        if left:
            notice(f"{left:,} messages still in flight after {wait_s:g}s: they count as in flight")
    started = time.monotonic()
    reader = _source(source, stack_outputs, logs, run.run_id, progress)
    events = reader.fetch(run.window)
    data = build_run_data(events, run.run_id,
                          log_groups={fn.log_group: vid for vid, fn in stack_outputs.functions.items()})
    read_s = time.monotonic() - started
    notice(f"read {len(events):,} log lines from {reader.label} in {read_s:.1f} s: "
           f"{len(data.items):,} work items, {len(data.invocations):,} Lambda invocations")
    if data.items.empty and run.manifest is None:
        raise AnalysisError(f"no EMF documents of run {run.run_id} in {', '.join(stack_outputs.log_groups)} "
                            f"({run.window.describe()}); widen --since or check --outputs/--stack")
    reconciliation = (reconcile(run.manifest, data.items, stack_outputs, queues) if run.manifest
                      else unknown("no run manifest on this machine: the run was made elsewhere"))
    progress("computing statistics and plots…")
    result = summarize(data, Context(source=reader.label, outputs=stack_outputs, reconciliation=reconciliation,
                                     window=_window(run), manifest=run.manifest))
    try:
        directory = write_report(result, out_dir, plots=plots)
    except OSError as exc:  # --out on a file, a read-only disk, no permission
        raise AnalysisError(f"cannot write the report: {exc}") from None
    return Comparison(result, directory, reader.label, len(events), read_s, describe_problem(reconciliation))


def _source(choice: SourceChoice, outputs: StackOutputs, logs: Any, run_id: str,
            progress: Callable[[str], None]) -> InsightsSource | LogEventsSource:
    """Log events on a local cloud (its Logs Insights answers are wrong), Logs Insights on AWS, unless told."""
    if choice == "log-events" or (choice == "auto" and outputs.is_local):
        return LogEventsSource(logs, outputs.log_groups, run_id, progress=progress)
    return InsightsSource(logs, outputs.log_groups, run_id, progress=progress)


def _window(run: RunInfo) -> Window:
    def iso(ms: int) -> str:
        return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds")

    return {"start": iso(run.window.start_ms), "end": iso(run.window.end_ms),
            "from_manifest": run.manifest is not None}
