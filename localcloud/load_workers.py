"""The load workers on the emulator (``archbench:loadWorkers``): the results bucket (encrypted, private, expiring),
the worker's log group, role and function, deployed with boto3 as ``components.load_workers`` does with Pulumi.

Get-or-create-or-update like the rest of the local deploy; the worker ships in the same package as the benchmarked
handlers (``handlers.loadworker``). Asynchronous invocations are never retried: a retry would send a slice twice.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from core import LOCAL_REGION
from stack import LAMBDA_TRUST, LoadWorkerOutputs, LoadWorkerSpec, load_worker_policy


def deploy_load_workers(spec: LoadWorkerSpec, *, lam: Any, iam: Any, logs: Any, s3: Any, account: str, code: bytes,
                        code_sha: str, queue_names: Iterable[str], route_arns: Iterable[str],
                        wait_function: Callable[[str], None]) -> LoadWorkerOutputs:
    """Create or update the bucket, log group, role and function; their outputs for ``StackOutputs``."""
    bucket = spec.bucket_name(account)
    _bucket(s3, bucket, spec)
    found = logs.describe_log_groups(logGroupNamePrefix=spec.log_group)["logGroups"]
    if not any(group["logGroupName"] == spec.log_group for group in found):
        logs.create_log_group(logGroupName=spec.log_group)
    logs.put_retention_policy(logGroupName=spec.log_group, retentionInDays=spec.log_retention_days)
    role_arn = _role(iam, spec, account, bucket, queue_names, route_arns)
    config: dict[str, Any] = {"Role": role_arn, "Runtime": spec.runtime, "Handler": spec.handler,
                              "Timeout": spec.timeout_s, "MemorySize": spec.memory_mb}
    try:
        current = lam.get_function(FunctionName=spec.function_name)["Configuration"]
    except lam.exceptions.ResourceNotFoundException:
        lam.create_function(FunctionName=spec.function_name, Code={"ZipFile": code},
                            Architectures=[spec.architecture], PackageType="Zip", **config)
        wait_function(spec.function_name)
    else:
        if current.get("CodeSha256") != code_sha:
            lam.update_function_code(FunctionName=spec.function_name, ZipFile=code, Architectures=[spec.architecture])
            wait_function(spec.function_name)
        if any(current.get(key) != value for key, value in config.items()):
            lam.update_function_configuration(FunctionName=spec.function_name, **config)
            wait_function(spec.function_name)
    lam.put_function_event_invoke_config(FunctionName=spec.function_name, MaximumRetryAttempts=0)
    return LoadWorkerOutputs(function_name=spec.function_name, bucket=bucket, results_prefix=spec.results_prefix,
                             memory_mb=spec.memory_mb, architecture=spec.architecture, timeout_s=spec.timeout_s)


def kept_names(spec: LoadWorkerSpec) -> set[str]:
    """What pruning must leave alone: the worker's function, role and log group carry the stack's prefix too."""
    return {spec.function_name, spec.role_name, spec.log_group}


def _bucket(s3: Any, bucket: str, spec: LoadWorkerSpec) -> None:
    """Private (every public access blocked), SSE-S3 encrypted, results expired after ``spec.expire_days``."""
    try:
        s3.head_bucket(Bucket=bucket)
    except s3.exceptions.ClientError:
        s3.create_bucket(Bucket=bucket)
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [{
        "ID": "expire-results", "Status": "Enabled", "Filter": {"Prefix": spec.results_prefix},
        "Expiration": {"Days": spec.expire_days}}]})


def _role(iam: Any, spec: LoadWorkerSpec, account: str, bucket: str, queue_names: Iterable[str],
          route_arns: Iterable[str]) -> str:
    try:
        role_arn = iam.get_role(RoleName=spec.role_name)["Role"]["Arn"]
    except iam.exceptions.NoSuchEntityException:
        role_arn = iam.create_role(RoleName=spec.role_name,
                                   AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))["Role"]["Arn"]
    queue_arns = [f"arn:aws:sqs:{LOCAL_REGION}:{account}:{name}" for name in queue_names]
    policy = load_worker_policy(spec, queue_arns, list(route_arns), f"arn:aws:s3:::{bucket}",
                                f"arn:aws:logs:{LOCAL_REGION}:{account}:log-group:{spec.log_group}")
    iam.put_role_policy(RoleName=spec.role_name, PolicyName=f"{spec.function_name}-least-privilege",
                        PolicyDocument=json.dumps(policy))
    return str(role_arn)
