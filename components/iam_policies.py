"""The stack's IAM documents as data: the function roles' permissions boundary and the CI roles' policies.

Pure functions of the stack model and an ``AwsScope``, so the tests can evaluate exactly what the mocks register
(``tests/support/iam_simulator.py``). Every resource pattern is ``StackSpec.name_pattern`` (``<prefix>_*``); a
prefix never holds ``_``, so stack ``prod``'s rights reach nothing of stack ``prod-eu``.

The deploy role may create and change function roles only with the stack's boundary attached (an
``iam:PermissionsBoundary`` condition, and an explicit deny without it), and may never write a managed policy
(the boundary included), remove a boundary, or touch any stack's CI roles: whatever a commit on ``main`` puts in a
function's inline policy, the function can do no more than the boundary allows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from stack import (
    LOG_ACTIONS,
    NAME_DELIMITER,
    QUEUE_ACTIONS,
    XRAY_ACTIONS,
    LoadWorkerSpec,
    StackSpec,
    describe_load_workers,
    load_worker_policy,
)

BOUNDARY_SUFFIX = "function-boundary"
CI_ROLE_SUFFIX = "ci-"  # every CI role is ``<prefix>_ci-…``; the deploy role's deny covers every stack's

LAMBDA_FUNCTION_ACTIONS = (
    "lambda:CreateFunction", "lambda:DeleteFunction", "lambda:GetFunction", "lambda:GetFunctionConfiguration",
    "lambda:GetFunctionCodeSigningConfig", "lambda:GetFunctionConcurrency", "lambda:PutFunctionConcurrency",
    "lambda:DeleteFunctionConcurrency", "lambda:GetFunctionRecursionConfig", "lambda:GetRuntimeManagementConfig",
    "lambda:GetPolicy", "lambda:ListVersionsByFunction", "lambda:ListTags", "lambda:TagResource",
    "lambda:UntagResource", "lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration",
    "lambda:PublishVersion", "lambda:AddPermission", "lambda:RemovePermission",
    # The load worker's asynchronous invocations are never retried (``archbench:loadWorkers``).
    "lambda:GetFunctionEventInvokeConfig", "lambda:PutFunctionEventInvokeConfig",
    "lambda:UpdateFunctionEventInvokeConfig", "lambda:DeleteFunctionEventInvokeConfig",
)
LAMBDA_LAYER_ACTIONS = ("lambda:PublishLayerVersion", "lambda:GetLayerVersion", "lambda:DeleteLayerVersion")
SQS_ACTIONS = (
    "sqs:CreateQueue", "sqs:DeleteQueue", "sqs:GetQueueAttributes", "sqs:SetQueueAttributes", "sqs:GetQueueUrl",
    "sqs:ListQueueTags", "sqs:TagQueue", "sqs:UntagQueue",
)
LOG_GROUP_ACTIONS = (
    "logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:PutRetentionPolicy", "logs:DeleteRetentionPolicy",
    "logs:ListTagsForResource", "logs:TagResource", "logs:UntagResource",
    "logs:ListTagsLogGroup", "logs:TagLogGroup", "logs:UntagLogGroup",
)
# API Gateway's access logs are CloudWatch Logs "vended" deliveries. AWS asks for these three on every log group
# of the region ("log-group:*", never one group's ARN): listing groups, and the account's resource policies, which
# may only let AWS services put events into log groups. None reads a log event.
LOG_DELIVERY_ACCOUNT_ACTIONS = ("logs:DescribeLogGroups", "logs:DescribeResourcePolicies", "logs:PutResourcePolicy")
# The deliveries themselves have no resource-level permissions at all: AWS accepts them only on "*".
LOG_DELIVERY_ACTIONS = (
    "logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery", "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
)
# Reading and deleting a function role, which cannot widen it (no iam:PermissionsBoundary key on these).
ROLE_READ_DELETE_ACTIONS = (
    "iam:GetRole", "iam:GetRolePolicy", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies",
    "iam:ListInstanceProfilesForRole", "iam:ListRoleTags", "iam:DeleteRole",
)
# Everything that sets what a function role may do: allowed only while the stack's boundary is (or becomes) its
# boundary. A role's trust policy is set once, by CreateRole; managed policies are never attached.
ROLE_CHANGE_ACTIONS = ("iam:CreateRole", "iam:PutRolePolicy", "iam:DeleteRolePolicy",
                       "iam:PutRolePermissionsBoundary")
# Denied without the boundary, whatever else may one day allow them.
BOUNDED_ROLE_ACTIONS = (*ROLE_CHANGE_ACTIONS, "iam:AttachRolePolicy", "iam:DetachRolePolicy")
# Everything that could change a CI role: denied on every stack's, this one's included.
ROLE_WRITE_ACTIONS = (
    "iam:CreateRole", "iam:DeleteRole", "iam:UpdateRole", "iam:UpdateAssumeRolePolicy", "iam:TagRole",
    "iam:UntagRole", "iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:AttachRolePolicy", "iam:DetachRolePolicy",
    "iam:PutRolePermissionsBoundary", "iam:DeleteRolePermissionsBoundary", "iam:PassRole",
)
POLICY_WRITE_ACTIONS = (
    "iam:CreatePolicy", "iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:DeletePolicyVersion",
    "iam:SetDefaultPolicyVersion", "iam:TagPolicy", "iam:UntagPolicy",
)
BOUNDARY_READ_ACTIONS = ("iam:GetPolicy", "iam:GetPolicyVersion", "iam:ListPolicyVersions")
API_METHODS = ("apigateway:GET", "apigateway:POST", "apigateway:PUT", "apigateway:PATCH", "apigateway:DELETE")
ALARM_ACTIONS = (
    "cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms", "cloudwatch:DescribeAlarms",
    "cloudwatch:ListTagsForResource", "cloudwatch:TagResource", "cloudwatch:UntagResource",
)
DASHBOARD_ACTIONS = ("cloudwatch:PutDashboard", "cloudwatch:GetDashboard", "cloudwatch:DeleteDashboards")
TOPIC_ACTIONS = (
    "sns:CreateTopic", "sns:DeleteTopic", "sns:GetTopicAttributes", "sns:SetTopicAttributes",
    "sns:ListTagsForResource", "sns:TagResource", "sns:UntagResource", "sns:Subscribe", "sns:Unsubscribe",
    "sns:GetSubscriptionAttributes", "sns:SetSubscriptionAttributes",
)
STATE_WRITE_ACTIONS = ("s3:GetObject", "s3:PutObject", "s3:DeleteObject")
# The load workers' results bucket: create, configure (privacy, encryption, expiry, TLS-only policy), read back, and
# empty it on destroy (force_destroy). Never its objects' contents.
RESULTS_BUCKET_ACTIONS = (
    "s3:CreateBucket", "s3:DeleteBucket", "s3:ListBucket", "s3:ListBucketVersions", "s3:GetBucket*",
    "s3:PutBucketPolicy", "s3:DeleteBucketPolicy", "s3:PutBucketPublicAccessBlock", "s3:PutBucketOwnershipControls",
    "s3:PutBucketTagging", "s3:GetEncryptionConfiguration", "s3:PutEncryptionConfiguration",
    "s3:GetLifecycleConfiguration", "s3:PutLifecycleConfiguration", "s3:GetAccelerateConfiguration",
    "s3:GetReplicationConfiguration",
)
RESULTS_OBJECT_ACTIONS = ("s3:DeleteObject", "s3:DeleteObjectVersion")


@dataclass(frozen=True)
class AwsScope:
    """The partition, region and account every ARN of the stack lives in."""

    partition: str
    region: str
    account_id: str

    @classmethod
    def of(cls, region: str, account_id: str) -> AwsScope:
        partition = "aws-cn" if region.startswith("cn-") else "aws-us-gov" if region.startswith("us-gov-") else "aws"
        return cls(partition, region, account_id)

    def arn(self, service: str, resource: str, *, regional: bool = True) -> str:
        region = self.region if regional else ""
        return f"arn:{self.partition}:{service}:{region}:{self.account_id}:{resource}"

    def iam(self, resource: str) -> str:
        return self.arn("iam", resource, regional=False)

    def apigateway(self, path: str) -> str:
        """API Gateway's management ARNs are REST paths, with no account: ``arn:aws:apigateway:REGION::/apis``."""
        return f"arn:{self.partition}:apigateway:{self.region}::{path}"


