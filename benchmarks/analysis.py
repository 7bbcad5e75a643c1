"""How long the comparison of a run's work items takes, and its peak memory: from parsed records alone, and from a
local log source.

1. From parsed records alone: join, statistics (one figure per execution environment, the comparisons of every
   pair, stability, cost, verdict), then the report directory (summary.json, report.md, invocations.csv, the PNG
   plots, index.html) — what every comparison pays after reading.
2. From a local log source: a MiniStack of its own (free loopback port, temp dir, stopped by pid) holds the run's
   log events in one stream per execution environment; ``compare_run`` reads them with FilterLogEvents in split
   windows, parses, joins and writes the report.
Target (issue 14): 1,000,000 work items over 12 variants in ≤ 30 s from parsed records and ≤ 120 s from the local
log source, peak memory ≤ 3 GB.

Usage: python benchmarks/analysis.py [--items 1000000] [--variants 12] [--twins] [--environments 100]
                                     [--source records|ministack|both]
The variants are the first ``--variants`` of python3.12/python3.13 × 512/1024/2048 MB × arm64/x86_64 (with
``--twins``, each cell's arm64 A/A twin too). The events are synthetic (analysis.synthetic: log-normal workload
times, each environment's own factor) so the figures measure analysis, not the functions. Generating them, parsing
them and loading them into MiniStack are timed apart and not counted. Each part runs in a fresh process, so its
peak memory (``ru_maxrss``: the process's peak resident set, MiniStack's own process not included) is its own.
"""

from __future__ import annotations

import argparse
import multiprocessing
import pickle
import resource
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
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
from stack import StackOutputs, Variant, matrix

RUNTIMES = ("python3.12", "python3.13")
MEMORY_SIZES = (512, 1024, 2048)
ARCHITECTURES = ("arm64", "x86_64")
ARM64_MEDIAN_MS = 10.0
X86_64_MEDIAN_MS = 12.0
PUT_BATCH_BYTES = 900_000  # under PutLogEvents' 1,048,576-byte batch limit (26 bytes of overhead per event)
PUT_BATCH_EVENTS = 10_000


@dataclass
class Part:
    """One part's laps (seconds), the ones left out of its total, and its process's peak RSS."""

    laps: dict[str, float] = field(default_factory=dict)
    skip: set[str] = field(default_factory=set)
    peak_rss_mb: float = 0.0
    notes: list[str] = field(default_factory=list)

    def timed(self, name: str, work: Callable[..., Any], *args: Any, counted: bool = True) -> Any:
        started = time.perf_counter()
        value = work(*args)
        self.laps[name] = time.perf_counter() - started
        if not counted:
            self.skip.add(name)
        return value

    def finish(self) -> Part:
        self.peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB
        return self

    @property
    def total(self) -> float:
        return sum(seconds for name, seconds in self.laps.items() if name not in self.skip)


def variants(count: int, twins: bool) -> list[Variant]:
    """The first ``count`` variants of the benchmark's matrix (twins count as variants)."""
    every = matrix(RUNTIMES, MEMORY_SIZES, ARCHITECTURES, "arm64" if twins else None)
    if not 2 <= count <= len(every):
        raise SystemExit(f"--variants must be 2 … {len(every)} for this matrix, not {count}")
    return list(every[:count])


def median_ms(variant: Variant) -> float:
    """A plausible known truth: x86_64 slower, more memory (more CPU) faster, python3.13 a little faster; a twin
    has its sibling's median."""
    subject = variant.sibling
    base: float = ARM64_MEDIAN_MS if subject.architecture == "arm64" else X86_64_MEDIAN_MS
    runtime = 0.95 if subject.runtime == "python3.13" else 1.0
    return float(base * runtime * (1024 / subject.memory_mb) ** 0.3)


def spec(args: argparse.Namespace, run_id: str) -> SyntheticSpec:
    chosen = variants(args.variants, args.twins)
    return SyntheticSpec(run_id, args.items // len(chosen), median_ms={v: median_ms(v) for v in chosen},
                         batch_size=args.batch_size, workloads=("sort", "noop"), report_style="ministack",
                         host_machine={"arm64": "x86_64", "x86_64": "x86_64"}, environments=args.environments,
                         environment_spread=args.environment_spread, rounds=args.rounds)


