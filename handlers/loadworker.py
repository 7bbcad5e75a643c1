"""The load worker's entry point ``handlers.loadworker.handler``: send one slice of a loadgen schedule to the
stack's queues from inside AWS, then write what it did (a partial manifest) to the results bucket.

``loadgen --workers lambda:N`` invokes this function N times asynchronously (with no retries: a retry would send
the slice twice), each with an order: its seqs (a range: start, stop, step), their due times (seconds after
``start_at``, the instant every worker shares), each seq's workload, the queues and where to write. It waits for
``start_at``, releases each request at its due time to every variant in a seeded shuffled order, sends batches of
up to ten from a few sender threads, and stops sending at ``stop_at``: what was not sent by then counts as failed.
A stop marker the driver writes next to the results (its first Ctrl-C) ends the schedule early, as ``stop`` does in
one process: what was released is still sent, the rest was never scheduled. Every second it writes its progress
(counts, recent lags) for the driver's live display; at the end its partial manifest holds the counts per variant,
every send lag (packed) and its own clock at receipt, so the driver can merge the lags through a sketch and show
a skewed clock.

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
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from handlers.contract import WorkRequest

MAX_BATCH = 10
MAX_ATTEMPTS = 5
RESERVE_S = 10.0  # stop sending this long before the function's own timeout, to write the partial manifest
WATCH_S = 1.0  # how often it looks for the driver's stop marker (a first Ctrl-C) and writes its progress
RECENT_LAGS = 512  # lags in each progress object: the live display's recent p50/p99
MAX_ERRORS = 10


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


class _SliceRun:
    """One order being sent: the release loop in the handler's thread, senders per variant, and a watcher that
    looks for the stop marker and writes the progress the driver shows live."""

    def __init__(self, order: dict[str, Any], sqs: Any, s3: Any, deadline: float) -> None:
        self.order, self.sqs, self.s3, self.deadline = order, sqs, s3, deadline
        self.queues: dict[str, str] = dict(order["queues"])
        self.seqs = range(*(int(n) for n in order["seqs"]))
        self.due, self.workloads = unpack(order["due"], "d"), unpack(order["workloads"], "H")
        self.mix = [(str(w["name"]), int(w["size"])) for w in order["mix"]]
        self.start_at, self.late_after_s = float(order["start_at"]), float(order["late_after_s"])
        self.results = order["results"]
        self.lock = threading.Lock()  # guards everything below
        self.counts = {variant: _Counts() for variant in self.queues}
        self.lags_ms: array[float] = array("d")
        self.recent_s: deque[float] = deque(maxlen=RECENT_LAGS)
        self.errors: list[str] = []
        self.dispatched = 0
        self.last_start = 0.0
        self.stopped = threading.Event()  # the driver's stop marker was found
        self.done = threading.Event()
        self.inboxes: dict[str, queue.Queue[tuple[int, float] | None]] = {v: queue.Queue() for v in self.queues}

    def run(self) -> bool:
        """Release every request at its due time until the end, the deadline or the stop marker; True when the
        stop marker ended it."""
        watcher = threading.Thread(target=self._watch, daemon=True)
        watcher.start()
        threads = [threading.Thread(target=self._sender, args=(variant,), daemon=True)
                   for variant in self.queues for _ in range(max(1, int(self.order["senders"])))]
        for thread in threads:
            thread.start()
        rng = random.Random(f"{self.order['seed']}/worker/{self.order['index']}")
        variants, due, position = list(self.queues), self.due, 0
        self.stopped.wait(max(0.0, self.start_at - time.time()))
        while position < len(due) and not self.stopped.is_set() and time.time() < self.deadline:
            now, first = time.time(), position
            while position < len(due) and self.start_at + due[position] <= now:
                position += 1
            if position > first:
                rng.shuffle(variants)
                for variant in variants:
                    for i in range(first, position):
                        self.inboxes[variant].put((i, self.start_at + due[i]))
                with self.lock:
                    self.dispatched = position
            if position < len(due):
                self.stopped.wait(max(0.0, min(self.start_at + due[position], self.deadline) - time.time()))
        for inbox in self.inboxes.values():
            inbox.put(None)
        for thread in threads:
            thread.join()
        self.done.set()
        watcher.join()
        return self.stopped.is_set()

    def partial(self, received_at: float, interrupted: bool) -> dict[str, Any]:
        """The partial manifest; past the deadline what was never released counts as failed, never missing."""
        unsent = 0 if interrupted else len(self.due) - self.dispatched
        for counts in self.counts.values():
            counts.scheduled += unsent
            counts.failed += unsent
        if unsent:
            self._error(f"stopped at its deadline with {unsent} requests per variant not released")
        return {"run_id": self.order["run_id"], "index": self.order["index"], "received_at": received_at,
                "dispatched": self.dispatched,
                "counts": {variant: vars(counts) for variant, counts in self.counts.items()},
                "lags_ms": pack(self.lags_ms, "d"), "last_start_s": max(0.0, self.last_start - self.start_at),
                "stopped_s": time.time() - self.start_at if interrupted or unsent else None, "errors": self.errors}

    def _watch(self) -> None:
        """Every ``WATCH_S``: the stop marker, then this worker's progress for the driver's live display."""
        while not self.done.wait(WATCH_S):
            if not self.stopped.is_set() and _exists(self.s3, self.results["bucket"], self.results["stop_key"]):
                self.stopped.set()
            with self.lock:
                progress = {"index": self.order["index"], "dispatched": self.dispatched,
                            "counts": {variant: vars(counts) for variant, counts in self.counts.items()},
                            "recent_lags_s": list(self.recent_s)}
            try:
                self.s3.put_object(Bucket=self.results["bucket"], Key=self.results["progress_key"],
                                   Body=json.dumps(progress).encode(), ContentType="application/json")
            except Exception as exc:  # progress is a courtesy: the partial manifest is what counts
                self._error(f"progress: {type(exc).__name__}: {exc}")

    def _sender(self, variant: str) -> None:
        inbox = self.inboxes[variant]
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
            self._send(variant, batch)
        inbox.put(None)

    def _body(self, position: int, sent_at: float) -> str:
        name, size = self.mix[self.workloads[position]]
        return WorkRequest(run_id=self.order["run_id"], seq=self.seqs[position], workload=name, size=size,
                           iterations=int(self.order["iterations"]), seed=int(self.order["seed"]),
                           sent_at=sent_at).to_json()

    def _send(self, variant: str, batch: list[tuple[int, float]]) -> None:
        """One batch to one queue: retried with backoff until accepted, refused for good, or the deadline."""
        now = time.time()
        lags = [now - due for _, due in batch]
        with self.lock:
            counts = self.counts[variant]
            counts.scheduled += len(batch)
            counts.started_late += sum(1 for lag in lags if lag > self.late_after_s)
            self.lags_ms.extend(lag * 1000.0 for lag in lags)
            self.recent_s.extend(lags)
            self.last_start = max(self.last_start, now)
        pending = {str(position): self._body(position, now) for position, _ in batch}
        sent = refused = retried = 0
        for attempt in range(MAX_ATTEMPTS):
            try:
                response = self.sqs.send_message_batch(QueueUrl=self.queues[variant], Entries=[
                    {"Id": key, "MessageBody": text} for key, text in pending.items()])
            except Exception as exc:  # botocore's errors: the whole call failed, retry it
                self._error(f"{variant}: SendMessageBatch: {type(exc).__name__}: {exc}")
                response = {}
            for entry in response.get("Successful", []):
                pending.pop(entry["Id"], None)
                sent += 1
            for entry in response.get("Failed", []):
                self._error(f"{variant}: {entry.get('Code')}: {entry.get('Message')}")
                if entry.get("SenderFault"):
                    pending.pop(entry["Id"], None)
                    refused += 1
            if not pending or attempt == MAX_ATTEMPTS - 1 or time.time() >= self.deadline:
                break
            retried += len(pending)
            time.sleep(random.uniform(0, min(2.0, 0.05 * 2**attempt)))
        with self.lock:
            counts.sent += sent
            counts.failed += refused + len(pending)
            counts.retried += retried

    def _error(self, message: str) -> None:
        with self.lock:
            if len(self.errors) < MAX_ERRORS and message[:300] not in self.errors:
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
    slice_run = _SliceRun(order, sqs, s3, deadline)
    partial = slice_run.partial(received_at, interrupted=slice_run.run())
    s3.put_object(Bucket=order["results"]["bucket"], Key=order["results"]["key"], Body=json.dumps(partial).encode(),
                  ContentType="application/json")
    return partial


def _exists(s3: Any, bucket: str, key: str) -> bool:
    try:
        s3.head_object(Bucket=bucket, Key=key)
    except Exception:  # botocore's 404 (or a passing error): not stopped yet
        return False
    return True
