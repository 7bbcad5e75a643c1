"""Reconciliation by run: this run's planned seqs are processed, in the DLQ or in flight; everything else the queues
and logs hold is set apart. The queues are read through SQS (Stubber) or a fake with their contents."""

import json

import boto3
import pandas as pd
from botocore.stub import ANY, Stubber

from analysis.queues import (
    DEFAULT_REDELIVERY_S,
    PEEK_VISIBILITY_S,
    DeadLetters,
    SqsQueues,
    redelivery_bound_s,
    sort_dead_letters,
    wait_for_drain,
)
from analysis.reconcile import describe_apart, describe_problem, finished_seqs, reconcile, unknown
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


def items(variant: str, ok: range | list[int], failed: range = range(0)) -> list[dict]:
    rows = [{"variant": variant, "seq": s, "error": False} for s in ok]
    # a poisoned message: every receive writes an error document, then it moves to the DLQ
    return rows + [{"variant": variant, "seq": s, "error": True} for s in failed for _ in range(2)]


def manifest(target: str = "sqs", sent: int = 100) -> RunManifest:
    return RunManifest(run_id=RUN, started_at=1_764_057_600.0, ended_at=1_764_057_620.0, interrupted=False,
                       config={"target": target}, outputs={},
                       targets={vid: TargetCounts(scheduled=sent + 1, sent=sent, failed=1, retried=4)
                                for vid in (TWIN, X86, ARM)})  # not in matrix order: the result is


class FakeQueues:
    """Queue contents by URL: (visible, not visible) counts and what each DLQ holds, sorted."""

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


NO_APART = {"unplanned_items": 0, "dlq_unplanned": 0, "dlq_other_runs": 0, "dlq_unreadable": 0, "dlq_unread": 0,
            "queue_other": 0}


