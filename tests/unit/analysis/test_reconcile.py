"""Reconciliation: sent = processed + in DLQ + in flight, with the queues read through SQS (Stubber)."""

import json

import boto3
import pandas as pd
from botocore.stub import ANY, Stubber

from analysis.reconcile import (
    PEEK_VISIBILITY_S,
    DeadLetters,
    SqsQueues,
    describe_problem,
    finished_seqs,
    reconcile,
    unknown,
    wait_for_drain,
)
from core import RunManifest, TargetCounts
from stack import FunctionOutputs, StackOutputs
from stack.variants import Variant

RUN = "20261125T080000Z-3fa2"
ATTRIBUTES = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
VARIANTS = (Variant("python3.13", 1024, "arm64"), Variant("python3.13", 1024, "x86_64"),
            Variant("python3.13", 1024, "x86_64", "control"))
ARM, X86, TWIN = (v.id for v in VARIANTS)


def outputs() -> StackOutputs:
    def fn(v: Variant) -> FunctionOutputs:
        base = f"https://sqs.us-east-1.amazonaws.com/123456789012/archbench-dev_{v.id}"
        return FunctionOutputs(f"archbench-dev_{v.id}", f"{base}-queue", f"{base}-dlq",
                               f"/aws/lambda/archbench-dev_{v.id}", f"/{v.id}/process", v.memory_mb, v.architecture,
                               v.runtime, v.role)

    return StackOutputs("us-east-1", None, "https://api", {v.id: fn(v) for v in VARIANTS})


def items(variant: str, ok: range, failed: range = range(0)) -> list[dict]:
    rows = [{"variant": variant, "seq": s, "error": False} for s in ok]
    # a poisoned message: every receive writes an error document, then it moves to the DLQ
    return rows + [{"variant": variant, "seq": s, "error": True} for s in failed for _ in range(2)]


def manifest(target: str = "sqs", sent: int = 100) -> RunManifest:
    return RunManifest(run_id=RUN, started_at=1_764_057_600.0, ended_at=1_764_057_620.0, interrupted=False,
                       config={"target": target}, outputs={},
                       targets={vid: TargetCounts(scheduled=sent + 1, sent=sent, failed=1, retried=4)
                                for vid in (TWIN, X86, ARM)})  # not in matrix order: the result is


class FakeQueues:
    """Queue contents by URL: (visible, not visible) counts and the DLQ's work-item seqs of this run."""

    def __init__(self, counts: dict[str, tuple[int, int]], dead: dict[str, DeadLetters] | None = None) -> None:
        self.counts, self.dead = counts, dead or {}

    def count(self, url: str) -> tuple[int, int]:
        return self.counts.get(url, (0, 0))

    def dead_letters(self, url: str, run_id: str) -> DeadLetters:
        return self.dead[url]


def body(seq: int, run_id: str = RUN) -> str:
    return json.dumps({"run_id": run_id, "seq": seq, "workload": "sort", "size": 10, "iterations": 1, "seed": 1,
                       "sent_at": 1.0})


def message(index: int, text: str) -> dict:
    return {"MessageId": f"00000000-0000-0000-0000-{index:012d}", "ReceiptHandle": f"handle-{index}", "Body": text,
            "MD5OfBody": "0" * 32}


