"""``run_load``: the library call under the command, against a local HTTP server and a stubbed SQS client."""

from __future__ import annotations

import csv
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from core import UserError, read_manifest, run_dir
from loadgen import LoadPlan, LoadRequest, Profile, RunStats, TargetName, WorkloadShare, plan_load, run_load
from stack import StackOutputs
from tests.unit.loadgen.fake_api import VARIANTS, Recorder, outputs_dict, received_by_variant, variant

RUN_ID = "20261125T080000Z-3fa2"


def load_for(outputs: StackOutputs, target: TargetName, profile: Profile, senders: int | None = None) -> LoadPlan:
    request = LoadRequest(rate_text=f"{profile.rate_per_s:g}/s", profile=profile, mix=(WorkloadShare("noop", 1.0, 0),),
                          iterations=1, seed=4, run_id=RUN_ID, target=target, senders=senders)
    return plan_load(request, outputs)


class Watch:
    """A ``live`` context manager that notes how far the run was when it was entered and left."""

    def __init__(self, stats: RunStats, on_enter: Any = None) -> None:
        self.stats = stats
        self.on_enter = on_enter
        self.dispatched: list[int] = []

    @contextmanager
    def live(self) -> Iterator[None]:
        self.dispatched.append(self.stats.dispatched)
        if self.on_enter:
            self.on_enter()
        yield
        self.dispatched.append(self.stats.dispatched)


