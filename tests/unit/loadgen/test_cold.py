"""The cold profile: every round recycles every function (environment kept, one variable changed, updates waited
for), then sends the round's seq to every variant; missing functions and failed updates are clear errors."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from core import read_manifest, run_dir
from loadgen import LoadRequest, Profile, WorkloadShare, plan_load, run_load
from loadgen.cli import main
from loadgen.cold import COLD_ROUND_VAR
from loadgen.recycle import FunctionRecycler, RecycleError
from loadgen.sqs import SqsTarget
from loadgen.stats import RunStats
from stack import StackOutputs
from tests.unit.loadgen.fake_api import VARIANTS, Recorder, outputs_dict, received_by_variant

RUN_ID = "cold-1"
ENV = {"ARCHBENCH_VARIANT": "kept", "LOG_LEVEL": "INFO"}


@pytest.fixture
def lam() -> Iterator[tuple[Any, Stubber]]:
    client = boto3.client("lambda", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stubber:
        yield client, stubber


def names(outputs: StackOutputs) -> dict[str, str]:
    return {variant: fn.name for variant, fn in outputs.variants.items()}


def config(name: str, variables: dict[str, str], status: str = "Successful") -> dict[str, Any]:
    return {"FunctionName": name, "Environment": {"Variables": variables}, "LastUpdateStatus": status,
            "LastUpdateStatusReason": "boom" if status == "Failed" else ""}


def expect_check(stubber: Stubber, functions: dict[str, str]) -> None:
    for name in functions.values():
        stubber.add_response("get_function_configuration", config(name, ENV), {"FunctionName": name})


def expect_round(stubber: Stubber, functions: dict[str, str], marker: str, previous: str | None = None,
                 final_status: str = "Successful") -> None:
    """One round's calls: read and update each function, then the waiter's polls (one InProgress first)."""
    for name in functions.values():
        before = {**ENV, COLD_ROUND_VAR: previous} if previous else ENV
        stubber.add_response("get_function_configuration", config(name, before), {"FunctionName": name})
        stubber.add_response("update_function_configuration", config(name, before, "InProgress"),
                             {"FunctionName": name, "Environment": {"Variables": {**ENV, COLD_ROUND_VAR: marker}}})
    for index, name in enumerate(functions.values()):
        if index == 0:
            stubber.add_response("get_function_configuration", config(name, ENV, "InProgress"), {"FunctionName": name})
        stubber.add_response("get_function_configuration", config(name, ENV, final_status), {"FunctionName": name})


def stubbed(base: str, lam_client: Any) -> StackOutputs:
    """The fake API's stack whose Lambda client is ``lam_client``."""

    class Stubbed(StackOutputs):
        def client(self, service: str, **config: Any) -> Any:
            assert service == "lambda"
            return lam_client

    data = StackOutputs.from_dict(outputs_dict(base))
    return Stubbed(data.region, data.endpoint_url, data.api_url, data.functions)


def cold_load(outputs: StackOutputs, count: int) -> Any:
    request = LoadRequest(rate_text=f"{count} cold rounds", profile=Profile("cold", 0.0, 0.0, count=count),
                          mix=(WorkloadShare("noop", 1.0, 0),), iterations=1, seed=2, run_id=RUN_ID, target="api")
    return plan_load(request, outputs)


@pytest.fixture(autouse=True)
def quick_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("loadgen.recycle.UPDATE_POLL_S", 0)


def test_each_round_recycles_every_function_before_its_requests_go_out(api: str, lam) -> None:
    client, stubber = lam
    outputs = stubbed(api, client)
    functions = names(outputs)
    expect_check(stubber, functions)
    previous = None
    for seq in range(3):
        expect_round(stubber, functions, f"{RUN_ID}-{seq}", previous)
        previous = f"{RUN_ID}-{seq}"
    received_at_update: list[tuple[str, int]] = []
    client.meta.events.register(
        "provide-client-params.lambda.UpdateFunctionConfiguration",
        lambda params, **_: received_at_update.append((params["Environment"]["Variables"][COLD_ROUND_VAR],
                                                       len(Recorder.received))))

    manifest = run_load(cold_load(outputs, 3), outputs, stop=threading.Event())

    stubber.assert_no_pending_responses()
    # Round r's updates happen after every variant got rounds 0 … r-1, and before any of round r.
    assert received_at_update == [(f"{RUN_ID}-{r}", r * len(VARIANTS)) for r in range(3) for _ in VARIANTS]
    by_variant = received_by_variant()
    assert all(sorted(received) == [0, 1, 2] for received in by_variant.values())
    assert not manifest.interrupted and manifest.config["profile"] == "cold" and manifest.config["count"] == 3
    assert {variant: counts.scheduled for variant, counts in manifest.targets.items()} == dict.fromkeys(VARIANTS, 3)
    assert manifest.to_dict() == read_manifest(RUN_ID).to_dict()


