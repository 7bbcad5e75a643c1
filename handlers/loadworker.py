"""The load worker's entry point ``handlers.loadworker.handler``: send one slice of a loadgen schedule to the
stack's queues (or routes: ``--target api``, SigV4-signed with its role) from inside AWS, then write what it did (a
partial manifest) to the results bucket.

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
import urllib.error
import urllib.request
import zlib
from array import array
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from handlers.contract import WorkRequest

MAX_BATCH = 10
MAX_ATTEMPTS = 5
RESERVE_S = 10.0  # stop sending this long before the function's own timeout, to write the partial manifest
WATCH_S = 1.0  # how often it looks for the driver's stop marker (a first Ctrl-C) and writes its progress
RECENT_LAGS = 512  # lags in each progress object: the live display's recent p50/p99
MAX_ERRORS = 10
API_TIMEOUT_S = 120.0  # a route's answer waits for the function, cold starts included
NO_ANSWER = -1  # a route request's status when nothing answered
Signer = Callable[[str, bytes], dict[str, str]]  # (url, body) → the request's headers


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
    http_status: dict[str, int] = field(default_factory=dict)  # the API target: status → count


@dataclass
class _Records:
    """One variant's HTTP requests (the API target), column by column, for the driver's ``requests.csv``."""

    seq: array[int] = field(default_factory=lambda: array("q"))
    status: array[int] = field(default_factory=lambda: array("h"))  # NO_ANSWER: no answer at all
    latency_ms: array[float] = field(default_factory=lambda: array("d"))
    lag_ms: array[float] = field(default_factory=lambda: array("d"))
    intended_latency_ms: array[float] = field(default_factory=lambda: array("d"))

    def packed(self) -> dict[str, str]:
        return {"seq": pack(self.seq, "q"), "status": pack(self.status, "h"),
                "latency_ms": pack(self.latency_ms, "d"), "lag_ms": pack(self.lag_ms, "d"),
                "intended_latency_ms": pack(self.intended_latency_ms, "d")}


class _SliceRun:
    """One order being sent: the release loop in the handler's thread, senders per variant, and a watcher that
    looks for the stop marker and writes the progress the driver shows live."""

    def __init__(self, order: dict[str, Any], sqs: Any, s3: Any, deadline: float, signer: Any) -> None:
        self.order, self.sqs, self.s3, self.deadline, self.signer = order, sqs, s3, deadline, signer
        self.api = order["target"] == "api"
        self.urls: dict[str, str] = dict(order["urls"])  # each variant's queue, or its route
        self.seqs = range(*(int(n) for n in order["seqs"]))
        self.due, self.workloads = unpack(order["due"], "d"), unpack(order["workloads"], "H")
        self.mix = [(str(w["name"]), int(w["size"])) for w in order["mix"]]
        self.start_at, self.late_after_s = float(order["start_at"]), float(order["late_after_s"])
        self.results = order["results"]
        self.lock = threading.Lock()  # guards everything below
        self.counts = {variant: _Counts() for variant in self.urls}
        self.records = {variant: _Records() for variant in self.urls}
        self.lags_ms: array[float] = array("d")
        self.recent_s: deque[float] = deque(maxlen=RECENT_LAGS)
        self.errors: list[str] = []
        self.dispatched = 0
        self.last_start = 0.0
        self.stopped = threading.Event()  # the driver's stop marker was found
        self.done = threading.Event()
        self.inboxes: dict[str, queue.Queue[tuple[int, float] | None]] = {v: queue.Queue() for v in self.urls}

    def run(self) -> bool:
        """Release every request at its due time until the end, the deadline or the stop marker; True when the
        stop marker ended it."""
        watcher = threading.Thread(target=self._watch, daemon=True)
        watcher.start()
        threads = [threading.Thread(target=self._sender, args=(variant,), daemon=True)
                   for variant in self.urls for _ in range(max(1, int(self.order["senders"])))]
        for thread in threads:
            thread.start()
        rng = random.Random(f"{self.order['seed']}/worker/{self.order['index']}")
        variants, due, position = list(self.urls), self.due, 0
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
                "records": {variant: r.packed() for variant, r in self.records.items()} if self.api else None,
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
            while len(batch) < (1 if self.api else MAX_BATCH):
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
        """One batch to one queue (retried with backoff until accepted, refused for good, or the deadline), or one
        request to one route."""
        now = time.time()
        lags = [now - due for _, due in batch]
        with self.lock:
            counts = self.counts[variant]
            counts.scheduled += len(batch)
            counts.started_late += sum(1 for lag in lags if lag > self.late_after_s)
            self.lags_ms.extend(lag * 1000.0 for lag in lags)
            self.recent_s.extend(lags)
            self.last_start = max(self.last_start, now)
        if self.api:
            for (position, due), lag in zip(batch, lags, strict=True):
                self._post(variant, position, due, lag, now)
            return
        pending = {str(position): self._body(position, now) for position, _ in batch}
        sent = refused = retried = 0
        for attempt in range(MAX_ATTEMPTS):
            try:
                response = self.sqs.send_message_batch(QueueUrl=self.urls[variant], Entries=[
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

    def _post(self, variant: str, position: int, due: float, lag_s: float, now: float) -> None:
        """One POST to the variant's route, SigV4-signed with the worker's role when it has one; any status counts
        as sent, no answer as failed (as loadgen's own API target)."""
        url, body = self.urls[variant], self._body(position, now).encode()
        headers = {"Content-Type": "application/json"}
        if self.signer is not None:
            headers = self.signer(url, body)
        started = time.perf_counter()
        status: int | None = None
        try:
            with urllib.request.urlopen(urllib.request.Request(url, data=body, headers=headers, method="POST"),
                                        timeout=API_TIMEOUT_S) as response:
                response.read()
                status = response.status
        except urllib.error.HTTPError as exc:
            exc.read()
            status = exc.code
        except (urllib.error.URLError, OSError) as exc:
            self._error(f"{variant}: POST: {type(exc).__name__}: {exc}")
        latency_ms = (time.perf_counter() - started) * 1000.0
        with self.lock:
            counts, records = self.counts[variant], self.records[variant]
            if status is None:
                counts.failed += 1
            else:
                counts.sent += 1
                counts.http_status[str(status)] = counts.http_status.get(str(status), 0) + 1
            records.seq.append(self.seqs[position])
            records.status.append(NO_ANSWER if status is None else status)
            records.latency_ms.append(round(latency_ms, 3))
            records.lag_ms.append(round(lag_s * 1000.0, 3))
            records.intended_latency_ms.append(round((time.time() - due) * 1000.0, 3))

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
    partial = run_order(event, sqs, s3, received_at=received_at, deadline=deadline,
                        signer=_signer(session, event["region"]))
    return {"index": partial["index"], "dispatched": partial["dispatched"]}


def run_order(order: dict[str, Any], sqs: Any, s3: Any, *, received_at: float, deadline: float,
              signer: Signer | None = None) -> dict[str, Any]:
    """Release the order's requests at their due times to every variant's queue (or route), until ``deadline``
    (what is left then counts as failed) or the driver's stop marker (what is left was never scheduled: an
    interrupted run); write the partial manifest and return it. ``signer`` gives a route request its headers."""
    slice_run = _SliceRun(order, sqs, s3, deadline, signer)
    partial = slice_run.partial(received_at, interrupted=slice_run.run())
    s3.put_object(Bucket=order["results"]["bucket"], Key=order["results"]["key"], Body=json.dumps(partial).encode(),
                  ContentType="application/json")
    return partial


def _signer(session: Any, region: str) -> Signer | None:
    """SigV4 for execute-api with the worker's own credentials (its role), as routes with IAM authorization want;
    None without credentials (the requests go unsigned)."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest

    credentials = session.get_credentials()
    if credentials is None:
        return None

    def sign(url: str, body: bytes) -> dict[str, str]:
        request = AWSRequest(method="POST", url=url, data=body, headers={"Content-Type": "application/json"})
        SigV4Auth(credentials, "execute-api", region).add_auth(request)
        return dict(request.headers.items())

    return sign


def _exists(s3: Any, bucket: str, key: str) -> bool:
    try:
        s3.head_object(Bucket=bucket, Key=key)
    except Exception:  # botocore's 404 (or a passing error): not stopped yet
        return False
    return True