@dataclass(frozen=True)
class StateLocation:
    """One stack's Pulumi state: ``pulumi login s3://<bucket>/<prefix>`` keeps it under ``<prefix>/.pulumi/``.

    The prefix is the stack's resource prefix, so no two stacks share one and ``<prefix>/*`` is one stack's.
    """

    bucket: str
    prefix: str
    project: str
    stack: str

    def bucket_arn(self, scope: AwsScope) -> str:
        return f"arn:{scope.partition}:s3:::{self.bucket}"

    def objects(self, scope: AwsScope, key: str = "*") -> str:
        return f"{self.bucket_arn(scope)}/{self.prefix}/{key}"

    def stack_objects(self, scope: AwsScope) -> str:
        """The stack's checkpoint (``.json``, or ``.json.gz`` when compressed), and no other stack's."""
        return self.objects(scope, f".pulumi/stacks/{self.project}/{self.stack}.json*")


def boundary_name(stack: StackSpec) -> str:
    return stack.name(BOUNDARY_SUFFIX)


def boundary_arn(stack: StackSpec, scope: AwsScope) -> str:
    return scope.iam(f"policy/{boundary_name(stack)}")


def deploy_role_name(stack: StackSpec) -> str:
    return stack.name(f"{CI_ROLE_SUFFIX}deploy")


