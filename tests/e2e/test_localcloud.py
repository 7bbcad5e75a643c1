"""End to end on a real MiniStack (the session's ``local_cloud``): queues, DLQ redrive, routes, EMF, idempotent up."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeVar

import pytest

import localcloud
from handlers.contract import P_SEQ, WorkRequest, new_run_id
from localcloud import post_json
from stack import Settings, StackOutputs, describe_stack
from tests.support.local_logs import emf_documents

ARCHES = ("arm64", "x86_64")
T = TypeVar("T")


def _request(run_id: str, seq: int) -> WorkRequest:
    return WorkRequest(run_id=run_id, seq=seq, workload="noop", size=0)


def _wait_for(fetch: Callable[..., T], done: Callable[[T], bool], timeout_s: float, what: str) -> T:
    """Poll ``fetch`` until ``done`` holds for its value; fail naming ``what`` and the last value otherwise."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = fetch()
        if done(value):
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not happen within {timeout_s:.0f} s (last: {value!r})")
        time.sleep(0.5)


def _send(outputs: StackOutputs, arch: str, bodies: list[str]) -> None:
    assert outputs.endpoint_url
    sqs = outputs.client("sqs")
    entries = [{"Id": str(i), "MessageBody": body} for i, body in enumerate(bodies)]
    for start in range(0, len(entries), 10):
        answer = sqs.send_message_batch(QueueUrl=outputs.functions[arch].queue_url, Entries=entries[start:start + 10])
        assert not answer.get("Failed"), answer["Failed"]


def test_outputs_name_what_the_stack_spec_describes(local_cloud: StackOutputs, local_cloud_settings: Settings) -> None:
    spec = describe_stack(local_cloud_settings, localcloud.PREFIX)
    assert set(local_cloud.functions) == set(ARCHES)
    for fn in spec.functions:
        out = local_cloud.functions[fn.architecture]
        assert (out.name, out.log_group, out.route) == (fn.function_name, fn.log_group, fn.route_path)
        assert out.queue_url.endswith("/" + fn.queue_name) and out.dlq_url.endswith("/" + fn.dlq_name)
    assert local_cloud.endpoint_url and local_cloud.api_url.startswith(local_cloud.endpoint_url + "/_aws/execute-api/")


def test_each_function_processes_its_own_queue_and_logs_emf_with_the_run_id(local_cloud: StackOutputs) -> None:
    run_id, count = new_run_id(), 15
    for arch in ARCHES:
        _send(local_cloud, arch, [_request(run_id, seq).to_json() for seq in range(count)])
    for arch in ARCHES:
        group = local_cloud.functions[arch].log_group
        documents = _wait_for(lambda g=group: emf_documents(local_cloud, g, run_id), lambda d: len(d) >= count,
                              30, f"{count} EMF documents in {group}")
        assert sorted(doc[P_SEQ] for doc in documents) == list(range(count))
        assert {doc["Architecture"] for doc in documents} == {arch}
        assert {doc["Trigger"] for doc in documents} == {"sqs"}


def test_bad_bodies_end_in_the_dlq_while_the_rest_of_their_batch_is_processed(
        local_cloud: StackOutputs, local_cloud_settings: Settings) -> None:
    run_id = new_run_id()
    bad = [f"not json {run_id}", "[" * 50_000 + "]" * 50_000]  # the second: RecursionError in json.loads
    for arch in ARCHES:  # one batch of ten: eight good, two bad
        _send(local_cloud, arch, [_request(run_id, seq).to_json() for seq in range(8)] + bad)
    assert local_cloud.endpoint_url
    sqs = local_cloud.client("sqs")
    redrive_s = local_cloud_settings.queue_visibility_timeout_s * local_cloud_settings.dlq_max_receives
    for arch in ARCHES:
        fn = local_cloud.functions[arch]
        seen: dict[str, dict[str, Any]] = {}

        def dead_letters(url: str = fn.dlq_url, seen: dict[str, dict[str, Any]] = seen) -> list[dict[str, Any]]:
            for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                                               VisibilityTimeout=60,
                                               AttributeNames=["ApproximateReceiveCount"]).get("Messages", []):
                seen[message["MessageId"]] = message
            return list(seen.values())

        messages = _wait_for(dead_letters, lambda m: len(m) >= len(bad), redrive_s + 20,
                             f"the bad messages in {fn.dlq_url}")
        assert sorted(m["Body"] for m in messages) == sorted(bad)
        assert all(int(m["Attributes"]["ApproximateReceiveCount"]) >= local_cloud_settings.dlq_max_receives
                   for m in messages)
        documents = emf_documents(local_cloud, fn.log_group, run_id)
        assert sorted(doc[P_SEQ] for doc in documents) == list(range(8))  # each valid item exactly once
        assert {doc["Errors"] for doc in documents} == {0}
        left = sqs.get_queue_attributes(QueueUrl=fn.queue_url, AttributeNames=["All"])["Attributes"]
        assert (left["ApproximateNumberOfMessages"], left["ApproximateNumberOfMessagesNotVisible"]) == ("0", "0")


