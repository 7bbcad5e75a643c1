"""Nothing the functions would refuse is sent, and a log without a terminal says why sends fail."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator

import boto3
import pytest
from botocore.stub import Stubber
from rich.console import Console

from core import UsageError
from handlers.validation import MAX_SEED
from loadgen import LoadRequest, Profile, WorkloadShare, plan_load
from loadgen.plan import build_plan
from loadgen.progress import live_progress
from loadgen.sqs import SqsTarget
from loadgen.stats import RunStats
from stack import StackOutputs
from tests.unit.loadgen.fake_api import outputs_dict, variant

QUEUE = "https://sqs.us-east-1.amazonaws.com/123456789012/bench-arm64-queue"


def request(mix: tuple[WorkloadShare, ...] = (WorkloadShare("noop", 1.0, 0),), seed: int = 0,
            run_id: str = "baseline-1024", iterations: int = 1) -> LoadRequest:
    return LoadRequest(rate_text="10/s", profile=Profile("sustained", 10.0, 1.0), mix=mix, iterations=iterations,
                       seed=seed, run_id=run_id)


def outputs(memory: dict[str, int]) -> StackOutputs:
    """A stack of one variant per architecture, at the memory given."""
    return StackOutputs.from_dict(outputs_dict("http://127.0.0.1:1", True,
                                               tuple(variant(arch, mb) for arch, mb in memory.items())))


def test_a_free_form_run_id_plans() -> None:
    assert plan_load(request(), outputs({"arm64": 1024, "x86_64": 1024})).plan.run_id == "baseline-1024"


@pytest.mark.parametrize("seed", [-1, MAX_SEED + 1, 2**64])
def test_a_seed_the_handler_refuses_is_refused_before_planning(seed: int) -> None:
    with pytest.raises(UsageError, match=f"--seed {seed} is outside 0–{MAX_SEED}"):
        plan_load(request(seed=seed), outputs({"arm64": 1024}))
    assert plan_load(request(seed=MAX_SEED), outputs({"arm64": 1024})).plan.seed == MAX_SEED


def test_the_size_must_fit_the_smallest_function_it_is_sent_to() -> None:
    mix = (WorkloadShare("memory", 1.0, 700),)  # about 64 + 702 MB
    assert plan_load(request(mix), outputs({"arm64": 1024, "x86_64": 1024})).plan.total == 10
    with pytest.raises(UsageError) as caught:
        plan_load(request(mix), outputs({"arm64": 1024, "x86_64": 512}))
    assert str(caught.value) == ("'size' 700 of workload 'memory' needs about 766 MB; the function has 512 MB "
                                 "(py313-512-x86_64)")
    with pytest.raises(UsageError, match="the function has 1024 MB"):  # no stack: the default settings
        plan_load(request((WorkloadShare("memory", 1.0, 2000),)), None)


def test_a_bad_run_id_or_iterations_from_a_library_caller_is_refused_too() -> None:
    with pytest.raises(UsageError, match="--run-id 'no run' is not a run id"):
        plan_load(request(run_id="no run"), None)
    with pytest.raises(UsageError, match="'iterations' is 5000, outside 1–1000"):
        plan_load(request(iterations=5000), None)


@pytest.fixture
def sqs() -> Iterator[tuple[object, Stubber]]:
    client = boto3.client("sqs", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stubber:
        yield client, stubber


def test_an_sqs_refusal_names_its_reason_and_the_seq_not_only_the_code(sqs: tuple[object, Stubber]) -> None:
    client, stubber = sqs
    refusal = {"Id": "1", "SenderFault": True, "Code": "InvalidParameterValue",
               "Message": "One or more parameters are invalid. Reason: Message must be shorter than 262144 bytes."}
    stubber.add_response("send_message_batch", {"Successful": [], "Failed": [refusal]})
    plan = build_plan("baseline-1024", Profile("sustained", 10.0, 1.0), (WorkloadShare("noop", 1.0, 0),), 1, 0)
    arm = "py313-1024-arm64"
    stats = RunStats((arm,))
    SqsTarget(client, {arm: QUEUE}, plan, stats, backoff_s=0.0).send(arm, [1], [0.0])
    assert stats.last_error == (f"{arm}: 1 entries failed: InvalidParameterValue: One or more parameters are "
                                "invalid. Reason: Message must be shorter than 262144 bytes. (seq 1)")


def test_without_a_terminal_the_first_error_of_each_kind_is_printed_once() -> None:
    plan = build_plan("baseline-1024", Profile("sustained", 10.0, 1.0), (WorkloadShare("noop", 1.0, 0),), 1, 0)
    stats = RunStats(("arm64", "x86_64"))
    out = io.StringIO()
    console = Console(file=out, force_terminal=False, width=80)
    first_printed = threading.Event()
    with live_progress(stats.snapshot, plan, "sqs", console, stats.take_first_errors):
        for _ in range(3):
            stats.note_error("arm64: HTTP 400: {\"error\": {\"code\": \"out_of_bounds\"}}", kind="arm64 HTTP 400")
        for _ in range(50):  # printed while the run goes on, not only at its end
            if "HTTP 400" in out.getvalue():
                first_printed.set()
                break
            threading.Event().wait(0.05)
        stats.note_error("x86_64: SendMessageBatch: Could not connect to the endpoint URL",
                         kind="x86_64 call EndpointConnectionError")
        stats.note_error("arm64: HTTP 400: another body", kind="arm64 HTTP 400")
    lines = out.getvalue().splitlines()
    assert first_printed.is_set()
    assert lines == ['run baseline-1024: error: arm64: HTTP 400: {"error": {"code": "out_of_bounds"}}',
                     "run baseline-1024: error: x86_64: SendMessageBatch: Could not connect to the endpoint URL"]
