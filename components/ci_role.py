"""GitHub Actions → AWS without long-lived keys: the GitHub OIDC provider, a deploy role and a preview role.

Off unless ``archbench:ciGithubRepository`` is set. The deploy role trusts exactly one subject of that repository —
jobs of the ``ciGithubEnvironment`` environment (or, with none, pushes to ``main``) — and may change only what this
stack manages (``components.iam_policies.deploy_policy``): function roles only with the stack's permissions boundary,
never a managed policy, the boundary or any stack's CI role, so a change to those is applied by an administrator and
CI cannot widen its own rights or a function's beyond the boundary. The preview role exists only with
``ciPreviewEnvironment``, trusts only that environment's jobs and may only read this stack's state object.
"""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws

from components.iam_policies import (
    AwsScope,
    StateLocation,
    deploy_policy,
    deploy_role_name,
    preview_policy,
    preview_role_name,
)
from stack import Settings, StackSpec

COMPONENT_TYPE = "archbench:ops:CiDeployRole"
GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
GITHUB_AUDIENCE = "sts.amazonaws.com"


def deploy_subjects(settings: Settings) -> list[str]:
    """One subject: jobs of the protected environment if one is set, else pushes to main (a staging stack).

    Never both: a role that also trusted ``ref:refs/heads/main`` could be assumed by any workflow on main,
    and the environment's required approval would hold back the job but not the credentials.
    """
    repo = settings.ci_github_repository
    if settings.ci_github_environment:
        return [f"repo:{repo}:environment:{settings.ci_github_environment}"]
    return [f"repo:{repo}:ref:refs/heads/main"]


def preview_subject(settings: Settings) -> str:
    """Jobs of the preview environment: a pull request's job names it to get the preview role and its secrets."""
    return f"repo:{settings.ci_github_repository}:environment:{settings.ci_preview_environment}"


def trust_policy(provider_arn: str, subjects: list[str]) -> dict[str, Any]:
    """AssumeRoleWithWebIdentity for exactly these subjects: StringEquals, so no value is ever a pattern."""
    return {"Version": "2012-10-17", "Statement": [{
        "Sid": "GitHubActionsOidc", "Effect": "Allow", "Principal": {"Federated": provider_arn},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {f"{GITHUB_OIDC_HOST}:aud": GITHUB_AUDIENCE,
                                       f"{GITHUB_OIDC_HOST}:sub": subjects}},
    }]}


class CiDeployRole(pulumi.ComponentResource):
    """The GitHub OIDC provider (unless one is given), the deploy role and, with a preview environment, the
    preview role."""

    provider_arn: pulumi.Output[str]
    deploy_role: aws.iam.Role
    preview_role: aws.iam.Role | None

    def __init__(self, name: str, stack: StackSpec, state: StateLocation, *, account_id: pulumi.Input[str],
                 region: pulumi.Input[str], api_id: pulumi.Input[str],
                 opts: pulumi.ResourceOptions | None = None) -> None:
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

        self.deploy_role = self._role(
            f"{name}-deploy", deploy_role_name(stack), deploy_subjects(settings),
            f"GitHub Actions deploys of {settings.ci_github_repository} to {stack.prefix}",
            pulumi.Output.all(scope, api_id).apply(lambda sa: deploy_policy(stack, sa[0], sa[1], state)), child)
        self.preview_role = None
        if settings.ci_preview_environment:
            self.preview_role = self._role(
                f"{name}-preview", preview_role_name(stack), [preview_subject(settings)],
                f"GitHub Actions previews of {stack.prefix} by {settings.ci_github_repository}",
                scope.apply(lambda s: preview_policy(s, state)), child)

        self.register_outputs({"deploy_role_arn": self.deploy_role.arn, "oidc_provider_arn": self.provider_arn,
                               "preview_role_arn": self.preview_role.arn if self.preview_role else None})

    def _role(self, name: str, role_name: str, subjects: list[str], description: str,
              policy: pulumi.Output[dict[str, Any]], opts: pulumi.ResourceOptions) -> aws.iam.Role:
        """A role trusting exactly ``subjects``, with ``policy`` inline."""
        role = aws.iam.Role(
            name, name=role_name, description=description,
            assume_role_policy=self.provider_arn.apply(lambda arn: json.dumps(trust_policy(arn, subjects))),
            opts=opts)
        aws.iam.RolePolicy(f"{name}-policy", role=role.id, policy=policy.apply(json.dumps), opts=opts)
        return role


def ci_deploy_role(name: str, stack: StackSpec, state: StateLocation, *, account_id: pulumi.Input[str],
                   region: pulumi.Input[str], api_id: pulumi.Input[str],
                   opts: pulumi.ResourceOptions | None = None) -> CiDeployRole | None:
    """The CI roles when ``archbench:ciGithubRepository`` is set; ``None`` — and nothing created — otherwise."""
    if not stack.settings.ci_github_repository:
        return None
    return CiDeployRole(name, stack, state, account_id=account_id, region=region, api_id=api_id, opts=opts)
