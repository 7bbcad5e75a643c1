"""The program over a 3 runtimes × 2 memory sizes × 2 architectures matrix with twins (18 variants), under mocks.

One run, with the longest names a stack can have (the prefix at its maximum, the longest memory size and
runtime tags), checks what scales with the matrix: the exact resources by type, AWS's name limits, one least-
privilege policy per variant, one route per variant, one layer per (architecture, runtime), four alarms per
variant, and a dashboard within CloudWatch's quotas — also at ``MAX_VARIANTS``.
"""

from __future__ import annotations

import json
import sys
import types
import zipfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from components.monitoring import Monitoring
from handlers.workloads import WORKLOADS
from stack import MAX_VARIANTS, Settings, StackOutputs, StackSpec, describe_stack
from stack.spec import PREFIX_MAX
from tests.support.ops_harness import API_ID, REGION, build, one
from tests.support.pulumi_harness import ProgramRun, Recorded, run_program
from tests.unit.components.test_operations import assert_tiles_the_grid
from tests.unit.components.test_program import granted

MATRIX_CONFIG = {"runtimes": ["python3.12", "python3.13", "python3.14"], "memorySizes": [128, 10240],
                 "architectures": ["arm64", "x86_64"], "control": "x86_64", "layers": True}
LONG_STACK = "feature-" + "x" * 17  # the longest stack name: the prefix at its maximum length
SETTINGS = Settings.from_mapping(MATRIX_CONFIG.get)
VARIANT_IDS = [variant.id for variant in SETTINGS.variants]
# AWS's name limits: Lambda function and IAM role 64, SQS queue 80, log group 512, layer 140, alarm and
# dashboard 255, HTTP API 128.
NAME_LIMITS = {"aws:lambda/function:Function": 64, "aws:iam/role:Role": 64, "aws:sqs/queue:Queue": 80,
               "aws:cloudwatch/logGroup:LogGroup": 512, "aws:lambda/layerVersion:LayerVersion": 140,
               "aws:cloudwatch/metricAlarm:MetricAlarm": 255, "aws:cloudwatch/dashboard:Dashboard": 255,
               "aws:apigatewayv2/api:Api": 128}
NAME_INPUT = {"aws:lambda/layerVersion:LayerVersion": "layerName",
              "aws:cloudwatch/dashboard:Dashboard": "dashboardName"}
EXPECTED_RESOURCES = {
    "aws:lambda/function:Function": 18, "aws:sqs/queue:Queue": 36, "aws:cloudwatch/logGroup:LogGroup": 19,
    "aws:iam/role:Role": 18, "aws:iam/rolePolicy:RolePolicy": 18, "aws:iam/policy:Policy": 1,
    "aws:lambda/eventSourceMapping:EventSourceMapping": 18, "aws:lambda/layerVersion:LayerVersion": 6,
    "aws:apigatewayv2/api:Api": 1, "aws:apigatewayv2/integration:Integration": 18,
    "aws:apigatewayv2/route:Route": 18, "aws:apigatewayv2/stage:Stage": 1, "aws:lambda/permission:Permission": 18,
    "aws:cloudwatch/metricAlarm:MetricAlarm": 72, "aws:cloudwatch/dashboard:Dashboard": 1,
}
# CloudWatch's dashboard quotas: widgets per dashboard, metrics per graph and per dashboard (what a SEARCH
# returns counts), alarms per alarm status widget.
MAX_WIDGETS, MAX_METRICS_PER_WIDGET, MAX_METRICS, MAX_ALARMS_PER_WIDGET = 500, 500, 2500, 100


@pytest.fixture(scope="module")
def matrix(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProgramRun]:
    zips = tmp_path_factory.mktemp("layers")

    def layer_zip(arch: str, python_version: str) -> Path:
        path = zips / f"{arch}-{python_version}.zip"
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("python/placeholder.py", "")
        return path

    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(sys.modules, "layers", types.SimpleNamespace(layer_zip=layer_zip))
        yield run_program(MATRIX_CONFIG, stack=LONG_STACK)


def of_variant(stack: ProgramRun, type_: str, variant_id: str, part: str) -> Recorded:
    return stack.one(type_, lambda r: r.name == f"{variant_id}-{part}")


def test_the_matrix_is_18_variants_with_a_twin_per_cell():
    assert len(VARIANT_IDS) == 18 and sum(v.is_control for v in SETTINGS.variants) == 6
    assert "py314-10240-x86_64-twin" in VARIANT_IDS


