"""The Pulumi program under mocks: what ``pulumi up`` would create, checked resource by resource.

Every test runs the real ``__main__.py`` (or a component) under fresh Pulumi mocks; no CLI, no AWS.
Layers are off for most program runs here (``layers`` builds real wheels); the layer component is built directly
with stand-in zips, and the program's layer wiring is run with a stand-in ``layer_zip``. The default settings
deploy three variants: arm64, x86_64 and x86_64's A/A twin; ``tests/unit/components/test_matrix.py`` runs a
3 × 2 × 2 matrix with twins.
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

from components.function import code_archive
from components.layers import DependencyLayers
from core import PROJECT_ROOT
from handlers.contract import ENV_ARCHITECTURE, ENV_VARIANT
from stack import (
    LOG_ACTIONS,
    QUEUE_ACTIONS,
    XRAY_ACTIONS,
    FunctionOutputs,
    Role,
    Settings,
    StackOutputs,
    describe_stack,
)
from tests.support.iam_simulator import Decision, Request, evaluate
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
ARM, X86, TWIN = "py313-1024-arm64", "py313-1024-x86_64", "py313-1024-x86_64-twin"
VARIANTS = (ARM, X86, TWIN)
NO_LAYERS = {"layers": False}
# Per variant: queue, DLQ, log group, role, policy, function, mapping; the API: api, access logs, stage and per
# route an integration, a route and a permission; monitoring: four alarms per variant and the dashboard; the
# function roles' permissions boundary.
PER_VARIANT = 7 + 3 + 4
FIXED = 3 + 1 + 1
BOUNDARY = "aws:iam/policy:Policy"


def run(**config) -> ProgramRun:
    return run_program({**NO_LAYERS, **config})


def owned(stack: ProgramRun, variant_id: str, type_: str, suffix: str) -> Recorded:
    """The resource ``<variant id>-<suffix>`` of one variant's component."""
    return stack.one(type_, lambda r: r.name == f"{variant_id}-{suffix}")


def code_files(function: Recorded) -> dict[str, str]:
    return {name: asset.path for name, asset in function.inputs["code"].assets.items()}


def test_the_default_matrix_is_arm64_x86_64_and_the_x86_64_twin():
    assert [variant.id for variant in Settings().variants] == list(VARIANTS)


# --- the functions ----------------------------------------------------------------------------------------------

def test_one_function_per_variant_identical_but_for_its_architecture():
    stack = run()
    functions = {r.inputs["environment"]["variables"][ENV_VARIANT]: r for r in stack.of_type(FUNCTION)}
    assert sorted(functions) == sorted(VARIANTS)
    arm, x86, twin = (functions[v] for v in VARIANTS)
    assert (arm.inputs["architectures"], x86.inputs["architectures"], twin.inputs["architectures"]) == (
        ["arm64"], ["x86_64"], ["x86_64"])
    for key in ("runtime", "handler", "memorySize", "timeout"):
        assert arm.inputs[key] == x86.inputs[key] == twin.inputs[key], key
    assert (arm.inputs["runtime"], arm.inputs["handler"]) == ("python3.13", "handlers.app.handler")
    assert (arm.inputs["memorySize"], arm.inputs["timeout"]) == (1024, 30)
    assert code_files(arm) == code_files(x86) == code_files(twin)
    # The twin differs from its sibling in its names and its variant label only (the code is compared above).
    differs = {key for key in x86.inputs if key != "code" and x86.inputs[key] != twin.inputs[key]}
    assert differs == {"name", "environment", "role", "loggingConfig"}
    assert {**twin.inputs["environment"]["variables"], ENV_VARIANT: X86} == x86.inputs["environment"]["variables"]
    for variant_id, fn in functions.items():
        assert fn.inputs["name"] == f"archbench-test_{variant_id}"
        assert fn.inputs["environment"]["variables"][ENV_ARCHITECTURE] == fn.inputs["architectures"][0]
        assert "tracingConfig" not in fn.inputs and "layers" not in fn.inputs


