"""How exactly and how fast one loadgen process drives MiniStack's queues, in one run.

1. At 50, 200 and 1,000 msg/s per variant (sustained, noop, every variant's queue): achieved vs target rate
   (relative error) and the p99 lag between a request's due time and the moment a sender started sending it.
2. The maximum rate of one loadgen process (an absurd target rate: it sends as fast as it can) versus a naive
   loop that calls SendMessage once per message, one message after the other, to every variant's queue.
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
import os
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from handlers.contract import WorkRequest, new_run_id
from loadgen import LoadRequest, Profile, WorkloadShare, plan_load, run_load, sqs_client
from stack import Settings, StackOutputs, find_outputs

RATES = (50, 200, 1000)
FLAT_OUT = 20_000  # requests per variant all due at t=0: one process sends them as fast as it can


def drive(outputs: StackOutputs, profile: Profile) -> dict[str, float]:
    """One noop run to the queues through loadgen's library, as ``python -m loadgen`` runs it; its figures."""
    rate = profile.rate_per_s
    request = LoadRequest(rate_text=f"{rate:g}/s", profile=profile, mix=(WorkloadShare("noop", 1.0, 0),),
                          iterations=1, seed=0, run_id=new_run_id(), target="sqs")
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
            "variants": len(load.variants)}


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


@contextmanager
def consumers_paused(outputs: StackOutputs) -> Iterator[None]:
    """Disable the stack's SQS event source mappings for the block, then enable them again."""
    lam = outputs.client("lambda")
    names = {fn.name for fn in outputs.functions.values()}
    uuids = [m["UUID"] for m in lam.list_event_source_mappings()["EventSourceMappings"]
             if m["FunctionArn"].rsplit(":", 1)[-1] in names]
    for uuid in uuids:
        lam.update_event_source_mapping(UUID=uuid, Enabled=False)
    try:
        yield
    finally:
        for uuid in uuids:
            lam.update_event_source_mapping(UUID=uuid, Enabled=True)


def measure(outputs: StackOutputs, seconds: float) -> dict[str, object]:
    with consumers_paused(outputs):
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
    results["load_average_after"] = round(os.getloadavg()[0], 2)
    print(f"max rate of one process: {flat_out['throughput_per_s']:.0f} msg/s per variant "
          f"({flat_out['variants'] * flat_out['throughput_per_s']:.0f} msg/s in all to {flat_out['variants']} "
          f"variants, {flat_out['senders_per_variant']} senders per variant); "
          f"naive one-message-per-call loop: {naive_rate:.0f} msg/s per variant; "
          f"speedup {results['speedup_vs_naive']}×")
    return results


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
            import localcloud

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
