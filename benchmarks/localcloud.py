"""How fast the local cloud deploys a 12-variant matrix, and how its pipeline keeps up with it, in one run.

The matrix: runtimes python3.12, python3.13 × memory 512, 1024 MB × arm64, x86_64, plus the x86_64 A/A twin of every
(runtime, memory) cell: 12 variants. MiniStack runs every one with its own interpreter and enforces no memory size,
so the variants differ in configuration and names only; what this measures is the deployer and the emulator.

1. `localcloud up` → ready, cold (MiniStack's venv exists, nothing runs), split into its phases: start MiniStack,
   deploy every variant (in parallel), wait until every function answers a noop by invoke and by its route. Then a
   second `up` on the running cloud (idempotent update, nothing changed).
2. Drive: loadgen's schedule at --rate per variant (default 20/s) for --seconds (noop unless --workload, to
   every variant's queue, the consumers running): the achieved rate and send lag, then the time from the
   schedule's end until every variant's documents have all been filed (a pipeline keeping up: a short tail).
3. Backlog mode, per scenario (noop; sort at its default size): every event source mapping is disabled, every
   queue is filled with N valid work requests (a fresh run id), the mappings are enabled, and the clock runs until
   every item's EMF document has arrived. Items/s counts all queues together. A noop warm-up backlog runs first,
   not counted: `up` leaves one warm worker per function, and the first backlog would otherwise also time
   starting the others (max concurrency).
Every scenario checks that each variant's every seq arrived once, without errors, and that the DLQs are empty.

Usage: python benchmarks/localcloud.py [--rate 20] [--seconds 20] [--messages 200] [--skip-backlog]
It starts its own MiniStack (temp state and runs dirs, free loopback port) and stops it by pid at the end; a local
cloud you run yourself is not touched. All 12 functions and MiniStack share this machine's cores, so the 1-minute
load average is printed before the run and after each scenario.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import localcloud
from analysis import LogEvent, LogEventsSource, SqsQueues, TimeWindow, wait_for_drain
from core import UserError, run_cli
from handlers.contract import M_ERRORS, P_REQUEST_ID, P_RUN_ID, P_SEQ, WorkRequest, new_run_id
from handlers.workloads import WORKLOADS
from loadgen import MAX_BATCH, LoadRequest, Profile, parse_mix, plan_load, resolve_mix, run_load
from localcloud import ensure_venv
from stack import Settings, StackOutputs

MATRIX = Settings(runtimes=("python3.12", "python3.13"), memory_sizes=(512, 1024))  # control x86_64: 12 variants
SCENARIOS = (("noop", WORKLOADS["noop"].default_size), ("sort", WORKLOADS["sort"].default_size))
DRAIN_S_PER_MESSAGE = 0.05  # per message, all queues together: generous for sort at its default size
ARRIVAL_GRACE_S = 10.0  # after the queues drained: how long the last documents may take to be filed
UP_PHASES = {"starting MiniStack": "start", "deploying": "deploy", "waiting until": "ready"}


@dataclass(frozen=True)
class Arrival:
    """One run's documents as filed: what arrived, per variant, against what was sent."""

    items: int  # distinct (variant, seq)
    missing: tuple[tuple[str, int], ...]  # (variant id, seq) without a document
    duplicates: int
    errors: int
    invocations: int
    first_ms: int
    last_ms: int

    @property
    def ok(self) -> bool:
        return not (self.missing or self.duplicates or self.errors)

    def problems(self) -> str:
        shown = ", ".join(f"{variant} #{seq}" for variant, seq in self.missing[:3])
        return (f"missing {len(self.missing)}{f' ({shown}…)' if shown else ''}, duplicates {self.duplicates}, "
                f"errors {self.errors}")


@dataclass(frozen=True)
class Scenario:
    label: str
    arrival: Arrival
    seconds: float  # start (enabling, or the schedule's first release) → last document filed
    first_doc_s: float
    in_dlq: int
    load_average: float

    @property
    def per_s(self) -> float:
        return self.arrival.items / self.seconds if self.seconds > 0 else float("nan")

    @property
    def ok(self) -> bool:
        return self.arrival.ok and not self.in_dlq


def time_up(settings: Settings) -> tuple[StackOutputs, dict[str, float]]:
    """`up` on nothing running, split into its phases by the progress it reports, then `up` again."""
    ensure_venv(lambda message: print(f"  {message}", flush=True))  # creating the venv is not "cold up"
    marks: list[tuple[str, float]] = []

    def mark(message: str) -> None:
        phase = next((name for start, name in UP_PHASES.items() if message.startswith(start)), None)
        if phase:
            marks.append((phase, time.perf_counter()))

    started = time.perf_counter()
    outputs = localcloud.up(settings, progress=mark)
    ended = time.perf_counter()
    times = {phase: end - begin for (phase, begin), (_, end) in zip(marks, [*marks[1:], ("end", ended)],
                                                                     strict=True)}
    times["cold"] = ended - started
    started = time.perf_counter()
    localcloud.up(settings)
    times["rerun"] = time.perf_counter() - started
    return outputs, times