def test_settings_reach_every_function():
    stack = run(memorySizes=[2048], timeoutSeconds=20, runtimes=["python3.12"])
    functions = stack.of_type(FUNCTION)
    assert len(functions) == 3
    for fn in functions:
        assert (fn.inputs["memorySize"], fn.inputs["timeout"], fn.inputs["runtime"]) == (2048, 20, "python3.12")
        assert fn.inputs["environment"]["variables"][ENV_VARIANT].startswith("py312-2048-")


@pytest.mark.parametrize(("config", "reserved"), [({}, 5 + 5), ({"maxConcurrency": 40}, 40 + 5),
                                                  ({"maxConcurrency": 8, "reservedConcurrency": 8}, 8),
                                                  ({"reservedConcurrency": 300}, 300)])
def test_every_function_reserves_its_queues_share_plus_the_apis(config, reserved):
    stack = run(**config)
    assert {fn.inputs["reservedConcurrentExecutions"] for fn in stack.of_type(FUNCTION)} == {reserved}
    assert {m.inputs["scalingConfig"]["maximumConcurrency"] for m in stack.of_type(MAPPING)} == {
        config.get("maxConcurrency", 5)}


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
    for variant_id in VARIANTS:
        queue, dlq = owned(stack, variant_id, QUEUE, "queue"), owned(stack, variant_id, QUEUE, "dlq")
        assert queue.inputs["name"] == f"archbench-test_{variant_id}-queue"
        redrive = json.loads(queue.inputs["redrivePolicy"])
        assert redrive == {"deadLetterTargetArn": dlq.outputs["arn"], "maxReceiveCount": settings.dlq_max_receives}
        assert queue.inputs["visibilityTimeoutSeconds"] >= 6 * settings.timeout_s
        assert queue.inputs["visibilityTimeoutSeconds"] == settings.queue_visibility_timeout_s
        assert queue.inputs["sqsManagedSseEnabled"] and dlq.inputs["sqsManagedSseEnabled"]
        assert dlq.inputs["messageRetentionSeconds"] == 14 * 24 * 3600


def test_each_mapping_feeds_its_own_function_from_its_own_queue_with_the_settings():
    stack = run(batchSize=50, batchingWindowSeconds=2, maxConcurrency=7)
    assert len(stack.of_type(MAPPING)) == len(VARIANTS)
    for variant_id in VARIANTS:
        mapping = owned(stack, variant_id, MAPPING, "mapping")
        assert mapping.inputs["eventSourceArn"] == owned(stack, variant_id, QUEUE, "queue").outputs["arn"]
        assert mapping.inputs["functionName"] == owned(stack, variant_id, FUNCTION, "function").outputs["arn"]
        assert (mapping.inputs["batchSize"], mapping.inputs["maximumBatchingWindowInSeconds"]) == (50, 2)
        assert mapping.inputs["functionResponseTypes"] == ["ReportBatchItemFailures"]
        assert mapping.inputs["scalingConfig"] == {"maximumConcurrency": 7}
        # AWS checks the role's queue permissions when the mapping is created.
        assert owned(stack, variant_id, POLICY, "policy").urn in mapping.dependencies


# --- least privilege and logs -----------------------------------------------------------------------------------

def granted(policy: Recorded) -> dict[str, set[str]]:
    """Resource → the actions a role policy allows on it, after checking that nothing is a wildcard."""
    grants: dict[str, set[str]] = {}
    for statement in json.loads(policy.inputs["policy"])["Statement"]:
        assert statement["Effect"] == "Allow"
        assert "*" not in json.dumps(statement["Action"]), statement
        for resource in statement["Resource"]:
            assert "*" not in resource.removesuffix(":*"), resource
            grants.setdefault(resource, set()).update(statement["Action"])
    return grants


