"""One comparison as a library call: find the run and its stack, wait for the queues, read, reconcile, summarize,
write the report. ``python -m analysis.compare`` is this plus option parsing and printing; benchmarks and tests
call it directly, with their own stack outputs and window if they like.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from analysis.dataset import RunData, build_run_data
from analysis.decision import DEFAULT_MARGIN
from analysis.errors import AnalysisError
from analysis.events import TimeWindow
from analysis.insights import InsightsSource
from analysis.logevents import LogEventsSource
from analysis.logfiles import LogFilesSource
from analysis.queues import SqsQueues, redelivery_bound_s, wait_for_drain
from analysis.reconcile import describe_problem, reconcile, unknown
from analysis.reportdir import write_report
from analysis.run import resolve_outputs, resolve_run
from analysis.summary import Context, Result, summarize
from core import Window, check_run_id
from stack import OutputsError, StackOutputs, find_outputs

SourceChoice = Literal["auto", "logs-insights", "log-events"]
DEFAULT_SINCE_S = 24 * 3600.0
DEFAULT_WAIT_S = 60.0


@dataclass(frozen=True)
class Comparison:
    """What one comparison produced; ``problem`` is the loud sentence when messages are unaccounted for."""

    result: Result
    directory: Path  # the report directory
    source: str  # logs-insights | log-events | log-files
    lines: int  # log lines read
    read_s: float  # reading, parsing and joining them
    problem: str | None


def _ignore(message: str) -> None:
    """The default ``progress`` and ``notice``: say nothing."""


def compare_run(run_id: str | None = None, *, since_s: float = DEFAULT_SINCE_S, window: TimeWindow | None = None,
                outputs: StackOutputs | None = None, outputs_file: str | None = None, stack: str | None = None,
                source: SourceChoice = "auto", wait_s: float = DEFAULT_WAIT_S, out_dir: Path | None = None,
                plots: bool = True, margin: float = DEFAULT_MARGIN, progress: Callable[[str], None] = _ignore,
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
    late_s = 0.0  # the API answers every request before loadgen's run ends
    if run.manifest and run.target == "sqs":
        urls = [fn.queue_url for fn in stack_outputs.functions.values()]
        late_s = redelivery_bound_s(queues, urls)
        left = wait_for_drain(queues.count, urls, wait_s, progress) if wait_s > 0 else 0
        if left:
            notice(f"{left:,} messages still in flight after {wait_s:g}s: they count as in flight (SQS may deliver "
                   f"or dead-letter a message up to {late_s:g}s after the run: compare again later)")
    span = run.window(late_s)  # after the wait: documents written while waiting are in it
    started = time.monotonic()
    reader = _source(source, stack_outputs, logs, run.run_id, progress)
    data = build_run_data(reader.stream(span), run.run_id,  # parsed as read: the raw lines are not kept
                          log_groups={fn.log_group: vid for vid, fn in stack_outputs.functions.items()})
    read_s = time.monotonic() - started
    notice(f"read {reader.lines:,} log lines from {reader.label} in {read_s:.1f} s: "
           f"{len(data.items):,} work items, {len(data.invocations):,} Lambda invocations")
    if data.items.empty and run.manifest is None:
        raise AnalysisError(f"no EMF documents of run {run.run_id} in {', '.join(stack_outputs.log_groups)} "
                            f"({span.describe()}); widen --since or check --outputs/--stack")
    reconciliation = (reconcile(run.manifest, data.items, stack_outputs, queues) if run.manifest
                      else unknown("no run manifest on this machine: the run was made elsewhere"))
    progress("computing statistics and plots…")
    context = Context(source=reader.label, outputs=stack_outputs, reconciliation=reconciliation,
                      window=_window(span, from_manifest=run.manifest is not None), manifest=run.manifest,
                      margin=margin)
    result, directory = _report(data, context, out_dir, plots)
    return Comparison(result, directory, reader.label, reader.lines, read_s, describe_problem(reconciliation))


def compare_log_files(files: Mapping[str, Path], run_id: str | None = None, *, outputs_file: str | None = None,
                      out_dir: Path | None = None, plots: bool = True, margin: float = DEFAULT_MARGIN,
                      progress: Callable[[str], None] = _ignore,
                      notice: Callable[[str], None] = _ignore) -> Comparison:
    """Compare a run from ``aws logs filter-log-events`` files (variant id → file), with no AWS call at all.

    The run is ``run_id``, else the only one the files hold; the stack is ``outputs_file``, else built from the
    variant ids and the documents; the window is the files' span; nothing can be reconciled (no queues).
    """
    if run_id is not None:
        check_run_id(run_id)
    try:
        outputs = find_outputs(outputs_file) if outputs_file else None
    except OutputsError as exc:
        raise AnalysisError(str(exc)) from None
    started = time.monotonic()
    progress("reading the log files…")
    source = LogFilesSource(files, outputs)
    run = source.run_id(run_id)
    stack_outputs = source.outputs
    if outputs is not None:  # only the variants whose logs were given
        stack_outputs = replace(outputs, functions={vid: outputs.functions[vid] for vid in files})
    events = source.events
    data = build_run_data(events, run, log_groups={fn.log_group: vid for vid, fn in stack_outputs.functions.items()})
    read_s = time.monotonic() - started
    notice(f"read {len(events):,} log lines from {len(files)} file(s) in {read_s:.1f} s: "
           f"{len(data.items):,} work items, {len(data.invocations):,} Lambda invocations")
    if data.items.empty:
        raise AnalysisError(f"no EMF documents of run {run} in {', '.join(str(p) for p in files.values())}")
    progress("computing statistics and plots…")
    context = Context(source=source.label, outputs=stack_outputs, window=_window(source.window, from_manifest=False),
                      reconciliation=unknown("read from log files: no queues to reconcile"), manifest=None,
                      margin=margin)
    result, directory = _report(data, context, out_dir, plots)
    return Comparison(result, directory, source.label, len(events), read_s, None)


def _report(data: RunData, context: Context, out_dir: Path | None, plots: bool) -> tuple[Result, Path]:
    """Summarize and write the report directory; shared by both entry points."""
    result = summarize(data, context)
    try:
        return result, write_report(result, out_dir, plots=plots)
    except OSError as exc:  # --out on a file, a read-only disk, no permission
        raise AnalysisError(f"cannot write the report: {exc}") from None


def _source(choice: SourceChoice, outputs: StackOutputs, logs: Any, run_id: str,
            progress: Callable[[str], None]) -> InsightsSource | LogEventsSource:
    """Log events on a local cloud (its Logs Insights answers are wrong), Logs Insights on AWS, unless told."""
    if choice == "log-events" or (choice == "auto" and outputs.is_local):
        return LogEventsSource(logs, outputs.log_groups, run_id, progress=progress)
    return InsightsSource(logs, outputs.log_groups, run_id, progress=progress)


def _window(window: TimeWindow, *, from_manifest: bool) -> Window:
    def iso(ms: int) -> str:
        return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds")

    return {"start": iso(window.start_ms), "end": iso(window.end_ms), "from_manifest": from_manifest}
