"""The Pulumi program under mocks: what ``pulumi up`` would create, checked resource by resource.

Every test runs the real ``__main__.py`` (or a component) under fresh Pulumi mocks; no CLI, no AWS.
Layers are off for the whole program here (``layers`` builds real wheels); the layer seam is tested by
building the function component directly, and the program's layer wiring with a stand-in ``layer_zip``.
"""

import dataclasses
import json
import sys
import types
import zipfile
from pathlib import Path
from typing import Any

import pulumi
import pytest

from components.function import BenchmarkedFunction, code_archive
from handlers.contract import ENV_ARCHITECTURE
from stack import (
    LOG_ACTIONS,
    QUEUE_ACTIONS,
    XRAY_ACTIONS,
    FunctionOutputs,
    Settings,
    StackOutputs,
    describe_stack,
)
from tests.support.pulumi_harness import REGION, ProgramRun, Recorded, run_mocked, run_program

FUNCTION = "aws:lambda/function:Function"
QUEUE = "aws:sqs/queue:Queue"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ROLE = "aws:iam/role:Role"
POLICY = "aws:iam/rolePolicy:RolePolicy"
MAPPING = "aws:lambda/eventSourceMapping:EventSourceMapping"
LAYER = "aws:lambda/layerVersion:LayerVersion"
API = "aws:apigatewayv2/api:Api"
INTEGRATION = "aws:apigatewayv2/integration:Integration"
ROUTE = "aws:apigatewayv2/route:Route"
STAGE = "aws:apigatewayv2/stage:Stage"
PERMISSION = "aws:lambda/permission:Permission"
ARCHES = ("arm64", "x86_64")
NO_LAYERS = {"layers": False}


def run(**config) -> ProgramRun:
    return run_program({**NO_LAYERS, **config})


def owned(stack: ProgramRun, arch: str, type_: str, suffix: str) -> Recorded:
    """The resource ``<arch>-<suffix>`` of one function's component."""
    return stack.one(type_, lambda r: r.name == f"{arch}-{suffix}")


def code_files(function: Recorded) -> dict[str, str]:
    return {name: asset.path for name, asset in function.inputs["code"].assets.items()}


# --- the functions ----------------------------------------------------------------------------------------------

def test_one_function_per_architecture_identical_but_for_it():
    stack = run()
    functions = {r.inputs["architectures"][0]: r for r in stack.of_type(FUNCTION)}
    assert sorted(functions) == list(ARCHES)
    arm, x86 = functions["arm64"], functions["x86_64"]
    assert arm.inputs["architectures"] == ["arm64"] and x86.inputs["architectures"] == ["x86_64"]
    for key in ("runtime", "handler", "memorySize", "timeout"):
        assert arm.inputs[key] == x86.inputs[key], key
    assert (arm.inputs["runtime"], arm.inputs["handler"]) == ("python3.13", "handlers.app.handler")
    assert (arm.inputs["memorySize"], arm.inputs["timeout"]) == (1024, 30)
    assert code_files(arm) == code_files(x86)
    for arch, fn in functions.items():
        assert fn.inputs["environment"]["variables"][ENV_ARCHITECTURE] == arch
        assert "tracingConfig" not in fn.inputs and "layers" not in fn.inputs


def test_settings_reach_both_functions():
    stack = run(memoryMb=2048, timeoutSeconds=20, runtime="python3.12")
    for fn in stack.of_type(FUNCTION):
        assert (fn.inputs["memorySize"], fn.inputs["timeout"], fn.inputs["runtime"]) == (2048, 20, "python3.12")


def test_code_is_the_handlers_package_at_the_archive_root():
    files = code_files(run().of_type(FUNCTION)[0])
    assert all(name.startswith("handlers/") and path == name for name, path in files.items())
    assert not any("__pycache__" in name or name.endswith(".pyc") for name in files)


def test_code_archive_leaves_out_byte_code(tmp_path):
    (tmp_path / "handlers" / "workloads" / "__pycache__").mkdir(parents=True)
    for name in ("handlers/app.py", "handlers/workloads/sort.py", "handlers/workloads/__pycache__/sort.pyc",
                 "handlers/stray.pyc", "other.py"):
        (tmp_path / name).write_text("")
    assert sorted(code_archive(tmp_path).assets) == ["handlers/app.py", "handlers/workloads/sort.py"]


