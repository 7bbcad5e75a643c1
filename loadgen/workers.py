"""Lambda load workers (``--workers lambda:N``): the schedule in N slices, each sent by one asynchronous invocation
of the stack's worker function (``handlers.loadworker``), merged from the partial manifests they write.

The driver builds every worker's order up front (seqs, due times and workloads, packed), invokes all N with one
start instant ``START_LEAD_S`` ahead (time for every invocation to land), and polls the results bucket for their
partial manifests until ``REPORT_GRACE_S`` after the workers' own deadline. A worker whose invocation failed or
whose partial never came is named in the manifest and its whole slice counts as failed: never silently missing.
Its clock offset is its clock at receipt minus the driver's at the invoke, so it includes the invoke's delay: an
upper bound, and a skew of seconds shows. A first Ctrl-C (``stop``) writes the run's stop marker next to the
results, which every worker polls each second: each stops its schedule, sends what it had released and reports,
and the manifest says ``interrupted``. A second one stops waiting and counts the unreported slices as not sent.
"""

from __future__ import annotations

import json
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
from botocore.exceptions import BotoCoreError, ClientError

from core import TargetCounts, UsageError, UserError
from handlers.loadworker import NO_ANSWER, pack, unpack
from loadgen.cost import WORKER_DRAIN_S, worker_seconds
from loadgen.cost import WORKER_LEAD_S as START_LEAD_S
from loadgen.planning import LoadPlan
from loadgen.senders import SenderPool
from loadgen.slicing import slice_window
from loadgen.stats import LATE_AFTER_S, RequestRecord, RunStats, SenderLive, SenderReport, new_sketch
from stack import StackOutputs, progress_key, result_key, stop_key

REPORT_GRACE_S = 20.0  # a worker's partial manifest must be in the bucket this long after its deadline
POLL_S = 1.0
INVOKE_THREADS = 16  # invocations in flight at once, so that many workers still land within the lead
MAX_WORKERS = 200
MAX_EVENT_BYTES = 256 * 1024  # Lambda's limit for an asynchronous invocation's payload
_WORKERS_RE = re.compile(r"^lambda:(\d+)$")


def parse_workers(text: str) -> int:
    """``lambda:N`` → N (1 … ``MAX_WORKERS``)."""
    match = _WORKERS_RE.match(text.strip())
    if not match or not 1 <= int(match.group(1)) <= MAX_WORKERS:
        raise UsageError(f"--workers {text!r} is not like lambda:4 (1–{MAX_WORKERS} Lambda workers)")
    return int(match.group(1))