@pytest.mark.parametrize("arch", ARCHES)
def test_each_route_answers_200_for_good_work_and_400_with_a_json_error_for_bad(
        local_cloud: StackOutputs, arch: str) -> None:
    url = local_cloud.api_url + local_cloud.functions[arch].route
    run_id = new_run_id()
    status, _ = post_json(url, _request(run_id, 0).to_json())
    assert status == 200
    status, body = post_json(url, json.dumps({"run_id": run_id, "seq": 1, "workload": "no-such-workload", "size": 0}))
    assert status == 400
    assert isinstance(body["error"]["code"], str) and body["error"]["message"]
    documents = _wait_for(lambda: emf_documents(local_cloud, local_cloud.functions[arch].log_group, run_id),
                          bool, 20, f"an API-triggered EMF document for {arch}")
    assert {doc["Trigger"] for doc in documents if doc[P_SEQ] == 0} == {"api"}


@pytest.mark.parametrize("arch", ARCHES)
def test_a_route_answers_400_for_a_body_too_deep_and_504_for_work_past_its_budget(
        local_cloud: StackOutputs, local_cloud_settings: Settings, arch: str) -> None:
    url = local_cloud.api_url + local_cloud.functions[arch].route
    run_id = new_run_id()
    status, body = post_json(url, "[" * 50_000 + "]" * 50_000)
    assert (status, body["error"]["code"]) == (400, "invalid_json")
    slow = WorkRequest(run_id=run_id, seq=1, workload="primes", size=1_000_000, iterations=100)
    started = time.monotonic()
    status, body = post_json(url, slow.to_json())
    assert (status, body["error"]["code"]) == (504, "deadline_exceeded")  # the handler's answer, not a timeout
    assert time.monotonic() - started < local_cloud_settings.timeout_s + 5
    status, _ = post_json(url, _request(run_id, 2).to_json())
    assert status == 200  # the same warm worker still answers
    documents = _wait_for(lambda: emf_documents(local_cloud, local_cloud.functions[arch].log_group, run_id),
                          lambda d: len(d) >= 2, 20, f"the API-triggered EMF documents for {arch}")
    assert sorted((doc[P_SEQ], doc["ErrorType"]) for doc in documents) == [(1, "deadline_exceeded"), (2, None)]


def test_routes_refuse_an_unsigned_request_when_auth_is_iam(local_cloud: StackOutputs) -> None:
    url = local_cloud.api_url + local_cloud.functions["arm64"].route
    status, _ = post_json(url, _request(new_run_id(), 0).to_json(), sign=False)
    assert status == 403


def test_up_again_updates_in_place(local_cloud: StackOutputs, local_cloud_settings: Settings) -> None:
    assert local_cloud.endpoint_url
    lam, api = local_cloud.client("lambda"), local_cloud.client("apigatewayv2")
    changed = replace(local_cloud_settings, memory_mb=512, batch_size=5)
    try:
        again = localcloud.up(changed)
        assert again.to_dict() == {**local_cloud.to_dict(), "functions": {
            arch: {**fn, "memory_mb": 512} for arch, fn in local_cloud.to_dict()["functions"].items()}}
        for fn in again.functions.values():
            assert lam.get_function_configuration(FunctionName=fn.name)["MemorySize"] == 512
            mappings = lam.list_event_source_mappings(FunctionName=fn.name)["EventSourceMappings"]
            assert [m["BatchSize"] for m in mappings] == [5]
        assert [a["Name"] for a in api.get_apis()["Items"]] == [f"{localcloud.PREFIX}-api"]
        api_id = local_cloud.api_url.split("/")[-2]
        assert len(api.get_routes(ApiId=api_id)["Items"]) == len(ARCHES)
        assert len(api.get_integrations(ApiId=api_id)["Items"]) == len(ARCHES)
        assert [s["StageName"] for s in api.get_stages(ApiId=api_id)["Items"]] == ["$default"]
    finally:
        assert localcloud.up(local_cloud_settings).to_dict() == local_cloud.to_dict()