def test_every_iam_statement_is_scoped_to_its_own_variants_resources():
    stack = run()
    for variant_id in VARIANTS:
        role, policy = owned(stack, variant_id, ROLE, "role"), owned(stack, variant_id, POLICY, "policy")
        trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
        assert [s["Principal"] for s in trust] == [{"Service": "lambda.amazonaws.com"}]
        assert policy.inputs["role"] == role.id
        assert owned(stack, variant_id, FUNCTION, "function").inputs["role"] == role.outputs["arn"]

        queue_arn = owned(stack, variant_id, QUEUE, "queue").outputs["arn"]
        log_arn = owned(stack, variant_id, LOG_GROUP, "logs").outputs["arn"]
        assert granted(policy) == {queue_arn: set(QUEUE_ACTIONS), f"{log_arn}:*": set(LOG_ACTIONS)}


@pytest.mark.parametrize("xray", [False, True])
def test_every_function_role_carries_the_boundary_which_allows_exactly_what_the_roles_need(xray):
    stack = run(xrayTracing=xray)
    boundary = stack.one(BOUNDARY)
    assert boundary.inputs["name"] == "archbench-test_function-boundary"
    document = boundary.json("policy")
    for variant_id in VARIANTS:
        role, policy = owned(stack, variant_id, ROLE, "role"), owned(stack, variant_id, POLICY, "policy")
        assert role.inputs["permissionsBoundary"] == boundary.outputs["arn"]
        # Everything its inline policy grants, the boundary allows too (a log group's ":*" is its streams).
        for statement in policy.json("policy")["Statement"]:
            for action in statement["Action"]:
                for resource in statement["Resource"]:
                    request = Request(action, resource.removesuffix("*") + "2026/12/08/[$LATEST]abc"
                                      if resource.endswith(":*") else resource)
                    assert evaluate(document, request) is Decision.ALLOW, (variant_id, action, resource)
        dlq_arn = owned(stack, variant_id, QUEUE, "dlq").outputs["arn"]
        assert evaluate(document, Request("sqs:ReceiveMessage", dlq_arn)) is Decision.IMPLICIT_DENY
    xray_request = Request("xray:PutTraceSegments", "*")
    assert evaluate(document, xray_request) is (Decision.ALLOW if xray else Decision.IMPLICIT_DENY)


def test_log_groups_have_retention_and_exist_before_their_functions():
    stack = run(logRetentionDays=30)
    groups = stack.of_type(LOG_GROUP)
    assert len(groups) == len(VARIANTS) + 1  # one per function, one for the API's access logs
    assert all(group.inputs["retentionInDays"] == 30 for group in groups)
    for variant_id in VARIANTS:
        fn, logs = owned(stack, variant_id, FUNCTION, "function"), owned(stack, variant_id, LOG_GROUP, "logs")
        assert fn.inputs["loggingConfig"] == {"logFormat": "Text", "logGroup": logs.inputs["name"]}
        assert logs.inputs["name"] == f"/aws/lambda/{fn.inputs['name']}"
        assert {logs.urn, owned(stack, variant_id, POLICY, "policy").urn} <= fn.dependencies


# --- the HTTP API -------------------------------------------------------------------------------------------------

def test_each_route_proxies_to_its_own_function_with_a_scoped_permission():
    stack = run()
    api = stack.one(API)
    assert api.inputs["protocolType"] == "HTTP"
    assert api.inputs["name"] == "archbench-test_api"
    assert sorted(r.inputs["routeKey"] for r in stack.of_type(ROUTE)) == sorted(
        f"POST /{v}/process" for v in VARIANTS)
    for variant_id in VARIANTS:
        fn = owned(stack, variant_id, FUNCTION, "function")
        route = stack.one(ROUTE, lambda r, v=variant_id: r.inputs["routeKey"] == f"POST /{v}/process")
        integration = stack.one(INTEGRATION, lambda r, t=route.inputs["target"]: f"integrations/{r.id}" == t)
        assert integration.inputs["integrationUri"] == fn.outputs["invokeArn"]
        assert (integration.inputs["integrationType"], integration.inputs["payloadFormatVersion"]) == \
            ("AWS_PROXY", "2.0")
        assert route.inputs["authorizationType"] == "AWS_IAM"
        permission = stack.one(PERMISSION, lambda r, n=fn.inputs["name"]: r.inputs["function"] == n)
        assert permission.inputs["principal"] == "apigateway.amazonaws.com"
        assert permission.inputs["action"] == "lambda:InvokeFunction"
        assert permission.inputs["sourceArn"] == f"{api.outputs['executionArn']}/*/POST/{variant_id}/process"


