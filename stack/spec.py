"""One description of the stack — names, routes, environment — that both deployers build from.

The Pulumi components and ``localcloud``'s boto3 deployer read this and nothing else for names and per-function
settings, so the two cannot drift. No pulumi import here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from handlers.contract import (
    ENV_ALLOWED_WORKLOADS,
    ENV_ARCHITECTURE,
    ENV_VARIANT,
    NAMESPACE,
)
from stack.function import FunctionSettings
from stack.settings import Settings, SettingsError
from stack.variants import VARIANT_ID_MAX, Role, Variant

HANDLER = "handlers.app.handler"
USER_FUNCTION_HANDLER = "handlers.userfunction.handler"  # archbench's wrapper around archbench:function
ROUTE_METHOD = "POST"
CODE_DIR = "handlers"

# Every resource of a stack is ``<prefix>_<suffix>``. A prefix never holds ``_`` (``describe_stack`` and
# ``stack_prefix`` refuse it), so ``<prefix>_*`` matches this stack's resources and no other's: stack ``prod``'s
# pattern ``archbench-prod_*`` cannot reach stack ``prod-eu``'s ``archbench-prod-eu_…``.
NAME_DELIMITER = "_"
# IAM role names are at most 64 characters: ``<prefix>_<longest variant id>-role`` must fit.
ROLE_SUFFIX = "-role"
PREFIX_MAX = 64 - len(NAME_DELIMITER) - VARIANT_ID_MAX - len(ROLE_SUFFIX)
_PREFIX_RE = re.compile(rf"^[a-z][a-z0-9-]{{0,{PREFIX_MAX - 1}}}$")
STACK_PREFIX_BASE = "archbench-"
STACK_NAME_MAX = PREFIX_MAX - len(STACK_PREFIX_BASE)
_STACK_NAME_RE = re.compile(rf"(?=.{{1,{STACK_NAME_MAX}}}$)[a-z0-9]+(-[a-z0-9]+)*")

# What each function's role may do: consume its own queue, write to its own log group (X-Ray only if tracing).
QUEUE_ACTIONS = ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility")
LOG_ACTIONS = ("logs:CreateLogStream", "logs:PutLogEvents")
# X-Ray has no resource-level permissions: these two actions are only ever granted on "*".
XRAY_ACTIONS = ("xray:PutTraceSegments", "xray:PutTelemetryRecords")
LAMBDA_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                   "Action": "sts:AssumeRole"}],
}


@dataclass(frozen=True)
class FunctionSpec:
    """Everything that defines one variant's function and its queue; only the variant's own three values (runtime,
    memory, architecture) differ between variants, and nothing at all between a control twin and its sibling."""

    variant: Variant
    function_name: str
    queue_name: str
    dlq_name: str
    log_group: str
    route_path: str
    timeout_s: int
    handler: str
    environment: dict[str, str]
    batch_size: int
    batching_window_s: int
    max_concurrency: int
    reserved_concurrency: int
    visibility_timeout_s: int
    dlq_max_receives: int
    log_retention_days: int
    xray_tracing: bool
    user_function: FunctionSettings | None = None  # archbench:function: its codeDir goes into the package

    @property
    def variant_id(self) -> str:
        return self.variant.id

    @property
    def architecture(self) -> str:
        return self.variant.architecture

    @property
    def memory_mb(self) -> int:
        return self.variant.memory_mb

    @property
    def runtime(self) -> str:
        return self.variant.runtime

    @property
    def role(self) -> Role:
        return self.variant.role

    @property
    def route_key(self) -> str:
        """The API Gateway v2 route key, e.g. ``POST /py313-1024-arm64/process``."""
        return f"{ROUTE_METHOD} {self.route_path}"

    def api_invoke_source_arn(self, api_execution_arn: str) -> str:
        """What the API may invoke this function from: any stage, this route only (``<api arn>/*/POST/<id>/…``)."""
        return f"{api_execution_arn}/*/{ROUTE_METHOD}{self.route_path}"

    @property
    def role_name(self) -> str:
        return f"{self.function_name}{ROLE_SUFFIX}"


@dataclass(frozen=True)
class StackSpec:
    prefix: str
    settings: Settings
    functions: tuple[FunctionSpec, ...]

    def name(self, suffix: str) -> str:
        """A resource name of this stack: ``<prefix>_<suffix>``."""
        return f"{self.prefix}{NAME_DELIMITER}{suffix}"

    @property
    def name_pattern(self) -> str:
        """Matches every resource name of this stack and none of another's (see ``NAME_DELIMITER``)."""
        return f"{self.prefix}{NAME_DELIMITER}*"

    @property
    def api_name(self) -> str:
        return self.name("api")

    @property
    def api_access_log_group(self) -> str:
        return f"/aws/apigateway/{self.api_name}"

    @property
    def route_authorization(self) -> str:
        """The routes' API Gateway authorization type from ``archbench:apiAuth`` (IAM: callers sign with SigV4)."""
        return "NONE" if self.settings.api_auth == "none" else "AWS_IAM"

    def function(self, variant_id: str) -> FunctionSpec:
        for spec in self.functions:
            if spec.variant_id == variant_id:
                return spec
        raise KeyError(f"variant {variant_id!r} is not deployed in this stack")


def stack_prefix(stack: str) -> str:
    """``archbench-<stack>``, the prefix of every resource name of a stack.

    The stack name is taken as it is or refused, never rewritten: a rewrite (``Dev_Team`` → ``dev-team``) or a cut
    long name could give two stacks one prefix, and with it each other's resources and IAM rights. The Pulumi program
    names its resources after the Pulumi stack this way, the local cloud after ``local``.
    """
    if not _STACK_NAME_RE.fullmatch(stack):
        raise SettingsError(
            f"the stack name must be lowercase letters and digits joined by single '-', at most {STACK_NAME_MAX} "
            f"characters (resources are named archbench-<stack>{NAME_DELIMITER}…, and no two stacks may share a "
            f"prefix), got {stack!r}")
    return f"{STACK_PREFIX_BASE}{stack}"


def describe_stack(settings: Settings, prefix: str) -> StackSpec:
    """Derive every name and per-function setting from the settings and a name prefix."""
    if not _PREFIX_RE.match(prefix):
        raise ValueError(f"stack name prefix must be lowercase letters, digits and '-', ≤ {PREFIX_MAX} chars: "
                         f"{prefix!r}")
    functions = tuple(_function_spec(settings, prefix, variant) for variant in settings.variants)
    return StackSpec(prefix=prefix, settings=settings, functions=functions)


def _function_spec(settings: Settings, prefix: str, variant: Variant) -> FunctionSpec:
    name = f"{prefix}{NAME_DELIMITER}{variant.id}"
    environment = {ENV_ARCHITECTURE: variant.architecture, ENV_VARIANT: variant.id, "AWS_EMF_NAMESPACE": NAMESPACE}
    if settings.allowed_workloads:
        environment[ENV_ALLOWED_WORKLOADS] = ",".join(settings.allowed_workloads)
    if settings.function is not None:
        environment.update(settings.function.function_environment())
    return FunctionSpec(
        variant=variant,
        function_name=name,
        queue_name=f"{name}-queue",
        dlq_name=f"{name}-dlq",
        log_group=f"/aws/lambda/{name}",
        route_path=f"/{variant.id}/process",
        timeout_s=settings.timeout_s,
        handler=HANDLER if settings.function is None else USER_FUNCTION_HANDLER,
        environment=environment,
        batch_size=settings.batch_size,
        batching_window_s=settings.batching_window_s,
        max_concurrency=settings.max_concurrency,
        reserved_concurrency=settings.function_concurrency,
        visibility_timeout_s=settings.queue_visibility_timeout_s,
        dlq_max_receives=settings.dlq_max_receives,
        log_retention_days=settings.log_retention_days,
        xray_tracing=settings.xray_tracing,
        user_function=settings.function,
    )


def execution_policy(spec: FunctionSpec, queue_arn: str, log_group_arn: str) -> dict[str, Any]:
    """Least privilege: consume its own queue, write to its own log group (and X-Ray only if tracing is on).

    ``log_group_arn`` is the group's ARN without the trailing ``:*`` (as Pulumi's ``LogGroup.arn`` gives it).
    """
    statements: list[dict[str, Any]] = [
        {"Sid": "ConsumeOwnQueue", "Effect": "Allow", "Action": list(QUEUE_ACTIONS), "Resource": [queue_arn]},
        {"Sid": "WriteOwnLogGroup", "Effect": "Allow", "Action": list(LOG_ACTIONS),
         "Resource": [f"{log_group_arn}:*"]},
    ]
    if spec.xray_tracing:
        statements.append({"Sid": "XRayTracing", "Effect": "Allow", "Action": list(XRAY_ACTIONS), "Resource": "*"})
    return {"Version": "2012-10-17", "Statement": statements}


def code_files(root: Path) -> list[Path]:
    """The function package: every file under ``root/handlers`` but byte-code caches, sorted.

    Both deployers ship exactly these (a local ``__pycache__`` would change the code hash from one machine to the
    next and redeploy, and cold-start, both functions).
    """
    return _source_files(root / CODE_DIR)


def package_files(root: Path, function: FunctionSettings | None = None) -> list[tuple[str, Path]]:
    """The function package as (name in the zip, file): ``code_files`` under ``handlers/``, and the user's codeDir
    (``archbench:function``) at the zip root, where Lambda's ``/var/task`` puts it on ``sys.path``."""
    files = [(path.relative_to(root).as_posix(), path) for path in code_files(root)]
    if function is not None:
        files += [(path.relative_to(function.code_path).as_posix(), path)
                  for path in _source_files(function.code_path)]
    return files


def _source_files(directory: Path) -> list[Path]:
    """Every file under ``directory`` but byte-code caches, sorted."""
    return sorted(path for path in directory.rglob("*") if path.is_file()
                  and "__pycache__" not in path.relative_to(directory).parts and path.suffix != ".pyc")