def test_xray_is_off_unless_configured():
    stack = run(xrayTracing=True)
    for fn in stack.of_type(FUNCTION):
        assert fn.inputs["tracingConfig"] == {"mode": "Active"}
    for policy in stack.of_type(POLICY):
        xray = [s for s in json.loads(policy.inputs["policy"])["Statement"] if s["Resource"] == "*"]
        assert [sorted(s["Action"]) for s in xray] == [sorted(XRAY_ACTIONS)]


# --- queues and event source mappings ------------------------------------------------------------------------------

@pytest.mark.parametrize("config", [{}, {"timeoutSeconds": 25, "batchingWindowSeconds": 20, "dlqMaxReceives": 7}])
def test_each_queue_redrives_to_its_own_dlq_and_outlives_the_timeout(config):
    stack = run(**config)
    settings = Settings.from_mapping(config.get)
    for arch in ARCHES:
        queue, dlq = owned(stack, arch, QUEUE, "queue"), owned(stack, arch, QUEUE, "dlq")
        redrive = json.loads(queue.inputs["redrivePolicy"])
        assert redrive == {"deadLetterTargetArn": dlq.outputs["arn"], "maxReceiveCount": settings.dlq_max_receives}
        assert queue.inputs["visibilityTimeoutSeconds"] >= 6 * settings.timeout_s
        assert queue.inputs["visibilityTimeoutSeconds"] == settings.queue_visibility_timeout_s
        assert queue.inputs["sqsManagedSseEnabled"] and dlq.inputs["sqsManagedSseEnabled"]
        assert dlq.inputs["messageRetentionSeconds"] == 14 * 24 * 3600


def test_each_mapping_feeds_its_own_function_from_its_own_queue_with_the_settings():
    stack = run(batchSize=50, batchingWindowSeconds=2, maxConcurrency=7)
    assert len(stack.of_type(MAPPING)) == 2
    for arch in ARCHES:
        mapping = owned(stack, arch, MAPPING, "mapping")
        assert mapping.inputs["eventSourceArn"] == owned(stack, arch, QUEUE, "queue").outputs["arn"]
        assert mapping.inputs["functionName"] == owned(stack, arch, FUNCTION, "function").outputs["arn"]
        assert (mapping.inputs["batchSize"], mapping.inputs["maximumBatchingWindowInSeconds"]) == (50, 2)
        assert mapping.inputs["functionResponseTypes"] == ["ReportBatchItemFailures"]
        assert mapping.inputs["scalingConfig"] == {"maximumConcurrency": 7}
        # AWS checks the role's queue permissions when the mapping is created.
        assert owned(stack, arch, POLICY, "policy").urn in mapping.dependencies


# --- least privilege and logs -----------------------------------------------------------------------------------

def test_every_iam_statement_is_scoped_to_its_own_functions_resources():
    stack = run()
    for arch in ARCHES:
        role, policy = owned(stack, arch, ROLE, "role"), owned(stack, arch, POLICY, "policy")
        trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
        assert [s["Principal"] for s in trust] == [{"Service": "lambda.amazonaws.com"}]
        assert policy.inputs["role"] == role.id
        assert owned(stack, arch, FUNCTION, "function").inputs["role"] == role.outputs["arn"]

        queue_arn = owned(stack, arch, QUEUE, "queue").outputs["arn"]
        log_arn = owned(stack, arch, LOG_GROUP, "logs").outputs["arn"]
        granted: dict[str, Any] = {}
        for statement in json.loads(policy.inputs["policy"])["Statement"]:
            assert statement["Effect"] == "Allow"
            assert "*" not in json.dumps(statement["Action"]), statement
            for resource in statement["Resource"]:
                assert "*" not in resource.removesuffix(":*"), resource
                granted.setdefault(resource, set()).update(statement["Action"])
        assert granted == {queue_arn: set(QUEUE_ACTIONS), f"{log_arn}:*": set(LOG_ACTIONS)}


