"""Operations: the CI roles (trust, permissions), the alarms and the dashboard (the workflow: test_workflows.py).

The components are built under Pulumi mocks (``tests/ops_harness.py``) from a ``StackSpec`` of real settings;
assertions read the inputs the AWS provider would receive.
"""

from __future__ import annotations

import json
from fnmatch import fnmatchcase
from typing import Any
from urllib.parse import unquote

import pytest

from components.ci_role import ci_deploy_role
from components.iam_policies import (
    AwsScope,
    StateLocation,
    boundary_policy,
    deploy_policy,
    deploy_role_name,
    preview_policy,
    preview_role_name,
)
from components.layers import layer_keys, layer_name
from components.monitoring import Monitoring, alarm_topic_name, dashboard_name
from core import COLOURS
from stack import Settings, StackSpec, describe_stack, stack_alarms, stack_prefix
from stack.spec import STACK_NAME_MAX
from tests.support.ops_harness import ACCOUNT, API_ID, REGION, Registered, build, of_type, one

PREFIX = "archbench-ops"
REPO = "octo-org/bench"
PROVIDER = "aws:iam/openIdConnectProvider:OpenIdConnectProvider"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
DASHBOARD = "aws:cloudwatch/dashboard:Dashboard"
TOPIC = "aws:sns/topic:Topic"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"


def stack(**settings: Any) -> StackSpec:
    return describe_stack(Settings(**settings), PREFIX)


def build_ci(spec: StackSpec) -> list[Registered]:
    return build(lambda: ci_deploy_role("ci", spec, STATE, account_id=ACCOUNT, region=REGION, api_id=API_ID))


def build_monitoring(spec: StackSpec) -> list[Registered]:
    return build(lambda: Monitoring("monitoring", spec, region=REGION, api_id=API_ID))


def statements(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in document["Statement"]}


def as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value


# --- CI roles -----------------------------------------------------------------------------------------------

STATE = StateLocation(bucket="acme-pulumi-state", prefix=PREFIX, project="archbench", stack="ops")
CI = {"ci_github_repository": REPO, "ci_state_bucket": STATE.bucket}


def test_ci_roles_are_off_unless_a_repository_is_configured():
    assert build_ci(stack(ci_state_bucket="my-state")) == []


