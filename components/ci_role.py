"""GitHub Actions → AWS without long-lived keys: the GitHub OIDC provider, a deploy role and a preview role.

Off unless ``archbench:ciGithubRepository`` is set. The deploy role trusts exactly two subjects of that repository
— pushes to ``main`` and jobs of the ``ciGithubEnvironment`` environment — and may change only what this stack
manages (names matching the stack's ``<prefix>_*`` pattern, ``StackSpec.name_pattern``, which no other stack's
names match), never the CI roles themselves: a change to the roles or their policies is
applied by an administrator, so CI cannot widen its own rights. The preview role (pull requests) may only read the
Pulumi state: ``pulumi preview`` diffs against the state and needs no other AWS permission.

What remains by design: deploying the functions means writing their roles' inline policies and their code, so
whoever can get a commit onto ``main`` can act with whatever those policies grant. Branch protection and the
environment's reviewers are the guard; a permissions boundary on the function roles would cap it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pulumi
import pulumi_aws as aws

from stack import Settings, StackSpec

COMPONENT_TYPE = "archbench:ops:CiDeployRole"
GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
GITHUB_AUDIENCE = "sts.amazonaws.com"

LAMBDA_FUNCTION_ACTIONS = (
    "lambda:CreateFunction", "lambda:DeleteFunction", "lambda:GetFunction", "lambda:GetFunctionConfiguration",
    "lambda:GetFunctionCodeSigningConfig", "lambda:GetFunctionConcurrency", "lambda:GetFunctionRecursionConfig",
    "lambda:GetRuntimeManagementConfig", "lambda:GetPolicy", "lambda:ListVersionsByFunction", "lambda:ListTags",
    "lambda:TagResource", "lambda:UntagResource", "lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration",
    "lambda:PublishVersion", "lambda:AddPermission", "lambda:RemovePermission",
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
# API Gateway's access logs go through CloudWatch Logs "vended log delivery"; these actions (and listing log groups)
# have no resource-level permissions, so AWS only accepts them on "*". None reads or writes log events.
LOG_DELIVERY_ACTIONS = (
    "logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery", "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies", "logs:DescribeLogGroups",
)
ROLE_ACTIONS = (
    "iam:CreateRole", "iam:DeleteRole", "iam:GetRole", "iam:UpdateRole", "iam:UpdateAssumeRolePolicy",
    "iam:TagRole", "iam:UntagRole", "iam:ListRoleTags", "iam:PutRolePolicy", "iam:GetRolePolicy",
    "iam:DeleteRolePolicy", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies", "iam:ListInstanceProfilesForRole",
)
# Everything that could change a CI role, denied explicitly: they match the stack's prefix like the function roles.
ROLE_WRITE_ACTIONS = (
    "iam:CreateRole", "iam:DeleteRole", "iam:UpdateRole", "iam:UpdateAssumeRolePolicy", "iam:TagRole",
    "iam:UntagRole", "iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:AttachRolePolicy", "iam:DetachRolePolicy",
    "iam:PutRolePermissionsBoundary", "iam:DeleteRolePermissionsBoundary", "iam:PassRole",
)
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
STATE_READ_ACTIONS = ("s3:GetObject",)
STATE_WRITE_ACTIONS = ("s3:GetObject", "s3:PutObject", "s3:DeleteObject")


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

    def arn(self, service: str, resource: str, *, regional: bool = True, in_account: bool = True) -> str:
        region = self.region if regional else ""
        account = self.account_id if in_account else ""
        return f"arn:{self.partition}:{service}:{region}:{account}:{resource}"

    def apigateway(self, path: str) -> str:
        """API Gateway's management ARNs are REST paths, with no account: ``arn:aws:apigateway:REGION::/apis``."""
        return f"arn:{self.partition}:apigateway:{self.region}::{path}"


CI_ROLE_SUFFIX = "ci-"  # every CI role is ``<prefix>_ci-…``: the deploy role's explicit deny covers them all


def deploy_role_name(stack: StackSpec) -> str:
    return stack.name(f"{CI_ROLE_SUFFIX}deploy")