class LambdaWorkers(SenderPool):
    """``count`` invocations of the worker function, one slice each."""

    kind = "lambda"
    label = "load worker"
    lead_s = START_LEAD_S  # the common start is this far after the invocations
    drain_s = WORKER_DRAIN_S  # each worker stops sending this long after the schedule's end
    report_grace_s = REPORT_GRACE_S  # and its partial manifest must be in the bucket this long after that

    def __init__(self, load: LoadPlan, outputs: StackOutputs, stats: RunStats, *, count: int) -> None:
        if outputs.load_workers is None:
            raise UserError("the stack has no load workers: set archbench:loadWorkers true and deploy "
                            "(`pulumi up`, or `python -m localcloud up --config …`)")
        super().__init__(load, stats, count)
        self.outputs, self.workers = outputs, outputs.load_workers
        self._lambda = outputs.client("lambda")
        self._s3 = outputs.client("s3")
        self._invoked_at: dict[int, float] = {}
        self._start_at = 0.0

    def key(self, index: int) -> str:
        return result_key(self.workers.results_prefix, self.load.plan.run_id, index)

    def open(self) -> None:
        """Check that the run fits a worker (time, payload) before anything is sent."""
        if self.load.target == "api" and not self.outputs.api_url:
            raise UserError("the stack outputs have no api_url: this stack has no HTTP API to drive")
        longest = worker_seconds(self.load.plan.profile.duration_s)
        if longest > self.workers.timeout_s - 30:
            raise UsageError(f"--workers: the schedule, its {START_LEAD_S:g} s lead and {WORKER_DRAIN_S:g} s drain "
                             f"({longest:g} s) must fit the worker's {self.workers.timeout_s} s timeout: shorten "
                             "--duration")
        for index in range(self.count):
            size = len(json.dumps(self.order(index, start_at=0.0)).encode())
            if size > MAX_EVENT_BYTES:
                raise UsageError(f"--workers lambda:{self.count}: a worker's slice is {size:,} bytes, above Lambda's "
                                 f"{MAX_EVENT_BYTES:,} for an asynchronous invocation: use more workers")

    def order(self, index: int, start_at: float) -> dict[str, Any]:
        """What worker ``index`` sends and when: the event ``handlers.loadworker`` reads."""
        plan = self.load.plan
        window = slice_window(plan.whole_window, index, self.count).seqs  # a range: sent as its three numbers
        seqs = np.asarray(window, dtype=np.int64)
        return {
            "run_id": plan.run_id, "index": index, "count": self.count, "invoked_at": time.time(),
            "start_at": start_at, "stop_at": start_at + plan.profile.duration_s + self.drain_s,
            "region": self.outputs.region, "endpoint_url": self.outputs.endpoint_url,
            "target": self.load.target, "urls": self._urls(),
            "mix": [{"name": share.name, "size": int(share.size or 0)} for share in plan.mix],
            "iterations": plan.iterations, "seed": plan.seed, "senders": self.load.senders,
            "late_after_s": LATE_AFTER_S,
            "seqs": [window.start, window.stop, window.step], "due": pack(plan.due[seqs].tolist(), "d"),
            "workloads": pack(plan.workload_index[seqs].tolist(), "H"),
            "results": {"bucket": self.workers.bucket, "key": self.key(index),
                        "progress_key": progress_key(self.workers.results_prefix, plan.run_id, index),
                        "stop_key": stop_key(self.workers.results_prefix, plan.run_id)},
        }

    def _urls(self) -> dict[str, str]:
        """Each variant's queue, or its route (``--target api``)."""
        functions, api = self.outputs.functions, self.outputs.api_url.rstrip("/")
        if self.load.target == "api":
            return {variant: api + functions[variant].route for variant in self.load.variants}
        return {variant: functions[variant].queue_url for variant in self.load.variants}

    def run(self, stop: threading.Event) -> None:
        """Invoke every worker with the common start, then absorb each partial manifest as it arrives."""
        self._start_at = time.time() + self.lead_s
        start_mono = time.monotonic() + self.lead_s
        with ThreadPoolExecutor(max_workers=min(self.count, INVOKE_THREADS)) as pool:
            list(pool.map(self._invoke, range(self.count)))
        self.stats.mark_start(start_mono)
        deadline = start_mono + self.load.plan.profile.duration_s + self.drain_s + self.report_grace_s
        pending = [index for index in range(self.count) if index not in self._errors]
        stop_sent = False
        while pending and time.monotonic() < deadline:
            if stop.is_set() and not stop_sent:
                stop_sent = self._stop_workers()
            pending = [index for index in pending if not self._collect(index)]
            if pending:
                time.sleep(POLL_S)

    def close(self) -> None:
        """Name every worker that never reported (where its partial manifest should be) and count its slice as not
        sent."""
        for index in range(self.count):
            if index not in self._reported:
                self._errors.setdefault(index, f"no partial manifest at s3://{self.workers.bucket}/"
                                               f"{self.key(index)}")
        super().close()

    def _invoke(self, index: int) -> None:
        order = self.order(index, self._start_at)
        self._invoked_at[index] = order["invoked_at"]
        try:
            answer = self._lambda.invoke(FunctionName=self.workers.function_name, InvocationType="Event",
                                         Payload=json.dumps(order).encode())
        except (BotoCoreError, ClientError) as exc:
            self._errors[index] = f"invoke failed: {exc}"
            return
        if answer.get("StatusCode") != 202:
            self._errors[index] = f"invoke answered {answer.get('StatusCode')}"

    def _collect(self, index: int) -> bool:
        """Absorb worker ``index``'s partial manifest if it is there yet, else show its latest progress."""
        partial = self._read(self.key(index))
        if partial is None:
            progress = self._read(progress_key(self.workers.results_prefix, self.load.plan.run_id, index))
            if progress is not None:
                self.stats.note_live(SenderLive(index=index, counts=_counts(progress["counts"]),
                                                dispatched=int(progress["dispatched"]),
                                                recent_lags_s=tuple(progress["recent_lags_s"]), errors=()))
            return False
        self._offsets[index] = float(partial["received_at"]) - self._invoked_at[index]
        self.stats.absorb(report_of(partial))
        self._reported.add(index)
        return True

    def _read(self, key: str) -> Any:
        """A JSON object of the results bucket, or None while it is not there (or cannot be read: the error shows
        live, and a worker never read counts as not sent at the end, with the manifest still written)."""
        try:
            return json.loads(self._s3.get_object(Bucket=self.workers.bucket, Key=key)["Body"].read())
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") not in ("NoSuchKey", "404"):
                self.stats.note_error(f"load workers: GetObject {key}: {exc}", kind="load workers GetObject")
        except BotoCoreError as exc:
            self.stats.note_error(f"load workers: GetObject {key}: {exc}", kind="load workers GetObject")
        return None

    def _stop_workers(self) -> bool:
        """Write the run's stop marker, which every worker polls; whether it was written (else: try again)."""
        try:
            self._s3.put_object(Bucket=self.workers.bucket, Body=b"",
                                Key=stop_key(self.workers.results_prefix, self.load.plan.run_id))
        except (BotoCoreError, ClientError) as exc:
            self.stats.note_error(f"load workers: the stop marker: {exc}", kind="load workers stop")
            return False
        return True