def test_log_groups_have_retention_and_exist_before_their_functions():
    stack = run(logRetentionDays=30)
    groups = stack.of_type(LOG_GROUP)
    assert len(groups) == 3  # one per function, one for the API's access logs
    assert all(group.inputs["retentionInDays"] == 30 for group in groups)
    for arch in ARCHES:
        fn, logs = owned(stack, arch, FUNCTION, "function"), owned(stack, arch, LOG_GROUP, "logs")
        assert fn.inputs["loggingConfig"] == {"logFormat": "Text", "logGroup": logs.inputs["name"]}
        assert logs.inputs["name"] == f"/aws/lambda/{fn.inputs['name']}"
        assert {logs.urn, owned(stack, arch, POLICY, "policy").urn} <= fn.dependencies


# --- the HTTP API -------------------------------------------------------------------------------------------------

def test_each_route_proxies_to_its_own_function_with_a_scoped_permission():
    stack = run()
    api = stack.one(API)
    assert api.inputs["protocolType"] == "HTTP"
    assert sorted(r.inputs["routeKey"] for r in stack.of_type(ROUTE)) == [f"POST /{a}/process" for a in ARCHES]
    for arch in ARCHES:
        fn = owned(stack, arch, FUNCTION, "function")
        route = stack.one(ROUTE, lambda r, a=arch: r.inputs["routeKey"] == f"POST /{a}/process")
        integration = stack.one(INTEGRATION, lambda r, t=route.inputs["target"]: f"integrations/{r.id}" == t)
        assert integration.inputs["integrationUri"] == fn.outputs["invokeArn"]
        assert (integration.inputs["integrationType"], integration.inputs["payloadFormatVersion"]) == \
            ("AWS_PROXY", "2.0")
        assert route.inputs["authorizationType"] == "AWS_IAM"
        permission = stack.one(PERMISSION, lambda r, n=fn.inputs["name"]: r.inputs["function"] == n)
        assert permission.inputs["principal"] == "apigateway.amazonaws.com"
        assert permission.inputs["action"] == "lambda:InvokeFunction"
        assert permission.inputs["sourceArn"] == f"{api.outputs['executionArn']}/*/POST/{arch}/process"


def test_stage_is_default_auto_deployed_throttled_and_logged():
    stack = run(apiThrottleRate=25, apiThrottleBurst=40)
    stage = stack.one(STAGE)
    assert (stage.inputs["name"], stage.inputs["autoDeploy"]) == ("$default", True)
    assert stage.inputs["defaultRouteSettings"] == {"throttlingRateLimit": 25, "throttlingBurstLimit": 40}
    access_logs = stack.one(LOG_GROUP, lambda r: r.name == "api-access-logs")
    assert access_logs.inputs["name"] == "/aws/apigateway/archbench-test-api"
    assert stage.inputs["accessLogSettings"]["destinationArn"] == access_logs.outputs["arn"]
    assert "requestId" in json.loads(stage.inputs["accessLogSettings"]["format"])


def test_api_auth_none_opens_the_routes():
    assert {r.inputs["authorizationType"] for r in run(apiAuth="none").of_type(ROUTE)} == {"NONE"}


# --- outputs, structure, configuration ------------------------------------------------------------------------------

def test_bench_output_is_the_contract():
    stack = run()
    bench = stack.exports["bench"]
    outputs = StackOutputs.from_dict(bench, source="test")
    assert (outputs.region, outputs.endpoint_url, "endpoint_url" in bench) == (REGION, None, True)
    assert outputs.api_url == stack.one(API).outputs["apiEndpoint"]
    assert sorted(outputs.functions) == list(ARCHES)
    fields = {f.name for f in dataclasses.fields(FunctionOutputs)}
    for arch, fn in outputs.functions.items():
        assert set(bench["functions"][arch]) == fields
        function = owned(stack, arch, FUNCTION, "function")
        assert fn == FunctionOutputs(
            name=function.inputs["name"], queue_url=owned(stack, arch, QUEUE, "queue").outputs["url"],
            dlq_url=owned(stack, arch, QUEUE, "dlq").outputs["url"],
            log_group=owned(stack, arch, LOG_GROUP, "logs").inputs["name"], route=f"/{arch}/process",
            memory_mb=1024, architecture=arch)