def preview_role_name(stack: StackSpec) -> str:
    return stack.name(f"{CI_ROLE_SUFFIX}preview")


def deploy_subjects(settings: Settings) -> list[str]:
    """One subject: jobs of the protected environment if one is set, else pushes to main (a staging stack).

    Never both: a role that also trusted ``ref:refs/heads/main`` could be assumed by any workflow on main,
    and the environment's required approval would hold back the job but not the credentials.
    """
    repo = settings.ci_github_repository
    if settings.ci_github_environment:
        return [f"repo:{repo}:environment:{settings.ci_github_environment}"]
    return [f"repo:{repo}:ref:refs/heads/main"]


def preview_subjects(settings: Settings) -> list[str]:
    """Pull requests of the repository (GitHub gives fork pull requests no OIDC token)."""
    return [f"repo:{settings.ci_github_repository}:pull_request"]


def trust_policy(provider_arn: str, subjects: list[str]) -> dict[str, Any]:
    """AssumeRoleWithWebIdentity for exactly these subjects: StringEquals, so no value is ever a pattern."""
    return {"Version": "2012-10-17", "Statement": [{
        "Sid": "GitHubActionsOidc", "Effect": "Allow", "Principal": {"Federated": provider_arn},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {f"{GITHUB_OIDC_HOST}:aud": GITHUB_AUDIENCE,
                                       f"{GITHUB_OIDC_HOST}:sub": subjects}},
    }]}


def _allow(sid: str, actions: tuple[str, ...], resources: list[str] | str,
           condition: dict[str, Any] | None = None) -> dict[str, Any]:
    statement: dict[str, Any] = {"Sid": sid, "Effect": "Allow", "Action": list(actions), "Resource": resources}
    if condition:
        statement["Condition"] = condition
    return statement


def deploy_policy(stack: StackSpec, scope: AwsScope, api_id: str) -> dict[str, Any]:
    """What ``pulumi up`` needs to manage this stack, scoped to its names; ``*`` only where AWS allows nothing else.

    Every pattern is ``StackSpec.name_pattern`` (``<prefix>_*``): the rights cover every variant's function, queues,
    log group, role and alarms, and nothing of a stack whose prefix merely starts the same (``prod`` vs ``prod-eu``).
    """
    names = stack.name_pattern
    function_arns = scope.arn("lambda", f"function:{names}")
    api_arn = scope.apigateway(f"/apis/{api_id}")
    state_bucket = stack.settings.ci_state_bucket
    statements = [
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
                                                scope.arn("logs", f"log-group:/aws/apigateway/{names}")]),
        _allow("ApiAccessLogDelivery", LOG_DELIVERY_ACTIONS, "*"),
        _allow("FunctionRoles", ROLE_ACTIONS, [scope.arn("iam", f"role/{names}", regional=False)]),
        _allow("PassFunctionRoles", ("iam:PassRole",), [scope.arn("iam", f"role/{names}", regional=False)],
               {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}),
        {"Sid": "NeverTheCiRoles", "Effect": "Deny", "Action": list(ROLE_WRITE_ACTIONS),
         "Resource": [scope.arn("iam", f"role/{stack.name(CI_ROLE_SUFFIX)}*", regional=False)]},
        # Creating an HTTP API is a POST on the collection: its id does not exist yet to scope by.
        _allow("CreateApi", ("apigateway:POST",), [scope.apigateway("/apis")]),
        # The API, its routes, integrations and stage, and their tags (tag paths carry the URL-encoded ARN).
        _allow("Api", API_METHODS, [api_arn, f"{api_arn}/*", scope.apigateway(f"/tags/{quote(api_arn, safe='')}*")]),
        _allow("Alarms", ALARM_ACTIONS, [scope.arn("cloudwatch", f"alarm:{names}")]),
        _allow("Dashboard", DASHBOARD_ACTIONS, [scope.arn("cloudwatch", f"dashboard/{names}", regional=False)]),
        _allow("AlarmTopic", TOPIC_ACTIONS, [scope.arn("sns", names)]),
    ]
    if state_bucket:
        statements += _state_statements(scope, state_bucket, STATE_WRITE_ACTIONS)
    return {"Version": "2012-10-17", "Statement": statements}


