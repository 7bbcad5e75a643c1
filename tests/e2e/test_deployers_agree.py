"""The Pulumi program and the local deployer must not drift: same settings in, same stack out.

The Pulumi side runs the real ``__main__.py`` under mocks with the settings the session's local cloud was deployed
with; the local side is what MiniStack reports it holds. Names differ only by their prefix (stack name).
"""

import io
import json
import zipfile

import pytest

from localcloud import PREFIX as LOCAL_PREFIX
from localcloud import code_zip
from stack import Settings, StackOutputs
from tests.support.pulumi_harness import ProgramRun, run_program

STACK = "agree"
PULUMI_PREFIX = f"archbench-{STACK}"
FUNCTION = "aws:lambda/function:Function"
QUEUE = "aws:sqs/queue:Queue"
MAPPING = "aws:lambda/eventSourceMapping:EventSourceMapping"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ROUTE = "aws:apigatewayv2/route:Route"
API = "aws:apigatewayv2/api:Api"
PERMISSION = "aws:lambda/permission:Permission"



def _pulumi_config(settings: Settings) -> dict[str, object]:
    return {"layers": False, "timeoutSeconds": settings.timeout_s, "dlqMaxReceives": settings.dlq_max_receives,
            "memoryMb": settings.memory_mb, "batchSize": settings.batch_size,
            "maxConcurrency": settings.max_concurrency, "logRetentionDays": settings.log_retention_days,
            "apiAuth": settings.api_auth}


def _unprefixed(name: str, prefix: str) -> str:
    assert name.startswith(prefix + "-"), name
    return name.removeprefix(prefix + "-")


@pytest.fixture(scope="module")
def pulumi_stack(local_cloud_settings: Settings) -> ProgramRun:
    return run_program(_pulumi_config(local_cloud_settings), stack=STACK)


def test_functions_have_the_same_configuration(local_cloud: StackOutputs, pulumi_stack: ProgramRun):
    lambda_ = local_cloud.client("lambda")
    pulumi_functions = {r.inputs["architectures"][0]: r.inputs for r in pulumi_stack.of_type(FUNCTION)}
    assert sorted(pulumi_functions) == sorted(local_cloud.functions)
    for arch, fn in local_cloud.functions.items():
        local = lambda_.get_function_configuration(FunctionName=fn.name)
        remote = pulumi_functions[arch]
        assert _unprefixed(local["FunctionName"], LOCAL_PREFIX) == _unprefixed(remote["name"], PULUMI_PREFIX)
        assert (local["Runtime"], local["Handler"], local["MemorySize"], local["Timeout"], local["Architectures"]) \
            == (remote["runtime"], remote["handler"], remote["memorySize"], remote["timeout"], remote["architectures"])
        assert local["Environment"]["Variables"] == remote["environment"]["variables"]


def test_queues_and_mappings_have_the_same_settings(local_cloud: StackOutputs, pulumi_stack: ProgramRun):
    sqs, lambda_ = local_cloud.client("sqs"), local_cloud.client("lambda")
    queues = {_unprefixed(r.inputs["name"], PULUMI_PREFIX): r.inputs for r in pulumi_stack.of_type(QUEUE)}
    mappings = {r.name.split("-")[0]: r.inputs for r in pulumi_stack.of_type(MAPPING)}
    for arch, fn in local_cloud.functions.items():
        attributes = sqs.get_queue_attributes(QueueUrl=fn.queue_url, AttributeNames=["All"])["Attributes"]
        queue = queues[_unprefixed(fn.queue_url.rsplit("/", 1)[1], LOCAL_PREFIX)]
        assert int(attributes["VisibilityTimeout"]) == queue["visibilityTimeoutSeconds"]
        local_redrive = json.loads(attributes["RedrivePolicy"])
        assert int(local_redrive["maxReceiveCount"]) == json.loads(queue["redrivePolicy"])["maxReceiveCount"]
        assert local_redrive["deadLetterTargetArn"].endswith(fn.dlq_url.rsplit("/", 1)[1])

        (local_mapping,) = lambda_.list_event_source_mappings(FunctionName=fn.name)["EventSourceMappings"]
        mapping = mappings[arch]
        assert local_mapping["BatchSize"] == mapping["batchSize"]
        assert local_mapping.get("MaximumBatchingWindowInSeconds", 0) == mapping["maximumBatchingWindowInSeconds"]
        assert local_mapping["FunctionResponseTypes"] == mapping["functionResponseTypes"]
        assert local_mapping["ScalingConfig"]["MaximumConcurrency"] == \
            mapping["scalingConfig"]["maximumConcurrency"]


def test_log_groups_have_the_same_retention(local_cloud: StackOutputs, pulumi_stack: ProgramRun):
    logs = local_cloud.client("logs")
    retention = {_unprefixed(r.inputs["name"].removeprefix("/aws/lambda/"), PULUMI_PREFIX): r.inputs["retentionInDays"]
                 for r in pulumi_stack.of_type(LOG_GROUP) if r.inputs["name"].startswith("/aws/lambda/")}
    for fn in local_cloud.functions.values():
        (group,) = logs.describe_log_groups(logGroupNamePrefix=fn.log_group)["logGroups"]
        assert group["retentionInDays"] == retention[_unprefixed(fn.name, LOCAL_PREFIX)]


def test_routes_have_the_same_keys_and_authorization(local_cloud: StackOutputs, pulumi_stack: ProgramRun):
    api_id = local_cloud.api_url.split("/_aws/execute-api/")[1].split("/")[0]
    local = {r["RouteKey"]: r.get("AuthorizationType", "NONE")
             for r in local_cloud.client("apigatewayv2").get_routes(ApiId=api_id)["Items"]}
    remote = {r.inputs["routeKey"]: r.inputs.get("authorizationType", "NONE") for r in pulumi_stack.of_type(ROUTE)}
    assert local == remote


def test_code_packages_hold_the_same_files(pulumi_stack: ProgramRun):
    local = set(zipfile.ZipFile(io.BytesIO(code_zip())).namelist())
    (function, *_) = pulumi_stack.of_type(FUNCTION)
    assert local == set(function.inputs["code"].assets)


def test_api_may_invoke_each_function_from_its_own_route_only(local_cloud: StackOutputs, pulumi_stack: ProgramRun):
    lambda_ = local_cloud.client("lambda")
    api_arn = pulumi_stack.one(API).outputs["executionArn"]
    remote = {r.name.split("-")[1]: r.inputs["sourceArn"].removeprefix(api_arn)
              for r in pulumi_stack.of_type(PERMISSION)}
    for arch, fn in local_cloud.functions.items():
        (statement,) = json.loads(lambda_.get_policy(FunctionName=fn.name)["Policy"])["Statement"]
        local_source = statement["Condition"]["ArnLike"]["AWS:SourceArn"]
        assert local_source.split(":", 5)[5].split("/", 1)[1] == remote[arch].lstrip("/"), (local_source, remote)
