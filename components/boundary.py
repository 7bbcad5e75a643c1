"""The permissions boundary every function role of the stack carries: ``<prefix>_function-boundary``.

A managed policy (IAM accepts nothing else as a boundary), created by the administrator's first ``pulumi up``.
The CI deploy role may create and change function roles only with it attached and may never write it
(``components.iam_policies``), so a change to it, e.g. turning X-Ray on, is an administrator's ``pulumi up``.
"""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws

from components.iam_policies import AwsScope, boundary_name, boundary_policy
from stack import StackSpec

COMPONENT_TYPE = "archbench:bench:FunctionBoundary"


class FunctionBoundary(pulumi.ComponentResource):
    """The boundary policy of ``stack`` (``components.iam_policies.boundary_policy``); ``arn`` goes on every role."""

    policy: aws.iam.Policy
    arn: pulumi.Output[str]

    def __init__(self, name: str, stack: StackSpec, *, account_id: pulumi.Input[str], region: pulumi.Input[str],
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(COMPONENT_TYPE, name, None, opts)
        scope = pulumi.Output.all(region, account_id).apply(lambda ra: AwsScope.of(*ra))
        self.policy = aws.iam.Policy(
            f"{name}-policy", name=boundary_name(stack),
            description=f"The most any function role of {stack.prefix} may do: its queues, its log groups",
            policy=scope.apply(lambda s: json.dumps(boundary_policy(stack, s))),
            opts=pulumi.ResourceOptions(parent=self))
        self.arn = self.policy.arn
        self.register_outputs({"arn": self.arn})
