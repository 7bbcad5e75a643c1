"""How long the comparison of 100,000 work items takes: from a local log source, and from parsed records alone.

1. From parsed records alone: join, statistics (percentiles, bootstrap CI, Mann–Whitney), cost, the report
   directory (summary.json, report.md, invocations.csv, six PNG plots) — what every comparison pays after reading.
2. From a local log source: a MiniStack of its own (free loopback port, temp dir, stopped by pid) holds the run's
   log events laid out as MiniStack writes them (one stream per Lambda invocation: START, the EMF documents, END,
   REPORT); the comparison reads them with FilterLogEvents in split windows, parses, joins and writes the report.
Target (issue 7): ≤ 30 s for 100,000 work items from the local log source.

Usage: python benchmarks/analysis.py [--items 100000] [--batch-size 10]
The events are synthetic (analysis.synthetic: log-normal workload times, arm64 median 10 ms, x86_64 12 ms) so the
figures measure analysis, not the functions; loading them into MiniStack is timed apart and not counted.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import localcloud
from analysis import (
    Context,
    LineParser,
    LogEvent,
    SyntheticRun,
    SyntheticSpec,
    TimeWindow,
    compare_run,
    from_records,
    summarize,
    synthetic_run,
    unknown,
    write_report,
)
from handlers.contract import new_run_id
from localcloud import ensure_venv
from stack import StackOutputs


class Stopwatch:
    def __init__(self) -> None:
        self.laps: dict[str, float] = {}

    def lap(self, name: str, started: float) -> float:
        self.laps[name] = time.perf_counter() - started
        return time.perf_counter()


def compare_records(run_id: str, events: list[LogEvent], outputs: StackOutputs, out: Path) -> Stopwatch:
    """Parse in memory (timed apart), then the comparison from parsed records."""
    watch = Stopwatch()
    started = time.perf_counter()
    parser = LineParser(run_id)
    for event in events:
        parser.feed(event.message, event.timestamp_ms)
    started = watch.lap("parse lines", started)
    data = from_records(run_id, parser.items, parser.reports, parser.counts)
    started = watch.lap("join", started)
    result = summarize(data, context(outputs))
    started = watch.lap("statistics, cost, verdict", started)
    write_report(result, out)
    watch.lap("report directory (JSON, Markdown, CSV, 6 PNG)", started)
    return watch


def context(outputs: StackOutputs) -> Context:
    return Context(source="log-events", outputs=outputs, reconciliation=unknown("benchmark"),
                   window={"start": "", "end": "", "from_manifest": False}, manifest=None)


def load_into_ministack(logs: Any, events: list[LogEvent]) -> int:
    """One stream per invocation, as MiniStack writes them; returns how many streams."""
    streams: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    current: dict[str, str] = {}
    for event in events:
        if event.message.startswith("START RequestId: "):
            current[event.log_group] = event.message.split()[2]
        streams[(event.log_group, current[event.log_group])].append(
            {"timestamp": event.timestamp_ms, "message": event.message})
    for group in {group for group, _ in streams}:
        logs.create_log_group(logGroupName=group)

    def put(key: tuple[str, str]) -> None:
        group, request_id = key
        name = f"2026/11/25/[$LATEST]{request_id.replace('-', '')}"
        logs.create_log_stream(logGroupName=group, logStreamName=name)
        logs.put_log_events(logGroupName=group, logStreamName=name,
                            logEvents=sorted(streams[key], key=lambda e: e["timestamp"]))

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(put, streams))
    return len(streams)


def compare_from_ministack(run_id: str, run: SyntheticRun, work: Path) -> Stopwatch:
    """``compare_run`` on the MiniStack's log events: the run has no manifest, so its window is given."""
    ministack = localcloud.start(ensure_venv(), work)
    try:
        outputs = run.outputs(ministack.endpoint_url)
        events = run.events
        started = time.perf_counter()
        streams = load_into_ministack(outputs.client("logs"), events)
        print(f"  (loading {len(events):,} events in {streams:,} streams into MiniStack: "
              f"{time.perf_counter() - started:.1f} s, not counted)")
        window = TimeWindow(min(e.timestamp_ms for e in events) - 60_000, max(e.timestamp_ms for e in events) + 60_000)
        started = time.perf_counter()
        comparison = compare_run(run_id, window=window, outputs=outputs, source="log-events",
                                 out_dir=work / "report-ministack")
        total = time.perf_counter() - started
        watch = Stopwatch()
        watch.laps[f"read {comparison.lines:,} log events (FilterLogEvents), parse and join"] = comparison.read_s
        watch.laps["statistics, cost, verdict, report directory"] = total - comparison.read_s
        result = comparison.result
        assert sum(block["invocations"] for block in result.summary["variants"].values()) == len(result.items)
        return watch
    finally:
        localcloud.stop(ministack)


def show(title: str, watch: Stopwatch, skip: tuple[str, ...] = ()) -> float:
    counted = {name: seconds for name, seconds in watch.laps.items() if name not in skip}
    total = sum(counted.values())
    print(f"{title}: {total:.2f} s")
    for name, seconds in watch.laps.items():
        print(f"  {name:<58} {seconds:6.2f} s{'  (not counted)' if name in skip else ''}")
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000, help="work items in all (half per variant)")
    parser.add_argument("--batch-size", type=int, default=10, help="work items per Lambda invocation")
    args = parser.parse_args()
    run_id = new_run_id()
    started = time.perf_counter()
    run = synthetic_run(SyntheticSpec(run_id, args.items // 2, batch_size=args.batch_size,
                                      workloads=("sort", "noop"), report_style="ministack",
                                      host_machine={"arm64": "x86_64", "x86_64": "x86_64"}))
    print(f"{args.items:,} work items, {len(run.events):,} log events "
          f"(generated in {time.perf_counter() - started:.1f} s)")
    with tempfile.TemporaryDirectory(prefix="archbench-analysis-bench-") as tmp:
        work = Path(tmp)
        records = compare_records(run_id, run.events, run.outputs("http://local"), work / "report-records")
        show("1. from parsed records alone", records, skip=("parse lines",))
        local = compare_from_ministack(run_id, run, work)
        total = show("2. from a local log source (MiniStack)", local)
    print(f"target ≤ 30 s from the local log source: {'met' if total <= 30 else 'NOT met'} ({total:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