def report_of(partial: dict[str, Any]) -> SenderReport:
    """A worker's partial manifest as a ``SenderReport``: its raw lags go into a sketch, which merges."""
    lags = new_sketch()
    for lag in unpack(partial["lags_ms"], "d"):
        lags.add(lag)
    stopped = partial.get("stopped_s")
    return SenderReport(index=int(partial["index"]), counts=_counts(partial["counts"]),
                        dispatched=int(partial["dispatched"]), lags=lags, records=_records(partial.get("records")),
                        errors=[f"load worker {partial['index']}: {e}" for e in partial.get("errors", [])],
                        last_start_s=float(partial["last_start_s"]),
                        stopped_s=None if stopped is None else float(stopped))


def _counts(data: dict[str, dict[str, Any]]) -> dict[str, TargetCounts]:
    return {variant: TargetCounts(scheduled=int(c["scheduled"]), sent=int(c["sent"]), failed=int(c["failed"]),
                                  retried=int(c["retried"]), started_late=int(c["started_late"]),
                                  http_status={str(k): int(v) for k, v in c.get("http_status", {}).items()})
            for variant, c in data.items()}


def _records(data: dict[str, dict[str, str]] | None) -> list[RequestRecord]:
    """A worker's route requests (``--target api``), column by column, as the rows of ``requests.csv``."""
    records = []
    for variant, columns in (data or {}).items():
        seqs, statuses = unpack(columns["seq"], "q"), unpack(columns["status"], "h")
        latency, lag = unpack(columns["latency_ms"], "d"), unpack(columns["lag_ms"], "d")
        intended = unpack(columns["intended_latency_ms"], "d")
        records += [RequestRecord(variant=variant, seq=seq, status=None if status == NO_ANSWER else status,
                                  latency_ms=ms, lag_ms=lag_ms, intended_latency_ms=intended_ms)
                    for seq, status, ms, lag_ms, intended_ms in zip(seqs, statuses, latency, lag, intended,
                                                                    strict=True)]
    return records