def arrival(outputs: StackOutputs, run_id: str, since_ms: int, per_variant: int) -> Arrival:
    """The run's documents, once every variant's ``per_variant`` are there or a grace period has passed (the
    queues have drained by now, but the last documents may be filed a moment later)."""
    groups = {fn.log_group: variant_id for variant_id, fn in outputs.functions.items()}
    source = LogEventsSource(outputs.client("logs"), sorted(groups), run_id)
    expected = {(variant_id, seq) for variant_id in groups.values() for seq in range(per_variant)}
    deadline = time.monotonic() + ARRIVAL_GRACE_S
    while True:
        found = _count(source.fetch(TimeWindow(since_ms, int(time.time() * 1000) + 1000)), run_id, groups,
                       expected)
        if not found.missing or time.monotonic() > deadline:
            return found
        time.sleep(0.25)


def _count(events: list[LogEvent], run_id: str, groups: dict[str, str], expected: set[tuple[str, int]]) -> Arrival:
    """Distinct (variant, seq) against ``expected``; duplicates, errors and invocations of the run."""
    seqs: Counter[tuple[str, int]] = Counter()
    requests, errors, stamps = set(), 0, []
    for event in events:
        if not event.message.startswith("{"):
            continue  # a REPORT line
        document = json.loads(event.message)
        if document.get(P_RUN_ID) != run_id:
            continue
        seqs[(groups[event.log_group], int(document[P_SEQ]))] += 1
        requests.add((event.log_group, document.get(P_REQUEST_ID)))
        errors += int(document.get(M_ERRORS) or 0)
        stamps.append(event.timestamp_ms)
    if not stamps:
        raise UserError(f"no EMF document of run {run_id} arrived")
    return Arrival(items=len(seqs), missing=tuple(sorted(expected - set(seqs))),
                   duplicates=sum(seqs.values()) - len(seqs), errors=errors, invocations=len(requests),
                   first_ms=min(stamps), last_ms=max(stamps))


def settle(outputs: StackOutputs, label: str, run_id: str, began_ms: int, start_s: float,
           per_variant: int) -> Scenario:
    """Wait for every queue to drain and every document to be filed; the scenario's figures from ``start_s``."""
    queues = SqsQueues(outputs.client("sqs"))
    timeout_s = 60.0 + DRAIN_S_PER_MESSAGE * per_variant * len(outputs.functions)
    left = wait_for_drain(queues.count, [fn.queue_url for fn in outputs.functions.values()], timeout_s,
                          lambda _: None, poll_s=0.25)
    if left:
        raise UserError(f"{label}: {left:,} messages still in the queues after {timeout_s:.0f} s")
    found = arrival(outputs, run_id, began_ms, per_variant)
    return Scenario(label=label, arrival=found, seconds=found.last_ms / 1000 - start_s,
                    first_doc_s=found.first_ms / 1000 - start_s,
                    in_dlq=sum(sum(queues.count(fn.dlq_url)) for fn in outputs.functions.values()),
                    load_average=round(os.getloadavg()[0], 2))


def drive(outputs: StackOutputs, rate: float, seconds: float, mix: str) -> tuple[Scenario, dict[str, float]]:
    """loadgen's sustained schedule to every variant's queue, consumers running, as ``python -m loadgen`` does."""
    request = LoadRequest(rate_text=f"{rate:g}/s", profile=Profile("sustained", rate, seconds),
                          mix=resolve_mix(parse_mix(mix), None, 1), iterations=1, seed=0,
                          run_id=new_run_id(), target="sqs")
    load = plan_load(request, outputs)
    print(f"drive: {mix} at {rate:g}/s per variant for {seconds:g} s ({load.plan.total:,} requests per variant)…",
          flush=True)
    began_ms = int(time.time() * 1000)
    manifest = run_load(load, outputs, stop=threading.Event())
    per_variant = load.plan.total
    scenario = settle(outputs, f"drive {rate:g}/s", request.run_id, began_ms, manifest.started_at, per_variant)
    sent = {"achieved_per_s": manifest.achieved_rate_per_s, "lag_p99_ms": manifest.lag_ms["p99"],
            "tail_s": scenario.arrival.last_ms / 1000 - manifest.ended_at,
            "failed": sum(target.failed for target in manifest.targets.values())}
    return scenario, sent