def test_stage_is_default_auto_deployed_throttled_and_logged():
    stack = run(apiThrottleRate=25, apiThrottleBurst=40)
    stage = stack.one(STAGE)
    assert (stage.inputs["name"], stage.inputs["autoDeploy"]) == ("$default", True)
    assert stage.inputs["defaultRouteSettings"] == {"throttlingRateLimit": 25, "throttlingBurstLimit": 40}
    access_logs = stack.one(LOG_GROUP, lambda r: r.name == "api-access-logs")
    assert access_logs.inputs["name"] == "/aws/apigateway/archbench-test_api"
    assert stage.inputs["accessLogSettings"]["destinationArn"] == access_logs.outputs["arn"]
    assert "requestId" in json.loads(stage.inputs["accessLogSettings"]["format"])


def test_api_auth_none_opens_the_routes():
    assert {r.inputs["authorizationType"] for r in run(apiAuth="none").of_type(ROUTE)} == {"NONE"}


# --- outputs, structure, configuration ------------------------------------------------------------------------------

def test_bench_output_is_the_contract_keyed_by_variant_id():
    stack = run()
    bench = stack.exports["bench"]
    outputs = StackOutputs.from_dict(bench, source="test")
    assert (outputs.region, outputs.endpoint_url, "endpoint_url" in bench) == (REGION, None, True)
    assert outputs.api_url == stack.one(API).outputs["apiEndpoint"]
    assert list(outputs.variants) == list(VARIANTS)
    fields = {f.name for f in dataclasses.fields(FunctionOutputs)}
    expected: dict[str, tuple[str, Role]] = {ARM: ("arm64", "subject"), X86: ("x86_64", "subject"),
                                             TWIN: ("x86_64", "control")}
    for variant_id, fn in outputs.functions.items():
        assert set(bench["functions"][variant_id]) == fields
        function = owned(stack, variant_id, FUNCTION, "function")
        arch, role = expected[variant_id]
        assert fn == FunctionOutputs(
            name=function.inputs["name"], queue_url=owned(stack, variant_id, QUEUE, "queue").outputs["url"],
            dlq_url=owned(stack, variant_id, QUEUE, "dlq").outputs["url"],
            log_group=owned(stack, variant_id, LOG_GROUP, "logs").inputs["name"], route=f"/{variant_id}/process",
            memory_mb=1024, architecture=arch, runtime="python3.13", role=role)


def test_components_own_every_resource():
    stack = run()
    components = {r.name: r for r in stack.resources if not r.custom}
    assert {name: r.type for name, r in components.items()} == {
        **{v: "archbench:bench:BenchmarkedFunction" for v in VARIANTS},
        "api": "archbench:bench:HttpApi", "monitoring": "archbench:ops:Monitoring",
        "function-boundary": "archbench:bench:FunctionBoundary"}
    owners = {r.urn for r in components.values()}
    assert all(r.parent in owners for r in stack.custom)
    for variant_id in VARIANTS:
        assert sorted(r.type for r in stack.children(components[variant_id])) == sorted(
            [QUEUE, QUEUE, LOG_GROUP, ROLE, POLICY, FUNCTION, MAPPING])
    assert len(stack.children(components["api"])) == 3 + 3 * len(VARIANTS)  # api, logs, stage + three per route
    assert len(stack.children(components["monitoring"])) == 4 * len(VARIANTS) + 1  # four alarms each, dashboard
    assert len(stack.custom) == PER_VARIANT * len(VARIANTS) + FIXED == 47


