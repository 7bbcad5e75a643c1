"""The SQS sender against botocore's Stubber (a real client whose *responses* are scripted)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest
from botocore.stub import ANY, Stubber

from loadgen.parsing import WorkloadShare
from loadgen.plan import Plan, build_plan
from loadgen.schedule import Profile
from loadgen.sqs import SqsTarget
from loadgen.stats import RunStats

QUEUE = "https://sqs.us-east-1.amazonaws.com/123456789012/bench-arm64-queue"
RUN_ID = "20261125T080000Z-3fa2"
ARM = "py313-1024-arm64"


@pytest.fixture
def plan() -> Plan:
    return build_plan(RUN_ID, Profile("sustained", 10.0, 2.0), (WorkloadShare("noop", 1.0, 0),), 1, 5)


@pytest.fixture
def client() -> Iterator[tuple[object, Stubber]]:
    sqs = boto3.client("sqs", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(sqs) as stubber:
        yield sqs, stubber
        stubber.assert_no_pending_responses()


def ok(entry_id: str) -> dict[str, str]:
    return {"Id": entry_id, "MessageId": f"m-{entry_id}", "MD5OfMessageBody": "0" * 32}


def bad(entry_id: str, sender_fault: bool = False) -> dict[str, object]:
    return {"Id": entry_id, "SenderFault": sender_fault, "Code": "InternalError"}


def target(client: object, plan: Plan, stats: RunStats, attempts: int = 8) -> SqsTarget:
    return SqsTarget(client, {ARM: QUEUE}, plan, stats, max_attempts=attempts, backoff_s=0.0)


def test_failed_entries_are_retried_alone_with_their_bodies_until_accepted(client, plan) -> None:
    sqs, stubber = client
    seqs = list(range(10))
    stubber.add_response("send_message_batch",
                         {"Successful": [ok(str(s)) for s in range(7)], "Failed": [bad("7"), bad("8"), bad("9")]},
                         {"QueueUrl": QUEUE, "Entries": ANY})
    stubber.add_response("send_message_batch", {"Successful": [ok("8")], "Failed": [bad("7"), bad("9")]},
                         {"QueueUrl": QUEUE, "Entries": ANY})
    stubber.add_response("send_message_batch", {"Successful": [ok("7"), ok("9")], "Failed": []},
                         {"QueueUrl": QUEUE, "Entries": ANY})
    calls: list[list[dict[str, str]]] = []
    sqs.meta.events.register("provide-client-params.sqs.SendMessageBatch",
                             lambda params, **_: calls.append(params["Entries"]))
    stats = RunStats((ARM,))
    target(sqs, plan, stats).send(ARM, seqs, [0.0] * 10)

    assert [[e["Id"] for e in call] for call in calls] == [[str(s) for s in seqs], ["7", "8", "9"], ["7", "9"]]
    bodies = {e["Id"]: e["MessageBody"] for e in calls[0]}
    assert all(e["MessageBody"] == bodies[e["Id"]] for call in calls[1:] for e in call)  # retried unchanged
    assert [json.loads(bodies[str(s)])["seq"] for s in seqs] == seqs
    counts = stats.variants[ARM]
    assert (counts.scheduled, counts.sent, counts.failed, counts.retried) == (10, 10, 0, 5)


def test_sender_fault_entries_are_failed_at_once(client, plan) -> None:
    sqs, stubber = client
    stubber.add_response("send_message_batch", {"Successful": [ok("0")], "Failed": [bad("1", sender_fault=True)]})
    stats = RunStats((ARM,))
    target(sqs, plan, stats).send(ARM, [0, 1], [0.0, 0.0])
    counts = stats.variants[ARM]
    assert (counts.sent, counts.failed, counts.retried) == (1, 1, 0)


def test_an_entry_that_never_gets_in_is_counted_failed_not_lost(client, plan) -> None:
    sqs, stubber = client
    for _ in range(3):
        stubber.add_response("send_message_batch", {"Successful": [], "Failed": [bad("4")]})
    stats = RunStats((ARM,))
    target(sqs, plan, stats, attempts=3).send(ARM, [4], [0.0])
    counts = stats.variants[ARM]
    assert (counts.scheduled, counts.sent, counts.failed, counts.retried) == (1, 0, 1, 2)
    assert "InternalError" in (stats.last_error or "")


def test_a_call_that_raises_is_retried_whole(client, plan) -> None:
    sqs, stubber = client
    stubber.add_client_error("send_message_batch", service_error_code="ThrottlingException", http_status_code=400)
    stubber.add_response("send_message_batch", {"Successful": [ok("2"), ok("3")], "Failed": []})
    stats = RunStats((ARM,))
    target(sqs, plan, stats).send(ARM, [2, 3], [0.0, 0.0])
    counts = stats.variants[ARM]
    assert (counts.sent, counts.failed, counts.retried) == (2, 0, 2)
