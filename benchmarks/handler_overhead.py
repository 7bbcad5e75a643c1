"""How much the handler's instrumentation costs, how long `import handlers.app` takes, what each default size costs.

    .venv/bin/python benchmarks/handler_overhead.py [--calls 5000] [--imports 5] [--skip-workloads]

1. `noop` through the full handler (direct, HTTP API and a 10-message SQS batch, per item) versus the workload
   called bare (prepare, compute, digest), interleaved call by call; the EMF documents go to /dev/null through
   real writes. Target: p50 overhead <= 0.5 ms.
2. One EMF document: handlers/metrics.py (stdlib json) against the ways aws-embedded-metrics (a dev dependency)
   writes the same document.
3. `python -X importtime -c "import handlers.app"` in fresh interpreters: total and the biggest contributors
   (benchmarks/handler_import.py measures what the import adds to a cold start).
4. Each workload at its default size on one core (OpenBLAS limited to one thread): the compute median and min.
Figures only: nothing here asserts a speed.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # section 4 is "on one core"; before anything imports numpy

import argparse
import asyncio
import contextlib
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from handlers import app  # noqa: E402
from handlers.contract import ENV_ARCHITECTURE, WorkRequest, new_run_id  # noqa: E402
from handlers.environment import FunctionInfo, LocalContext, peak_rss_mb  # noqa: E402
from handlers.metrics import ItemOutcome, build_document, write_lines  # noqa: E402
from handlers.workloads import WORKLOADS  # noqa: E402

SQS_BATCH = 10


def summary(samples_ms: list[float]) -> tuple[float, float]:
    """p50 and p99, exact with linear interpolation (the project's definition, numpy's default)."""
    p50, p99 = np.percentile(samples_ms, [50, 99])
    return float(p50), float(p99)


@contextlib.contextmanager
def stdout_to_devnull() -> Iterator[None]:
    """EMF lines really written (a write and a flush per document), just not kept."""
    saved = sys.stdout
    with open(os.devnull, "w") as sink:
        sys.stdout = sink
        try:
            yield
        finally:
            sys.stdout = saved


def time_ms(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000.0


def interleaved(paths: Mapping[str, tuple[Callable[[], object], int]], calls: int) -> dict[str, list[float]]:
    """ms per item of each path (``fn``, items per call), after one warm-up call each; one call of every path
    per round, so drift on a shared machine hits all alike. Output goes to /dev/null through real writes."""
    samples: dict[str, list[float]] = {name: [] for name in paths}
    with stdout_to_devnull():
        for fn, _ in paths.values():
            fn()
        for _ in range(calls):
            for name, (fn, items) in paths.items():
                samples[name].append(time_ms(fn) / items)
    return samples


def overhead_section(calls: int) -> None:
    run_id = new_run_id()
    noop = WORKLOADS["noop"]
    direct = WorkRequest(run_id, 0, "noop", 0)
    body = direct.to_json()
    api_event = {"version": "2.0", "routeKey": "POST /bench/process", "body": body, "isBase64Encoded": False,
                 "requestContext": {"http": {"method": "POST"}, "requestId": "bench"}}
    sqs_event = {"Records": [{"messageId": f"m{i}", "eventSource": "aws:sqs", "body": body,
                              "attributes": {"SentTimestamp": str(int(time.time() * 1000))}}
                             for i in range(SQS_BATCH)]}
    context = LocalContext(aws_request_id="bench-request", function_name="archbench-bench")
    paths = {
        "bare noop (prepare+compute+digest)": (lambda: noop.run(0, 0), 1),
        "handler, direct invoke": (lambda: app.handler(direct._asdict(), context), 1),
        "handler, HTTP API 2.0": (lambda: app.handler(api_event, context), 1),
        f"handler, SQS batch of {SQS_BATCH} (per item)": (lambda: app.handler(sqs_event, context), SQS_BATCH),
    }
    samples = interleaved(paths, calls)  # the warm-up call keeps the cold start out of these figures
    bare_p50, bare_p99 = summary(samples["bare noop (prepare+compute+digest)"])
    print(f"\n1. noop: full handler vs bare workload, {calls} calls each, interleaved (ms)")
    print(f"   {'path':44} {'p50':>8} {'p99':>8} {'overhead p50':>13} {'overhead p99':>13}")
    for name, values in samples.items():
        p50, p99 = summary(values)
        print(f"   {name:44} {p50:8.4f} {p99:8.4f} {p50 - bare_p50:13.4f} {p99 - bare_p99:13.4f}")
    print("   target: instrumentation overhead <= 0.5 ms at p50")


def emf_section(calls: int) -> None:
    """handlers/metrics.py and the three ways to produce the same document with aws-embedded-metrics, to /dev/null."""
    from aws_embedded_metrics.config import get_config
    from aws_embedded_metrics.logger.metrics_context import MetricsContext
    from aws_embedded_metrics.logger.metrics_logger_factory import create_metrics_logger
    from aws_embedded_metrics.serializers.log_serializer import LogSerializer

    get_config().environment = "Lambda"  # force the stdout sink; otherwise detection may probe EC2 metadata
    info = FunctionInfo.from_context(LocalContext(function_name="archbench-bench"))
    outcome = ItemOutcome(workload="noop", trigger="sqs", handler_ms=0.05, run_id="20261125T080000Z-3fa2", seq=1,
                          message_id="m", workload_ms=0.001, queue_lag_ms=12.0, digest="0" * 64)
    document = json.loads(build_document(outcome, info, 50.0)[0])
    aws = document.pop("_aws")["CloudWatchMetrics"][0]
    units = {m["Name"]: m["Unit"] for m in aws["Metrics"]}

    def fill(logger: Any) -> None:
        logger.set_namespace(aws["Namespace"])
        logger.set_dimensions(*[{k: document[k] for k in keys} for keys in aws["Dimensions"]])
        for key, value in document.items():
            if key in units:
                logger.put_metric(key, value, units[key])
            else:
                logger.set_property(key, value)

    def library_async() -> None:
        async def flush() -> None:
            logger = create_metrics_logger()
            fill(logger)
            await logger.flush()
        asyncio.run(flush())

    def library_flush_sync() -> None:
        logger = create_metrics_logger()
        fill(logger)
        logger.flush_sync()

    def library_serializer() -> None:
        context = MetricsContext(aws["Namespace"])
        context.set_dimensions([{k: document[k] for k in keys} for keys in aws["Dimensions"]])
        for key, value in document.items():
            if key in units:
                context.put_metric(key, value, units[key])
            else:
                context.set_property(key, value)
        write_lines(LogSerializer.serialize(context))

    ways = {"library async API (asyncio.run per document)": (library_async, 1),
            "library MetricsLogger.flush_sync (Lambda env)": (library_flush_sync, 1),
            "library MetricsContext + LogSerializer": (library_serializer, 1),
            "stdlib json (handlers/metrics)": (lambda: write_lines(build_document(outcome, info, 50.0)), 1),
            "   and reading the peak RSS (VmHWM) for it": (peak_rss_mb, 1)}
    samples = interleaved(ways, calls)
    print(f"\n2. one EMF document, {calls} each (ms)")
    for name, values in samples.items():
        p50, p99 = summary(values)
        print(f"   {name:50} p50 {p50:7.4f}  p99 {p99:7.4f}")
    print("   (the library's sink writes without flushing; handlers/metrics flushes every document)")


def import_section(runs: int) -> None:
    totals: list[float] = []
    parts: dict[str, list[float]] = {}
    for _ in range(runs + 1):  # the first run warms the file cache and is dropped
        done = subprocess.run([sys.executable, "-X", "importtime", "-c", "import handlers.app"],
                              cwd=ROOT, capture_output=True, text=True, check=True, env={**os.environ,
                                                                                         "PYTHONPATH": str(ROOT)})
        cumulative: dict[str, float] = {}
        for line in done.stderr.splitlines():
            if not line.startswith("import time:") or "|" not in line or "cumulative" in line:
                continue
            _, cum, name = (field.strip() for field in line.removeprefix("import time:").split("|"))
            cumulative[name] = int(cum) / 1000.0
        totals.append(cumulative["handlers.app"])
        for name in ("dataclasses", "json", "hashlib", "handlers.workloads", "handlers.validation"):
            parts.setdefault(name, []).append(cumulative.get(name, 0.0))
    totals, parts = totals[1:], {k: v[1:] for k, v in parts.items()}
    print(f"\n3. python -X importtime -c 'import handlers.app', {runs} fresh interpreters (cumulative ms)")
    print(f"   handlers.app total: median {statistics.median(totals):.1f}, min {min(totals):.1f}")
    for name, values in parts.items():
        print(f"     of which {name:28} median {statistics.median(values):7.1f}")
    print("   (a module imported earlier by another one counts under the first importer)")


def workload_section() -> None:
    print("\n4. default sizes, compute only, one core (OPENBLAS_NUM_THREADS="
          f"{os.environ['OPENBLAS_NUM_THREADS']}), 9 runs after a warm-up (ms)")
    print(f"   {'workload':15} {'default':>10} {'bounds':>22} {'median':>8} {'min':>8} {'prepare':>8}  size unit")
    for workload in WORKLOADS.values():
        started = time.perf_counter()
        data = workload.prepare(workload.default_size, 7)
        prepare_ms = (time.perf_counter() - started) * 1000.0
        workload.compute(data)
        runs = [time_ms(partial(workload.compute, data)) for _ in range(9)]
        bounds = f"{workload.min_size:,}–{workload.max_size:,}"
        print(f"   {workload.name:15} {workload.default_size:>10,} {bounds:>22} {statistics.median(runs):8.2f} "
              f"{min(runs):8.2f} {prepare_ms:8.1f}  {workload.size_unit}")
    print("   (prepare includes the first numpy/pandas import for the first workload that needs it)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=5000, help="calls per path in sections 1 and 2 (default 5000)")
    parser.add_argument("--imports", type=int, default=5, help="fresh interpreters for section 3 (default 5)")
    parser.add_argument("--skip-workloads", action="store_true", help="leave out section 4")
    args = parser.parse_args(argv)
    if args.calls < 1 or args.imports < 1:
        parser.error("--calls and --imports must be at least 1")
    os.environ.setdefault(ENV_ARCHITECTURE, "x86_64")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"python {sys.version.split()[0]} on {os.uname().machine}, {os.cpu_count()} CPUs, load {load:.2f}")
    overhead_section(args.calls)
    emf_section(max(1, args.calls // 2))
    import_section(args.imports)
    if not args.skip_workloads:
        workload_section()
    return 0


if __name__ == "__main__":
    sys.exit(main())
