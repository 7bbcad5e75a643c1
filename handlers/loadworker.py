"""The load worker's entry point ``handlers.loadworker.handler``: send one slice of a loadgen schedule to the
stack's queues from inside AWS, then write what it did (a partial manifest) to the results bucket.

``loadgen --workers lambda:N`` invokes this function N times asynchronously (with no retries: a retry would send
the slice twice), each with an order: its seqs (a range: start, stop, step), their due times (seconds after
``start_at``, the instant every worker shares), each seq's workload, the queues and where to write. It waits for
``start_at``, releases each request at its due time to every variant in a seeded shuffled order, sends batches of
up to ten from a few sender threads, and stops sending at ``stop_at``: what was not sent by then counts as failed.
A stop marker the driver writes next to the results (its first Ctrl-C) ends the schedule early, as ``stop`` does in
one process: what was released is still sent, the rest was never scheduled. Its partial manifest holds the counts
per variant, every send lag (packed) and its own clock at receipt, so the driver can merge the lags through a
sketch and show a skewed clock.

It ships with the benchmarked handlers but shares nothing with them but the work request: standard library plus
botocore, which every Lambda Python runtime (and MiniStack's) carries. Its pacer is a small one of its own, since
loadgen's is not in the function package.
"""

from __future__ import annotations

import base64
import json
import queue
import random
import threading
import time
import zlib
from array import array
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from handlers.contract import WorkRequest

MAX_BATCH = 10
MAX_ATTEMPTS = 5
RESERVE_S = 10.0  # stop sending this long before the function's own timeout, to write the partial manifest
STOP_POLL_S = 1.0  # how often it looks for the driver's stop marker (a first Ctrl-C)


def pack(values: Iterable[float | int], typecode: str) -> str:
    """Numbers as compressed base64 (an ``array`` of ``typecode``): ~5 bytes a due time when evenly spaced, ~9
    for Poisson arrivals, so a slice of ~45,000 (~25,000) fits an asynchronous invocation's 256 KB."""
    return base64.b64encode(zlib.compress(array(typecode, values).tobytes())).decode()


def unpack(text: str, typecode: str) -> array[Any]:
    values = array(typecode)
    values.frombytes(zlib.decompress(base64.b64decode(text)))
    return values


@dataclass
class _Counts:
    scheduled: int = 0
    sent: int = 0
    failed: int = 0
    retried: int = 0
    started_late: int = 0


@dataclass
class _Tally:
    """What the sender threads did, under one lock."""

    counts: dict[str, _Counts]
    lags_ms: array[float] = field(default_factory=lambda: array("d"))
    errors: list[str] = field(default_factory=list)
    last_start: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def error(self, message: str) -> None:
        with self.lock:
            if len(self.errors) < 10 and message not in self.errors:
                self.errors.append(message[:300])


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Send the order's slice, write its partial manifest; a malformed order raises (the driver names the worker)."""
    received_at = time.time()
    import botocore.session  # in every Lambda Python runtime; imported here so that ``pack`` needs none

    session = botocore.session.get_session()
    sqs, s3 = (session.create_client(service, region_name=event["region"], endpoint_url=event.get("endpoint_url"))
               for service in ("sqs", "s3"))
    deadline = float(event["stop_at"])
    if context is not None:
        deadline = min(deadline, received_at + context.get_remaining_time_in_millis() / 1000.0 - RESERVE_S)
    partial = run_order(event, sqs, s3, received_at=received_at, deadline=deadline)
    return {"index": partial["index"], "dispatched": partial["dispatched"]}