def generate(synthetic: SyntheticSpec, work: Path) -> Part:
    """Generate the run, store its events and the parsed records for the other parts (not counted)."""
    part = Part()
    run = part.timed("generate the synthetic events", synthetic_run, synthetic, counted=False)
    groups = {run.log_groups[v.id]: v.id for v in run.variants}
    part.notes.append(f"{len(run.events):,} log events, "
                      f"{sum(len(envs) for envs in run.environments.values()):,} execution environments")

    def parse() -> LineParser:
        parser = LineParser(synthetic.run_id)
        for event in run.events:
            parser.feed(event.message, event.timestamp_ms, event.log_group, event.log_stream)
        return parser

    parser = part.timed("parse the log lines", parse, counted=False)
    records = (run.outputs("http://local"), parser.items, parser.reports, parser.counts, groups, parser.init_reports,
               parser.runtime_done, parser.foreign_request_ids)
    for name, value in (("run.pickle", run), ("records.pickle", records)):
        with (work / name).open("wb") as file:
            pickle.dump(value, file, protocol=pickle.HIGHEST_PROTOCOL)
    return part.finish()


def _load(path: Path) -> Any:
    with path.open("rb") as file:
        return pickle.load(file)


def from_parsed_records(run_id: str, work: Path) -> Part:
    """Join, statistics and the report directory from parsed records."""
    part = Part()
    records = part.timed("load the parsed records (pickle)", _load, work / "records.pickle", counted=False)
    outputs, items, reports, counts, groups, init_reports, runtime_done, foreign = records
    data = part.timed("join", partial(from_records, log_groups=groups, init_reports=init_reports,
                                      runtime_done=runtime_done, foreign_request_ids=foreign),
                      run_id, items, reports, counts)
    del items, reports, records
    result = part.timed("statistics (summarize: environments, comparisons, stability, cost, verdict)",
                        summarize, data, context(outputs))
    part.timed("report directory (JSON, Markdown, CSV, PNG plots, index.html)",
               write_report, result, work / "report-records")
    return part.finish()


def context(outputs: StackOutputs) -> Context:
    return Context(source="log-events", outputs=outputs, reconciliation=unknown("benchmark"),
                   window={"start": "", "end": "", "from_manifest": False}, manifest=None)


def load_into_ministack(logs: Any, events: list[LogEvent]) -> int:
    """One stream per execution environment (as AWS files them), in PutLogEvents-sized batches; returns how many
    streams."""
    streams: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for event in events:
        streams[(event.log_group, event.log_stream)].append({"timestamp": event.timestamp_ms, "message": event.message})
    for group in {group for group, _ in streams}:
        logs.create_log_group(logGroupName=group)

    def put(key: tuple[str, str]) -> None:
        group, stream = key
        logs.create_log_stream(logGroupName=group, logStreamName=stream)
        batch: list[dict[str, Any]] = []
        size = 0
        for event in sorted(streams[key], key=lambda e: e["timestamp"]):
            if batch and (size + len(event["message"]) + 26 > PUT_BATCH_BYTES or len(batch) == PUT_BATCH_EVENTS):
                logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=batch)
                batch, size = [], 0
            batch.append(event)
            size += len(event["message"]) + 26
        logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=batch)

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(put, streams))
    return len(streams)


def into_ministack(endpoint_url: str, work: Path) -> Part:
    """Load the generated events into the MiniStack (not counted), and keep its stack outputs and the run's window
    for the comparison; a process of its own, so the comparison's peak memory is not the generator's."""
    part = Part()
    run: SyntheticRun = part.timed("load the generated events (pickle)", _load, work / "run.pickle", counted=False)
    outputs = run.outputs(endpoint_url)
    events = run.events
    window = TimeWindow(min(e.timestamp_ms for e in events) - 60_000, max(e.timestamp_ms for e in events) + 60_000)
    streams = part.timed("load the events into MiniStack", load_into_ministack, outputs.client("logs"), events,
                         counted=False)
    part.notes.append(f"{len(events):,} events in {streams:,} streams")
    with (work / "ministack.pickle").open("wb") as file:
        pickle.dump((outputs, window), file, protocol=pickle.HIGHEST_PROTOCOL)
    return part.finish()