def test_sqs_queues_reads_the_dlq_and_makes_every_message_visible_again():
    client = boto3.client("sqs", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    url = outputs().functions[ARM].dlq_url
    receive = {"QueueUrl": url, "MaxNumberOfMessages": 10, "VisibilityTimeout": PEEK_VISIBILITY_S,
               "WaitTimeSeconds": 1}
    first = [message(i, body(90 + i)) for i in range(10)]
    second = [message(10, body(7, run_id="20261124T080000Z-0000")), message(11, "not json")]
    with Stubber(client) as stub:
        stub.add_response("get_queue_attributes", {"Attributes": {"ApproximateNumberOfMessages": "12",
                                                                  "ApproximateNumberOfMessagesNotVisible": "0"}},
                          {"QueueUrl": url, "AttributeNames": ATTRIBUTES})
        stub.add_response("receive_message", {"Messages": first}, receive)
        stub.add_response("receive_message", {"Messages": second}, receive)
        stub.add_response("receive_message", {}, receive)
        released = [{"Id": str(i), "ReceiptHandle": f"handle-{i}", "VisibilityTimeout": 0} for i in range(10)]
        stub.add_response("change_message_visibility_batch", {"Successful": [], "Failed": []},
                          {"QueueUrl": url, "Entries": released})
        stub.add_response("change_message_visibility_batch", {"Successful": [], "Failed": []},
                          {"QueueUrl": url, "Entries": ANY})
        queues = SqsQueues(client)
        assert queues.count(url) == (12, 0)
        dead = queues.dead_letters(url, RUN)
        stub.assert_no_pending_responses()
    assert dead == DeadLetters(frozenset(range(90, 100)), 12)


def test_everything_accounted_for_with_a_dlq_of_this_run_and_others():
    stack = outputs()
    arm, x86 = stack.functions[ARM], stack.functions[X86]
    frame = pd.DataFrame(items(ARM, range(95), failed=range(95, 100)) + items(X86, range(97)) + items(TWIN, range(100)))
    queues = FakeQueues({arm.dlq_url: (7, 0), x86.queue_url: (1, 2)},  # x86_64: 3 still being processed
                        {arm.dlq_url: DeadLetters(frozenset(range(95, 100)), 7)})  # 2 from an earlier run
    result = reconcile(manifest(), frame, stack, queues)
    assert result["status"] == "ok" and result["lost"] == 0
    assert list(result["by_variant"]) == [ARM, X86, TWIN]
    assert result["by_variant"][ARM] == {"sent": 100, "processed": 95, "failed": 1, "in_dlq": 5, "in_flight": 0,
                                         "lost": 0}
    assert result["by_variant"][X86]["in_flight"] == 3
    assert (result["sent"], result["processed"], result["in_dlq"]) == (300, 292, 5)
    assert describe_problem(result) is None and "in_dlq_whole_queue" not in result


def test_work_done_by_an_invocation_that_timed_out_is_counted_once():
    """The item's EMF document says done, but the invocation timed out and the message ended in the DLQ."""
    stack = outputs()
    dlq = stack.functions[ARM].dlq_url
    frame = pd.DataFrame(items(ARM, range(100)) + items(X86, range(100)) + items(TWIN, range(100)))
    result = reconcile(manifest(), frame, stack, FakeQueues({dlq: (3, 0)}, {dlq: DeadLetters(frozenset({1, 2, 3}), 3)}))
    assert result["by_variant"][ARM]["processed"] == 97 and result["lost"] == 0


def test_lost_messages_are_said_loudly():
    frame = pd.DataFrame(items(ARM, range(100)) + items(X86, range(100)) + items(TWIN, range(90)))
    result = reconcile(manifest(), frame, outputs(), FakeQueues({}))
    assert result["status"] == "lost" and result["lost"] == 10
    assert describe_problem(result) == f"{TWIN}: 10 of 100 messages sent are unaccounted for"


def test_a_dlq_too_large_to_read_falls_back_to_its_whole_queue_count():
    stack = outputs()
    dlq = stack.functions[ARM].dlq_url
    frame = pd.DataFrame(items(ARM, range(100)) + items(X86, range(100)) + items(TWIN, range(100)))
    queues = FakeQueues({dlq: (20_000, 0)}, {dlq: DeadLetters(frozenset(), 10_000)})
    result = reconcile(manifest(), frame, stack, queues)
    assert result["status"] == "lost" and result["in_dlq_whole_queue"] == [ARM]
    assert result["by_variant"][ARM]["lost"] == -20_000
    assert "more messages accounted for than sent" in (describe_problem(result) or "")


def test_api_target_counts_answered_errors_as_processed_and_ignores_queues():
    frame = pd.DataFrame(items(ARM, range(98), failed=range(98, 100)) + items(X86, range(100))
                         + items(TWIN, range(100)))
    assert {vid: len(seqs) for vid, seqs in finished_seqs(frame, "api").items()} == {ARM: 100, X86: 100, TWIN: 100}
    assert len(finished_seqs(frame, "sqs")[ARM]) == 98

    class NoQueues:
        def count(self, url):
            raise AssertionError("an API run must not read the queues")

        def dead_letters(self, url, run_id):
            raise AssertionError("an API run must not read the queues")

    assert reconcile(manifest("api"), frame, outputs(), NoQueues())["status"] == "ok"


def test_unreachable_queues_make_the_reconciliation_unknown():
    client = boto3.client("sqs", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    frame = pd.DataFrame(items(ARM, range(100)) + items(X86, range(100)) + items(TWIN, range(100)))
    with Stubber(client) as stub:
        stub.add_client_error("get_queue_attributes", "AWS.SimpleQueueService.NonExistentQueue", "no queue", 400)
        result = reconcile(manifest(), frame, outputs(), SqsQueues(client))
    assert result["status"] == "unknown" and f"cannot read the {ARM} queues" in result["reason"]
    assert result["lost"] is None and unknown("x")["sent"] is None


def test_a_manifest_variant_the_stack_does_not_have_makes_the_reconciliation_unknown():
    stack = outputs()
    del stack.functions[TWIN]
    result = reconcile(manifest(), pd.DataFrame(items(ARM, range(100))), stack, FakeQueues({}))
    assert result["status"] == "unknown" and result["reason"] == f"the stack outputs have no function of variant {TWIN}"


def test_wait_for_drain_polls_until_empty_or_timeout():
    counts = iter([(3, 2), (1, 0), (0, 0)])
    seen: list[str] = []
    left = wait_for_drain(lambda url: next(counts), ["q"], 60, seen.append, clock=lambda: 0.0,
                          sleep=lambda s: None)
    assert left == 0 and len(seen) == 2
    clock = iter([0.0, 5.0, 11.0])
    assert wait_for_drain(lambda url: (4, 0), ["q"], 10, seen.append, clock=lambda: next(clock),
                          sleep=lambda s: None) == 4
