"""How exactly and how fast one loadgen process drives MiniStack's queues, in one run.

1. At 50, 200 and 1,000 msg/s per variant (sustained, noop, every variant's queue): achieved vs target rate
   (relative error) and the p99 lag between a request's due time and the moment a sender started sending it.
2. The maximum rate of one loadgen process (an absurd target rate: it sends as fast as it can) versus a naive
   loop that calls SendMessage once per message, one message after the other, to every variant's queue.
3. Sender processes (issue 19): achieved rate, rate error and lag p99 with 1 and 2 processes (as many as there are
   cores, at most 4) at ``MULTI_RATE`` per variant, and each count's flat-out rate, against the emulator's own
   SendMessageBatch ceiling measured in the same run: bare loops of 10-message batches from as many processes,
   no pacing, no bookkeeping.
Targets (issue 6): rate error ≤ 1 %, and ≥ 10× the naive loop.

Usage: python benchmarks/loadgen.py [--seconds 10] [--outputs FILE]
Without --outputs it starts its own MiniStack with the stack deployed (temp state dir) and stops it afterwards.
The functions' event source mappings are paused while it measures, so the figures are the load generator's and
MiniStack's SQS front end, not MiniStack's Lambda emulation competing for the same two cores (the pipeline's own
throughput is the local cloud's benchmark); queues are purged between phases and the mappings resumed at the end.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import localcloud
from handlers.contract import WorkRequest, new_run_id
from loadgen import LoadRequest, Profile, WorkloadShare, available_cores, plan_load, run_load, sqs_client
from stack import Settings, StackOutputs, find_outputs

RATES = (50, 200, 1000)
FLAT_OUT = 20_000  # requests per variant all due at t=0: one process sends them as fast as it can
MULTI_RATE = 1000  # per variant: 3,000 msg/s to the default matrix, about two processes' worth
CEILING_THREADS = 4  # per bare-loop process: enough calls in flight to keep the emulator busy


def drive(outputs: StackOutputs, profile: Profile, processes: int = 1) -> dict[str, float]:
    """One noop run to the queues through loadgen's library, as ``python -m loadgen`` runs it; its figures."""
    rate = profile.rate_per_s
    request = LoadRequest(rate_text=f"{rate:g}/s", profile=profile, mix=(WorkloadShare("noop", 1.0, 0),),
                          iterations=1, seed=0, run_id=new_run_id(), target="sqs", processes=processes)
    load = plan_load(request, outputs)
    manifest = run_load(load, outputs, stop=threading.Event())
    wall = manifest.ended_at - manifest.started_at  # the schedule and its drain, without opening the target
    targets = manifest.targets.values()
    sent = sum(t.sent for t in targets) / len(targets)
    achieved = manifest.achieved_rate_per_s
    return {"target_per_s": rate, "planned": load.plan.total, "sent_per_variant": sent,
            "failed": sum(t.failed for t in targets), "achieved_per_s": round(achieved, 2),
            "rate_error_pct": round(abs(achieved - rate) / rate * 100, 3),
            "lag_p99_ms": manifest.lag_ms["p99"], "lag_p50_ms": manifest.lag_ms["p50"],
            "throughput_per_s": round(sent / wall, 1), "senders_per_variant": load.senders,
            "variants": len(load.variants), "processes": load.processes}