def run_order(order: dict[str, Any], sqs: Any, s3: Any, *, received_at: float, deadline: float) -> dict[str, Any]:
    """Release the order's requests at their due times to every variant's queue, until ``deadline`` (what is left
    then counts as failed) or the driver's stop marker (what is left was never scheduled: an interrupted run);
    write the partial manifest and return it."""
    queues: dict[str, str] = dict(order["queues"])
    seqs, due = range(*(int(n) for n in order["seqs"])), unpack(order["due"], "d")
    workloads = unpack(order["workloads"], "H")
    mix = [(str(w["name"]), int(w["size"])) for w in order["mix"]]
    late_after_s, start_at = float(order["late_after_s"]), float(order["start_at"])
    results = order["results"]
    tally = _Tally(counts={variant: _Counts() for variant in queues})
    stopped = threading.Event()

    def body(position: int, sent_at: float) -> str:
        name, size = mix[workloads[position]]
        return WorkRequest(run_id=order["run_id"], seq=seqs[position], workload=name, size=size,
                           iterations=int(order["iterations"]), seed=int(order["seed"]), sent_at=sent_at).to_json()

    inboxes: dict[str, queue.Queue[tuple[int, float] | None]] = {variant: queue.Queue() for variant in queues}

    def sender(variant: str) -> None:
        inbox = inboxes[variant]
        while (first := inbox.get()) is not None:
            batch = [first]
            while len(batch) < MAX_BATCH:
                try:
                    item = inbox.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    inbox.put(None)  # for the next sender of this variant
                    break
                batch.append(item)
            _send(sqs, queues[variant], variant, batch, body, deadline, late_after_s, tally)
        inbox.put(None)

    def watch_stop() -> None:
        while not stopped.wait(STOP_POLL_S):
            if _exists(s3, results["bucket"], results["stop_key"]):
                stopped.set()

    threading.Thread(target=watch_stop, daemon=True).start()
    threads = [threading.Thread(target=sender, args=(variant,), daemon=True)
               for variant in queues for _ in range(max(1, int(order["senders"])))]
    for thread in threads:
        thread.start()
    rng = random.Random(f"{order['seed']}/worker/{order['index']}")
    variants = list(queues)
    dispatched = 0
    stopped.wait(max(0.0, start_at - time.time()))
    while dispatched < len(due) and not stopped.is_set():
        now = time.time()
        if now >= deadline:
            break
        first = dispatched
        while dispatched < len(due) and start_at + due[dispatched] <= now:
            dispatched += 1
        if dispatched > first:
            rng.shuffle(variants)
            for variant in variants:
                for position in range(first, dispatched):
                    inboxes[variant].put((position, start_at + due[position]))
        if dispatched < len(due):
            stopped.wait(max(0.0, min(start_at + due[dispatched], deadline) - time.time()))
    interrupted = stopped.is_set()
    stopped.set()  # ends the stop watch
    for inbox in inboxes.values():
        inbox.put(None)
    for thread in threads:
        thread.join()
    unsent = 0 if interrupted else len(due) - dispatched  # past the deadline: failed, never silently missing
    for counts in tally.counts.values():
        counts.scheduled += unsent
        counts.failed += unsent
    if unsent:
        tally.error(f"stopped at its deadline with {unsent} requests per variant not released")
    partial = {
        "run_id": order["run_id"], "index": order["index"], "received_at": received_at, "dispatched": dispatched,
        "counts": {variant: vars(counts) for variant, counts in tally.counts.items()},
        "lags_ms": pack(tally.lags_ms, "d"), "last_start_s": max(0.0, tally.last_start - start_at),
        "stopped_s": time.time() - start_at if interrupted or unsent else None, "errors": tally.errors,
    }
    s3.put_object(Bucket=results["bucket"], Key=results["key"], Body=json.dumps(partial).encode(),
                  ContentType="application/json")
    return partial


def _exists(s3: Any, bucket: str, key: str) -> bool:
    try:
        s3.head_object(Bucket=bucket, Key=key)
    except Exception:  # botocore's 404 (or a passing error): not stopped yet
        return False
    return True


def _send(client: Any, queue_url: str, variant: str, batch: list[tuple[int, float]],
          body: Callable[[int, float], str], stop_at: float, late_after_s: float, tally: _Tally) -> None:
    """One batch to one queue: retried with backoff until accepted, refused for good, or ``stop_at``."""
    now = time.time()
    lags = [now - due for _, due in batch]
    with tally.lock:
        counts = tally.counts[variant]
        counts.scheduled += len(batch)
        counts.started_late += sum(1 for lag in lags if lag > late_after_s)
        tally.lags_ms.extend(lag * 1000.0 for lag in lags)
        tally.last_start = max(tally.last_start, now)
    pending = {str(position): body(position, now) for position, _ in batch}
    sent = refused = retried = 0
    for attempt in range(MAX_ATTEMPTS):
        try:
            response = client.send_message_batch(
                QueueUrl=queue_url, Entries=[{"Id": key, "MessageBody": text} for key, text in pending.items()])
        except Exception as exc:  # botocore's errors: the whole call failed, retry it
            tally.error(f"{variant}: SendMessageBatch: {type(exc).__name__}: {exc}")
            response = {}
        for entry in response.get("Successful", []):
            pending.pop(entry["Id"], None)
            sent += 1
        for entry in response.get("Failed", []):
            tally.error(f"{variant}: {entry.get('Code')}: {entry.get('Message')}")
            if entry.get("SenderFault"):
                pending.pop(entry["Id"], None)
                refused += 1
        if not pending or attempt == MAX_ATTEMPTS - 1 or time.time() >= stop_at:
            break
        retried += len(pending)
        time.sleep(random.uniform(0, min(2.0, 0.05 * 2**attempt)))
    with tally.lock:
        counts.sent += sent
        counts.failed += refused + len(pending)
        counts.retried += retried