def test_exact_resource_count_by_type(matrix: ProgramRun):
    counts = Counter(r.type for r in matrix.custom)
    print(f"\n3 × 2 × 2 + twins ({len(VARIANT_IDS)} variants): {sum(counts.values())} resources")
    for type_, count in sorted(counts.items()):
        print(f"  {count:4d}  {type_}")
    assert dict(counts) == EXPECTED_RESOURCES
    assert sum(counts.values()) == 263
    components = Counter(r.type for r in matrix.resources if not r.custom)
    assert components == {"archbench:bench:BenchmarkedFunction": 18, "archbench:bench:HttpApi": 1,
                          "archbench:bench:DependencyLayers": 1, "archbench:ops:Monitoring": 1,
                          "archbench:bench:FunctionBoundary": 1}


def test_every_name_is_within_aws_limits_and_unique(matrix: ProgramRun):
    (function, *_) = matrix.of_type("aws:lambda/function:Function")
    prefix = function.inputs["name"].split("_", 1)[0]
    assert len(prefix) == PREFIX_MAX  # the longest prefix there is
    for type_, limit in NAME_LIMITS.items():
        names = [r.inputs[NAME_INPUT.get(type_, "name")] for r in matrix.of_type(type_)]
        assert len(names) == len(set(names)) == EXPECTED_RESOURCES[type_], type_
        longest = max(names, key=len)
        assert len(longest) <= limit, (type_, longest)
        assert all(name.startswith((f"{prefix}_", f"/aws/lambda/{prefix}_", f"/aws/apigateway/{prefix}_"))
                   for name in names), type_


def test_each_variant_has_its_own_policy_naming_only_its_own_queue_and_log_group(matrix: ProgramRun):
    seen: set[str] = set()
    for variant_id in VARIANT_IDS:
        queue = of_variant(matrix, "aws:sqs/queue:Queue", variant_id, "queue")
        logs = of_variant(matrix, "aws:cloudwatch/logGroup:LogGroup", variant_id, "logs")
        policy = of_variant(matrix, "aws:iam/rolePolicy:RolePolicy", variant_id, "policy")
        role = of_variant(matrix, "aws:iam/role:Role", variant_id, "role")
        assert policy.inputs["role"] == role.id
        grants = granted(policy)
        assert set(grants) == {queue.outputs["arn"], f"{logs.outputs['arn']}:*"}
        assert not seen & set(grants), "a resource granted to two variants"
        seen |= set(grants)
        assert of_variant(matrix, "aws:lambda/function:Function", variant_id, "function").inputs["role"] == \
            role.outputs["arn"]
    assert len(seen) == 2 * len(VARIANT_IDS)


def test_one_route_per_variant_invoking_only_its_own_function(matrix: ProgramRun):
    api = matrix.one("aws:apigatewayv2/api:Api")
    routes = {r.inputs["routeKey"]: r for r in matrix.of_type("aws:apigatewayv2/route:Route")}
    assert sorted(routes) == sorted(f"POST /{v}/process" for v in VARIANT_IDS)
    for variant_id in VARIANT_IDS:
        function = of_variant(matrix, "aws:lambda/function:Function", variant_id, "function")
        integration = matrix.one("aws:apigatewayv2/integration:Integration",
                                 lambda r, t=routes[f"POST /{variant_id}/process"].inputs["target"]:
                                 f"integrations/{r.id}" == t)
        assert integration.inputs["integrationUri"] == function.outputs["invokeArn"]
        permission = matrix.one("aws:lambda/permission:Permission", lambda r, v=variant_id: r.name == f"api-{v}-invoke")
        assert permission.inputs["function"] == function.inputs["name"]
        assert permission.inputs["sourceArn"] == f"{api.outputs['executionArn']}/*/POST/{variant_id}/process"


def test_one_layer_per_architecture_and_runtime_shared_by_its_variants(matrix: ProgramRun):
    layers = {(r.inputs["compatibleArchitectures"][0], r.inputs["compatibleRuntimes"][0]): r.outputs["arn"]
              for r in matrix.of_type("aws:lambda/layerVersion:LayerVersion")}
    assert sorted(layers) == sorted((a, r) for a in SETTINGS.architectures for r in SETTINGS.runtimes)
    for variant in SETTINGS.variants:
        function = of_variant(matrix, "aws:lambda/function:Function", variant.id, "function")
        assert function.inputs["layers"] == [layers[(variant.architecture, variant.runtime)]]
        assert (function.inputs["runtime"], function.inputs["memorySize"], function.inputs["architectures"]) == (
            variant.runtime, variant.memory_mb, [variant.architecture])


