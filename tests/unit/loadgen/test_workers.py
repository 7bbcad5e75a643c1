"""Lambda load workers without a cloud: the order the driver builds, the worker's own run of it (against a fake
SQS and S3, the collaborators), the partial manifest merged back, and what the command refuses."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

from core import read_manifest
from handlers.contract import WorkRequest
from handlers.loadworker import run_order, unpack
from loadgen import LoadRequest, Profile, RunStats, WorkloadShare, plan_load, run_load
from loadgen.cli import main
from loadgen.workers import LambdaWorkers, parse_workers, report_of
from stack import LoadWorkerOutputs, StackOutputs
from tests.unit.loadgen.fake_api import VARIANTS, outputs_dict, received_by_variant

RUN_ID = "20261125T080000Z-3fa2"
WORKERS = {"function_name": "bench_loadworker", "bucket": "bench-load-results", "results_prefix": "results/",
           "memory_mb": 1769, "architecture": "arm64", "timeout_s": 900}


def stack(local: bool = True, workers: bool = True) -> StackOutputs:
    data = outputs_dict("http://127.0.0.1:9", local=local)
    if workers:
        data["load_workers"] = WORKERS
    return StackOutputs.from_dict(data)


def load_for(outputs: StackOutputs, workers: int, rate: float = 20.0, duration: float = 1.0, **kw: Any):
    request = LoadRequest(rate_text=f"{rate:g}/s", profile=Profile("sustained", rate, duration, **kw),
                          mix=(WorkloadShare("noop", 3.0, 0), WorkloadShare("sort", 1.0, 100)), iterations=2,
                          seed=4, run_id=RUN_ID, workers=workers)
    return plan_load(request, outputs)


class FakeSqs:
    """Accepts every entry and remembers it (the worker's collaborator)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.bodies: dict[str, list[dict[str, Any]]] = {}

    def send_message_batch(self, QueueUrl: str, Entries: list[dict[str, str]]) -> dict[str, Any]:
        with self.lock:
            self.bodies.setdefault(QueueUrl, []).extend(json.loads(e["MessageBody"]) for e in Entries)
        return {"Successful": [{"Id": e["Id"]} for e in Entries], "Failed": []}


class FakeS3:
    def __init__(self, stop_after_s: float | None = None) -> None:
        self.objects: dict[str, bytes] = {}
        self.stop_at = None if stop_after_s is None else time.monotonic() + stop_after_s

    def put_object(self, Bucket: str, Key: str, Body: bytes, **_: Any) -> None:
        self.objects[Key] = Body

    def head_object(self, Bucket: str, Key: str) -> None:
        if Key.endswith("/stop") and self.stop_at is not None and time.monotonic() >= self.stop_at:
            return
        raise KeyError(Key)


def test_parse_workers() -> None:
    assert parse_workers("lambda:4") == 4
    for bad in ("4", "lambda:0", "lambda:-1", "ec2:3", "lambda:201"):
        with pytest.raises(ValueError, match="is not like lambda:4"):
            parse_workers(bad)


def test_the_orders_carry_each_slice_with_its_due_times_and_workloads() -> None:
    """Each order's seqs are its slice's range; due times and workloads are packed, position by position."""
    outputs = stack()
    load = load_for(outputs, workers=3)
    workers = LambdaWorkers(load, outputs, RunStats(load.variants), count=3)
    workers.open()  # fits the timeout and the payload
    seen = []
    for index in range(3):
        order = workers.order(index, start_at=1000.0)
        seqs = list(range(*order["seqs"]))
        assert all(seq % 3 == index for seq in seqs)
        assert list(unpack(order["due"], "d")) == [float(load.plan.due[seq]) for seq in seqs]
        assert list(unpack(order["workloads"], "H")) == [int(load.plan.workload_index[seq]) for seq in seqs]
        assert order["target"] == "sqs" and order["urls"] == {v: outputs.functions[v].queue_url for v in VARIANTS}
        assert order["results"] == {"bucket": "bench-load-results", "key": f"results/{RUN_ID}/{index}.json",
                                    "progress_key": f"results/{RUN_ID}/{index}.progress.json",
                                    "stop_key": f"results/{RUN_ID}/stop"}
        assert order["stop_at"] == 1000.0 + 1.0 + 10.0
        seen += seqs
    assert sorted(seen) == list(range(load.plan.total))


def test_a_worker_sends_its_slice_once_to_every_variant_and_its_partial_merges_back() -> None:
    outputs = stack()
    load = load_for(outputs, workers=2)
    workers = LambdaWorkers(load, outputs, RunStats(load.variants), count=2)
    start_at = time.time() + 0.2
    order = workers.order(1, start_at=start_at)
    sqs, s3 = FakeSqs(), FakeS3()
    partial = run_order(order, sqs, s3, received_at=time.time(), deadline=order["stop_at"])

    assert json.loads(s3.objects[f"results/{RUN_ID}/1.json"]) == partial
    slice_seqs = list(range(1, load.plan.total, 2))
    for variant in VARIANTS:
        bodies = sqs.bodies[outputs.functions[variant].queue_url]
        assert sorted(b["seq"] for b in bodies) == slice_seqs
        for b in bodies:  # the very body this machine would send for that seq
            assert WorkRequest(**b) == load.plan.request(b["seq"], b["sent_at"])
            assert b["sent_at"] >= start_at + float(load.plan.due[b["seq"]]) - 0.01
        assert partial["counts"][variant] == {"scheduled": 10, "sent": 10, "failed": 0, "retried": 0,
                                              "started_late": partial["counts"][variant]["started_late"],
                                              "http_status": {}}
    progress = json.loads(s3.objects[f"results/{RUN_ID}/1.progress.json"])  # the live display's, every second
    assert progress["index"] == 1 and set(progress["counts"]) == set(VARIANTS)
    report = report_of(partial)
    assert report.index == 1 and report.lags.count == 30 and report.stopped_s is None
    stats = RunStats(load.variants)
    stats.mark_start(time.monotonic())
    stats.absorb(report)
    assert all((c.scheduled, c.sent) == (10, 10) for c in stats.variants.values())


def test_at_its_deadline_a_worker_counts_what_it_never_released_as_failed() -> None:
    outputs = stack()
    load = load_for(outputs, workers=1, rate=10.0, duration=2.0)
    order = LambdaWorkers(load, outputs, RunStats(load.variants), count=1).order(0, start_at=time.time())
    partial = run_order(order, FakeSqs(), FakeS3(), received_at=time.time(), deadline=time.time() + 0.45)
    for counts in partial["counts"].values():
        assert counts["scheduled"] == 20 and counts["sent"] + counts["failed"] == 20 and counts["failed"] >= 10
    assert partial["stopped_s"] is not None and "not released" in partial["errors"][0]


def test_the_stop_marker_ends_a_workers_schedule_and_the_rest_was_never_scheduled() -> None:
    outputs = stack()
    load = load_for(outputs, workers=1, rate=10.0, duration=4.0)
    order = LambdaWorkers(load, outputs, RunStats(load.variants), count=1).order(0, start_at=time.time())
    partial = run_order(order, FakeSqs(), FakeS3(stop_after_s=0.5), received_at=time.time(),
                        deadline=order["stop_at"])
    for counts in partial["counts"].values():
        assert 0 < counts["scheduled"] == counts["sent"] < 40 and counts["failed"] == 0
    assert 0.4 < partial["stopped_s"] < 2.5


def test_a_malformed_order_raises_so_the_worker_fails_loudly() -> None:
    outputs = stack()
    load = load_for(outputs, workers=1)
    order = LambdaWorkers(load, outputs, RunStats(load.variants), count=1).order(0, start_at=time.time())
    del order["urls"]
    with pytest.raises(KeyError):
        run_order(order, FakeSqs(), FakeS3(), received_at=time.time(), deadline=time.time() + 1)


def test_the_cost_guard_counts_the_workers_own_lambda_time() -> None:
    without = load_for(stack(local=False), workers=0, rate=100.0, duration=60.0)
    with_workers = load_for(stack(local=False), workers=4, rate=100.0, duration=60.0)
    assert without.estimate is not None and with_workers.estimate is not None
    workers_usd = with_workers.estimate.workers_usd
    # 4 workers × (5 s lead + 60 s + 10 s drain) × 1769/1024 GB at arm64's price, and 4 requests.
    assert workers_usd == pytest.approx(4 * (75 * 1769 / 1024 * 0.0000133334 + 0.2e-6), rel=0.01)
    assert with_workers.estimate.total_usd == pytest.approx(without.estimate.total_usd + workers_usd)


@pytest.mark.parametrize(("args", "message"), [
    (["--workers", "lambda:2", "--rounds", "2"], "--workers is not for --profile cold or --rounds"),
    (["--workers", "lambda:2", "--processes", "2"], "--workers and --processes exclude each other"),
    (["--workers", "lambda:20"], "--workers lambda:20 is more workers than requests (10)"),
    (["--workers", "lambda:two"], "'lambda:two' is not like lambda:4"),
])
def test_worker_mistakes_are_one_line(args: list[str], message: str, capsys) -> None:
    assert main(["--rate", "5/s", "--duration", "2s", "--workload", "noop", "--dry-run", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_a_stack_without_load_workers_is_one_clear_error(tmp_path, capsys) -> None:
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(stack(workers=False).to_dict()))
    assert main(["--rate", "5/s", "--duration", "2s", "--workload", "noop", "--workers", "lambda:2",
                 "--outputs", str(path)]) == 1
    err = capsys.readouterr().err
    assert "the stack has no load workers: set archbench:loadWorkers true" in err and err.count("\n") == 1
    assert isinstance(stack().load_workers, LoadWorkerOutputs)


class FakeLambda:
    def __init__(self, status: int = 202) -> None:
        self.status = status
        self.orders: list[dict[str, Any]] = []

    def invoke(self, FunctionName: str, InvocationType: str, Payload: bytes) -> dict[str, Any]:
        assert (FunctionName, InvocationType) == ("bench_loadworker", "Event")
        self.orders.append(json.loads(Payload))
        return {"StatusCode": self.status}


class DeniedS3:
    """The results bucket refuses every read (a policy gone wrong): the driver must still write its manifest."""

    def get_object(self, Bucket: str, Key: str) -> dict[str, Any]:
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "Access Denied"}}, "GetObject")


