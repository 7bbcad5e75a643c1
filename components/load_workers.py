"""The load workers (``archbench:loadWorkers``, off by default): the worker function ``loadgen --workers lambda:N``
invokes, and the results bucket its partial manifests go to.

Built from ``stack.LoadWorkerSpec`` like the local cloud's ``localcloud.load_workers``. The bucket is private (every
public access blocked, bucket-owner-enforced, TLS only), SSE-S3 encrypted, and expires its results; the role may
send only to the stack's queues and routes, write only under the results prefix, and log to its own group. Asynchronous
invocations are never retried: a retry would send a slice twice.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_aws as aws

from components.function import BenchmarkedFunction, code_archive
from stack import LAMBDA_TRUST, LoadWorkerSpec, load_worker_policy

COMPONENT_TYPE = "archbench:bench:LoadWorkers"


class LoadWorkers(pulumi.ComponentResource):
    """The worker function with its role and log group, and the results bucket with its guards."""

    bucket: aws.s3.Bucket
    function: aws.lambda_.Function
    role: aws.iam.Role
    policy: aws.iam.RolePolicy

    def __init__(self, name: str, spec: LoadWorkerSpec, functions: Mapping[str, BenchmarkedFunction],
                 account_id: pulumi.Input[str], api_execution_arn: pulumi.Input[str],
                 boundary_arn: pulumi.Input[str], opts: pulumi.ResourceOptions | None = None) -> None:
        """``functions`` are the benchmarked variants: the worker may send to their queues and call their routes of
        the API ``api_execution_arn``, and nowhere else. Its role carries the stack's permissions boundary like
        every function role (the CI deploy role may create no role without it)."""
        super().__init__(COMPONENT_TYPE, name, None, opts)
        self.spec = spec
        child = pulumi.ResourceOptions(parent=self)

        self.bucket = aws.s3.Bucket(
            f"{name}-results", bucket=pulumi.Output.from_input(account_id).apply(spec.bucket_name),
            force_destroy=True, opts=child)
        bucket_child = pulumi.ResourceOptions(parent=self, depends_on=[self.bucket])
        aws.s3.BucketPublicAccessBlock(
            f"{name}-results-private", bucket=self.bucket.id, block_public_acls=True, ignore_public_acls=True,
            block_public_policy=True, restrict_public_buckets=True, opts=bucket_child)
        aws.s3.BucketOwnershipControls(
            f"{name}-results-owner", bucket=self.bucket.id, rule={"object_ownership": "BucketOwnerEnforced"},
            opts=bucket_child)
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-results-encryption", bucket=self.bucket.id,
            rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}], opts=bucket_child)
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-results-expiry", bucket=self.bucket.id,
            rules=[{"id": "expire-results", "status": "Enabled", "filter": {"prefix": spec.results_prefix},
                    "expiration": {"days": spec.expire_days}}], opts=bucket_child)
        aws.s3.BucketPolicy(
            f"{name}-results-tls-only", bucket=self.bucket.id,
            policy=self.bucket.arn.apply(lambda arn: json.dumps(_tls_only(arn))), opts=bucket_child)

        log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs", name=spec.log_group, retention_in_days=spec.log_retention_days, opts=child)
        self.role = aws.iam.Role(
            f"{name}-role", name=spec.role_name, assume_role_policy=json.dumps(LAMBDA_TRUST),
            permissions_boundary=boundary_arn, opts=child)
        queue_arns = pulumi.Output.all(*(fn.queue.arn for fn in functions.values()))
        route_arns = pulumi.Output.from_input(api_execution_arn).apply(
            lambda arn: [fn.spec.api_invoke_source_arn(arn) for fn in functions.values()])
        self.policy = aws.iam.RolePolicy(
            f"{name}-policy", role=self.role.id,
            policy=pulumi.Output.all(queue_arns, route_arns, self.bucket.arn, log_group.arn).apply(
                lambda args: json.dumps(load_worker_policy(spec, args[0], args[1], args[2], args[3]))),
            opts=child)
        self.function = aws.lambda_.Function(
            f"{name}-function", name=spec.function_name, role=self.role.arn, runtime=spec.runtime,
            handler=spec.handler, architectures=[spec.architecture], memory_size=spec.memory_mb,
            timeout=spec.timeout_s, code=code_archive(),
            logging_config={"log_format": "Text", "log_group": log_group.name},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[log_group, self.policy]))
        aws.lambda_.FunctionEventInvokeConfig(
            f"{name}-no-retries", function_name=self.function.name, maximum_retry_attempts=0, opts=child)

        self.register_outputs(self.contract_outputs())

    def contract_outputs(self) -> dict[str, Any]:
        """The ``load_workers`` entry of the ``bench`` output (``stack.outputs.LoadWorkerOutputs``)."""
        return {"function_name": self.function.name, "bucket": self.bucket.bucket,
                "results_prefix": self.spec.results_prefix, "memory_mb": self.spec.memory_mb,
                "architecture": self.spec.architecture, "timeout_s": self.spec.timeout_s}


def _tls_only(bucket_arn: str) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [{
        "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
        "Resource": [bucket_arn, f"{bucket_arn}/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}
