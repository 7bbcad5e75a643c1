"""End to end on a real MiniStack (the session's ``local_cloud``, every variant of its matrix, the twin included):
queues, DLQ redrive, routes, EMF, idempotent up."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeVar

import pytest

import localcloud
from handlers.contract import DIM_VARIANT, P_ARCHITECTURE, P_SEQ, WorkRequest, new_run_id
from localcloud import post_json
from stack import Settings, StackOutputs, describe_stack
from tests.e2e.conftest import LOCAL_TEST_SETTINGS
from tests.support.local_logs import emf_documents

VARIANTS = tuple(variant.id for variant in LOCAL_TEST_SETTINGS.variants)
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


def _send(outputs: StackOutputs, variant_id: str, bodies: list[str]) -> None:
    assert outputs.endpoint_url
    sqs, queue_url = outputs.client("sqs"), outputs.functions[variant_id].queue_url
    entries = [{"Id": str(i), "MessageBody": body} for i, body in enumerate(bodies)]
    for start in range(0, len(entries), 10):
        answer = sqs.send_message_batch(QueueUrl=queue_url, Entries=entries[start:start + 10])
        assert not answer.get("Failed"), answer["Failed"]


def test_outputs_name_what_the_stack_spec_describes(local_cloud: StackOutputs, local_cloud_settings: Settings) -> None:
    spec = describe_stack(local_cloud_settings, localcloud.PREFIX)
    assert list(local_cloud.variants) == [fn.variant_id for fn in spec.functions] == list(VARIANTS)
    assert {fn.role for fn in spec.functions} == {"subject", "control"}  # the twin is deployed too
    for fn in spec.functions:
        out = local_cloud.functions[fn.variant_id]
        assert (out.name, out.log_group, out.route) == (fn.function_name, fn.log_group, fn.route_path)
        assert (out.architecture, out.memory_mb, out.runtime, out.role) == (
            fn.architecture, fn.memory_mb, fn.runtime, fn.role)
        assert out.queue_url.endswith("/" + fn.queue_name) and out.dlq_url.endswith("/" + fn.dlq_name)
    assert local_cloud.endpoint_url and local_cloud.api_url.startswith(local_cloud.endpoint_url + "/_aws/execute-api/")


def test_each_function_processes_its_own_queue_and_logs_emf_with_the_run_id(local_cloud: StackOutputs) -> None:
    run_id, count = new_run_id(), 15
    for variant_id in VARIANTS:
        _send(local_cloud, variant_id, [_request(run_id, seq).to_json() for seq in range(count)])
    for variant_id, fn in local_cloud.variants.items():
        documents = _wait_for(lambda g=fn.log_group: emf_documents(local_cloud, g, run_id),
                              lambda d: len(d) >= count, 30, f"{count} EMF documents in {fn.log_group}")
        assert sorted(doc[P_SEQ] for doc in documents) == list(range(count))
        assert {(doc[DIM_VARIANT], doc[P_ARCHITECTURE]) for doc in documents} == {(variant_id, fn.architecture)}
        assert {doc["Trigger"] for doc in documents} == {"sqs"}


def test_bad_bodies_end_in_the_dlq_while_the_rest_of_their_batch_is_processed(
        local_cloud: StackOutputs, local_cloud_settings: Settings) -> None:
    run_id = new_run_id()
    bad = [f"not json {run_id}", "[" * 50_000 + "]" * 50_000]  # the second: RecursionError in json.loads
    for variant_id in VARIANTS:  # one batch of ten: eight good, two bad
        _send(local_cloud, variant_id, [_request(run_id, seq).to_json() for seq in range(8)] + bad)
    assert local_cloud.endpoint_url
    sqs = local_cloud.client("sqs")
    redrive_s = local_cloud_settings.queue_visibility_timeout_s * local_cloud_settings.dlq_max_receives
    for fn in local_cloud.variants.values():
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


@pytest.mark.parametrize("variant_id", VARIANTS)
def test_each_route_answers_200_for_good_work_and_400_with_a_json_error_for_bad(
        local_cloud: StackOutputs, variant_id: str) -> None:
    url = local_cloud.api_url + local_cloud.functions[variant_id].route
    run_id = new_run_id()
    status, _ = post_json(url, _request(run_id, 0).to_json())
    assert status == 200
    status, body = post_json(url, json.dumps({"run_id": run_id, "seq": 1, "workload": "no-such-workload", "size": 0}))
    assert status == 400
    assert isinstance(body["error"]["code"], str) and body["error"]["message"]
    documents = _wait_for(lambda: emf_documents(local_cloud, local_cloud.functions[variant_id].log_group, run_id),
                          bool, 20, f"an API-triggered EMF document for {variant_id}")
    assert {doc["Trigger"] for doc in documents if doc[P_SEQ] == 0} == {"api"}


@pytest.mark.parametrize("variant_id", VARIANTS)
def test_a_route_answers_400_for_a_body_too_deep_and_504_for_work_past_its_budget(
        local_cloud: StackOutputs, local_cloud_settings: Settings, variant_id: str) -> None:
    url = local_cloud.api_url + local_cloud.functions[variant_id].route
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
    documents = _wait_for(lambda: emf_documents(local_cloud, local_cloud.functions[variant_id].log_group, run_id),
                          lambda d: len(d) >= 2, 20, f"the API-triggered EMF documents for {variant_id}")
    assert sorted((doc[P_SEQ], doc["ErrorType"]) for doc in documents) == [(1, "deadline_exceeded"), (2, None)]


def test_routes_refuse_an_unsigned_request_when_auth_is_iam(local_cloud: StackOutputs) -> None:
    url = local_cloud.api_url + local_cloud.functions[VARIANTS[0]].route
    status, _ = post_json(url, _request(new_run_id(), 0).to_json(), sign=False)
    assert status == 403


def test_up_again_updates_in_place(local_cloud: StackOutputs, local_cloud_settings: Settings) -> None:
    assert local_cloud.endpoint_url
    lam, api = local_cloud.client("lambda"), local_cloud.client("apigatewayv2")
    changed = replace(local_cloud_settings, timeout_s=local_cloud_settings.timeout_s + 1, batch_size=5)
    try:
        again = localcloud.up(changed)
        assert again.to_dict() == local_cloud.to_dict()  # the same variants, resources and names
        for fn in again.functions.values():
            assert lam.get_function_configuration(FunctionName=fn.name)["Timeout"] == changed.timeout_s
            mappings = lam.list_event_source_mappings(FunctionName=fn.name)["EventSourceMappings"]
            assert [m["BatchSize"] for m in mappings] == [5]
        assert [a["Name"] for a in api.get_apis()["Items"]] == [describe_stack(changed, localcloud.PREFIX).api_name]
        api_id = local_cloud.api_url.split("/")[-2]
        assert len(api.get_routes(ApiId=api_id)["Items"]) == len(VARIANTS)
        assert len(api.get_integrations(ApiId=api_id)["Items"]) == len(VARIANTS)
        assert [s["StageName"] for s in api.get_stages(ApiId=api_id)["Items"]] == ["$default"]
    finally:
        assert localcloud.up(local_cloud_settings).to_dict() == local_cloud.to_dict()


def test_up_with_a_grown_matrix_adds_variants_and_the_original_again_removes_every_trace_of_them(
        local_cloud: StackOutputs, local_cloud_settings: Settings) -> None:
    grown = replace(local_cloud_settings, memory_sizes=(512, *local_cloud_settings.memory_sizes))
    try:
        bigger = localcloud.up(grown)  # returns once every variant, old and new, answers invoke and route
        assert list(bigger.variants) == [variant.id for variant in grown.variants]
        assert len(bigger.functions) == 2 * len(VARIANTS)
        assert {key: bigger.functions[key] for key in VARIANTS} == local_cloud.functions  # kept as they were
    finally:
        back = localcloud.up(local_cloud_settings)
    assert back.to_dict() == local_cloud.to_dict()
    spec = describe_stack(local_cloud_settings, localcloud.PREFIX)
    mine = spec.name("")
    lam, sqs, logs, iam, api = (local_cloud.client(service)
                                for service in ("lambda", "sqs", "logs", "iam", "apigatewayv2"))
    names = {fn.function_name for fn in spec.functions}
    assert {f["FunctionName"] for f in lam.list_functions()["Functions"] if f["FunctionName"].startswith(mine)} == names
    assert {m["FunctionArn"].rsplit(":", 1)[-1] for m in lam.list_event_source_mappings()["EventSourceMappings"]
            if m["FunctionArn"].rsplit(":", 1)[-1].startswith(mine)} == names
    assert {url.rsplit("/", 1)[-1] for url in sqs.list_queues(QueueNamePrefix=mine)["QueueUrls"]} == {
        name for fn in spec.functions for name in (fn.queue_name, fn.dlq_name)}
    assert {g["logGroupName"] for g in logs.describe_log_groups(logGroupNamePrefix=f"/aws/lambda/{mine}")[
        "logGroups"]} == {fn.log_group for fn in spec.functions}
    assert {r["RoleName"] for r in iam.list_roles()["Roles"] if r["RoleName"].startswith(mine)} == {
        fn.role_name for fn in spec.functions}
    api_id = local_cloud.api_url.split("/")[-2]
    assert {r["RouteKey"] for r in api.get_routes(ApiId=api_id)["Items"]} == {fn.route_key for fn in spec.functions}
    assert len(api.get_integrations(ApiId=api_id)["Items"]) == len(VARIANTS)