def from_ministack(run_id: str, work: Path) -> Part:
    """``compare_run`` on the MiniStack's log events: the run has no manifest, so its window is given."""
    part = Part()
    outputs, window = _load(work / "ministack.pickle")
    started = time.perf_counter()
    comparison = compare_run(run_id, window=window, outputs=outputs, source="log-events",
                             out_dir=work / "report-ministack")
    total = time.perf_counter() - started
    part.laps[f"read {comparison.lines:,} log events (FilterLogEvents), parse and join"] = comparison.read_s
    part.laps["statistics, report directory"] = total - comparison.read_s
    result = comparison.result
    assert sum(block["invocations"] for block in result.summary["variants"].values()) == len(result.items)
    return part.finish()


def with_ministack(run_id: str, work: Path) -> Part:
    """A MiniStack of its own for the loading and the comparison, each in a fresh process; stopped by pid."""
    ministack = localcloud.start(ensure_venv(), work)
    try:
        loading = in_fresh_process(into_ministack, ministack.endpoint_url, work)
        comparing = in_fresh_process(from_ministack, run_id, work)
    finally:
        localcloud.stop(ministack)
    comparing.notes = loading.notes
    comparing.laps = {**loading.laps, **comparing.laps}
    comparing.skip |= loading.skip
    return comparing


def in_fresh_process(work: Callable[..., Part], *args: Any) -> Part:
    """Each part in its own process: its peak RSS is then its own, not the generator's."""
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(work, *args).result()


def show(title: str, part: Part) -> None:
    print(f"{title}: {part.total:.2f} s counted, peak RSS {part.peak_rss_mb:,.0f} MB")
    for note in part.notes:
        print(f"  ({note})")
    for name, seconds in part.laps.items():
        print(f"  {name:<76} {seconds:7.2f} s{'  (not counted)' if name in part.skip else ''}")


def verdict(name: str, seconds: float, limit_s: float, peak_mb: float, limit_mb: float) -> str:
    met = seconds <= limit_s and peak_mb <= limit_mb
    return (f"target {name} ≤ {limit_s:g} s, ≤ {limit_mb / 1024:g} GB: {'met' if met else 'NOT met'} "
            f"({seconds:.1f} s, {peak_mb / 1024:.2f} GB)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1_000_000, help="work items in all (shared by the variants)")
    parser.add_argument("--variants", type=int, default=12, help="how many variants of the matrix (see above)")
    parser.add_argument("--twins", action="store_true", help="each cell's arm64 A/A twin is in the matrix too")
    parser.add_argument("--environments", type=int, default=100, help="execution environments per variant")
    parser.add_argument("--environment-spread", type=float, default=0.1, help="sd of the log environment effect")
    parser.add_argument("--rounds", type=int, default=0, help="rounds (each with fresh environments); 0: none")
    parser.add_argument("--batch-size", type=int, default=10, help="work items per Lambda invocation")
    parser.add_argument("--source", choices=("records", "ministack", "both"), default="both")
    args = parser.parse_args()
    run_id = new_run_id()
    synthetic = spec(args, run_id)
    chosen = len(synthetic.median_ms)
    with tempfile.TemporaryDirectory(prefix="archbench-analysis-bench-") as tmp:
        work = Path(tmp)
        show(f"0. generated {synthetic.items_per_variant * chosen:,} work items over {chosen} variants, "
             f"{args.environments} environments each", in_fresh_process(generate, synthetic, work))
        outcomes = []
        if args.source in ("records", "both"):
            records = in_fresh_process(from_parsed_records, run_id, work)
            show("1. from parsed records alone", records)
            outcomes.append(verdict("from parsed records", records.total, 30, records.peak_rss_mb, 3 * 1024))
        if args.source in ("ministack", "both"):
            local = with_ministack(run_id, work)
            show("2. from a local log source (MiniStack)", local)
            outcomes.append(verdict("from the local log source", local.total, 120, local.peak_rss_mb, 3 * 1024))
    print("\n".join(outcomes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