def preview_policy(stack: StackSpec, scope: AwsScope) -> dict[str, Any] | None:
    """Read the Pulumi state, nothing else (``pulumi preview`` takes no lock); ``None`` without an S3 backend."""
    if not stack.settings.ci_state_bucket:
        return None
    return {"Version": "2012-10-17",
            "Statement": _state_statements(scope, stack.settings.ci_state_bucket, STATE_READ_ACTIONS)}


def _state_statements(scope: AwsScope, bucket: str, object_actions: tuple[str, ...]) -> list[dict[str, Any]]:
    bucket_arn = f"arn:{scope.partition}:s3:::{bucket}"
    return [_allow("PulumiStateList", ("s3:ListBucket",), [bucket_arn]),
            _allow("PulumiStateObjects", object_actions, [f"{bucket_arn}/*"])]


class CiDeployRole(pulumi.ComponentResource):
    """The GitHub OIDC provider (unless one is given), the deploy role and the pull-request preview role."""

    provider_arn: pulumi.Output[str]
    deploy_role: aws.iam.Role
    preview_role: aws.iam.Role

    def __init__(self, name: str, stack: StackSpec, *, account_id: pulumi.Input[str], region: pulumi.Input[str],
                 api_id: pulumi.Input[str], opts: pulumi.ResourceOptions | None = None) -> None:
        settings = stack.settings
        if not settings.ci_github_repository:
            raise ValueError("CiDeployRole needs archbench:ciGithubRepository (use ci_deploy_role() to skip it)")
        super().__init__(COMPONENT_TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        scope = pulumi.Output.all(region, account_id).apply(lambda ra: AwsScope.of(*ra))

        if settings.ci_oidc_provider_arn:
            self.provider_arn = pulumi.Output.from_input(settings.ci_oidc_provider_arn)
        else:
            # IAM validates GitHub's certificate against its own trusted CAs: no thumbprint to pin.
            self.provider_arn = aws.iam.OpenIdConnectProvider(
                f"{name}-github-oidc", url=f"https://{GITHUB_OIDC_HOST}", client_id_lists=[GITHUB_AUDIENCE],
                opts=child).arn

        self.deploy_role = aws.iam.Role(
            f"{name}-deploy", name=deploy_role_name(stack),
            description=f"GitHub Actions deploys of {settings.ci_github_repository} to {stack.prefix}",
            assume_role_policy=self.provider_arn.apply(
                lambda arn: json.dumps(trust_policy(arn, deploy_subjects(settings)))),
            opts=child)
        aws.iam.RolePolicy(
            f"{name}-deploy-policy", role=self.deploy_role.id,
            policy=pulumi.Output.all(scope, api_id).apply(
                lambda sa: json.dumps(deploy_policy(stack, sa[0], sa[1]))),
            opts=child)

        self.preview_role = aws.iam.Role(
            f"{name}-preview", name=preview_role_name(stack),
            description=f"GitHub Actions pull-request previews of {settings.ci_github_repository}",
            assume_role_policy=self.provider_arn.apply(
                lambda arn: json.dumps(trust_policy(arn, preview_subjects(settings)))),
            opts=child)
        if settings.ci_state_bucket:
            aws.iam.RolePolicy(
                f"{name}-preview-policy", role=self.preview_role.id,
                policy=scope.apply(lambda s: json.dumps(preview_policy(stack, s))), opts=child)

        self.register_outputs({"deploy_role_arn": self.deploy_role.arn, "preview_role_arn": self.preview_role.arn,
                               "oidc_provider_arn": self.provider_arn})


def ci_deploy_role(name: str, stack: StackSpec, *, account_id: pulumi.Input[str], region: pulumi.Input[str],
                   api_id: pulumi.Input[str], opts: pulumi.ResourceOptions | None = None) -> CiDeployRole | None:
    """The CI roles when ``archbench:ciGithubRepository`` is set; ``None`` — and nothing created — otherwise."""
    if not stack.settings.ci_github_repository:
        return None
    return CiDeployRole(name, stack, account_id=account_id, region=region, api_id=api_id, opts=opts)
