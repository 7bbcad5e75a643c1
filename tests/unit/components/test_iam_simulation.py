"""What the CI roles and a function role may do, by evaluating the policy documents the mocks register.

Three stacks share one account and one state bucket: ``prod`` (deploy role, no preview role), ``prod-eu`` (whose
names start like prod's) and ``staging`` (with a preview environment). Each case is one API call that the deploy
role, the preview role or a function role must not be able to make, with the decision the simulator
(``tests/support/iam_simulator.py``) must reach — and a few calls ``pulumi up`` and ``pulumi preview`` need, so a
policy that denied everything would fail too. The function role is given the worst inline policy a commit could
write (``*`` on ``*``): only its boundary stands between it and the account.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from components.boundary import FunctionBoundary
from components.ci_role import ci_deploy_role
from components.iam_policies import StateLocation
from stack import Settings, StackSpec, describe_stack
from tests.support.iam_simulator import Decision, Request, evaluate, evaluate_role, matches
from tests.support.ops_harness import ACCOUNT, API_ID, REGION, Registered, build, one

ALLOW, DENY, IMPLICIT = Decision.ALLOW, Decision.DENY, Decision.IMPLICIT_DENY
BUCKET = "acme-pulumi-state"
SETTINGS = Settings(ci_github_repository="octo-org/bench", ci_state_bucket=BUCKET)
PROD, EU, STAGING = "archbench-prod", "archbench-prod-eu", "archbench-staging"
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
HOSTILE_INLINE = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


def arn(service: str, resource: str) -> str:
    return f"arn:aws:{service}:{REGION}:{ACCOUNT}:{resource}"


def iam(resource: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:{resource}"


def state(prefix: str, stack: str) -> StateLocation:
    return StateLocation(bucket=BUCKET, prefix=prefix, project="archbench", stack=stack)


def state_object(prefix: str, stack: str, key: str = "") -> str:
    return f"arn:aws:s3:::{BUCKET}/{prefix}/.pulumi/{key or f'stacks/archbench/{stack}.json'}"


def fn(prefix: str) -> str:
    return f"{prefix}_py313-1024-arm64"


def boundary(prefix: str) -> str:
    return iam(f"policy/{prefix}_function-boundary")


def with_boundary(policy_arn: str) -> dict[str, str]:
    return {"iam:PermissionsBoundary": policy_arn}


def build_stack(spec: StackSpec, location: StateLocation) -> list[Registered]:
    return build(lambda: (FunctionBoundary("boundary", spec, account_id=ACCOUNT, region=REGION),
                          ci_deploy_role("ci", spec, location, account_id=ACCOUNT, region=REGION, api_id=API_ID)))


@pytest.fixture(scope="module")
def documents() -> dict[str, dict[str, Any]]:
    """The deploy role's policy and the boundary of prod, and the preview role's policy of staging."""
    prod = build_stack(describe_stack(SETTINGS, PROD), state(PROD, "prod"))
    staging = build_stack(describe_stack(replace(SETTINGS, ci_preview_environment="preview"), STAGING),
                          state(STAGING, "staging"))
    return {"deploy": one(prod, "aws:iam/rolePolicy:RolePolicy", "-deploy-policy").json("policy"),
            "boundary": one(prod, "aws:iam/policy:Policy").json("policy"),
            "preview": one(staging, "aws:iam/rolePolicy:RolePolicy", "-preview-policy").json("policy")}


# (role, what is tried, the request, the decision it must get)
CASES: list[tuple[str, str, Request, Decision]] = [
    # --- the deploy role of prod: function roles only with prod's boundary ---
    ("deploy", "iam:CreateRole a function role without a boundary",
     Request("iam:CreateRole", iam(f"role/{fn(PROD)}-role")), DENY),
    ("deploy", "iam:CreateRole a function role with AdministratorAccess as its boundary",
     Request("iam:CreateRole", iam(f"role/{fn(PROD)}-role"), with_boundary(ADMIN)), DENY),
    ("deploy", "iam:CreateRole a function role with prod-eu's boundary",
     Request("iam:CreateRole", iam(f"role/{fn(PROD)}-role"), with_boundary(boundary(EU))), DENY),
    ("deploy", "iam:PutRolePolicy on a role of prod without a boundary",
     Request("iam:PutRolePolicy", iam(f"role/{PROD}_legacy-role")), DENY),
    ("deploy", "iam:PutRolePermissionsBoundary AdministratorAccess on a function role",
     Request("iam:PutRolePermissionsBoundary", iam(f"role/{fn(PROD)}-role"), with_boundary(ADMIN)), DENY),
    ("deploy", "iam:DeleteRolePermissionsBoundary of a function role",
     Request("iam:DeleteRolePermissionsBoundary", iam(f"role/{fn(PROD)}-role"), with_boundary(boundary(PROD))),
     DENY),
    ("deploy", "iam:AttachRolePolicy AdministratorAccess to a function role (boundary attached)",
     Request("iam:AttachRolePolicy", iam(f"role/{fn(PROD)}-role"),
             {**with_boundary(boundary(PROD)), "iam:PolicyARN": ADMIN}), IMPLICIT),
    ("deploy", "iam:DetachRolePolicy from a function role (boundary attached)",
     Request("iam:DetachRolePolicy", iam(f"role/{fn(PROD)}-role"), with_boundary(boundary(PROD))), IMPLICIT),
    ("deploy", "iam:UpdateAssumeRolePolicy of a function role",
     Request("iam:UpdateAssumeRolePolicy", iam(f"role/{fn(PROD)}-role")), IMPLICIT),
    # --- ... never its own role, the other CI roles or any managed policy (the boundary included) ---
    ("deploy", "iam:PutRolePolicy on its own role (even claiming the boundary)",
     Request("iam:PutRolePolicy", iam(f"role/{PROD}_ci-deploy"), with_boundary(boundary(PROD))), DENY),
    ("deploy", "iam:UpdateAssumeRolePolicy of its own role",
     Request("iam:UpdateAssumeRolePolicy", iam(f"role/{PROD}_ci-deploy")), DENY),
    ("deploy", "iam:DeleteRole its own role",
     Request("iam:DeleteRole", iam(f"role/{PROD}_ci-deploy")), DENY),
    ("deploy", "iam:PutRolePolicy on prod's preview role",
     Request("iam:PutRolePolicy", iam(f"role/{PROD}_ci-preview"), with_boundary(boundary(PROD))), DENY),
    ("deploy", "iam:PutRolePolicy on prod-eu's deploy role",
     Request("iam:PutRolePolicy", iam(f"role/{EU}_ci-deploy"), with_boundary(boundary(PROD))), DENY),
    ("deploy", "iam:AttachRolePolicy on staging's deploy role",
     Request("iam:AttachRolePolicy", iam(f"role/{STAGING}_ci-deploy"), with_boundary(boundary(PROD))), DENY),
    ("deploy", "iam:CreatePolicyVersion of the boundary",
     Request("iam:CreatePolicyVersion", boundary(PROD)), DENY),
    ("deploy", "iam:SetDefaultPolicyVersion of the boundary",
     Request("iam:SetDefaultPolicyVersion", boundary(PROD)), DENY),
    ("deploy", "iam:DeletePolicy the boundary", Request("iam:DeletePolicy", boundary(PROD)), DENY),
    ("deploy", "iam:CreatePolicy a managed policy of its own",
     Request("iam:CreatePolicy", iam(f"policy/{PROD}_wide")), DENY),
    ("deploy", "iam:PassRole its own role to Lambda",
     Request("iam:PassRole", iam(f"role/{PROD}_ci-deploy"), {"iam:PassedToService": "lambda.amazonaws.com"}),
     DENY),
    ("deploy", "iam:PassRole a function role to EC2",
     Request("iam:PassRole", iam(f"role/{fn(PROD)}-role"), {"iam:PassedToService": "ec2.amazonaws.com"}),
     IMPLICIT),
    ("deploy", "iam:CreateUser", Request("iam:CreateUser", iam("user/backdoor")), IMPLICIT),
    ("deploy", "iam:CreateAccessKey", Request("iam:CreateAccessKey", iam("user/admin")), IMPLICIT),
    # --- ... nothing of prod-eu, whose names start like prod's ---
    ("deploy", "iam:CreateRole a prod-eu role with prod's boundary",
     Request("iam:CreateRole", iam(f"role/{fn(EU)}-role"), with_boundary(boundary(PROD))), IMPLICIT),
    ("deploy", "iam:PutRolePolicy on prod-eu's function role (its boundary attached)",
     Request("iam:PutRolePolicy", iam(f"role/{fn(EU)}-role"), with_boundary(boundary(EU))), DENY),
    ("deploy", "iam:PassRole prod-eu's function role to Lambda",
     Request("iam:PassRole", iam(f"role/{fn(EU)}-role"), {"iam:PassedToService": "lambda.amazonaws.com"}),
     IMPLICIT),
    ("deploy", "lambda:UpdateFunctionCode of prod-eu's function",
     Request("lambda:UpdateFunctionCode", arn("lambda", f"function:{fn(EU)}")), IMPLICIT),
    ("deploy", "lambda:UpdateFunctionConfiguration of another function of the account",
     Request("lambda:UpdateFunctionConfiguration", arn("lambda", "function:payments")), IMPLICIT),
    ("deploy", "lambda:CreateEventSourceMapping into prod-eu's function",
     Request("lambda:CreateEventSourceMapping", "*", {"lambda:FunctionArn": arn("lambda", f"function:{fn(EU)}")}),
     IMPLICIT),
    ("deploy", "lambda:DeleteEventSourceMapping of prod-eu's function",
     Request("lambda:DeleteEventSourceMapping", arn("lambda", "event-source-mapping:1f2e"),
             {"lambda:FunctionArn": arn("lambda", f"function:{fn(EU)}")}), IMPLICIT),
    ("deploy", "lambda:InvokeFunction of its own function",
     Request("lambda:InvokeFunction", arn("lambda", f"function:{fn(PROD)}")), IMPLICIT),
    ("deploy", "sqs:DeleteQueue prod-eu's queue",
     Request("sqs:DeleteQueue", arn("sqs", f"{fn(EU)}-queue")), IMPLICIT),
    ("deploy", "sqs:ReceiveMessage from its own queue",
     Request("sqs:ReceiveMessage", arn("sqs", f"{fn(PROD)}-queue")), IMPLICIT),
    ("deploy", "logs:DeleteLogGroup prod-eu's log group",
     Request("logs:DeleteLogGroup", arn("logs", f"log-group:/aws/lambda/{fn(EU)}")), IMPLICIT),
    ("deploy", "logs:FilterLogEvents of its own log group",
     Request("logs:FilterLogEvents", arn("logs", f"log-group:/aws/lambda/{fn(PROD)}:*")), IMPLICIT),
    ("deploy", "cloudwatch:DeleteAlarms of prod-eu",
     Request("cloudwatch:DeleteAlarms", arn("cloudwatch", f"alarm:{fn(EU)}-errors")), IMPLICIT),
    ("deploy", "apigateway:DELETE another API", Request("apigateway:DELETE",
                                                        f"arn:aws:apigateway:{REGION}::/apis/other1"), IMPLICIT),
    ("deploy", "s3:GetObject prod-eu's state", Request("s3:GetObject", state_object(EU, "prod-eu")), IMPLICIT),
    ("deploy", "s3:PutObject prod-eu's state", Request("s3:PutObject", state_object(EU, "prod-eu")), IMPLICIT),
    ("deploy", "s3:ListBucket prod-eu's state prefix",
     Request("s3:ListBucket", f"arn:aws:s3:::{BUCKET}", {"s3:prefix": f"{EU}/.pulumi/"}), IMPLICIT),
    ("deploy", "s3:ListBucket the whole bucket",
     Request("s3:ListBucket", f"arn:aws:s3:::{BUCKET}", {"s3:prefix": ""}), IMPLICIT),
    # --- what pulumi up needs: allowed ---
    ("deploy", "iam:CreateRole a function role with prod's boundary (pulumi up)",
     Request("iam:CreateRole", iam(f"role/{fn(PROD)}-role"), with_boundary(boundary(PROD))), ALLOW),
    ("deploy", "iam:PutRolePolicy on a function role with prod's boundary (pulumi up)",
     Request("iam:PutRolePolicy", iam(f"role/{fn(PROD)}-role"), with_boundary(boundary(PROD))), ALLOW),
    ("deploy", "iam:PassRole a function role to Lambda (pulumi up)",
     Request("iam:PassRole", iam(f"role/{fn(PROD)}-role"), {"iam:PassedToService": "lambda.amazonaws.com"}),
     ALLOW),
    ("deploy", "lambda:UpdateFunctionCode of its own function (pulumi up)",
     Request("lambda:UpdateFunctionCode", arn("lambda", f"function:{fn(PROD)}")), ALLOW),
    ("deploy", "lambda:PutFunctionConcurrency of its own function (pulumi up)",
     Request("lambda:PutFunctionConcurrency", arn("lambda", f"function:{fn(PROD)}")), ALLOW),
    ("deploy", "lambda:CreateEventSourceMapping into its own function (pulumi up)",
     Request("lambda:CreateEventSourceMapping", "*", {"lambda:FunctionArn": arn("lambda", f"function:{fn(PROD)}")}),
     ALLOW),
    ("deploy", "logs:PutResourcePolicy for the API's access logs (pulumi up; AWS takes no narrower scope)",
     Request("logs:PutResourcePolicy", arn("logs", "log-group:*")), ALLOW),
    ("deploy", "s3:PutObject its own state (pulumi up)", Request("s3:PutObject", state_object(PROD, "prod")), ALLOW),
    ("deploy", "s3:ListBucket its own state prefix (pulumi up)",
     Request("s3:ListBucket", f"arn:aws:s3:::{BUCKET}", {"s3:prefix": f"{PROD}/.pulumi/locks/"}), ALLOW),
    # --- the preview role of staging: its own state object, nothing else ---
    ("preview", "s3:GetObject production's state",
     Request("s3:GetObject", state_object("archbench-production", "production")), IMPLICIT),
    ("preview", "s3:GetObject prod-eu's state", Request("s3:GetObject", state_object(EU, "prod-eu")), IMPLICIT),
    ("preview", "s3:GetObject staging's history and backups",
     Request("s3:GetObject", state_object(STAGING, "staging", "history/archbench/staging/x.history.json")),
     IMPLICIT),
    ("preview", "s3:PutObject staging's state", Request("s3:PutObject", state_object(STAGING, "staging")),
     IMPLICIT),
    ("preview", "s3:DeleteObject staging's state", Request("s3:DeleteObject", state_object(STAGING, "staging")),
     IMPLICIT),
    ("preview", "s3:ListBucket production's state prefix",
     Request("s3:ListBucket", f"arn:aws:s3:::{BUCKET}", {"s3:prefix": "archbench-production/"}), IMPLICIT),
    ("preview", "lambda:UpdateFunctionCode of staging's function",
     Request("lambda:UpdateFunctionCode", arn("lambda", f"function:{fn(STAGING)}")), IMPLICIT),
    ("preview", "iam:PutRolePolicy on its own role",
     Request("iam:PutRolePolicy", iam(f"role/{STAGING}_ci-preview")), IMPLICIT),
    ("preview", "iam:PassRole a function role",
     Request("iam:PassRole", iam(f"role/{fn(STAGING)}-role"), {"iam:PassedToService": "lambda.amazonaws.com"}),
     IMPLICIT),
    ("preview", "sts:AssumeRole the deploy role", Request("sts:AssumeRole", iam(f"role/{STAGING}_ci-deploy")),
     IMPLICIT),
    ("preview", "s3:GetObject staging's state (pulumi preview)",
     Request("s3:GetObject", state_object(STAGING, "staging")), ALLOW),
    ("preview", "s3:GetObject the backend's meta.yaml (pulumi preview)",
     Request("s3:GetObject", state_object(STAGING, "staging", "meta.yaml")), ALLOW),
    # --- a function role of prod with "*" on "*" inline: the boundary caps it ---
    ("function", "iam:CreateUser", Request("iam:CreateUser", iam("user/backdoor")), IMPLICIT),
    ("function", "iam:PutRolePolicy on its own role",
     Request("iam:PutRolePolicy", iam(f"role/{fn(PROD)}-role")), IMPLICIT),
    ("function", "sts:AssumeRole the deploy role", Request("sts:AssumeRole", iam(f"role/{PROD}_ci-deploy")),
     IMPLICIT),
    ("function", "s3:GetObject prod's state", Request("s3:GetObject", state_object(PROD, "prod")), IMPLICIT),
    ("function", "lambda:UpdateFunctionCode of another function",
     Request("lambda:UpdateFunctionCode", arn("lambda", f"function:{PROD}_py313-1024-x86_64")), IMPLICIT),
    ("function", "sqs:ReceiveMessage from prod-eu's queue",
     Request("sqs:ReceiveMessage", arn("sqs", f"{fn(EU)}-queue")), IMPLICIT),
    ("function", "sqs:ReceiveMessage from its DLQ", Request("sqs:ReceiveMessage", arn("sqs", f"{fn(PROD)}-dlq")),
     IMPLICIT),
    ("function", "sqs:SendMessage to its queue", Request("sqs:SendMessage", arn("sqs", f"{fn(PROD)}-queue")),
     IMPLICIT),
    ("function", "logs:PutLogEvents into prod-eu's log group",
     Request("logs:PutLogEvents", arn("logs", f"log-group:/aws/lambda/{fn(EU)}:log-stream:x")), IMPLICIT),
    ("function", "xray:PutTraceSegments with tracing off", Request("xray:PutTraceSegments", "*"), IMPLICIT),
    ("function", "sqs:ReceiveMessage from its queue (its work)",
     Request("sqs:ReceiveMessage", arn("sqs", f"{fn(PROD)}-queue")), ALLOW),
    ("function", "logs:PutLogEvents into its log group (its work)",
     Request("logs:PutLogEvents", arn("logs", f"log-group:/aws/lambda/{fn(PROD)}:log-stream:x")), ALLOW),
]


def decide(documents: dict[str, dict[str, Any]], role: str, request: Request) -> Decision:
    if role in ("function", "worker"):  # the load worker's role is capped by the same boundary
        return evaluate_role([HOSTILE_INLINE], request, boundary=documents["boundary"])
    return evaluate_role([documents[role]], request)


@pytest.mark.parametrize(("role", "request_", "expected"), [(role, request, expected)
                                                            for role, _, request, expected in CASES],
                         ids=[f"{role}: {what} -> {expected.value}" for role, what, _, expected in CASES])
def test_each_call_gets_the_decision_the_roles_promise(documents, role, request_, expected):
    assert decide(documents, role, request_) is expected


def test_the_forbidden_calls_cover_every_promise():
    forbidden = [what for role, what, _, expected in CASES if expected is not ALLOW]
    assert len(forbidden) >= 50
    assert {role for role, *_ in CASES} == {"deploy", "preview", "function"}
    print("\n" + "\n".join(f"{role:8} {expected.value:14} {what}" for role, what, _, expected in CASES))


# --- prod with archbench:loadWorkers: the worker's role is a function role, its bucket the deploy role's ---------

WORKER = f"{PROD}_loadworker"
RESULTS = f"arn:aws:s3:::{PROD}-load-results-{ACCOUNT}"
EU_RESULTS = f"arn:aws:s3:::{EU}-load-results-{ACCOUNT}"


@pytest.fixture(scope="module")
def with_workers() -> dict[str, dict[str, Any]]:
    prod = build_stack(describe_stack(replace(SETTINGS, load_workers=True), PROD), state(PROD, "prod"))
    return {"deploy": one(prod, "aws:iam/rolePolicy:RolePolicy", "-deploy-policy").json("policy"),
            "boundary": one(prod, "aws:iam/policy:Policy").json("policy")}


WORKER_CASES: list[tuple[str, str, Request, Decision]] = [
    ("deploy", "s3:CreateBucket the stack's results bucket (pulumi up)", Request("s3:CreateBucket", RESULTS), ALLOW),
    ("deploy", "s3:PutBucketPolicy on the results bucket (pulumi up)", Request("s3:PutBucketPolicy", RESULTS), ALLOW),
    ("deploy", "lambda:PutFunctionEventInvokeConfig of the worker (pulumi up)",
     Request("lambda:PutFunctionEventInvokeConfig", arn("lambda", f"function:{WORKER}")), ALLOW),
    ("deploy", "iam:CreateRole the worker's role with prod's boundary (pulumi up)",
     Request("iam:CreateRole", iam(f"role/{WORKER}-role"), with_boundary(boundary(PROD))), ALLOW),
    ("deploy", "iam:CreateRole the worker's role without a boundary",
     Request("iam:CreateRole", iam(f"role/{WORKER}-role")), DENY),
    ("deploy", "s3:CreateBucket prod-eu's results bucket", Request("s3:CreateBucket", EU_RESULTS), IMPLICIT),
    ("deploy", "s3:GetObject a partial manifest", Request("s3:GetObject", f"{RESULTS}/results/r/0.json"), IMPLICIT),
    ("deploy", "s3:PutBucketPolicy on the state bucket", Request("s3:PutBucketPolicy", f"arn:aws:s3:::{BUCKET}"),
     IMPLICIT),
    ("worker", "s3:PutObject its partial manifest (its work)",
     Request("s3:PutObject", f"{RESULTS}/results/r/0.json"), ALLOW),
    ("worker", "s3:GetObject a run's stop marker (its work)", Request("s3:GetObject", f"{RESULTS}/results/r/stop"),
     ALLOW),
    ("worker", "sqs:SendMessage to a queue of the stack (its work)",
     Request("sqs:SendMessage", arn("sqs", f"{fn(PROD)}-queue")), ALLOW),
    ("worker", "s3:GetObject another worker's partial manifest",
     Request("s3:GetObject", f"{RESULTS}/results/r/1.json"), IMPLICIT),
    ("worker", "s3:PutObject outside the results prefix", Request("s3:PutObject", f"{RESULTS}/site/index.html"),
     IMPLICIT),
    ("worker", "s3:PutObject into prod-eu's results", Request("s3:PutObject", f"{EU_RESULTS}/results/r/0.json"),
     IMPLICIT),
    ("worker", "s3:GetObject prod's state", Request("s3:GetObject", state_object(PROD, "prod")), IMPLICIT),
    ("worker", "sqs:SendMessage to prod-eu's queue", Request("sqs:SendMessage", arn("sqs", f"{fn(EU)}-queue")),
     IMPLICIT),
    ("worker", "sqs:SendMessage to a dead-letter queue", Request("sqs:SendMessage", arn("sqs", f"{fn(PROD)}-dlq")),
     IMPLICIT),
    ("worker", "s3:DeleteObject a partial manifest", Request("s3:DeleteObject", f"{RESULTS}/results/r/0.json"),
     IMPLICIT),
    ("worker", "lambda:InvokeFunction a benchmarked function",
     Request("lambda:InvokeFunction", arn("lambda", f"function:{fn(PROD)}")), IMPLICIT),
]


@pytest.mark.parametrize(("role", "request_", "expected"), [(role, request, expected)
                                                            for role, _, request, expected in WORKER_CASES],
                         ids=[f"{role}: {what} -> {expected.value}" for role, what, _, expected in WORKER_CASES])
def test_with_load_workers_each_call_gets_the_decision_the_roles_promise(with_workers, role, request_, expected):
    """The worker role is given ``*`` on ``*`` inline: its boundary must still hold it to the stack's work (one
    boundary for every role of the stack: the union of what the functions and the worker need)."""
    assert decide(with_workers, role, request_) is expected


def test_without_load_workers_neither_policy_names_a_results_bucket(documents):
    assert "load-results" not in str(documents["deploy"]) and "LoadWorker" not in str(documents["boundary"])


# --- the simulator itself ----------------------------------------------------------------------------------------

def test_wildcards_span_colons_and_slashes_and_actions_ignore_case():
    assert matches("arn:aws:iam::1:role/a_*", "arn:aws:iam::1:role/a_b/c:d")
    assert not matches("arn:aws:iam::1:role/a_*", "arn:aws:iam::1:role/a-b_c")
    assert matches("arn:aws:sqs:r:1:q?", "arn:aws:sqs:r:1:q1")
    assert not matches("arn:aws:sqs:r:1:q?", "arn:aws:sqs:r:1:q")
    document = {"Statement": [{"Effect": "Allow", "Action": "S3:Get*", "Resource": "arn:aws:s3:::b/*"}]}
    assert evaluate(document, Request("s3:getobject", "arn:aws:s3:::b/k")) is ALLOW
    assert evaluate(document, Request("s3:GetObject", "arn:aws:s3:::B/k")) is IMPLICIT


def test_a_missing_key_fails_a_condition_unless_the_operator_is_negated():
    allow = {"Effect": "Allow", "Action": "iam:CreateRole", "Resource": "*",
             "Condition": {"StringEquals": {"iam:PermissionsBoundary": "b"}}}
    deny = {**allow, "Effect": "Deny", "Condition": {"StringNotEquals": {"iam:PermissionsBoundary": "b"}}}
    both = {"Statement": [allow, deny]}
    assert evaluate(both, Request("iam:CreateRole", "r", {"iam:PermissionsBoundary": "b"})) is ALLOW
    assert evaluate(both, Request("iam:CreateRole", "r", {"iam:PermissionsBoundary": "c"})) is DENY
    assert evaluate(both, Request("iam:CreateRole", "r")) is DENY
    assert evaluate({"Statement": [allow]}, Request("iam:CreateRole", "r")) is IMPLICIT


def test_a_boundary_caps_a_role_and_an_explicit_deny_wins():
    wide = {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    cap = {"Statement": [{"Effect": "Allow", "Action": "sqs:ReceiveMessage", "Resource": "q"}]}
    assert evaluate_role([wide], Request("iam:CreateUser", "u")) is ALLOW
    assert evaluate_role([wide], Request("iam:CreateUser", "u"), boundary=cap) is IMPLICIT
    assert evaluate_role([cap], Request("sqs:ReceiveMessage", "q"), boundary=wide) is ALLOW
    no = {"Statement": [{"Effect": "Deny", "Action": "sqs:*", "Resource": "*"}]}
    assert evaluate_role([wide, no], Request("sqs:ReceiveMessage", "q")) is DENY


@pytest.mark.parametrize("statement", [
    {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"},
    {"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"IpAddress": {"aws:SourceIp": "1.2.3.4"}}},
])
def test_the_simulator_refuses_what_it_does_not_understand(statement):
    with pytest.raises(ValueError, match="the simulator does not know"):
        evaluate({"Statement": [statement]}, Request("s3:GetObject", "x"))
