"""The Pulumi program and the local deployer must not drift: same settings in, same stack out, over a matrix.

A matrix of two memory sizes × both architectures with the x86_64 twin (six variants) is deployed by the local
deployer next to the session's stack, on the session's MiniStack, under its own prefix (and removed afterwards);
the Pulumi side runs the real ``__main__.py`` under mocks with the same settings. Names differ only by their prefix
(stack name); every variant must exist on both sides with the same configuration.
"""

from __future__ import annotations

import contextlib
import io
import json
import zipfile
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from localcloud import code_zip, deploy
from stack import NAME_DELIMITER, Settings, StackOutputs, StackSpec, describe_stack
from tests.support.pulumi_harness import ProgramRun, run_program

STACK = "agree"
PULUMI_PREFIX = f"archbench-{STACK}"
LOCAL_PREFIX = "archbench-agree-local"  # not the session stack's prefix: the two stacks share one MiniStack
MATRIX = Settings(memory_sizes=(256, 1024), control="x86_64", timeout_s=3, dlq_max_receives=2, batch_size=5,
                  max_concurrency=3, log_retention_days=7, api_auth="none")
FUNCTION = "aws:lambda/function:Function"
QUEUE = "aws:sqs/queue:Queue"
MAPPING = "aws:lambda/eventSourceMapping:EventSourceMapping"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ROUTE = "aws:apigatewayv2/route:Route"
API = "aws:apigatewayv2/api:Api"
PERMISSION = "aws:lambda/permission:Permission"
POLICY = "aws:iam/rolePolicy:RolePolicy"


def _pulumi_config(settings: Settings) -> dict[str, object]:
    return {"layers": False, "timeoutSeconds": settings.timeout_s, "dlqMaxReceives": settings.dlq_max_receives,
            "memorySizes": list(settings.memory_sizes), "runtimes": list(settings.runtimes),
            "architectures": list(settings.architectures), "control": settings.control,
            "batchSize": settings.batch_size, "maxConcurrency": settings.max_concurrency,
            "logRetentionDays": settings.log_retention_days, "apiAuth": settings.api_auth}


def _unprefixed(name: str, prefix: str) -> str:
    assert name.startswith(prefix + NAME_DELIMITER), name
    return name.removeprefix(prefix + NAME_DELIMITER)


@pytest.fixture(scope="module")
def local_spec() -> StackSpec:
    return describe_stack(MATRIX, LOCAL_PREFIX)


@pytest.fixture(scope="module")
def local_matrix(local_cloud: StackOutputs, local_spec: StackSpec) -> Iterator[StackOutputs]:
    """The matrix as the local deployer builds it; its resources are removed again so no poller outlives the test."""
    assert local_cloud.endpoint_url is not None
    try:
        yield deploy(local_spec, local_cloud.endpoint_url)
    finally:
        _remove(local_cloud, local_spec)


@pytest.fixture(scope="module")
def pulumi_stack() -> ProgramRun:
    return run_program(_pulumi_config(MATRIX), stack=STACK)


def _remove(cloud: StackOutputs, spec: StackSpec) -> None:
    """Delete what ``deploy`` made for ``spec``; whatever is already gone is skipped."""
    lambda_, sqs, logs, iam, api = (cloud.client(s) for s in ("lambda", "sqs", "logs", "iam", "apigatewayv2"))
    for fn in spec.functions:
        mappings = _quietly(lambda_.list_event_source_mappings, FunctionName=fn.function_name) or {}
        for mapping in mappings.get("EventSourceMappings", []):
            _quietly(lambda_.delete_event_source_mapping, UUID=mapping["UUID"])
        _quietly(lambda_.delete_function, FunctionName=fn.function_name)
        _quietly(logs.delete_log_group, logGroupName=fn.log_group)
        for name in (fn.queue_name, fn.dlq_name):
            queue = _quietly(sqs.get_queue_url, QueueName=name)
            if queue:
                _quietly(sqs.delete_queue, QueueUrl=queue["QueueUrl"])
        for policy in (_quietly(iam.list_role_policies, RoleName=fn.role_name) or {}).get("PolicyNames", []):
            _quietly(iam.delete_role_policy, RoleName=fn.role_name, PolicyName=policy)
        _quietly(iam.delete_role, RoleName=fn.role_name)
    for item in api.get_apis()["Items"]:
        if item["Name"] == spec.api_name:
            _quietly(api.delete_api, ApiId=item["ApiId"])