def preview_role_name(stack: StackSpec) -> str:
    return stack.name(f"{CI_ROLE_SUFFIX}preview")


def _allow(sid: str, actions: tuple[str, ...], resources: list[str] | str,
           condition: dict[str, Any] | None = None) -> dict[str, Any]:
    return _statement("Allow", sid, actions, resources, condition)


def _deny(sid: str, actions: tuple[str, ...], resources: list[str] | str,
          condition: dict[str, Any] | None = None) -> dict[str, Any]:
    return _statement("Deny", sid, actions, resources, condition)


def _statement(effect: str, sid: str, actions: tuple[str, ...], resources: list[str] | str,
               condition: dict[str, Any] | None) -> dict[str, Any]:
    statement: dict[str, Any] = {"Sid": sid, "Effect": effect, "Action": list(actions), "Resource": resources}
    if condition:
        statement["Condition"] = condition
    return statement


def _document(statements: list[dict[str, Any]]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": statements}


def boundary_policy(stack: StackSpec, scope: AwsScope) -> dict[str, Any]:
    """The most any function role of the stack may do: what ``stack.execution_policy`` grants one function, for
    all of them — consume the stack's work queues (not its DLQs), write its functions' log groups, X-Ray if on.

    Patterns, not a list of ARNs, so a changed matrix needs no change here (the deploy role cannot make one).
    """
    names = stack.name_pattern
    statements = [
        _allow("ConsumeStackQueues", QUEUE_ACTIONS, [scope.arn("sqs", f"{names}-queue")]),
        _allow("WriteStackFunctionLogs", LOG_ACTIONS, [scope.arn("logs", f"log-group:/aws/lambda/{names}:*")]),
    ]
    if stack.settings.xray_tracing:
        # X-Ray has no resource-level permissions: only ever granted on "*".
        statements.append(_allow("XRayTracing", XRAY_ACTIONS, "*"))
    workers = describe_load_workers(stack)
    if workers:
        statements += _load_worker_ceiling(stack, workers, scope)
    return _document(statements)


def _load_worker_ceiling(stack: StackSpec, workers: LoadWorkerSpec, scope: AwsScope) -> list[dict[str, Any]]:
    """The load worker's own policy (``stack.load_worker_policy``) over the stack's patterns: its queues, its
    bucket's results prefix. The routes by method and path only: the boundary exists before the API whose id would
    scope them (the worker's own policy names its routes)."""
    document = load_worker_policy(
        workers, [scope.arn("sqs", f"{stack.name_pattern}-queue")], [scope.arn("execute-api", "*/*/POST/*")],
        _bucket_arn(scope, workers.bucket_name(scope.account_id)), scope.arn("logs", f"log-group:{workers.log_group}"))
    return [{**statement, "Sid": f"LoadWorker{statement['Sid']}"} for statement in document["Statement"]]


def _bucket_arn(scope: AwsScope, bucket: str) -> str:
    return f"arn:{scope.partition}:s3:::{bucket}"


def deploy_policy(stack: StackSpec, scope: AwsScope, api_id: str, state: StateLocation) -> dict[str, Any]:
    """What ``pulumi up`` needs to manage this stack, scoped to its names; ``*`` only where AWS allows nothing else."""
    names = stack.name_pattern
    function_arns = scope.arn("lambda", f"function:{names}")
    function_roles = scope.iam(f"role/{names}")
    with_boundary = {"StringEquals": {"iam:PermissionsBoundary": boundary_arn(stack, scope)}}
    api_arn = scope.apigateway(f"/apis/{api_id}")
    return _document([
        _allow("Functions", LAMBDA_FUNCTION_ACTIONS, [function_arns]),
        _allow("Layers", LAMBDA_LAYER_ACTIONS, [scope.arn("lambda", f"layer:{names}")]),
        # Mappings are named by a UUID, so the function they feed is what scopes creating, changing and deleting.
        _allow("CreateMappings", ("lambda:CreateEventSourceMapping",), "*",
               {"ArnLike": {"lambda:FunctionArn": function_arns}}),
        _allow("ChangeMappings", ("lambda:UpdateEventSourceMapping", "lambda:DeleteEventSourceMapping"),
               [scope.arn("lambda", "event-source-mapping:*")], {"ArnLike": {"lambda:FunctionArn": function_arns}}),
        # Reading and tagging a mapping carry no function condition: UUID-named, this account and region only.
        _allow("ReadMappings", ("lambda:GetEventSourceMapping", "lambda:ListTags", "lambda:TagResource",
                                "lambda:UntagResource"), [scope.arn("lambda", "event-source-mapping:*")]),
        _allow("Queues", SQS_ACTIONS, [scope.arn("sqs", names)]),
        _allow("LogGroups", LOG_GROUP_ACTIONS, [scope.arn("logs", f"log-group:/aws/lambda/{names}"),
                                                scope.arn("logs", f"log-group:{stack.api_access_log_group}"),
                                                scope.arn("logs", f"log-group:{stack.api_access_log_group}:*")]),
        _allow("ApiAccessLogAccount", LOG_DELIVERY_ACCOUNT_ACTIONS, [scope.arn("logs", "log-group:*")]),
        _allow("ApiAccessLogDelivery", LOG_DELIVERY_ACTIONS, "*"),
        _allow("FunctionRolesReadDelete", ROLE_READ_DELETE_ACTIONS, [function_roles]),
        _allow("FunctionRolesWithBoundary", ROLE_CHANGE_ACTIONS, [function_roles], with_boundary),
        _allow("PassFunctionRoles", ("iam:PassRole",), [function_roles],
               {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}),
        _allow("ReadBoundary", BOUNDARY_READ_ACTIONS, [boundary_arn(stack, scope)]),
        _deny("NoRoleWithoutTheBoundary", BOUNDED_ROLE_ACTIONS, "*",
              {"StringNotEquals": {"iam:PermissionsBoundary": boundary_arn(stack, scope)}}),
        _deny("NeverRemoveABoundary", ("iam:DeleteRolePermissionsBoundary",), "*"),
        _deny("NeverWriteAManagedPolicy", POLICY_WRITE_ACTIONS, [scope.iam("policy/*")]),
        _deny("NeverAnyCiRole", ROLE_WRITE_ACTIONS, [scope.iam(f"role/*{NAME_DELIMITER}{CI_ROLE_SUFFIX}*")]),
        # Creating an HTTP API is a POST on the collection: its id does not exist yet to scope by.
        _allow("CreateApi", ("apigateway:POST",), [scope.apigateway("/apis")]),
        # The API, its routes, integrations and stage, and their tags (tag paths carry the URL-encoded ARN).
        _allow("Api", API_METHODS, [api_arn, f"{api_arn}/*", scope.apigateway(f"/tags/{quote(api_arn, safe='')}*")]),
        _allow("Alarms", ALARM_ACTIONS, [scope.arn("cloudwatch", f"alarm:{names}")]),
        _allow("Dashboard", DASHBOARD_ACTIONS, [scope.arn("cloudwatch", f"dashboard/{names}", regional=False)]),
        _allow("AlarmTopic", TOPIC_ACTIONS, [scope.arn("sns", names)]),
        *_state_statements(scope, state, STATE_WRITE_ACTIONS, [state.objects(scope)]),
        *_results_bucket_statements(stack, scope),
    ])


def _results_bucket_statements(stack: StackSpec, scope: AwsScope) -> list[dict[str, Any]]:
    """The load workers' bucket, by its exact name (``<prefix>-load-results-<account>``): a pattern could reach
    another stack's whose name extends this one's."""
    workers = describe_load_workers(stack)
    if not workers:
        return []
    bucket = _bucket_arn(scope, workers.bucket_name(scope.account_id))
    return [_allow("LoadResultsBucket", RESULTS_BUCKET_ACTIONS, [bucket]),
            _allow("LoadResultsEmptyOnDestroy", RESULTS_OBJECT_ACTIONS, [f"{bucket}/*"])]


def preview_policy(scope: AwsScope, state: StateLocation) -> dict[str, Any]:
    """Read this stack's checkpoint and the backend's metadata, nothing else (``pulumi preview`` takes no lock)."""
    return _document(_state_statements(scope, state, ("s3:GetObject",),
                                       [state.objects(scope, ".pulumi/meta.yaml"), state.stack_objects(scope)]))


def _state_statements(scope: AwsScope, state: StateLocation, actions: tuple[str, ...],
                      objects: list[str]) -> list[dict[str, Any]]:
    """Listing only under the stack's prefix (so a missing object is a 404, not a 403), and ``actions`` on
    ``objects``."""
    return [_allow("PulumiStateList", ("s3:ListBucket",), [state.bucket_arn(scope)],
                   {"StringLike": {"s3:prefix": [f"{state.prefix}/*"]}}),
            _allow("PulumiStateObjects", actions, objects)]
