"""How fast the local cloud comes up, and how many work items per second its pipeline sustains, in one run.

1. Time from `localcloud up` to ready: cold (MiniStack's venv exists, nothing runs: start, deploy, both functions
   answer both triggers) and a second `up` on the running cloud (idempotent update, nothing changed).
2. Backlog mode, per scenario (noop; sort at its default size; sort at 10,000): both event source mappings are
   disabled, both queues are filled with N valid work requests each (a fresh run id), the mappings are enabled,
   and the clock runs until every item's EMF document has arrived in its log group. Items/s counts both queues
   together, from enabling to the last document. Also checked: every seq arrived once, no errors, DLQs empty.
   "first doc" is enabling → first document: MiniStack's idle poller looks within 1 s, and a document is filed
   when its whole batch (invocation) ends. A noop warm-up backlog runs first, not counted: `up` leaves one warm
   worker per function, and the first backlog would otherwise also time starting the others (max concurrency).

Usage: python benchmarks/localcloud.py [--messages 1000] [--skip-up-timing]
It starts its own MiniStack (temp state dir, free loopback port) and stops it by pid at the end; a local cloud
you run yourself is not touched. Both functions and MiniStack share this machine's cores, so the 1-minute load
average is printed before the run and after each scenario (the latter includes this run's own busy workers: up to
2 × max concurrency).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import localcloud
from analysis import LogEventsSource, RunData, SqsQueues, TimeWindow, build_run_data, wait_for_drain
from benchmarks.loadgen import consumers_paused
from core import UserError, run_cli
from handlers.contract import WorkRequest, new_run_id
from handlers.workloads import WORKLOADS
from loadgen import MAX_BATCH
from localcloud import ensure_venv
from stack import Settings, StackOutputs

SCENARIOS = (("noop", WORKLOADS["noop"].default_size), ("sort", WORKLOADS["sort"].default_size), ("sort", 10_000))
DRAIN_S_PER_MESSAGE = 0.25  # per message per queue: sort at 50,000 ran at ~20 items/s on a loaded machine
ARRIVAL_GRACE_S = 10.0  # after the queues drained: how long the last documents may take to be filed


@dataclass(frozen=True)
class Backlog:
    """The figures of one backlog scenario, both queues together."""

    label: str
    items: int
    seconds: float  # enabling → last EMF document filed
    first_doc_s: float  # enabling → first EMF document filed
    invocations: int
    missing: int  # seqs without a document, both architectures
    duplicates: int
    errors: int
    in_dlq: int
    load_average: float

    @property
    def per_s(self) -> float:
        return self.items / self.seconds if self.seconds > 0 else float("nan")

    @property
    def ok(self) -> bool:
        return not (self.missing or self.duplicates or self.errors or self.in_dlq)


def time_up(settings: Settings, skip: bool) -> tuple[StackOutputs, dict[str, float]]:
    """`up` on nothing running (timed unless ``skip``), then `up` again on the running cloud."""
    ensure_venv(lambda message: print(f"  {message}", flush=True))  # creating the venv is not "cold up"
    started = time.perf_counter()
    outputs = localcloud.up(settings)
    if skip:
        return outputs, {}
    cold = time.perf_counter() - started
    started = time.perf_counter()
    localcloud.up(settings)
    return outputs, {"cold": cold, "rerun": time.perf_counter() - started}


def fill(sqs: Any, outputs: StackOutputs, run_id: str, workload: str, size: int, n: int) -> None:
    """N work requests in each queue, batch by batch, the architectures alternating."""
    for first in range(0, n, MAX_BATCH):
        entries = [{"Id": str(seq), "MessageBody": WorkRequest(run_id, seq, workload, size,
                                                               sent_at=time.time()).to_json()}
                   for seq in range(first, min(first + MAX_BATCH, n))]
        for fn in outputs.functions.values():
            failed = sqs.send_message_batch(QueueUrl=fn.queue_url, Entries=entries).get("Failed")
            if failed:
                raise UserError(f"SendMessageBatch to {fn.queue_url} refused {len(failed)} entries: "
                                f"{failed[0].get('Message')}")


def backlog(outputs: StackOutputs, workload: str, size: int, n: int, label: str = "") -> Backlog:
    """Fill both paused queues, resume them, and time until every document of the run has been filed."""
    assert outputs.endpoint_url is not None
    sqs = outputs.client("sqs")
    queues = SqsQueues(sqs)
    run_id = new_run_id()
    label = label or (f"{workload} {size:,}" if size else workload)
    print(f"{label}: filling both queues with {n:,} messages each…", flush=True)
    began_ms = int(time.time() * 1000)
    with consumers_paused(outputs):  # enabled again on leaving the block
        fill(sqs, outputs, run_id, workload, size, n)
        enabled_s = time.time()
    timeout_s = 60.0 + DRAIN_S_PER_MESSAGE * n
    left = wait_for_drain(queues.count, [fn.queue_url for fn in outputs.functions.values()], timeout_s,
                          lambda _: None, poll_s=0.25)
    if left:
        raise UserError(f"{label}: {left:,} messages still in the queues after {timeout_s:.0f} s")
    data, filed = arrived(outputs, run_id, began_ms, 2 * n)
    if not filed:
        raise UserError(f"{label}: the queues drained but no EMF document of run {run_id} arrived")
    items = data.items
    unique = items[["architecture", "seq"]].drop_duplicates()
    return Backlog(
        label=label, items=len(unique), seconds=max(filed) / 1000 - enabled_s,
        first_doc_s=min(filed) / 1000 - enabled_s, invocations=len(data.invocations),
        missing=len(outputs.functions) * n - len(unique), duplicates=len(items) - len(unique),
        errors=int(items["error"].sum()),
        in_dlq=sum(sum(queues.count(fn.dlq_url)) for fn in outputs.functions.values()),
        load_average=round(os.getloadavg()[0], 2))


def arrived(outputs: StackOutputs, run_id: str, since_ms: int, expected: int) -> tuple[RunData, list[int]]:
    """The run's parsed documents and the times they were filed, once all ``expected`` are there or a grace
    period has passed (the queues have drained by now, but the last documents may be filed a moment later)."""
    assert outputs.endpoint_url is not None
    source = LogEventsSource(outputs.client("logs"),
                             sorted(fn.log_group for fn in outputs.functions.values()), run_id)
    deadline = time.monotonic() + ARRIVAL_GRACE_S
    while True:
        events = source.fetch(TimeWindow(since_ms, int(time.time() * 1000) + 1000))
        data = build_run_data(events, run_id)
        if len(data.items) >= expected or time.monotonic() > deadline:
            return data, [event.timestamp_ms for event in events if run_id in event.message]
        time.sleep(0.25)


def warm_up(outputs: StackOutputs, settings: Settings) -> Backlog:
    """A noop backlog deep enough that every function starts all the workers its max concurrency allows."""
    return backlog(outputs, "noop", 0, 4 * settings.batch_size * settings.max_concurrency, "warm-up noop")


def show(up_times: dict[str, float], warm: Backlog, runs: list[Backlog], n: int, load_before: float) -> None:
    print(f"\n{os.cpu_count()} CPUs, load average (1 min) {load_before:.2f} before")
    if up_times:
        print(f"localcloud up → ready: cold {up_times['cold']:.2f} s, re-run on the running cloud "
              f"{up_times['rerun']:.2f} s")
    print(f"warm-up (not counted): {warm.items:,} noop items in {warm.seconds:.2f} s while the workers start")
    print(f"backlog of {n:,} messages per queue, both queues together:")
    print(f"  {'workload':13} {'items':>6} {'seconds':>8} {'items/s':>8} {'first doc':>10} {'invokes':>8} "
          f"{'items/inv':>9} {'load':>5}  checks")
    for run in runs:
        checks = "ok" if run.ok else (f"missing {run.missing}, duplicates {run.duplicates}, "
                                      f"errors {run.errors}, in DLQ {run.in_dlq}")
        print(f"  {run.label:13} {run.items:>6,} {run.seconds:>8.2f} {run.per_s:>8.1f} {run.first_doc_s:>9.2f}s "
              f"{run.invocations:>8,} {run.items / max(run.invocations, 1):>9.1f} {run.load_average:>5.2f}  "
              f"{checks}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--messages", type=int, default=1000,
                        help="work requests per queue in each backlog scenario (default: 1000)")
    parser.add_argument("--skip-up-timing", action="store_true",
                        help="start the local cloud without timing `up` (no second `up`)")
    args = parser.parse_args()
    if args.messages < 1:
        parser.error("--messages must be at least 1")
    return run_cli("benchmarks/localcloud.py", lambda: measure(args.messages, args.skip_up_timing))


def measure(messages: int, skip_up_timing: bool) -> int:
    """Every scenario on a local cloud of its own (a temp state dir), stopped whatever happens."""
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="archbench-localcloud-bench-") as state:
        os.environ["ARCHBENCH_STATE_DIR"] = state  # never the user's own local cloud
        print("starting MiniStack and deploying the stack…", flush=True)
        try:
            settings = Settings()
            outputs, up_times = time_up(settings, skip_up_timing)
            warm = warm_up(outputs, settings)
            runs = [backlog(outputs, workload, size, messages) for workload, size in SCENARIOS]
        finally:
            print(localcloud.down(), flush=True)
    show(up_times, warm, runs, messages, load_before)
    return 0 if all(run.ok for run in (warm, *runs)) else 1


if __name__ == "__main__":
    sys.exit(main())