def _quietly(call: Callable[..., Any], **kwargs: Any) -> Any:
    with contextlib.suppress(ClientError):
        return call(**kwargs)
    return None


def _by_variant(pulumi_stack: ProgramRun, type_: str) -> dict[str, dict[str, Any]]:
    """The inputs of one resource type, keyed by the variant whose component owns it (``<variant id>-<part>``)."""
    return {r.name.rsplit("-", 1)[0]: r.inputs for r in pulumi_stack.of_type(type_)}


def test_both_deployers_deploy_the_same_matrix(local_matrix: StackOutputs, pulumi_stack: ProgramRun):
    expected = [v.id for v in MATRIX.variants]
    assert len(expected) == 6 and sum(v.is_control for v in MATRIX.variants) == 2
    assert list(local_matrix.variants) == expected
    assert list(StackOutputs.from_dict(pulumi_stack.exports["bench"]).variants) == expected
    local = {key: {k: v for k, v in fn.__dict__.items() if k not in ("name", "queue_url", "dlq_url", "log_group")}
             for key, fn in local_matrix.functions.items()}
    remote = {key: {k: v for k, v in fn.items() if k not in ("name", "queue_url", "dlq_url", "log_group")}
              for key, fn in pulumi_stack.exports["bench"]["functions"].items()}
    assert local == remote  # route, memory, architecture, runtime and role of every variant


def test_functions_have_the_same_configuration(local_matrix: StackOutputs, pulumi_stack: ProgramRun):
    lambda_ = local_matrix.client("lambda")
    remote_functions = _by_variant(pulumi_stack, FUNCTION)
    assert sorted(remote_functions) == sorted(local_matrix.functions)
    for variant_id, fn in local_matrix.functions.items():
        local = lambda_.get_function_configuration(FunctionName=fn.name)
        remote = remote_functions[variant_id]
        assert _unprefixed(local["FunctionName"], LOCAL_PREFIX) == _unprefixed(remote["name"], PULUMI_PREFIX) \
            == variant_id
        assert (local["Runtime"], local["Handler"], local["MemorySize"], local["Timeout"], local["Architectures"]) \
            == (remote["runtime"], remote["handler"], remote["memorySize"], remote["timeout"], remote["architectures"])
        assert local["Environment"]["Variables"] == remote["environment"]["variables"]


def test_queues_and_mappings_have_the_same_settings(local_matrix: StackOutputs, pulumi_stack: ProgramRun):
    sqs, lambda_ = local_matrix.client("sqs"), local_matrix.client("lambda")
    queues = {_unprefixed(r.inputs["name"], PULUMI_PREFIX): r.inputs for r in pulumi_stack.of_type(QUEUE)}
    mappings = _by_variant(pulumi_stack, MAPPING)
    for variant_id, fn in local_matrix.functions.items():
        attributes = sqs.get_queue_attributes(QueueUrl=fn.queue_url, AttributeNames=["All"])["Attributes"]
        queue = queues[_unprefixed(fn.queue_url.rsplit("/", 1)[1], LOCAL_PREFIX)]
        assert int(attributes["VisibilityTimeout"]) == queue["visibilityTimeoutSeconds"]
        local_redrive = json.loads(attributes["RedrivePolicy"])
        assert int(local_redrive["maxReceiveCount"]) == json.loads(queue["redrivePolicy"])["maxReceiveCount"]
        assert local_redrive["deadLetterTargetArn"].endswith(fn.dlq_url.rsplit("/", 1)[1])

        (local_mapping,) = lambda_.list_event_source_mappings(FunctionName=fn.name)["EventSourceMappings"]
        mapping = mappings[variant_id]
        assert local_mapping["EventSourceArn"].endswith(f"{NAME_DELIMITER}{variant_id}-queue")
        assert local_mapping["BatchSize"] == mapping["batchSize"]
        assert local_mapping.get("MaximumBatchingWindowInSeconds", 0) == mapping["maximumBatchingWindowInSeconds"]
        assert local_mapping["FunctionResponseTypes"] == mapping["functionResponseTypes"]
        assert local_mapping["ScalingConfig"]["MaximumConcurrency"] == \
            mapping["scalingConfig"]["maximumConcurrency"]


