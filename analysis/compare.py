"""``python -m analysis.compare``: compare what every variant of the matrix measured in one run, and write the
report.

Reads the run's log lines (Logs Insights on AWS, log events on a local cloud), joins EMF documents to REPORT
lines, computes percentiles per variant, the comparisons (arm64 against x86_64 per cell, the memory steps, the
runtimes, each A/A twin against its sibling: one figure per execution environment or round, ratios with t
intervals, a verdict by the decision rule), cost, a recommendation and the sent/processed/DLQ/in-flight
reconciliation; prints a table (or Markdown, or JSON) and writes ``reports/<run_id>/``. Exit status: 0 done, 1 a
problem (one line on stderr), 2 bad options, 3 the report was written but messages are unaccounted for.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console

from analysis.decision import check_margin
from analysis.logfiles import parse_logs_options
from analysis.pipeline import Comparison, compare_log_files, compare_run
from analysis.render import markdown, print_table, to_json
from core import EXIT_OK, EXIT_UNACCOUNTED, UsageError, parse_duration, run_cli

EXAMPLES = """examples:
  python -m analysis.compare                               the newest run (runs/*/manifest.json)
  python -m analysis.compare --run-id 20261125T080000Z-3fa2 --format markdown
  python -m analysis.compare --run-id 20261125T080000Z-3fa2 --since 48h   a run made elsewhere (no manifest)
  python -m analysis.compare --format json --stack prod > summary.json
  python -m analysis.compare --logs py313-1024-arm64=arm.json --logs py313-1024-x86_64=x86.json
                                                           offline, from `aws logs filter-log-events` output
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m analysis.compare", formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EXAMPLES,
        description="Compare the variants (architecture × memory × runtime, and the A/A twin) of one load run "
                    "and write reports/<run_id>/ "
                    "(summary.json, report.md, index.html, invocations.csv, PNG plots).")
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
    parser.add_argument("--source", choices=("auto", "logs-insights", "log-events"),
                        help="where to read the logs: auto (default) = log events on a local cloud, Logs Insights "
                             "on AWS")
    parser.add_argument("--logs", action="append", metavar="VARIANT=FILE", default=[],
                        help="offline: read VARIANT's log events from FILE, the JSON `aws logs filter-log-events` "
                             "prints (repeat per variant; no AWS call; not with --source or --stack)")
    parser.add_argument("--wait", default="60s",
                        help="wait up to this long for the queues to drain before reading (default: 60s; 0s: no)")
    parser.add_argument("--margin", default="2%", type=_margin,
                        help="the equivalence margin: differences within ±this are 'equivalent', and a winner's "
                             "interval must lie beyond it, e.g. 5%% or 0.05 (default: 2%%)")
    parser.add_argument("--no-plots", action="store_true", help="skip the PNG plots (faster)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    return run_cli("analysis.compare", lambda: _main(args, err))


def _main(args: argparse.Namespace, err: Console) -> int:
    since_s = parse_duration(args.since)
    wait_s = parse_duration(args.wait, allow_zero=True)
    if args.logs:
        comparison = _compare_logs(args, err)
    else:
        with err.status("starting…") as status:
            comparison = compare_run(args.run_id, since_s=since_s, outputs_file=args.outputs, stack=args.stack,
                                     source=args.source or "auto", wait_s=wait_s, out_dir=args.out,
                                     plots=not args.no_plots, margin=args.margin, progress=status.update,
                                     notice=err.print)
    _print(args.format, comparison, err)
    if comparison.problem:
        err.print(f"[bold red]messages lost or unaccounted for:[/] {comparison.problem}")
        return EXIT_UNACCOUNTED
    return EXIT_OK


def _compare_logs(args: argparse.Namespace, err: Console) -> Comparison:
    """``--logs``: the offline path, which reads files only (so no --source, no --stack)."""
    clash = [option for option, value in (("--source", args.source), ("--stack", args.stack)) if value]
    if clash:
        raise UsageError(f"--logs reads files only: it cannot be combined with {' or '.join(clash)}")
    files = parse_logs_options(args.logs)
    with err.status("reading the log files…") as status:
        return compare_log_files(files, args.run_id, outputs_file=args.outputs, out_dir=args.out,
                                 plots=not args.no_plots, margin=args.margin, progress=status.update,
                                 notice=err.print)


def _margin(text: str) -> float:
    """``2%`` or ``0.02`` → 0.02; argparse turns the ValueError into one usage line and exit 2."""
    try:
        value = float(text[:-1]) / 100 if text.endswith("%") else float(text)
        return check_margin(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a margin between 0 and 100 % (e.g. 2% or 0.02)") from None


def _print(fmt: str, comparison: Comparison, err: Console) -> None:
    summary, directory = comparison.result.summary, comparison.directory
    if fmt == "json":
        sys.stdout.write(to_json(summary) + "\n")
        err.print(f"report: {directory}")
        return
    if fmt == "markdown":
        sys.stdout.write(markdown(summary) + "\n")
    else:
        print_table(summary, Console())
    print(f"report: {directory}")


if __name__ == "__main__":
    sys.exit(main())
