"""Deploy the stack that ``stack.spec.describe_stack`` describes to an emulator endpoint, with boto3.

Every resource is get-or-create-or-update: MiniStack silently accepts duplicates that AWS would refuse (a second
event source mapping for a queue, a second API, route or stage with the same name), so a re-run must find what
exists and update it rather than create again. The variants are deployed side by side (``PARALLEL_VARIANTS``
threads): most of a variant's time is waiting for its new function to become Active. What the prefix still holds
but the stack no longer describes (a variant dropped from the matrix) is removed afterwards (``localcloud.prune``).
MiniStack takes each variant's ``Runtime`` and ``MemorySize`` as configured but runs every function with its own
interpreter and enforces no memory limit: the variants differ here in configuration, not in machines.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import time
from base64 import b64encode
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from core import LOCAL_REGION, PROJECT_ROOT, client, write_deterministic_zip
from localcloud.clients import Clients
from localcloud.errors import LocalCloudError
from localcloud.load_workers import deploy_load_workers, kept_names
from localcloud.paging import every_item
from localcloud.prune import remove_stale
from stack import (
    LAMBDA_TRUST,
    FunctionOutputs,
    FunctionSettings,
    FunctionSpec,
    LoadWorkerOutputs,
    LoadWorkerSpec,
    StackOutputs,
    StackSpec,
    describe_load_workers,
    execution_policy,
    package_files,
)

# Variants deployed at once (boto3 clients are thread-safe). Most of a variant's time is MiniStack making its new
# function Active (~0.6 s); 12 variants on 2 cores: 9.5 s one at a time, 3.7 s with 4, 2.7 s with 8, 2.1 s with 16.
PARALLEL_VARIANTS = 16


def code_zip(root: Path = PROJECT_ROOT, function: FunctionSettings | None = None) -> bytes:
    """The function package (``stack.spec.package_files``) as a zip with ``handlers/`` (and the user's codeDir, if
    ``archbench:function`` is set) at its root.

    Byte-identical for identical sources (fixed dates and modes), so a re-run does not update the code.
    """
    buffer = io.BytesIO()
    write_deterministic_zip(buffer, package_files(root, function))
    return buffer.getvalue()


def deploy(stack: StackSpec, endpoint_url: str, progress: Callable[[str], None] = lambda _: None) -> StackOutputs:
    """Create or update every resource of ``stack``, then remove those of its prefix it no longer describes
    (``localcloud.prune``); return the outputs (api_url is path-style execute-api)."""
    try:
        return _Deployer(stack, endpoint_url, code_zip(function=stack.settings.function), progress).run()
    except ClientError as exc:
        error = exc.response.get("Error", {})
        raise LocalCloudError(f"deploy failed in {exc.operation_name}: {error.get('Code')}: "
                              f"{error.get('Message')}") from None
    except BotoCoreError as exc:
        raise LocalCloudError(f"deploy failed: {exc}") from None


class _Deployer:
    def __init__(self, stack: StackSpec, endpoint_url: str, code: bytes, progress: Callable[[str], None]) -> None:
        self.stack = stack
        self.progress = progress
        self.endpoint_url = endpoint_url
        self.code = code
        self.code_sha = b64encode(hashlib.sha256(code).digest()).decode()
        self.clients = Clients.for_endpoint(endpoint_url)
        self.sqs, self.logs, self.iam, self.lam, self.api = (
            self.clients.sqs, self.clients.logs, self.clients.iam, self.clients.lam, self.clients.api)
        self.account = client("sts", LOCAL_REGION, endpoint_url).get_caller_identity()["Account"]

    def run(self) -> StackOutputs:
        api_id = self._api()
        with ThreadPoolExecutor(max_workers=min(len(self.stack.functions), PARALLEL_VARIANTS)) as pool:
            deployed = list(pool.map(lambda spec: self._variant(spec, api_id), self.stack.functions))
        self._stage(api_id)
        workers = describe_load_workers(self.stack)
        worker_outputs = self._load_workers(workers, api_id) if workers else None
        removed = remove_stale(self.stack, self.clients, api_id, keep=kept_names(workers) if workers else set())
        if removed:
            self.progress(f"removed {len(removed)} function(s) no longer in the matrix: {', '.join(removed)}")
        api_url = f"{self.endpoint_url}/_aws/execute-api/{api_id}/$default"
        return StackOutputs(region=LOCAL_REGION, endpoint_url=self.endpoint_url, api_url=api_url,
                            functions={spec.variant_id: fn for spec, fn in zip(self.stack.functions, deployed,
                                                                               strict=True)},
                            load_workers=worker_outputs,
                            user_function=self.stack.settings.function.handler if self.stack.settings.function
                            else None)

    def _load_workers(self, spec: LoadWorkerSpec, api_id: str) -> LoadWorkerOutputs:
        """``archbench:loadWorkers``: the worker function and its results bucket (``localcloud.load_workers``)."""
        self.progress(f"deploying the load worker {spec.function_name}")
        return deploy_load_workers(
            spec, lam=self.lam, iam=self.iam, logs=self.logs, s3=client("s3", LOCAL_REGION, self.endpoint_url),
            account=self.account, code=self.code, code_sha=self.code_sha,
            queue_names=[fn.queue_name for fn in self.stack.functions],
            route_arns=[fn.api_invoke_source_arn(f"arn:aws:execute-api:{LOCAL_REGION}:{self.account}:{api_id}")
                        for fn in self.stack.functions],
            wait_function=self._wait_function)

    def _variant(self, spec: FunctionSpec, api_id: str) -> FunctionOutputs:
        """One variant's queues, log group, role, function, event source mapping and route."""
        dlq_url, dlq_arn = self._queue(spec.dlq_name, {})
        queue_url, queue_arn = self._queue(spec.queue_name, {
            "VisibilityTimeout": str(spec.visibility_timeout_s),
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": spec.dlq_max_receives}),
        })
        self._log_group(spec)
        role_arn = self._role(spec, queue_arn)
        function_arn = self._function(spec, role_arn)
        self._event_source_mapping(spec, queue_arn)
        self._route(spec, api_id, function_arn)
        return FunctionOutputs(
            name=spec.function_name, queue_url=queue_url, dlq_url=dlq_url, log_group=spec.log_group,
            route=spec.route_path, memory_mb=spec.memory_mb, architecture=spec.architecture, runtime=spec.runtime,
            role=spec.role)

    # --- queues and logs ------------------------------------------------------------------------------------------
    def _queue(self, name: str, attributes: dict[str, str]) -> tuple[str, str]:
        url = self.sqs.create_queue(QueueName=name)["QueueUrl"]  # returns the existing queue's URL
        if attributes:
            self.sqs.set_queue_attributes(QueueUrl=url, Attributes=attributes)
        arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        return url, arn

    def _log_group(self, spec: FunctionSpec) -> None:
        found = self.logs.describe_log_groups(logGroupNamePrefix=spec.log_group)["logGroups"]
        if not any(group["logGroupName"] == spec.log_group for group in found):
            self.logs.create_log_group(logGroupName=spec.log_group)
        self.logs.put_retention_policy(logGroupName=spec.log_group, retentionInDays=spec.log_retention_days)

    # --- IAM: each function may touch only its own queue and its own log group ---------------------------------
    def _role(self, spec: FunctionSpec, queue_arn: str) -> str:
        try:
            role_arn = self.iam.get_role(RoleName=spec.role_name)["Role"]["Arn"]
        except self.iam.exceptions.NoSuchEntityException:
            role_arn = self.iam.create_role(
                RoleName=spec.role_name, AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))["Role"]["Arn"]
        log_arn = f"arn:aws:logs:{LOCAL_REGION}:{self.account}:log-group:{spec.log_group}"
        self.iam.put_role_policy(RoleName=spec.role_name, PolicyName=f"{spec.function_name}-least-privilege",
                                 PolicyDocument=json.dumps(execution_policy(spec, queue_arn, log_arn)))
        return str(role_arn)

    # --- the function -----------------------------------------------------------------------------------------------
    def _function(self, spec: FunctionSpec, role_arn: str) -> str:
        config: dict[str, Any] = {
            "Role": role_arn, "Runtime": spec.runtime, "Handler": spec.handler, "Timeout": spec.timeout_s,
            "MemorySize": spec.memory_mb, "Environment": {"Variables": spec.environment},
            "TracingConfig": {"Mode": "Active" if spec.xray_tracing else "PassThrough"},
        }
        try:
            current = self.lam.get_function(FunctionName=spec.function_name)["Configuration"]
        except self.lam.exceptions.ResourceNotFoundException:
            created = self.lam.create_function(FunctionName=spec.function_name, Code={"ZipFile": self.code},
                                               Architectures=[spec.architecture], PackageType="Zip", **config)
            self._wait_function(spec.function_name)
            return str(created["FunctionArn"])
        # Each update kills the function's warm workers: skip what has not changed, so a re-run stays warm.
        if current.get("CodeSha256") != self.code_sha:
            self.lam.update_function_code(FunctionName=spec.function_name, ZipFile=self.code,
                                          Architectures=[spec.architecture])
            self._wait_function(spec.function_name)
        if _configured(current) != _configured(config):
            self.lam.update_function_configuration(FunctionName=spec.function_name, **config)
            self._wait_function(spec.function_name)
        return str(current["FunctionArn"])

    def _wait_function(self, name: str, timeout_s: float = 60.0) -> None:
        """Active and not mid-update: the next update or invoke would otherwise be refused."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            config = self.lam.get_function_configuration(FunctionName=name)
            if config.get("State", "Active") == "Active" and config.get("LastUpdateStatus") != "InProgress":
                return
            if config.get("State") == "Failed" or config.get("LastUpdateStatus") == "Failed":
                raise LocalCloudError(f"function {name} failed to deploy: {config.get('StateReason')}")
            time.sleep(0.2)
        raise LocalCloudError(f"function {name} did not become Active within {timeout_s:.0f} s")

    def _event_source_mapping(self, spec: FunctionSpec, queue_arn: str) -> None:
        settings: dict[str, Any] = {
            "BatchSize": spec.batch_size, "MaximumBatchingWindowInSeconds": spec.batching_window_s,
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
            "ScalingConfig": {"MaximumConcurrency": spec.max_concurrency}, "Enabled": True,
        }
        existing = self.lam.list_event_source_mappings(
            EventSourceArn=queue_arn, FunctionName=spec.function_name)["EventSourceMappings"]
        if existing:
            self.lam.update_event_source_mapping(UUID=existing[0]["UUID"], FunctionName=spec.function_name,
                                                 **settings)
        else:
            self.lam.create_event_source_mapping(EventSourceArn=queue_arn, FunctionName=spec.function_name,
                                                 **settings)

    # --- the HTTP API -----------------------------------------------------------------------------------------------
    def _api(self) -> str:
        name = self.stack.api_name
        for api in every_item(self.api.get_apis, "Items"):
            if api["Name"] == name:
                return str(api["ApiId"])
        return str(self.api.create_api(Name=name, ProtocolType="HTTP")["ApiId"])

    def _route(self, spec: FunctionSpec, api_id: str, function_arn: str) -> None:
        integration = {"IntegrationType": "AWS_PROXY", "IntegrationUri": function_arn,
                       "PayloadFormatVersion": "2.0", "IntegrationMethod": "POST",
                       "TimeoutInMillis": min(30_000, spec.timeout_s * 1000 + 1000)}
        integrations = [i for i in every_item(self.api.get_integrations, "Items", ApiId=api_id)
                        if i.get("IntegrationUri") == function_arn]
        if integrations:
            integration_id = integrations[0]["IntegrationId"]
            self.api.update_integration(ApiId=api_id, IntegrationId=integration_id, **integration)
        else:
            integration_id = self.api.create_integration(ApiId=api_id, **integration)["IntegrationId"]
        route = {"Target": f"integrations/{integration_id}",
                 "AuthorizationType": self.stack.route_authorization}
        routes = [r for r in every_item(self.api.get_routes, "Items", ApiId=api_id) if r["RouteKey"] == spec.route_key]
        if routes:
            self.api.update_route(ApiId=api_id, RouteId=routes[0]["RouteId"], **route)
        else:
            self.api.create_route(ApiId=api_id, RouteKey=spec.route_key, **route)
        statement = f"{self.stack.prefix}-api-invoke"
        with contextlib.suppress(self.lam.exceptions.ResourceNotFoundException):
            self.lam.remove_permission(FunctionName=spec.function_name, StatementId=statement)
        self.lam.add_permission(
            FunctionName=spec.function_name, StatementId=statement, Action="lambda:InvokeFunction",
            Principal="apigateway.amazonaws.com",
            SourceArn=spec.api_invoke_source_arn(f"arn:aws:execute-api:{LOCAL_REGION}:{self.account}:{api_id}"))

    def _stage(self, api_id: str) -> None:
        settings = self.stack.settings
        stage = {"AutoDeploy": True, "DefaultRouteSettings": {
            "ThrottlingRateLimit": settings.api_throttle_rate, "ThrottlingBurstLimit": settings.api_throttle_burst}}
        stages = [s for s in every_item(self.api.get_stages, "Items", ApiId=api_id) if s["StageName"] == "$default"]
        if stages:
            self.api.update_stage(ApiId=api_id, StageName="$default", **stage)
        else:
            self.api.create_stage(ApiId=api_id, StageName="$default", **stage)


def _configured(config: dict[str, Any]) -> tuple[Any, ...]:
    """The fields ``_function`` sets, as comparable values, from a request or a GetFunction answer."""
    return (config.get("Role"), config.get("Runtime"), config.get("Handler"), config.get("Timeout"),
            config.get("MemorySize"), (config.get("Environment") or {}).get("Variables") or {},
            (config.get("TracingConfig") or {}).get("Mode", "PassThrough"))