def client():
    return boto3.client("sqs", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")


def all_done(extra: list[dict] | None = None) -> pd.DataFrame:
    return pd.DataFrame(items(ARM, range(100)) + items(X86, range(100)) + items(TWIN, range(100)) + (extra or []))


def test_sqs_queues_reads_the_dlq_and_makes_every_message_visible_again():
    sqs = client()
    url = outputs().functions[ARM].dlq_url
    receive = {"QueueUrl": url, "MaxNumberOfMessages": 10, "VisibilityTimeout": PEEK_VISIBILITY_S,
               "WaitTimeSeconds": 1}
    first = [message(i, body(90 + i)) for i in range(10)]
    second = [message(10, body(7, run_id="20261124T080000Z-0000")), message(11, "not json")]
    with Stubber(sqs) as stub:
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
        queues = SqsQueues(sqs)
        assert queues.count(url) == (12, 0)
        dead = queues.dead_letters(url, RUN)
        stub.assert_no_pending_responses()
    assert dead == DeadLetters(tuple(range(90, 100)), other_runs=1, unreadable=1, samples=("'not json'",))
    assert dead.seen == 12


def test_dead_letters_are_sorted_by_whose_they_are_and_unreadable_ones_never_crash():
    unreadable = ["{not json", "", "[1, 2]", "null", '"text"', "[" * 50_000 + "]" * 50_000,
                  '{"a": ' * 50_000 + "1" + "}" * 50_000, json.dumps({"seq": 3}), json.dumps({"run_id": 5, "seq": 3}),
                  json.dumps({"run_id": RUN + "\n", "seq": 3}), json.dumps({"run_id": "-bad", "seq": 3}), "x" * 10_000]
    mine = [body(4), body(4), body(10**9), json.dumps({"run_id": RUN, "seq": "4"}), json.dumps({"run_id": RUN})]
    dead = sort_dead_letters(unreadable + mine + [body(4, run_id=RUN + "0"), body(4, run_id="baseline-1024")], RUN)
    assert (dead.seqs, dead.without_seq, dead.other_runs, dead.unreadable) == ((4, 4, 10**9), 2, 2, 12)
    assert dead.seen == 19
    assert dead.samples == ("'{not json'", "''", "'[1, 2]'")  # the first three, cut short
    assert len(sort_dead_letters(["y" * 10_000], RUN).samples[0]) < 100


def test_redelivery_is_the_visibility_timeout_times_the_receives_before_the_dlq():
    sqs = client()
    asked = ["VisibilityTimeout", "RedrivePolicy"]
    policy = json.dumps({"deadLetterTargetArn": "arn:aws:sqs:us-east-1:123456789012:dlq", "maxReceiveCount": 5})
    with Stubber(sqs) as stub:
        stub.add_response("get_queue_attributes", {"Attributes": {"VisibilityTimeout": "900",
                                                                  "RedrivePolicy": policy}},
                          {"QueueUrl": "q1", "AttributeNames": asked})
        stub.add_response("get_queue_attributes", {"Attributes": {"VisibilityTimeout": "180",
                                                                  "RedrivePolicy": policy}},
                          {"QueueUrl": "q2", "AttributeNames": asked})
        # timeoutSeconds 150: 6 × 150 s visibility, 5 receives: far past a fixed 900 s
        assert redelivery_bound_s(SqsQueues(sqs), ["q1", "q2"]) == 4500
        stub.add_response("get_queue_attributes", {"Attributes": {"VisibilityTimeout": "12"}},
                          {"QueueUrl": "q3", "AttributeNames": asked})
        assert SqsQueues(sqs).redelivery_s("q3") is None  # no redrive policy: no bound of its own
        stub.add_client_error("get_queue_attributes", "AWS.SimpleQueueService.NonExistentQueue", "no queue", 400)
        assert redelivery_bound_s(SqsQueues(sqs), ["q4"]) == DEFAULT_REDELIVERY_S == 6 * 30 * 5
        stub.assert_no_pending_responses()
    assert redelivery_bound_s(SqsQueues(sqs), []) == 0


def test_everything_accounted_for_with_a_dlq_of_this_run_and_others():
    stack = outputs()
    arm, x86 = stack.functions[ARM], stack.functions[X86]
    frame = pd.DataFrame(items(ARM, range(95), failed=range(95, 100)) + items(X86, range(97)) + items(TWIN, range(100)))
    queues = FakeQueues({arm.dlq_url: (7, 0), x86.queue_url: (1, 2)},  # x86_64: 3 still being processed
                        {arm.dlq_url: DeadLetters(tuple(range(95, 100)), other_runs=2)})  # 2 from an earlier run
    result = reconcile(manifest(), frame, stack, queues)
    assert result["status"] == "ok" and result["lost"] == 0
    assert list(result["by_variant"]) == list(result["apart"]) == [ARM, X86, TWIN]
    assert result["by_variant"][ARM] == {"sent": 100, "processed": 95, "failed": 1, "in_dlq": 5, "in_flight": 0,
                                         "lost": 0}
    assert result["apart"][ARM] == {**NO_APART, "dlq_other_runs": 2}
    assert result["by_variant"][X86]["in_flight"] == 3 and result["apart"][X86] == NO_APART
    assert (result["sent"], result["processed"], result["in_dlq"]) == (300, 292, 5)
    assert describe_problem(result) is None and "in_dlq_whole_queue" not in result
    assert describe_apart(result) == [f"2 DLQ messages belong to other runs ({ARM}): set apart, not counted in "
                                      "this run's figures."]


def test_another_runs_messages_in_the_main_queue_are_no_negative_loss():
    """The issue's false alarm: a clean run whose queue holds a second run's messages reported lost −N, exit 3."""
    stack = outputs()
    queues = FakeQueues({stack.functions[ARM].queue_url: (30, 10)})
    result = reconcile(manifest(), all_done(), stack, queues)
    assert result["status"] == "ok" and describe_problem(result) is None
    assert result["by_variant"][ARM] == {"sent": 100, "processed": 100, "failed": 1, "in_dlq": 0, "in_flight": 0,
                                         "lost": 0}
    assert result["apart"][ARM] == {**NO_APART, "queue_other": 40}
    # still missing 5: the queue's messages explain at most those 5, the other 35 are set apart
    frame = pd.DataFrame(items(ARM, range(95)) + items(X86, range(100)) + items(TWIN, range(100)))
    result = reconcile(manifest(), frame, stack, queues)
    assert result["status"] == "ok" and result["by_variant"][ARM]["in_flight"] == 5
    assert result["apart"][ARM]["queue_other"] == 35


def test_unplanned_seqs_of_this_run_are_set_apart_not_counted():
    """Stray messages with this run's id: seqs past the plan (0 … 100: scheduled 101), none at all, or a planned
    seq's second copy."""
    stack = outputs()
    dlq = stack.functions[X86].dlq_url
    strays = items(ARM, [101, 102, 10**9]) + [{"variant": ARM, "seq": None, "error": True}] * 2
    frame = pd.DataFrame(items(ARM, range(100)) + items(X86, range(98)) + items(TWIN, range(100)) + strays)
    queues = FakeQueues({dlq: (6, 0)}, {dlq: DeadLetters((98, 99, 99, 101, 5000), without_seq=1)})
    result = reconcile(manifest(), frame, stack, queues)
    assert result["status"] == "ok"
    assert result["by_variant"][ARM]["processed"] == 100 and result["apart"][ARM]["unplanned_items"] == 5
    assert result["by_variant"][X86] == {"sent": 100, "processed": 98, "failed": 1, "in_dlq": 2, "in_flight": 0,
                                         "lost": 0}
    assert result["apart"][X86] == {**NO_APART, "dlq_unplanned": 4}  # 99 again, 101, 5000, the seq-less one
    assert describe_apart(result) == [
        f"5 work-item documents of this run name no planned seq ({ARM}): set apart, not counted in this run's figures.",
        f"4 DLQ messages of this run are not a planned seq's first copy ({X86}): set apart, not counted in this "
        "run's figures."]


def test_a_dlq_of_unreadable_bodies_is_reported_not_fatal():
    stack = outputs()
    dlq = stack.functions[TWIN].dlq_url
    bodies = ["{not json", "[" * 50_000 + "]" * 50_000, "42"]
    queues = FakeQueues({dlq: (3, 0)}, {dlq: sort_dead_letters(bodies, RUN)})
    result = reconcile(manifest(), all_done(), stack, queues)
    assert result["status"] == "ok" and result["apart"][TWIN] == {**NO_APART, "dlq_unreadable": 3}
    assert result["unreadable_samples"][0] == "'{not json'" and len(result["unreadable_samples"]) == 3
    (note,) = describe_apart(result)
    assert note.startswith(f"3 DLQ messages are unreadable, not a JSON work request with a run id ({TWIN}), "
                           "e.g. '{not json', '[[[[")


def test_work_done_by_an_invocation_that_timed_out_is_counted_once():
    """The item's EMF document says done, but the invocation timed out and the message ended in the DLQ."""
    stack = outputs()
    dlq = stack.functions[ARM].dlq_url
    result = reconcile(manifest(), all_done(), stack, FakeQueues({dlq: (3, 0)}, {dlq: DeadLetters((1, 2, 3))}))
    assert result["by_variant"][ARM]["processed"] == 97 and result["by_variant"][ARM]["in_dlq"] == 3
    assert result["lost"] == 0


def test_lost_messages_are_said_loudly():
    frame = pd.DataFrame(items(ARM, range(100)) + items(X86, range(100)) + items(TWIN, range(90)))
    result = reconcile(manifest(), frame, outputs(), FakeQueues({}))
    assert result["status"] == "lost" and result["lost"] == 10
    assert describe_problem(result) == f"{TWIN}: 10 of 100 messages sent are unaccounted for"


def test_a_dlq_too_large_to_read_counts_its_unread_messages_only_up_to_what_is_missing():
    stack = outputs()
    dlq = stack.functions[ARM].dlq_url
    frame = pd.DataFrame(items(ARM, range(90)) + items(X86, range(100)) + items(TWIN, range(100)))
    queues = FakeQueues({dlq: (20_000, 0)}, {dlq: DeadLetters((), other_runs=10_000)})
    result = reconcile(manifest(), frame, stack, queues)
    assert result["status"] == "ok" and result["in_dlq_whole_queue"] == [ARM]
    assert result["by_variant"][ARM]["in_dlq"] == 10 and result["by_variant"][ARM]["lost"] == 0
    assert result["apart"][ARM] == {**NO_APART, "dlq_other_runs": 10_000, "dlq_unread": 9_990}


def test_api_target_counts_answered_errors_as_processed_and_ignores_queues():
    frame = pd.DataFrame(items(ARM, range(98), failed=range(98, 100)) + items(X86, range(100))
                         + items(TWIN, range(100)) + items(ARM, [], failed=range(1000, 1003)))
    assert {vid: len(seqs) for vid, seqs in finished_seqs(frame, "api").items()} == {ARM: 103, X86: 100, TWIN: 100}
    assert len(finished_seqs(frame, "sqs")[ARM]) == 98

    class NoQueues:
        def count(self, url):
            raise AssertionError("an API run must not read the queues")

        def dead_letters(self, url, run_id):
            raise AssertionError("an API run must not read the queues")

    result = reconcile(manifest("api"), frame, outputs(), NoQueues())
    assert result["status"] == "ok" and result["by_variant"][ARM]["processed"] == 100
    assert result["apart"][ARM] == {**NO_APART, "unplanned_items": 6}  # 3 bad requests, one document per try


def test_unreachable_queues_make_the_reconciliation_unknown():
    sqs = client()
    with Stubber(sqs) as stub:
        stub.add_client_error("get_queue_attributes", "AWS.SimpleQueueService.NonExistentQueue", "no queue", 400)
        result = reconcile(manifest(), all_done(), outputs(), SqsQueues(sqs))
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