def test_workers_that_cannot_be_read_or_invoked_are_named_and_the_manifest_is_still_written(
        monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in (("lead_s", 0.1), ("drain_s", 0.1), ("report_grace_s", 0.5)):
        monkeypatch.setattr(LambdaWorkers, name, value)
    lam = FakeLambda()
    clients = {"lambda": lam, "s3": DeniedS3()}
    monkeypatch.setattr(StackOutputs, "client", lambda self, service, **config: clients[service])
    outputs = stack()
    load = load_for(outputs, workers=2, rate=10.0, duration=0.5)
    stats = RunStats(load.variants)
    manifest = run_load(load, outputs, stop=threading.Event(), stats=stats)

    assert sorted(order["index"] for order in lam.orders) == [0, 1]
    assert manifest.to_dict() == read_manifest(RUN_ID).to_dict()
    senders = manifest.config["sent_by"]["senders"]
    assert [(s["status"], s["scheduled"]) for s in senders] == [("failed", 3), ("failed", 2)]
    assert all(f"s3://bench-load-results/results/{RUN_ID}/" in s["error"] for s in senders)
    for counts in manifest.targets.values():
        assert (counts.scheduled, counts.sent, counts.failed) == (5, 0, 5)
    assert any("AccessDenied" in error for error in stats.take_first_errors())


def test_a_worker_posts_its_slice_to_every_route_signed_and_its_requests_come_back_as_rows(api: str) -> None:
    outputs = StackOutputs.from_dict({**outputs_dict(api), "load_workers": WORKERS})
    request = LoadRequest(rate_text="20/s", profile=Profile("sustained", 20.0, 0.5),
                          mix=(WorkloadShare("noop", 1.0, 0),), iterations=1, seed=4, run_id=RUN_ID, target="api",
                          workers=2)
    load = plan_load(request, outputs)
    order = LambdaWorkers(load, outputs, RunStats(load.variants), count=2).order(1, start_at=time.time())
    assert order["target"] == "api" and order["urls"] == {
        v: outputs.api_url + outputs.functions[v].route for v in VARIANTS}
    s3 = FakeS3()
    partial = run_order(order, None, s3, received_at=time.time(), deadline=order["stop_at"],
                        signer=lambda url, body: {"Content-Type": "application/json", "Authorization": "signed"})

    by_variant = received_by_variant()
    for variant in VARIANTS:
        assert sorted(by_variant[variant]) == [1, 3, 5, 7, 9]
        assert all(headers["Authorization"] == "signed" for headers, _ in by_variant[variant].values())
        counts = partial["counts"][variant]
        assert (counts["scheduled"], counts["sent"], counts["failed"]) == (5, 5, 0)
        assert counts["http_status"] == {"200": 4, "400": 1}  # the fake answers 400 for seq 3
    rows = report_of(partial).records
    assert sorted((r.variant, r.seq, r.status) for r in rows) == sorted(
        (v, seq, 400 if seq == 3 else 200) for v in VARIANTS for seq in (1, 3, 5, 7, 9))
    assert all(r.intended_latency_ms >= r.latency_ms >= 0 for r in rows)
