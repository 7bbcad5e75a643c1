"""``python -m analysis.compare``: compare what arm64 and x86_64 measured in one run, and write the report.

Reads the run's log lines (Logs Insights on AWS, log events on a local cloud), joins EMF documents to REPORT
lines, computes percentiles, the x86_64/arm64 median ratio with a bootstrap 95 % CI, a Mann–Whitney p-value,
cost, and the sent/processed/DLQ/in-flight reconciliation; prints a table (or Markdown, or JSON) and writes
``reports/<run_id>/``. Exit status: 0 done, 1 a problem (one line on stderr), 2 bad options, 3 the report was
written but messages are unaccounted for.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from analysis.dataset import build_run_data
from analysis.errors import AnalysisError
from analysis.insights import InsightsSource
from analysis.logevents import LogEventsSource
from analysis.reconcile import SqsQueues, describe_problem, reconcile, unknown, wait_for_drain
from analysis.render import markdown, print_table, to_json
from analysis.reportdir import write_report
from analysis.run import RunInfo, resolve_outputs, resolve_run
from analysis.summary import Context, Result, summarize
from core import EXIT_UNACCOUNTED, parse_duration, run_cli
from stack import StackOutputs

EXAMPLES = """examples:
  python -m analysis.compare                               the newest run (runs/*/manifest.json)
  python -m analysis.compare --run-id 20261125T080000Z-3fa2 --format markdown
  python -m analysis.compare --run-id 20261125T080000Z-3fa2 --since 48h   a run made elsewhere (no manifest)
  python -m analysis.compare --format json --stack prod > summary.json
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m analysis.compare", formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EXAMPLES,
        description="Compare the arm64 and x86_64 functions of one load run and write reports/<run_id>/ "
                    "(summary.json, report.md, invocations.csv, PNG plots).")
    parser.add_argument("--run-id", help="the run to compare (default: the newest manifest in runs/)")
    parser.add_argument("--since", default="24h",
                        help="without a manifest for --run-id: how far back to search, e.g. 6h (default: 24h)")
    parser.add_argument("--format", choices=("table", "markdown", "json"), default="table",
                        help="what to print on stdout (default: table); the report directory gets every format")
    parser.add_argument("--out", metavar="DIR", type=Path,
                        help="write the report files here (default: $ARCHBENCH_REPORTS_DIR or reports/, "
                             "then <run_id>/)")
    stack = parser.add_mutually_exclusive_group()
    stack.add_argument("--outputs", metavar="FILE", help="stack outputs JSON file (default: the run's own)")
    stack.add_argument("--stack", metavar="NAME", help="Pulumi stack whose `bench` output to use")
    parser.add_argument("--source", choices=("auto", "logs-insights", "log-events"), default="auto",
                        help="where to read the logs: auto = log events on a local cloud, Logs Insights on AWS")
    parser.add_argument("--wait", default="60s",
                        help="wait up to this long for the queues to drain before reading (default: 60s; 0s: no)")
    parser.add_argument("--no-plots", action="store_true", help="skip the PNG plots (faster)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    return run_cli("analysis.compare", lambda: _main(args, err))


def _main(args: argparse.Namespace, err: Console) -> int:
    since_s = parse_duration(args.since)
    wait_s = parse_duration(args.wait, allow_zero=True)
    run = resolve_run(args.run_id, since_s)
    outputs = resolve_outputs(run, args.outputs, args.stack)
    logs, sqs = (outputs.client(service, attempts=8, read_timeout_s=120) for service in ("logs", "sqs"))
    queues = SqsQueues(sqs)

    with err.status("starting…") as status:
        if run.manifest and run.target == "sqs" and wait_s > 0:
            urls = [fn.queue_url for fn in outputs.functions.values()]
            left = wait_for_drain(queues.count, urls, wait_s, status.update)
            if left:
                err.print(f"{left:,} messages still in flight after {args.wait}: they count as in flight")
        started = time.monotonic()
        source = _source(args.source, outputs, logs, run.run_id, status.update)
        events = source.fetch(run.window)
        data = build_run_data(events, run.run_id)
        err.print(f"read {len(events):,} log lines from {source.label} in {time.monotonic() - started:.1f} s: "
                  f"{len(data.items):,} work items, {len(data.invocations):,} Lambda invocations")
        if data.items.empty and run.manifest is None:
            raise AnalysisError(f"no EMF documents of run {run.run_id} in {', '.join(_log_groups(outputs))} "
                                f"({run.window.describe()}); widen --since or check --outputs/--stack")
        reconciliation = (reconcile(run.manifest, data.items, outputs, queues) if run.manifest
                          else unknown("no run manifest on this machine: the run was made elsewhere"))
        status.update("computing statistics and plots…")
        result = summarize(data, Context(source=source.label, outputs=outputs, reconciliation=reconciliation,
                                         window=_window(run), manifest=run.manifest))
        try:
            directory = write_report(result, args.out, plots=not args.no_plots)
        except OSError as exc:  # --out on a file, a read-only disk, no permission
            raise AnalysisError(f"cannot write the report: {exc}") from None
    _print(args.format, result, directory, err)
    problem = describe_problem(reconciliation)
    if problem:
        err.print(f"[bold red]messages lost or unaccounted for:[/] {problem}")
        return EXIT_UNACCOUNTED
    return 0


def _source(choice: str, outputs: StackOutputs, logs: Any, run_id: str,
            progress: Callable[[str], None]) -> InsightsSource | LogEventsSource:
    groups = _log_groups(outputs)
    if choice == "log-events" or (choice == "auto" and outputs.is_local):
        return LogEventsSource(logs, groups, run_id, progress=progress)
    return InsightsSource(logs, groups, run_id, progress=progress)


def _log_groups(outputs: StackOutputs) -> list[str]:
    return [fn.log_group for _, fn in sorted(outputs.functions.items())]


def _window(run: RunInfo) -> dict[str, Any]:
    def iso(ms: int) -> str:
        return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds")

    return {"start": iso(run.window.start_ms), "end": iso(run.window.end_ms),
            "from_manifest": run.manifest is not None}


def _print(fmt: str, result: Result, directory: Path, err: Console) -> None:
    if fmt == "json":
        sys.stdout.write(to_json(result.summary) + "\n")
        err.print(f"report: {directory}")
        return
    if fmt == "markdown":
        sys.stdout.write(markdown(result.summary) + "\n")
    else:
        print_table(result.summary, Console())
    print(f"report: {directory}")


if __name__ == "__main__":
    sys.exit(main())