def test_components_own_every_resource():
    stack = run()
    components = {r.name: r for r in stack.resources if not r.custom}
    assert {name: r.type for name, r in components.items()} == {
        "arm64": "archbench:bench:BenchmarkedFunction", "x86_64": "archbench:bench:BenchmarkedFunction",
        "api": "archbench:bench:HttpApi", "monitoring": "archbench:ops:Monitoring"}
    owners = {r.urn for r in components.values()}
    assert all(r.parent in owners for r in stack.custom)
    for arch in ARCHES:
        assert sorted(r.type for r in stack.children(components[arch])) == sorted(
            [QUEUE, QUEUE, LOG_GROUP, ROLE, POLICY, FUNCTION, MAPPING])
    assert len(stack.children(components["api"])) == 3 + 3 * 2  # api, logs, stage + per route three
    assert len(stack.children(components["monitoring"])) == 4 * 2 + 1  # four alarms per architecture, dashboard
    assert len(stack.custom) == 23 + 9


def test_one_architecture_deploys_one_function_and_one_route():
    stack = run(architectures=["arm64"])
    assert [f.inputs["architectures"] for f in stack.of_type(FUNCTION)] == [["arm64"]]
    assert [r.inputs["routeKey"] for r in stack.of_type(ROUTE)] == ["POST /arm64/process"]
    assert list(stack.exports["bench"]["functions"]) == ["arm64"]


@pytest.mark.parametrize(("key", "value"), [("memoryMb", 64), ("apiAuth", "open"), ("architectures", "sparc")])
def test_a_bad_setting_stops_the_program_with_one_line_naming_the_key(key, value):
    with pytest.raises(pulumi.RunError, match=f"^archbench:{key} ") as caught:
        run(**{key: value})
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_stack_names_become_valid_unique_prefixes():
    names = {r.inputs["name"] for r in run_program(NO_LAYERS, stack="Dev_Team.1").of_type(FUNCTION)}
    assert names == {"archbench-dev-team-1-arm64", "archbench-dev-team-1-x86-64"}
    long_a, long_b = "feature-" + "x" * 40 + "-a", "feature-" + "x" * 40 + "-b"
    fn_a, fn_b = (sorted(r.inputs["name"] for r in run_program(NO_LAYERS, stack=s).of_type(FUNCTION))
                  for s in (long_a, long_b))
    assert fn_a != fn_b
    assert all(len(name) <= 64 for name in fn_a + fn_b)


# --- layers -------------------------------------------------------------------------------------------------------

def _zip(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("python/placeholder.py", "")
    return path


def test_a_layer_is_built_for_exactly_its_functions_architecture(tmp_path):
    spec = describe_stack(Settings(layers=False), "archbench-test").function("arm64")
    layer_zip = _zip(tmp_path / "arm64.zip")
    stack = run_mocked(lambda: BenchmarkedFunction("arm64", spec, layer_zip=layer_zip))
    layer = stack.one(LAYER)
    assert layer.inputs["compatibleArchitectures"] == ["arm64"]
    assert layer.inputs["compatibleRuntimes"] == [spec.runtime]
    assert layer.inputs["code"].path == str(layer_zip)
    assert stack.one(FUNCTION).inputs["layers"] == [layer.outputs["arn"]]


def test_the_program_attaches_one_layer_per_architecture(tmp_path, monkeypatch):
    calls = []

    def layer_zip(settings: Settings, arch: str) -> Path:
        calls.append(arch)
        return _zip(tmp_path / f"{arch}.zip")

    monkeypatch.setitem(sys.modules, "layers", types.SimpleNamespace(layer_zip=layer_zip))
    stack = run_program({"layers": True})
    assert sorted(calls) == list(ARCHES)
    assert len(stack.custom) == 23 + 9 + 2
    for arch in ARCHES:
        layer = owned(stack, arch, LAYER, "layer")
        assert layer.inputs["compatibleArchitectures"] == [arch]
        assert layer.inputs["code"].path == str(tmp_path / f"{arch}.zip")
        assert owned(stack, arch, FUNCTION, "function").inputs["layers"] == [layer.outputs["arn"]]