def test_a_stop_ends_after_the_round_in_progress_with_an_interrupted_manifest(api: str, lam) -> None:
    client, stubber = lam
    outputs = stubbed(api, client)
    functions = names(outputs)
    expect_check(stubber, functions)
    expect_round(stubber, functions, f"{RUN_ID}-0")
    expect_round(stubber, functions, f"{RUN_ID}-1", f"{RUN_ID}-0")
    stop = threading.Event()
    client.meta.events.register(
        "provide-client-params.lambda.UpdateFunctionConfiguration",
        lambda params, **_: stop.set() if params["Environment"]["Variables"][COLD_ROUND_VAR].endswith("-1") else None)

    manifest = run_load(cold_load(outputs, 10), outputs, stop=stop)

    assert manifest.interrupted
    assert {counts.sent for counts in manifest.targets.values()} == {2}  # round 1 still went out whole


def test_a_missing_function_is_refused_before_anything_is_sent(api: str, lam) -> None:
    client, stubber = lam
    outputs = stubbed(api, client)
    stubber.add_client_error("get_function_configuration", service_error_code="ResourceNotFoundException",
                             http_status_code=404)
    with pytest.raises(RecycleError) as caught:
        run_load(cold_load(outputs, 3), outputs, stop=threading.Event())
    assert str(caught.value) == (f"{VARIANTS[0]}'s function bench_{VARIANTS[0]} does not exist: is the stack up? "
                                 "(`python -m localcloud status`, or `pulumi stack`)")
    assert Recorder.received == [] and not run_dir(RUN_ID).exists()


def test_a_refused_update_names_the_permissions(lam) -> None:
    client, stubber = lam
    stubber.add_response("get_function_configuration", config("f", ENV), {"FunctionName": "f"})
    stubber.add_client_error("update_function_configuration", service_error_code="AccessDeniedException",
                             http_status_code=403)
    with pytest.raises(RecycleError, match="needs lambda:GetFunctionConfiguration and "
                                           "lambda:UpdateFunctionConfiguration"):
        FunctionRecycler(client, {"v": "f"}, variable=COLD_ROUND_VAR, needed_by="--profile cold").recycle("r-0")


def test_a_failed_update_mid_run_stops_it_and_still_writes_the_manifest(api: str, lam) -> None:
    client, stubber = lam
    outputs = stubbed(api, client)
    functions = names(outputs)
    expect_check(stubber, functions)
    expect_round(stubber, functions, f"{RUN_ID}-0")
    expect_round(stubber, functions, f"{RUN_ID}-1", f"{RUN_ID}-0", final_status="Failed")
    with pytest.raises(RecycleError) as caught:
        run_load(cold_load(outputs, 3), outputs, stop=threading.Event())
    assert f"the update of {VARIANTS[0]}'s function bench_{VARIANTS[0]} did not finish: boom" in str(caught.value)
    assert str(run_dir(RUN_ID) / "manifest.json") in str(caught.value)
    manifest = read_manifest(RUN_ID)
    assert manifest.interrupted and {counts.sent for counts in manifest.targets.values()} == {1}


def test_the_sqs_target_settles_once_every_queue_is_empty_in_flight_included() -> None:
    client = boto3.client("sqs", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    queues = {"a": "https://sqs.us-east-1.amazonaws.com/1/a", "b": "https://sqs.us-east-1.amazonaws.com/1/b"}
    busy = {"ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesNotVisible": "1"}
    empty = {"ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesNotVisible": "0"}
    with Stubber(client) as stubber:
        stubber.add_response("get_queue_attributes", {"Attributes": busy}, {"QueueUrl": queues["a"],
                                                                           "AttributeNames": ANY})
        stubber.add_response("get_queue_attributes", {"Attributes": empty}, {"QueueUrl": queues["b"],
                                                                            "AttributeNames": ANY})
        stubber.add_response("get_queue_attributes", {"Attributes": empty}, {"QueueUrl": queues["a"],
                                                                            "AttributeNames": ANY})
        target = SqsTarget(client, queues, None, RunStats(("a", "b")))  # type: ignore[arg-type]
        assert target.settle(("a", "b"), threading.Event(), timeout_s=10.0) == []
        stubber.assert_no_pending_responses()
        stubber.add_response("get_queue_attributes", {"Attributes": busy})
        assert target.settle(("a",), threading.Event(), timeout_s=0.0) == ["a"]  # timed out: still busy


@pytest.mark.parametrize(("args", "message"), [
    (["--profile", "cold"], "--profile cold needs --count N"),
    (["--profile", "cold", "--count", "3", "--rate", "5/s"], "--profile cold takes --count N, not --rate"),
    (["--profile", "cold", "--count", "0"], "--count must be 1–1000 cold rounds, got 0"),
    (["--rate", "5/s", "--duration", "1m", "--count", "3"], "--count is for --profile cold"),
    (["--rate", "5/s"], "--profile sustained needs --rate and --duration"),
])
def test_cold_options_are_checked_in_one_line(args: list[str], message: str, capsys) -> None:
    assert main([*args, "--workload", "noop", "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_a_cold_dry_run_prices_count_requests_for_every_variant(capsys) -> None:
    assert main(["--profile", "cold", "--count", "10", "--workload", "noop", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "10 forced cold starts per variant to 3 variants via sqs" in out
    assert "AWS cost guard: 30 work items" in out