def fill(outputs: StackOutputs, run_id: str, workload: str, size: int, n: int) -> None:
    """N work requests in every queue, batch by batch, the variants taking turns."""
    sqs = outputs.client("sqs")
    for first in range(0, n, MAX_BATCH):
        entries = [{"Id": str(seq), "MessageBody": WorkRequest(run_id, seq, workload, size,
                                                               sent_at=time.time()).to_json()}
                   for seq in range(first, min(first + MAX_BATCH, n))]
        for fn in outputs.functions.values():
            failed = sqs.send_message_batch(QueueUrl=fn.queue_url, Entries=entries).get("Failed")
            if failed:
                raise UserError(f"SendMessageBatch to {fn.queue_url} refused {len(failed)} entries: "
                                f"{failed[0].get('Message')}")


def backlog(outputs: StackOutputs, workload: str, size: int, n: int, label: str = "") -> Scenario:
    """Fill every paused queue, resume them, and time until every document of the run has been filed."""
    run_id = new_run_id()
    label = label or (f"{workload} {size:,}" if size else workload)
    print(f"{label}: filling {len(outputs.functions)} queues with {n:,} messages each…", flush=True)
    began_ms = int(time.time() * 1000)
    with localcloud.consumers_paused(outputs):  # enabled again on leaving the block
        fill(outputs, run_id, workload, size, n)
        enabled_s = time.time()
    return settle(outputs, label, run_id, began_ms, enabled_s, n)


def show(up: dict[str, float], variants: int, driven: tuple[Scenario, dict[str, float]], runs: list[Scenario],
         load_before: float) -> None:
    """The figures; the warm-up backlog (first of ``runs``) is listed but only there to start every worker."""
    print(f"\n{os.cpu_count()} CPUs, load average (1 min) {load_before:.2f} before; {variants} variants")
    print(f"localcloud up → ready: cold {up['cold']:.2f} s (start MiniStack {up['start']:.2f} s, deploy "
          f"{up['deploy']:.2f} s, every function answering {up['ready']:.2f} s); re-run on the running cloud "
          f"{up['rerun']:.2f} s")
    scenario, sent = driven
    print(f"drive: achieved {sent['achieved_per_s']:.2f}/s per variant, send lag p99 {sent['lag_p99_ms']:.0f} ms, "
          f"failed {sent['failed']:.0f}; last document {sent['tail_s']:.2f} s after the schedule ended")
    print(f"  {'scenario':13} {'items':>6} {'seconds':>8} {'items/s':>8} {'first doc':>10} {'invokes':>8} "
          f"{'items/inv':>9} {'load':>5}  checks")
    for run in [scenario, *runs]:
        found = run.arrival
        checks = "ok" if run.ok else f"{found.problems()}, in DLQ {run.in_dlq}"
        print(f"  {run.label:13} {found.items:>6,} {run.seconds:>8.2f} {run.per_s:>8.1f} {run.first_doc_s:>9.2f}s "
              f"{found.invocations:>8,} {found.items / max(found.invocations, 1):>9.1f} {run.load_average:>5.2f}  "
              f"{checks}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--rate", type=float, default=20.0, help="drive: requests/s per variant (default: 20)")
    parser.add_argument("--seconds", type=float, default=20.0, help="drive: how long (default: 20)")
    parser.add_argument("--workload", default="noop",
                        help="drive: a workload or mix as loadgen takes it (default: noop, the pipeline's own cost)")
    parser.add_argument("--messages", type=int, default=200,
                        help="work requests per queue in each backlog scenario (default: 200)")
    parser.add_argument("--skip-backlog", action="store_true", help="only time `up` and the drive")
    args = parser.parse_args()
    if args.messages < 1 or args.rate <= 0 or args.seconds <= 0:
        parser.error("--messages must be at least 1, --rate and --seconds above 0")
    return run_cli("benchmarks/localcloud.py", lambda: measure(args))


def measure(args: argparse.Namespace) -> int:
    """Every scenario on a local cloud of its own (temp state and runs dirs), stopped whatever happens."""
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="archbench-localcloud-bench-") as state:
        os.environ["ARCHBENCH_STATE_DIR"] = state  # never the user's own local cloud
        os.environ["ARCHBENCH_RUNS_DIR"] = str(Path(state) / "runs")  # the drive's manifest: not in the checkout
        print(f"starting MiniStack and deploying {len(MATRIX.variants)} variants…", flush=True)
        try:
            outputs, up = time_up(MATRIX)
            runs = []
            if not args.skip_backlog:
                runs.append(backlog(outputs, "noop", 0, 4 * MATRIX.batch_size * MATRIX.max_concurrency,
                                    "warm-up noop"))
                runs += [backlog(outputs, workload, size, args.messages) for workload, size in SCENARIOS]
            driven = drive(outputs, args.rate, args.seconds, args.workload)
        finally:
            print(localcloud.down(), flush=True)
    show(up, len(MATRIX.variants), driven, runs, load_before)
    return 0 if all(run.ok for run in (*runs, driven[0])) else 1


if __name__ == "__main__":
    sys.exit(main())