def test_four_alarms_per_variant_on_its_own_function_and_queues(matrix: ProgramRun):
    alarms = {r.inputs["name"]: r.inputs for r in matrix.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")}
    for variant_id in VARIANT_IDS:
        function = of_variant(matrix, "aws:lambda/function:Function", variant_id, "function").inputs["name"]
        dimensions = {kind: alarms[f"{function}-{kind}"]["dimensions"]
                      for kind in ("errors", "throttles", "dlq-depth", "queue-age")}
        assert dimensions == {"errors": {"FunctionName": function}, "throttles": {"FunctionName": function},
                              "dlq-depth": {"QueueName": f"{function}-dlq"},
                              "queue-age": {"QueueName": f"{function}-queue"}}


def test_bench_output_carries_every_variant(matrix: ProgramRun):
    outputs = StackOutputs.from_dict(matrix.exports["bench"], source="matrix")
    assert list(outputs.variants) == VARIANT_IDS
    assert {(fn.runtime, fn.memory_mb, fn.architecture, fn.role) for fn in outputs.functions.values()} == {
        (v.runtime, v.memory_mb, v.architecture, v.role) for v in SETTINGS.variants}


# --- the dashboard within CloudWatch's quotas ------------------------------------------------------------------------

def series(metric: list[Any]) -> int:
    """How many time series one entry of a graph's ``metrics`` draws: a SEARCH one per workload."""
    options = metric[-1] if isinstance(metric[-1], dict) else {}
    return len(WORKLOADS) if "SEARCH(" in options.get("expression", "") else 1


def assert_within_dashboard_quotas(body: dict[str, Any], spec: StackSpec) -> None:
    widgets = body["widgets"]
    assert len(widgets) <= MAX_WIDGETS
    per_widget = [sum(series(m) for m in w["properties"].get("metrics", [])) for w in widgets]
    assert max(per_widget) <= MAX_METRICS_PER_WIDGET and sum(per_widget) <= MAX_METRICS, (max(per_widget),
                                                                                       sum(per_widget))
    alarm_widgets = [w["properties"]["alarms"] for w in widgets if w["type"] == "alarm"]
    assert all(1 <= len(alarms) <= MAX_ALARMS_PER_WIDGET for alarms in alarm_widgets)
    assert sum(len(alarms) for alarms in alarm_widgets) == 4 * len(spec.functions)
    (table,) = [w for w in widgets if w["type"] == "log"]
    assert table["properties"]["query"].count("SOURCE '") == len(spec.functions) <= 50  # Logs Insights' limit
    titles = [w["properties"].get("title", "") for w in widgets]
    for fn in spec.functions:
        assert f"WorkloadMs p50 by workload — {fn.variant_id}" in titles
    assert_tiles_the_grid(widgets)


def test_the_matrix_dashboard_is_valid_json_within_the_quotas(matrix: ProgramRun):
    board = matrix.one("aws:cloudwatch/dashboard:Dashboard")
    body = json.loads(board.inputs["dashboardBody"])
    spec = describe_stack(SETTINGS, board.inputs["dashboardName"].split("_", 1)[0])
    assert_within_dashboard_quotas(body, spec)


@pytest.mark.parametrize("settings", [
    Settings(runtimes=("python3.11", "python3.12", "python3.13", "python3.14"), memory_sizes=(128, 512, 1769, 10240),
             control="none"),
    Settings(runtimes=("python3.12", "python3.13"), memory_sizes=(128, 256, 512, 1024, 10240)),
], ids=["32-variants", "30-variants-with-twins"])
def test_the_largest_matrices_dashboard_stays_within_the_quotas(settings: Settings):
    spec = describe_stack(settings, "archbench-ops")
    assert len(spec.functions) in (MAX_VARIANTS, MAX_VARIANTS - 2)
    registered = build(lambda: Monitoring("monitoring", spec, region=REGION, api_id=API_ID))
    assert_within_dashboard_quotas(one(registered, "aws:cloudwatch/dashboard:Dashboard").json("dashboardBody"), spec)