def test_deploy_role_trusts_exactly_the_environment_of_one_repository():
    registered = build_ci(stack(**CI, ci_github_environment="prod-eu"))
    provider = one(registered, PROVIDER)
    assert provider.inputs["url"] == "https://token.actions.githubusercontent.com"
    assert provider.inputs["clientIdLists"] == ["sts.amazonaws.com"]

    (trust,) = one(registered, ROLE, "-deploy").json("assumeRolePolicy")["Statement"]
    assert trust["Principal"] == {
        "Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"}
    assert trust["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert list(trust["Condition"]) == ["StringEquals"], "a StringLike condition would make subjects patterns"
    assert trust["Condition"]["StringEquals"] == {
        "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
        "token.actions.githubusercontent.com:sub": [f"repo:{REPO}:environment:prod-eu"],
    }
    assert one(registered, ROLE, "-deploy").inputs["name"] == f"{PREFIX}_ci-deploy"


def test_staging_deploy_role_without_environment_trusts_pushes_to_main_only():
    registered = build_ci(stack(**CI, ci_github_environment=""))
    (trust,) = one(registered, ROLE, "-deploy").json("assumeRolePolicy")["Statement"]
    assert trust["Condition"]["StringEquals"]["token.actions.githubusercontent.com:sub"] == [
        f"repo:{REPO}:ref:refs/heads/main"]


def test_preview_role_trusts_only_its_environment_and_reads_only_this_stacks_state_object():
    registered = build_ci(stack(**CI, ci_preview_environment="preview"))
    role = one(registered, ROLE, "-preview")
    assert role.inputs["name"] == f"{PREFIX}_ci-preview"
    (trust,) = role.json("assumeRolePolicy")["Statement"]
    assert trust["Condition"]["StringEquals"]["token.actions.githubusercontent.com:sub"] == [
        f"repo:{REPO}:environment:preview"], "not repo:…:pull_request, which every branch's pull request has"

    policy = statements(one(registered, ROLE_POLICY, "-preview-policy").json("policy"))
    bucket = "arn:aws:s3:::acme-pulumi-state"
    assert {sid: (s["Action"], s["Resource"], s.get("Condition")) for sid, s in policy.items()} == {
        "PulumiStateList": (["s3:ListBucket"], [bucket], {"StringLike": {"s3:prefix": [f"{PREFIX}/*"]}}),
        "PulumiStateObjects": (["s3:GetObject"], [f"{bucket}/{PREFIX}/.pulumi/meta.yaml",
                                                  f"{bucket}/{PREFIX}/.pulumi/stacks/archbench/ops.json*"], None),
    }


def test_without_a_preview_environment_there_is_no_preview_role():
    registered = build_ci(stack(**CI))
    assert [r.inputs["name"] for r in of_type(registered, ROLE)] == [f"{PREFIX}_ci-deploy"]
    assert [r.name for r in of_type(registered, ROLE_POLICY)] == ["ci-deploy-policy"]


def test_deploy_policy_names_every_action_and_scopes_resources_to_the_stack():
    registered = build_ci(stack(**CI))
    policy = statements(one(registered, ROLE_POLICY, "-deploy-policy").json("policy"))
    allowed = {sid: s for sid, s in policy.items() if s["Effect"] == "Allow"}

    for sid, statement in allowed.items():
        for action in as_list(statement["Action"]):
            assert "*" not in action, f"{sid} grants a wildcard action {action}"
    # "*" only where AWS offers no resource-level permission, and creating a mapping is tied to our functions.
    everywhere = {sid for sid, s in allowed.items() if "*" in as_list(s["Resource"])}
    assert everywhere == {"CreateMappings", "ApiAccessLogDelivery"}
    assert policy["CreateMappings"]["Condition"] == {
        "ArnLike": {"lambda:FunctionArn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{PREFIX}_*"}}
    # The log-delivery actions AWS accepts on log groups at all get the region's log groups, never "*".
    assert policy["ApiAccessLogAccount"]["Resource"] == [f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:*"]
    assert set(policy["ApiAccessLogAccount"]["Action"]) == {
        "logs:PutResourcePolicy", "logs:DescribeResourcePolicies", "logs:DescribeLogGroups"}
    assert all(a.endswith("LogDelivery") or a == "logs:ListLogDeliveries"
               for a in policy["ApiAccessLogDelivery"]["Action"])

    scoped_by = {f"{PREFIX}_", f"/apis/{API_ID}", f"acme-pulumi-state/{PREFIX}/", "event-source-mapping:*",
                 "log-group:*"}
    for sid, statement in allowed.items():
        for resource in as_list(statement["Resource"]):
            if resource == "*":
                continue
            scoped = any(marker in unquote(resource) for marker in scoped_by) or resource.endswith(
                ("::/apis", ":::acme-pulumi-state"))
            assert scoped, (sid, resource)
            assert REGION in resource or f"::{ACCOUNT}:" in resource or resource.startswith("arn:aws:s3:::"), resource

    assert policy["Functions"]["Resource"] == [f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{PREFIX}_*"]
    assert {"lambda:PutFunctionConcurrency", "lambda:DeleteFunctionConcurrency"} <= set(policy["Functions"]["Action"])
    assert policy["FunctionRolesWithBoundary"]["Condition"] == {
        "StringEquals": {"iam:PermissionsBoundary": f"arn:aws:iam::{ACCOUNT}:policy/{PREFIX}_function-boundary"}}
    assert policy["PassFunctionRoles"]["Condition"] == {
        "StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}
    assert policy["PulumiStateObjects"]["Resource"] == [f"arn:aws:s3:::acme-pulumi-state/{PREFIX}/*"]
    assert "s3:PutObject" in policy["PulumiStateObjects"]["Action"]


def stack_arns(spec: StackSpec, scope: AwsScope) -> list[str]:
    """The ARN of every resource the stack's program creates under its names (all variants, layers, monitoring)."""
    arns = [scope.arn("logs", f"log-group:{spec.api_access_log_group}:*"),
            scope.arn("cloudwatch", f"dashboard/{dashboard_name(spec)}", regional=False),
            scope.arn("sns", alarm_topic_name(spec))]
    arns += [scope.arn("lambda", f"layer:{layer_name(spec, key)}") for key in layer_keys(spec)]
    arns += [scope.arn("cloudwatch", f"alarm:{alarm.name}") for alarm in stack_alarms(spec)]
    for fn in spec.functions:
        arns += [scope.arn("lambda", f"function:{fn.function_name}"), scope.arn("sqs", fn.queue_name),
                 scope.arn("sqs", fn.dlq_name), scope.arn("logs", f"log-group:{fn.log_group}:*"),
                 scope.iam(f"role/{fn.role_name}")]
    return arns


def matches(arn: str, statements: list[dict[str, Any]]) -> bool:
    """IAM's resource matching: ``*`` spans any characters, ``/`` and ``:`` included."""
    return any(pattern != "*" and fnmatchcase(arn, pattern) for s in statements for pattern in as_list(s["Resource"]))


@pytest.mark.parametrize(("own", "other"), [("prod", "prod-eu"), ("prod-eu", "prod")])
def test_deploy_policy_covers_every_variant_of_its_stack_and_nothing_of_a_stack_whose_name_shares_a_prefix(own, other):
    settings = Settings(ci_github_repository=REPO, ci_state_bucket=STATE.bucket, memory_sizes=(128, 1024),
                        runtimes=("python3.12", "python3.13"))
    mine, theirs = (describe_stack(settings, stack_prefix(name)) for name in (own, other))
    scope = AwsScope.of(REGION, ACCOUNT)
    state = StateLocation(bucket=STATE.bucket, prefix=mine.prefix, project="archbench", stack=own)
    document = deploy_policy(mine, scope, API_ID, state)
    # Listing log groups and the account's log resource policies is granted on the region's log groups (AWS takes
    # nothing narrower); the simulation (test_iam_simulation.py) shows it changes nothing of the other stack's.
    allows = [s for s in document["Statement"]
              if s["Effect"] == "Allow" and "Condition" not in s and s["Sid"] != "ApiAccessLogAccount"]
    denies = [s for s in document["Statement"] if s["Effect"] == "Deny" and "Condition" not in s]

    own_arns = stack_arns(mine, scope)
    assert len(mine.functions) == 12 and len(own_arns) == 3 + 4 + 4 * 12 + 5 * 12
    assert [arn for arn in own_arns if not matches(arn, allows)] == []
    other_state = StateLocation(bucket=STATE.bucket, prefix=theirs.prefix, project="archbench", stack=other)
    other_arns = [*stack_arns(theirs, scope), other_state.objects(scope, ".pulumi/stacks/archbench/x.json")]
    assert [arn for arn in other_arns if matches(arn, allows)] == []
    # Every stack's CI roles are denied, this one's included; no function role is.
    ci_roles = [scope.iam(f"role/{name(spec)}") for spec in (mine, theirs)
                for name in (deploy_role_name, preview_role_name)]
    assert all(matches(arn, denies) for arn in ci_roles)
    assert not [arn for arn in own_arns if matches(arn, denies)]


def test_deploy_role_may_never_change_a_ci_role_a_managed_policy_or_a_boundary():
    registered = build_ci(stack(**CI))
    policy = statements(one(registered, ROLE_POLICY, "-deploy-policy").json("policy"))
    deny = policy["NeverAnyCiRole"]
    assert deny["Effect"] == "Deny"
    assert deny["Resource"] == [f"arn:aws:iam::{ACCOUNT}:role/*_ci-*"]
    assert {"iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:UpdateAssumeRolePolicy", "iam:PassRole"} <= set(
        deny["Action"])
    for role in of_type(registered, ROLE):
        assert role.inputs["name"].startswith(f"{PREFIX}_ci-")
    assert (policy["NeverWriteAManagedPolicy"]["Effect"], policy["NeverWriteAManagedPolicy"]["Resource"]) == (
        "Deny", [f"arn:aws:iam::{ACCOUNT}:policy/*"])
    assert {"iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion"} <= set(
        policy["NeverWriteAManagedPolicy"]["Action"])
    assert policy["NeverRemoveABoundary"]["Action"] == ["iam:DeleteRolePermissionsBoundary"]


def test_an_existing_oidc_provider_is_reused_not_created():
    existing = f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"
    registered = build_ci(stack(**CI, ci_preview_environment="preview", ci_oidc_provider_arn=existing))
    assert of_type(registered, PROVIDER) == []
    assert len(of_type(registered, ROLE)) == 2
    for role in of_type(registered, ROLE):
        assert role.json("assumeRolePolicy")["Statement"][0]["Principal"] == {"Federated": existing}


# --- alarms -------------------------------------------------------------------------------------------------

def test_four_alarms_per_variant_on_the_right_metrics_and_thresholds():
    spec = stack(timeout_s=20, batching_window_s=5)
    alarms = {r.inputs["name"]: r.inputs for r in of_type(build_monitoring(spec), ALARM)}
    assert len(spec.functions) == 3 and len(alarms) == 4 * 3

    for fn in spec.functions:
        expected = {
            f"{fn.function_name}-errors": ("AWS/Lambda", "Errors", {"FunctionName": fn.function_name}, "Sum", 0),
            f"{fn.function_name}-throttles": ("AWS/Lambda", "Throttles", {"FunctionName": fn.function_name}, "Sum",
                                              0),
            f"{fn.function_name}-dlq-depth": ("AWS/SQS", "ApproximateNumberOfMessagesVisible",
                                              {"QueueName": fn.dlq_name}, "Maximum", 0),
            # One visibility timeout: 6 × 20 s + 5 s batching window.
            f"{fn.function_name}-queue-age": ("AWS/SQS", "ApproximateAgeOfOldestMessage",
                                              {"QueueName": fn.queue_name}, "Maximum", 125),
        }
        for name, (namespace, metric, dimensions, statistic, threshold) in expected.items():
            alarm = alarms[name]
            assert (alarm["namespace"], alarm["metricName"], alarm["dimensions"]) == (namespace, metric, dimensions)
            assert (alarm["statistic"], alarm["threshold"]) == (statistic, threshold)
            assert alarm["comparisonOperator"] == "GreaterThanThreshold"
            assert alarm["treatMissingData"] == "notBreaching"
            assert not alarm.get("alarmActions"), "no topic configured, so no action"


def test_alarm_email_adds_a_topic_that_every_alarm_notifies():
    registered = build_monitoring(stack(alarm_email="oncall@example.com"))
    topic = one(registered, TOPIC)
    assert topic.inputs["name"] == f"{PREFIX}_alarms"
    subscription = one(registered, SUBSCRIPTION)
    assert (subscription.inputs["protocol"], subscription.inputs["endpoint"]) == ("email", "oncall@example.com")
    topic_arn = f"arn:aws:sns:{REGION}:{ACCOUNT}:{PREFIX}_alarms"
    assert subscription.inputs["topic"] == topic_arn
    for alarm in of_type(registered, ALARM):
        assert alarm.inputs["alarmActions"] == [topic_arn]
        assert alarm.inputs["okActions"] == [topic_arn]


def test_without_alarm_email_there_is_no_topic():
    registered = build_monitoring(stack())
    assert of_type(registered, TOPIC) == [] and of_type(registered, SUBSCRIPTION) == []
    assert len(registered) == 1 + 4 * 3 + 1  # the component, four alarms for each of three variants, the dashboard


# --- dashboard ----------------------------------------------------------------------------------------------

def dashboard(spec: StackSpec) -> dict[str, Any]:
    registered = build_monitoring(spec)
    board = one(registered, DASHBOARD)
    assert board.inputs["dashboardName"] == f"{spec.prefix}_comparison"
    return board.json("dashboardBody")


def percentile_widgets(widgets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [w for w in widgets if w["properties"].get("title", "").startswith(("WorkloadMs p50", "WorkloadMs p99"))]


def test_dashboard_puts_each_cells_variants_side_by_side():
    spec = stack()
    widgets = dashboard(spec)["widgets"]
    text = json.dumps(widgets)
    variant_ids = [fn.variant_id for fn in spec.functions]
    assert variant_ids == ["py313-1024-arm64", "py313-1024-x86_64", "py313-1024-x86_64-twin"]

    for fn in spec.functions:
        for stat in ("p50", "p99"):
            title = f"WorkloadMs {stat} by workload — {fn.variant_id}"
            (widget,) = [w for w in widgets if w["properties"].get("title") == title]
            (expression,) = widget["properties"]["metrics"][0]
            assert expression["expression"] == (
                f"SEARCH('{{ArchBench,Variant,Workload}} MetricName=\"WorkloadMs\" Variant=\"{fn.variant_id}\"', "
                f"'{stat}', 60)")
            assert widget["width"] == 8
        for name in (fn.function_name, fn.queue_name, fn.dlq_name, f"SOURCE '{fn.log_group}'",
                     f'"Variant", "{fn.variant_id}"'):
            assert name in text
    assert "Architecture" not in text, "the EMF metrics are dimensioned by Variant only"
    # One row per percentile, the cell's variants left to right in matrix order: arm64, x86_64, its twin.
    rows = sorted((w["y"], w["x"], w["properties"]["title"].rsplit(" ", 1)[-1]) for w in percentile_widgets(widgets))
    assert rows == [(4, 0, variant_ids[0]), (4, 8, variant_ids[1]), (4, 16, variant_ids[2]),
                    (10, 0, variant_ids[0]), (10, 8, variant_ids[1]), (10, 16, variant_ids[2])]

    (alarm_widget,) = [w for w in widgets if w["type"] == "alarm"]
    assert sorted(alarm_widget["properties"]["alarms"]) == sorted(
        f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{fn.function_name}-{kind}"
        for fn in spec.functions for kind in ("errors", "throttles", "dlq-depth", "queue-age"))
    assert f'"ApiId", "{API_ID}"' in text
    for widget in widgets:
        if widget["type"] in ("metric", "log"):
            assert widget["properties"]["region"] == REGION


def test_dashboard_lines_are_labelled_by_variant_and_coloured_by_architecture():
    spec = stack()
    for widget in dashboard(spec)["widgets"]:
        for metric in widget["properties"].get("metrics", []):
            options = metric[-1]
            variant_id = options.get("label", "").split(" ")[0]
            if variant_id.startswith("py"):
                assert options["color"] == COLOURS[spec.function(variant_id).architecture]


def assert_tiles_the_grid(widgets: list[dict[str, Any]]) -> None:
    cells: set[tuple[int, int]] = set()
    for w in widgets:
        assert w["x"] >= 0 and w["x"] + w["width"] <= 24
        area = {(x, y) for x in range(w["x"], w["x"] + w["width"]) for y in range(w["y"], w["y"] + w["height"])}
        assert not cells & area, f"{w['properties'].get('title')} overlaps another widget"
        cells |= area


def test_dashboard_widgets_tile_the_grid_without_overlap():
    assert_tiles_the_grid(dashboard(stack())["widgets"])


def test_dashboard_of_a_single_architecture_stack_has_only_its_widgets():
    spec = stack(architectures=("arm64",), control="none")
    widgets = dashboard(spec)["widgets"]
    text = json.dumps(widgets)
    assert "x86" not in text
    assert [w["width"] for w in percentile_widgets(widgets)] == [24, 24]


def test_the_policies_fit_iams_quotas_at_the_longest_names():
    """IAM counts a policy's characters without whitespace: 10,240 for a role's inline policies, 6,144 managed."""
    longest = describe_stack(Settings(ci_github_repository=REPO, ci_state_bucket="b" * 63, xray_tracing=True,
                                      load_workers=True),
                             stack_prefix("x" * STACK_NAME_MAX))
    scope = AwsScope.of("ap-southeast-2", ACCOUNT)
    state = StateLocation(bucket="b" * 63, prefix=longest.prefix, project="archbench", stack="x" * STACK_NAME_MAX)
    size = {name: len(json.dumps(document, separators=(",", ":"))) for name, document in (
        ("deploy", deploy_policy(longest, scope, API_ID, state)), ("preview", preview_policy(scope, state)),
        ("boundary", boundary_policy(longest, scope)))}
    assert size["deploy"] <= 10_240 and size["preview"] <= 10_240 and size["boundary"] <= 6_144, size