def test_api_load_goes_to_every_route_and_leaves_the_manifest_and_requests_csv(api: str) -> None:
    outputs = StackOutputs.from_dict(outputs_dict(api))
    load = load_for(outputs, "api", Profile("sustained", 20.0, 0.5))
    stats = RunStats(load.variants)
    watch = Watch(stats)
    notices: list[str] = []
    manifest = run_load(load, outputs, stop=threading.Event(), stats=stats, live=watch.live(),
                        notice=notices.append)

    assert watch.dispatched == [0, 10]  # entered just around the schedule
    assert notices == []  # a local cloud is always signed (dummy credentials)
    by_variant = received_by_variant()
    assert all(sorted(received) == list(range(10)) for received in by_variant.values())
    assert manifest.to_dict() == read_manifest(RUN_ID).to_dict()
    assert not manifest.interrupted and manifest.target == "api" and manifest.outputs == outputs.to_dict()
    assert tuple(manifest.targets) == VARIANTS
    for variant_id in VARIANTS:
        counts = manifest.targets[variant_id]
        assert (counts.scheduled, counts.sent, counts.failed, counts.http_status) == (10, 10, 0, {"200": 9, "400": 1})
    assert manifest.config["senders_per_variant"] == load.senders and manifest.config["linger_ms"] == 0.0
    assert manifest.config["rate"] == "20/s" and manifest.config["planned_per_variant"] == 10
    with (run_dir(RUN_ID) / "requests.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 30 and {r["status"] for r in rows} == {"200", "400"}


@pytest.mark.usefixtures("no_credentials")
def test_without_credentials_on_aws_the_notice_says_requests_go_unsigned(api: str) -> None:
    outputs = StackOutputs.from_dict(outputs_dict(api, local=False))
    notices: list[str] = []
    manifest = run_load(load_for(outputs, "api", Profile("sustained", 10.0, 0.2)), outputs, stop=threading.Event(),
                        notice=notices.append)
    assert len(notices) == 1 and "no AWS credentials found, requests go unsigned" in notices[0]
    assert manifest.targets["py313-1024-arm64"].sent == 2
    assert all("Authorization" not in headers for _, headers, _ in Recorder.received)


def test_stop_ends_the_schedule_early_and_the_rate_is_measured_up_to_the_stop(api: str) -> None:
    outputs = StackOutputs.from_dict(outputs_dict(api))
    load = load_for(outputs, "api", Profile("sustained", 20.0, 60.0))
    stats, stop = RunStats(load.variants), threading.Event()
    watch = Watch(stats, on_enter=lambda: threading.Timer(0.5, stop.set).start())
    manifest = run_load(load, outputs, stop=stop, stats=stats, live=watch.live())

    assert manifest.interrupted and manifest.to_dict() == read_manifest(RUN_ID).to_dict()
    for variant_id in VARIANTS:
        counts = manifest.targets[variant_id]
        assert 0 < counts.scheduled < 1200 and counts.scheduled == counts.sent + counts.failed
    assert manifest.achieved_rate_per_s > 10.0  # sent over ~0.5 s, not over the planned minute


@pytest.mark.parametrize("stopped", [True, False])
def test_a_keyboard_interrupt_keeps_the_books_only_after_a_stop(api: str, stopped: bool) -> None:
    outputs = StackOutputs.from_dict(outputs_dict(api))
    load = load_for(outputs, "api", Profile("sustained", 20.0, 60.0))
    stop = threading.Event()

    @contextmanager
    def interrupted() -> Iterator[None]:
        if stopped:
            stop.set()
        raise KeyboardInterrupt
        yield

    if stopped:
        manifest = run_load(load, outputs, stop=stop, live=interrupted())
        assert manifest.interrupted and manifest.targets["py313-1024-arm64"].scheduled == 0
    else:
        with pytest.raises(KeyboardInterrupt):
            run_load(load, outputs, stop=stop, live=interrupted())
        assert not run_dir(RUN_ID).exists()


def test_stats_for_other_variants_are_refused(api: str) -> None:
    outputs = StackOutputs.from_dict(outputs_dict(api))
    with pytest.raises(ValueError, match="stats count"):
        run_load(load_for(outputs, "api", Profile("sustained", 1.0, 1.0)), outputs, stop=threading.Event(),
                 stats=RunStats(("py313-1024-arm64",)))


QUEUE = "http://127.0.0.1:1/000000000000/bench_py313-1024-arm64-queue"


@pytest.fixture
def sqs() -> Iterator[tuple[Any, Stubber]]:
    client = boto3.client("sqs", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def stubbed_outputs(client: Any) -> StackOutputs:
    """A one-variant stack whose SQS client is ``client`` (one sender thread: the stub's order holds)."""

    class Stubbed(StackOutputs):
        def client(self, service: str, **config: Any) -> Any:
            assert service == "sqs" and config["max_pool_connections"] >= 1
            return client

    data = StackOutputs.from_dict(outputs_dict("http://127.0.0.1:1", variants=(variant("arm64"),)))
    return Stubbed(data.region, data.endpoint_url, data.api_url, data.functions)


def ok(entry_id: str) -> dict[str, str]:
    return {"Id": entry_id, "MessageId": f"m-{entry_id}", "MD5OfMessageBody": "0" * 32}


def test_sqs_load_is_checked_first_then_sent_in_one_batch_with_failed_entries_retried(sqs) -> None:
    client, stubber = sqs
    outputs = stubbed_outputs(client)
    stubber.add_response("get_queue_attributes", {"Attributes": {"QueueArn": "arn:aws:sqs:us-east-1:0:q"}},
                         {"QueueUrl": QUEUE, "AttributeNames": ["QueueArn"]})
    stubber.add_response("send_message_batch",
                         {"Successful": [ok(str(s)) for s in range(7)],
                          "Failed": [{"Id": str(s), "SenderFault": False, "Code": "InternalError"} for s in (7, 8, 9)]})
    stubber.add_response("send_message_batch", {"Successful": [ok(str(s)) for s in (7, 8, 9)], "Failed": []})
    load = load_for(outputs, "sqs", Profile("burst", 10.0, 1.0, burst_interval_s=1.0), senders=1)
    manifest = run_load(load, outputs, stop=threading.Event())

    counts = manifest.targets["py313-1024-arm64"]
    assert (counts.scheduled, counts.sent, counts.failed, counts.retried, counts.http_status) == (10, 10, 0, 3, None)
    assert manifest.target == "sqs" and manifest.config["senders_per_variant"] == 1
    assert manifest.to_dict() == read_manifest(RUN_ID).to_dict()
    assert not (run_dir(RUN_ID) / "requests.csv").exists()


def test_an_unreachable_queue_stops_the_run_before_anything_is_watched_or_written(sqs) -> None:
    client, stubber = sqs
    outputs = stubbed_outputs(client)
    stubber.add_client_error("get_queue_attributes", service_error_code="AWS.SimpleQueueService.NonExistentQueue",
                             http_status_code=400)
    load = load_for(outputs, "sqs", Profile("sustained", 5.0, 1.0))
    watch = Watch(RunStats(load.variants))
    with pytest.raises(UserError, match=r"the py313-1024-arm64 queue .* is not reachable"):
        run_load(load, outputs, stop=threading.Event(), live=watch.live())
    assert watch.dispatched == [] and not run_dir(RUN_ID).exists()