def test_one_architecture_without_a_twin_deploys_one_function_and_one_route():
    stack = run(architectures=["arm64"], control="none")
    assert [f.inputs["architectures"] for f in stack.of_type(FUNCTION)] == [["arm64"]]
    assert [r.inputs["routeKey"] for r in stack.of_type(ROUTE)] == [f"POST /{ARM}/process"]
    assert list(stack.exports["bench"]["functions"]) == [ARM]


def test_control_none_deploys_no_twin_and_control_arm64_twins_arm64():
    assert sorted(run(control="none").exports["bench"]["functions"]) == [ARM, X86]
    assert sorted(run(control="arm64").exports["bench"]["functions"]) == [ARM, f"{ARM}-twin", X86]


@pytest.mark.parametrize(("key", "value"), [("memorySizes", [64]), ("apiAuth", "open"),
                                            ("architectures", "sparc"), ("runtimes", ["python2.7"]),
                                            ("control", "sparc"), ("memoryMb", 1024), ("runtime", "python3.13")])
def test_a_bad_setting_stops_the_program_with_one_line_naming_the_key(key, value):
    with pytest.raises(pulumi.RunError, match=f"^archbench:{key} ") as caught:
        run(**{key: value})
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    assert "\n" not in str(caught.value)


def test_stack_names_are_taken_as_they_are():
    names = {r.inputs["name"] for r in run_program(NO_LAYERS, stack="dev-team-1").of_type(FUNCTION)}
    assert names == {f"archbench-dev-team-1_{v}" for v in VARIANTS}


@pytest.mark.parametrize("stack", ["Dev_Team.1", "dev_team", "dev--team", "feature-" + "x" * 18])
def test_a_stack_name_that_could_share_a_prefix_stops_the_program_with_one_line(stack):
    with pytest.raises(pulumi.RunError, match=r"^the stack name must be lowercase letters and digits") as caught:
        run_program(NO_LAYERS, stack=stack)
    assert "\n" not in str(caught.value) and repr(stack) in str(caught.value)


# --- layers -------------------------------------------------------------------------------------------------------