def test_each_variant_may_use_only_its_own_queue_and_log_group_on_both_sides(local_matrix: StackOutputs,
                                                                            pulumi_stack: ProgramRun,
                                                                            local_spec: StackSpec):
    iam = local_matrix.client("iam")
    remote_policies = _by_variant(pulumi_stack, POLICY)
    for spec in local_spec.functions:
        (name,) = iam.list_role_policies(RoleName=spec.role_name)["PolicyNames"]
        document = iam.get_role_policy(RoleName=spec.role_name, PolicyName=name)["PolicyDocument"]
        local = json.loads(document) if isinstance(document, str) else document
        remote = json.loads(remote_policies[spec.variant_id]["policy"])
        for statements, prefix in ((local["Statement"], LOCAL_PREFIX), (remote["Statement"], PULUMI_PREFIX)):
            resources = {sid["Sid"]: [r.rsplit(":", 1)[-1] if "sqs" in r else r.split("log-group:")[1]
                                      for r in sid["Resource"]] for sid in statements}
            name = f"{prefix}{NAME_DELIMITER}{spec.variant_id}"
            assert resources == {"ConsumeOwnQueue": [f"{name}-queue"], "WriteOwnLogGroup": [f"/aws/lambda/{name}:*"]}
        assert [(s["Sid"], sorted(s["Action"])) for s in local["Statement"]] == \
            [(s["Sid"], sorted(s["Action"])) for s in remote["Statement"]]


def test_log_groups_have_the_same_retention(local_matrix: StackOutputs, pulumi_stack: ProgramRun):
    logs = local_matrix.client("logs")
    retention = {_unprefixed(r.inputs["name"].removeprefix("/aws/lambda/"), PULUMI_PREFIX): r.inputs["retentionInDays"]
                 for r in pulumi_stack.of_type(LOG_GROUP) if r.inputs["name"].startswith("/aws/lambda/")}
    assert sorted(retention) == sorted(local_matrix.functions)
    for fn in local_matrix.functions.values():
        # A prefix: the twin's group starts with its sibling's name.
        (group,) = [g for g in logs.describe_log_groups(logGroupNamePrefix=fn.log_group)["logGroups"]
                    if g["logGroupName"] == fn.log_group]
        assert group["retentionInDays"] == retention[_unprefixed(fn.name, LOCAL_PREFIX)] == MATRIX.log_retention_days


def test_routes_have_the_same_keys_and_authorization(local_matrix: StackOutputs, pulumi_stack: ProgramRun):
    api_id = local_matrix.api_url.split("/_aws/execute-api/")[1].split("/")[0]
    local = {r["RouteKey"]: r.get("AuthorizationType", "NONE")
             for r in local_matrix.client("apigatewayv2").get_routes(ApiId=api_id)["Items"]}
    remote = {r.inputs["routeKey"]: r.inputs.get("authorizationType", "NONE") for r in pulumi_stack.of_type(ROUTE)}
    assert local == remote
    assert sorted(local) == sorted(f"POST /{v.id}/process" for v in MATRIX.variants)


def test_code_packages_hold_the_same_files(pulumi_stack: ProgramRun):
    local = set(zipfile.ZipFile(io.BytesIO(code_zip())).namelist())
    for function in pulumi_stack.of_type(FUNCTION):
        assert local == set(function.inputs["code"].assets)


def test_api_may_invoke_each_function_from_its_own_route_only(local_matrix: StackOutputs, pulumi_stack: ProgramRun):
    lambda_ = local_matrix.client("lambda")
    api_arn = pulumi_stack.one(API).outputs["executionArn"]
    remote = {r.name.removeprefix("api-").removesuffix("-invoke"): r.inputs["sourceArn"].removeprefix(api_arn)
              for r in pulumi_stack.of_type(PERMISSION)}
    assert sorted(remote) == sorted(local_matrix.functions)
    for variant_id, fn in local_matrix.functions.items():
        (statement,) = json.loads(lambda_.get_policy(FunctionName=fn.name)["Policy"])["Statement"]
        local_source = statement["Condition"]["ArnLike"]["AWS:SourceArn"]
        assert local_source.split(":", 5)[5].split("/", 1)[1] == remote[variant_id].lstrip("/"), (local_source,
                                                                                                   remote)
        assert remote[variant_id] == f"/*/POST/{variant_id}/process"