def _bare_loop(outputs: StackOutputs, seconds: float, counter: Any) -> None:
    """One process of the ceiling: ``CEILING_THREADS`` threads each calling SendMessageBatch with 10 prepared
    messages, round-robin over the variants' queues, until ``seconds`` pass; adds what was accepted."""
    client = sqs_client(outputs, CEILING_THREADS)
    urls = [fn.queue_url for fn in outputs.functions.values()]
    body = WorkRequest(run_id=new_run_id(), seq=0, workload="noop", size=0).to_json()
    entries = [{"Id": str(i), "MessageBody": body} for i in range(10)]
    deadline = time.monotonic() + seconds
    accepted = [0] * CEILING_THREADS

    def loop(slot: int) -> None:
        i = slot
        while time.monotonic() < deadline:
            accepted[slot] += len(client.send_message_batch(QueueUrl=urls[i % len(urls)],
                                                            Entries=entries).get("Successful", []))
            i += 1

    threads = [threading.Thread(target=loop, args=(slot,)) for slot in range(CEILING_THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with counter.get_lock():
        counter.value += sum(accepted)


def ceiling(outputs: StackOutputs, seconds: float, processes: int) -> float:
    """The emulator's SendMessageBatch ceiling from ``processes`` bare loops: messages a second, all variants."""
    context = multiprocessing.get_context("spawn")
    counter = context.Value("q", 0)
    workers = [context.Process(target=_bare_loop, args=(outputs, seconds, counter)) for _ in range(processes)]
    began = time.monotonic()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return float(counter.value) / (time.monotonic() - began)


def naive(outputs: StackOutputs, seconds: float) -> float:
    """Messages per second per variant of a plain loop: one SendMessage per message, one variant after the other."""
    client = sqs_client(outputs, 1)
    urls = [fn.queue_url for fn in outputs.functions.values()]
    run_id, sent, seq = new_run_id(), 0, 0
    deadline = time.monotonic() + seconds
    began = time.monotonic()
    while time.monotonic() < deadline:
        body = WorkRequest(run_id=run_id, seq=seq, workload="noop", size=0, sent_at=time.time()).to_json()
        for url in urls:
            client.send_message(QueueUrl=url, MessageBody=body)
            sent += 1
        seq += 1
    return sent / len(urls) / (time.monotonic() - began)


def purge(outputs: StackOutputs) -> None:
    client = sqs_client(outputs, 1)
    for fn in outputs.functions.values():
        client.purge_queue(QueueUrl=fn.queue_url)


def measure(outputs: StackOutputs, seconds: float) -> dict[str, object]:
    with localcloud.consumers_paused(outputs):
        purge(outputs)
        return measure_paused(outputs, seconds)


def measure_paused(outputs: StackOutputs, seconds: float) -> dict[str, object]:
    results: dict[str, object] = {"load_average_before": round(os.getloadavg()[0], 2), "cpus": os.cpu_count()}
    rates = []
    for rate in RATES:
        figures = drive(outputs, Profile("sustained", rate, seconds))
        rates.append(figures)
        print(f"{rate:>5}/s: achieved {figures['achieved_per_s']:>8.2f}/s  error {figures['rate_error_pct']:.3f} %  "
              f"lag p50 {figures['lag_p50_ms']:.1f} ms p99 {figures['lag_p99_ms']:.1f} ms  "
              f"sent {figures['sent_per_variant']:.0f}/{figures['planned']} per variant  failed {figures['failed']}",
              flush=True)
        purge(outputs)
    results["rates"] = rates
    flat_out = drive(outputs, Profile("burst", FLAT_OUT, 1.0, burst_interval_s=1.0))
    purge(outputs)
    naive_rate = naive(outputs, min(seconds, 5.0))
    purge(outputs)
    results["variants"] = flat_out["variants"]
    results["max_rate_per_variant_per_s"] = flat_out["throughput_per_s"]
    results["naive_rate_per_variant_per_s"] = round(naive_rate, 1)
    results["speedup_vs_naive"] = round(flat_out["throughput_per_s"] / naive_rate, 1)
    results["multi_process"] = measure_processes(outputs, seconds)
    results["load_average_after"] = round(os.getloadavg()[0], 2)
    print(f"max rate of one process: {flat_out['throughput_per_s']:.0f} msg/s per variant "
          f"({flat_out['variants'] * flat_out['throughput_per_s']:.0f} msg/s in all to {flat_out['variants']} "
          f"variants, {flat_out['senders_per_variant']} senders per variant); "
          f"naive one-message-per-call loop: {naive_rate:.0f} msg/s per variant; "
          f"speedup {results['speedup_vs_naive']}×")
    return results


def measure_processes(outputs: StackOutputs, seconds: float) -> dict[str, object]:
    """Issue 19's table: per process count, paced and flat-out figures, next to the emulator's ceiling. The
    flat-out rate is the manifest's achieved rate (sent over the sending time from the common start), so the
    processes' start-up and the common start's lead are not counted against them."""
    counts = list(range(1, min(4, available_cores()) + 1))
    if counts == [1]:
        counts = [1, 2]  # one core: the second process shows what sharing it costs
    limits = {}
    for count in counts:
        limits[count] = round(ceiling(outputs, min(seconds, 5.0), count), 1)
        purge(outputs)
    top = max(limits.values())
    rows = []
    for count in counts:
        paced = drive(outputs, Profile("sustained", MULTI_RATE, seconds), processes=count)
        purge(outputs)
        flat = drive(outputs, Profile("burst", FLAT_OUT, 1.0, burst_interval_s=1.0), processes=count)
        purge(outputs)
        variants = paced["variants"]
        rows.append({"processes": count, "target_per_variant_per_s": MULTI_RATE,
                     "achieved_per_variant_per_s": paced["achieved_per_s"], "rate_error_pct": paced["rate_error_pct"],
                     "lag_p99_ms": paced["lag_p99_ms"], "failed": paced["failed"],
                     "flat_out_msg_per_s": round(flat["achieved_per_s"] * variants, 1),
                     "ceiling_msg_per_s": limits[count],
                     "flat_out_of_ceiling_pct": round(flat["achieved_per_s"] * variants / top * 100, 1)})
    shown = ", ".join(f"{count} process{'es' if count > 1 else ''} {limit:.0f} msg/s"
                      for count, limit in limits.items())
    print(f"emulator SendMessageBatch ceiling (bare loops, {CEILING_THREADS} threads each): {shown}")
    print(f"{'processes':>9}  {'target /s':>9}  {'achieved /s':>11}  {'error %':>7}  {'lag p99 ms':>10}  "
          f"{'flat-out msg/s':>14}  {'of ceiling':>10}")
    for row in rows:
        print(f"{row['processes']:>9}  {row['target_per_variant_per_s']:>9}  "
              f"{row['achieved_per_variant_per_s']:>11.2f}  {row['rate_error_pct']:>7.2f}  "
              f"{row['lag_p99_ms']:>10.1f}  {row['flat_out_msg_per_s']:>14.0f}  "
              f"{row['flat_out_of_ceiling_pct']:>9.1f}%", flush=True)
    return {"ceiling_msg_per_s": limits, "rows": rows}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="duration of each rate (default: 10, max 20)")
    parser.add_argument("--outputs", help="use the stack of this outputs file instead of starting MiniStack")
    args = parser.parse_args()
    seconds = min(args.seconds, 20.0)
    with tempfile.TemporaryDirectory(prefix="archbench-bench-runs-") as runs:
        os.environ["ARCHBENCH_RUNS_DIR"] = runs  # every drive writes a manifest: none of them in the checkout
        if args.outputs:
            results = measure(find_outputs(args.outputs), seconds)
        else:
            os.environ["ARCHBENCH_STATE_DIR"] = tempfile.mkdtemp(prefix="archbench-bench-")
            print("starting MiniStack and deploying the stack…", flush=True)
            outputs = localcloud.up(Settings())
            try:
                results = measure(outputs, seconds)
            finally:
                print(localcloud.down())
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