def _zip(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("python/placeholder.py", "")
    return path


def test_the_layer_component_builds_one_layer_per_architecture_and_runtime(tmp_path):
    spec = describe_stack(Settings(runtimes=("python3.12", "python3.13"), memory_sizes=(512, 1024), layers=False),
                          "archbench-test")
    calls: list[tuple[str, str]] = []

    def zip_for(arch: str, python_version: str) -> Path:
        calls.append((arch, python_version))
        return _zip(tmp_path / f"{arch}-{python_version}.zip")

    stack = run_mocked(lambda: DependencyLayers("layers", spec, zip_for))
    assert calls == [("arm64", "3.12"), ("x86_64", "3.12"), ("arm64", "3.13"), ("x86_64", "3.13")]
    layers = {r.inputs["layerName"]: r.inputs for r in stack.of_type(LAYER)}
    assert sorted(layers) == sorted(f"archbench-test_deps-{tag}-{arch}"
                                    for tag in ("py312", "py313") for arch in ("arm64", "x86_64"))
    layer = layers["archbench-test_deps-py312-arm64"]
    assert (layer["compatibleArchitectures"], layer["compatibleRuntimes"]) == (["arm64"], ["python3.12"])
    assert layer["code"].path == str(tmp_path / "arm64-3.12.zip")


def test_the_program_shares_one_layer_per_architecture_and_runtime(tmp_path, monkeypatch):
    calls: list[tuple[str, str]] = []

    def layer_zip(arch: str, python_version: str) -> Path:
        calls.append((arch, python_version))
        return _zip(tmp_path / f"{arch}.zip")

    monkeypatch.setitem(sys.modules, "layers", types.SimpleNamespace(layer_zip=layer_zip))
    stack = run_program({"layers": True})
    assert calls == [("arm64", "3.13"), ("x86_64", "3.13")]
    layers = {r.inputs["compatibleArchitectures"][0]: r for r in stack.of_type(LAYER)}
    assert sorted(layers) == ["arm64", "x86_64"]
    assert len(stack.custom) == PER_VARIANT * len(VARIANTS) + FIXED + 2
    attached: dict[str, Any] = {v: owned(stack, v, FUNCTION, "function").inputs["layers"] for v in VARIANTS}
    assert attached == {ARM: [layers["arm64"].outputs["arn"]], X86: [layers["x86_64"].outputs["arn"]],
                        TWIN: [layers["x86_64"].outputs["arn"]]}  # the twin runs its sibling's very layer
    assert layers["arm64"].inputs["code"].path == str(tmp_path / "arm64.zip")


def test_the_deploy_role_names_the_boundary_the_program_creates_and_the_stacks_own_state():
    stack = run(ciGithubRepository="octo-org/bench", ciStateBucket="acme-pulumi-state",
                ciPreviewEnvironment="preview")
    boundary = stack.one(BOUNDARY)
    policies = {r.name: r.json("policy")["Statement"] for r in stack.of_type(POLICY) if r.name.startswith("ci-")}
    deploy = {s["Sid"]: s for s in policies["ci-deploy-policy"]}
    assert deploy["FunctionRolesWithBoundary"]["Condition"]["StringEquals"]["iam:PermissionsBoundary"] == \
        boundary.outputs["arn"]
    assert deploy["PulumiStateObjects"]["Resource"] == ["arn:aws:s3:::acme-pulumi-state/archbench-test/*"]
    preview = {s["Sid"]: s for s in policies["ci-preview-policy"]}
    assert "arn:aws:s3:::acme-pulumi-state/archbench-test/.pulumi/stacks/archbench/test.json*" in \
        preview["PulumiStateObjects"]["Resource"]
    assert set(stack.exports["ci"]) == {"deploy_role_arn", "preview_role_arn"}


USER_FUNCTION = {"handler": "thumbnail.handler", "codeDir": "examples/thumbnail",
                 "requirements": "examples/thumbnail/requirements.txt", "event": "sqs",
                 "environment": {"THUMBNAIL_FORMAT": "PNG"}}


def test_archbench_function_runs_the_wrapper_with_the_users_code_and_requirements(tmp_path, monkeypatch):
    calls: list[tuple[str, str, Path | None]] = []

    def layer_zip(arch: str, python_version: str, user_requirements: Path | None = None) -> Path:
        calls.append((arch, python_version, user_requirements))
        return _zip(tmp_path / f"{arch}.zip")

    monkeypatch.setitem(sys.modules, "layers", types.SimpleNamespace(layer_zip=layer_zip))
    stack = run_program({"layers": True, "function": json.dumps(USER_FUNCTION)})
    requirements = PROJECT_ROOT / "examples/thumbnail/requirements.txt"
    assert calls == [("arm64", "3.13", requirements), ("x86_64", "3.13", requirements)]
    for fn in stack.of_type(FUNCTION):
        assert fn.inputs["handler"] == "handlers.userfunction.handler"
        variables = fn.inputs["environment"]["variables"]
        assert (variables["ARCHBENCH_FUNCTION_HANDLER"], variables["ARCHBENCH_FUNCTION_EVENT"],
                variables["THUMBNAIL_FORMAT"]) == ("thumbnail.handler", "sqs", "PNG")
        files = code_files(fn)
        assert files["thumbnail.py"] == "examples/thumbnail/thumbnail.py"  # the user's code at the archive root
        assert files["handlers/userfunction.py"] == "handlers/userfunction.py"
    # The outputs say so, and loadgen refuses a --workload for this stack (and --events for one without it).
    assert StackOutputs.from_dict(stack.exports["bench"]).user_function == "thumbnail.handler"
    assert "user_function" not in run_program({"layers": False}).exports["bench"]
