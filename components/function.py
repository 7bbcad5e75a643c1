"""One benchmarked variant with everything that feeds and records it: queue + DLQ, role, log group, mapping.

Built from a ``FunctionSpec`` alone, so every variant gets the same resources but for its runtime, memory and
architecture. The dependency layer is shared by every variant of an (architecture, runtime) pair
(``components.layers``), so the function takes its ARN rather than building one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws

from core import PROJECT_ROOT
from stack import LAMBDA_TRUST, FunctionSettings, FunctionSpec, execution_policy, package_files

COMPONENT_TYPE = "archbench:bench:BenchmarkedFunction"
# The SQS maximum: what failed stays long enough to be looked at and reconciled.
DLQ_RETENTION_S = 14 * 24 * 3600


def code_archive(root: Path = PROJECT_ROOT, function: FunctionSettings | None = None) -> pulumi.AssetArchive:
    """The ``handlers/`` package as ``handlers/...`` at the archive root, and the user's codeDir at the root when
    ``archbench:function`` is set (``stack.spec.package_files``).

    Listed file by file because ``FileArchive`` cannot exclude anything. Paths are relative to the project root,
    which is the Pulumi program's working directory.
    """
    return pulumi.AssetArchive({name: pulumi.FileAsset(path.relative_to(root).as_posix())
                                for name, path in package_files(root, function)})


class BenchmarkedFunction(pulumi.ComponentResource):
    """A Lambda function of one variant, fed by its own SQS queue (with a DLQ) and logging to its own group; its
    role carries the stack's permissions boundary and the function its reserved concurrency."""

    dlq: aws.sqs.Queue
    queue: aws.sqs.Queue
    log_group: aws.cloudwatch.LogGroup
    role: aws.iam.Role
    policy: aws.iam.RolePolicy
    function: aws.lambda_.Function
    mapping: aws.lambda_.EventSourceMapping

    def __init__(self, name: str, spec: FunctionSpec, boundary_arn: pulumi.Input[str],
                 layer_arn: pulumi.Input[str] | None = None, opts: pulumi.ResourceOptions | None = None) -> None:
        """``boundary_arn`` is the stack's permissions boundary (``components.boundary``), the role's ceiling."""
        super().__init__(COMPONENT_TYPE, name, None, opts)
        self.spec = spec
        child = pulumi.ResourceOptions(parent=self)

        self.dlq = aws.sqs.Queue(
            f"{name}-dlq", name=spec.dlq_name, message_retention_seconds=DLQ_RETENTION_S,
            sqs_managed_sse_enabled=True, opts=child)
        self.queue = aws.sqs.Queue(
            f"{name}-queue", name=spec.queue_name, visibility_timeout_seconds=spec.visibility_timeout_s,
            sqs_managed_sse_enabled=True,
            redrive_policy=self.dlq.arn.apply(lambda arn: json.dumps(
                {"deadLetterTargetArn": arn, "maxReceiveCount": spec.dlq_max_receives})),
            opts=child)
        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs", name=spec.log_group, retention_in_days=spec.log_retention_days, opts=child)
        self.role = aws.iam.Role(
            f"{name}-role", name=spec.role_name, assume_role_policy=json.dumps(LAMBDA_TRUST),
            permissions_boundary=boundary_arn, opts=child)
        self.policy = aws.iam.RolePolicy(
            f"{name}-policy", role=self.role.id,
            policy=pulumi.Output.all(self.queue.arn, self.log_group.arn).apply(
                lambda arns: json.dumps(execution_policy(spec, *arns))),
            opts=child)

        self.function = aws.lambda_.Function(
            f"{name}-function", name=spec.function_name, role=self.role.arn, runtime=spec.runtime,
            handler=spec.handler, architectures=[spec.architecture], memory_size=spec.memory_mb,
            timeout=spec.timeout_s, code=code_archive(function=spec.user_function),
            environment={"variables": spec.environment},
            # Its own slice of the account's concurrency, and its ceiling: a flood of requests can neither take
            # the account's pool from other functions nor run more than this many at once (README, "Operations").
            reserved_concurrent_executions=spec.reserved_concurrency,
            logging_config={"log_format": "Text", "log_group": self.log_group.name},
            tracing_config={"mode": "Active"} if spec.xray_tracing else None,
            layers=None if layer_arn is None else [layer_arn],
            # The first invocation's logs need the group (the role may not create one) and the permission.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.log_group, self.policy]))
        self.mapping = aws.lambda_.EventSourceMapping(
            f"{name}-mapping", event_source_arn=self.queue.arn, function_name=self.function.arn,
            batch_size=spec.batch_size, maximum_batching_window_in_seconds=spec.batching_window_s,
            function_response_types=["ReportBatchItemFailures"],
            scaling_config={"maximum_concurrency": spec.max_concurrency},
            # AWS checks at creation that the role may receive from the queue.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.policy]))

        self.register_outputs(self.contract_outputs())

    def contract_outputs(self) -> dict[str, Any]:
        """This function's entry in the ``bench`` output (``stack.outputs.FunctionOutputs``)."""
        return {
            "name": self.function.name, "queue_url": self.queue.url, "dlq_url": self.dlq.url,
            "log_group": self.log_group.name, "route": self.spec.route_path, "memory_mb": self.spec.memory_mb,
            "architecture": self.spec.architecture, "runtime": self.spec.runtime, "role": self.spec.role,
        }
