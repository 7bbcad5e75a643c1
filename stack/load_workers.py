"""The optional load workers (``archbench:loadWorkers``): one Lambda function that sends a slice of a loadgen
schedule from inside AWS (``loadgen --workers lambda:N`` invokes it N times), and the private bucket where each
invocation writes its partial manifest.

Both deployers build them from this model. The worker's role may send only to this stack's queues and routes and
write only under ``RESULTS_PREFIX`` of its bucket, which expires what it holds after ``RESULTS_EXPIRE_DAYS``.
(``loadgen --target api``: the routes, signed with the worker's role.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from stack.spec import LOG_ACTIONS, StackSpec

WORKER_HANDLER = "handlers.loadworker.handler"
WORKER_SUFFIX = "loadworker"
# One full vCPU (1,769 MB): a sender is CPU-bound (botocore signs every call); Graviton, the cheaper one.
WORKER_MEMORY_MB = 1769
WORKER_ARCHITECTURE = "arm64"
WORKER_TIMEOUT_S = 900  # Lambda's maximum: the longest slice one invocation can send
RESULTS_PREFIX = "results/"
RESULTS_EXPIRE_DAYS = 7
SEND_ACTIONS = ("sqs:SendMessage",)  # SendMessageBatch is authorised as sqs:SendMessage
ROUTE_ACTIONS = ("execute-api:Invoke",)
RESULTS_ACTIONS = ("s3:PutObject",)
STOP_ACTIONS = ("s3:GetObject",)  # the driver's stop marker, ``<results prefix><run id>/stop``; HEAD needs it too
STOP_NAME = "stop"


@dataclass(frozen=True)
class LoadWorkerSpec:
    """The worker function, its role and log group, and its results bucket (named per account: bucket names are
    global)."""

    prefix: str
    function_name: str
    role_name: str
    log_group: str
    runtime: str
    log_retention_days: int
    handler: str = WORKER_HANDLER
    memory_mb: int = WORKER_MEMORY_MB
    architecture: str = WORKER_ARCHITECTURE
    timeout_s: int = WORKER_TIMEOUT_S
    results_prefix: str = RESULTS_PREFIX
    expire_days: int = RESULTS_EXPIRE_DAYS

    def bucket_name(self, account_id: str) -> str:
        """``<prefix>-load-results-<account>``: S3 names allow no ``_`` and are global, so the account is in it."""
        return f"{self.prefix}-load-results-{account_id}"


def result_key(results_prefix: str, run_id: str, index: int) -> str:
    """Where worker ``index`` of a run writes its partial manifest."""
    return f"{results_prefix}{run_id}/{index}.json"


def progress_key(results_prefix: str, run_id: str, index: int) -> str:
    """Where worker ``index`` of a run writes its progress every second, for the driver's live display."""
    return f"{results_prefix}{run_id}/{index}.progress.json"


def stop_key(results_prefix: str, run_id: str) -> str:
    """The driver's stop marker for a run (its first Ctrl-C), which every worker of the run polls."""
    return f"{results_prefix}{run_id}/{STOP_NAME}"


def describe_load_workers(stack: StackSpec) -> LoadWorkerSpec | None:
    """The workers of ``stack``, or None when ``archbench:loadWorkers`` is off (the default)."""
    if not stack.settings.load_workers:
        return None
    name = stack.name(WORKER_SUFFIX)
    return LoadWorkerSpec(prefix=stack.prefix, function_name=name, role_name=f"{name}-role",
                          log_group=f"/aws/lambda/{name}", runtime=stack.settings.runtimes[-1],
                          log_retention_days=stack.settings.log_retention_days)


def load_worker_policy(spec: LoadWorkerSpec, queue_arns: Sequence[str], route_arns: Sequence[str], bucket_arn: str,
                       log_group_arn: str) -> dict[str, Any]:
    """Least privilege: send to the stack's queues and call its routes, write its partial manifests, log to its own
    group.

    ``route_arns`` are the routes' execute-api ARNs (``FunctionSpec.api_invoke_source_arn``); ``log_group_arn``
    without the trailing ``:*``. It may read nothing of the bucket but the runs' stop markers,
    write nothing outside ``results_prefix``, and neither receive nor delete messages.
    """
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "SendToStackQueues", "Effect": "Allow", "Action": list(SEND_ACTIONS), "Resource": list(queue_arns)},
        {"Sid": "CallStackRoutes", "Effect": "Allow", "Action": list(ROUTE_ACTIONS), "Resource": list(route_arns)},
        {"Sid": "WritePartialManifests", "Effect": "Allow", "Action": list(RESULTS_ACTIONS),
         "Resource": [f"{bucket_arn}/{spec.results_prefix}*"]},
        {"Sid": "ReadStopMarkers", "Effect": "Allow", "Action": list(STOP_ACTIONS),
         "Resource": [f"{bucket_arn}/{spec.results_prefix}*/{STOP_NAME}"]},
        {"Sid": "WriteOwnLogGroup", "Effect": "Allow", "Action": list(LOG_ACTIONS),
         "Resource": [f"{log_group_arn}:*"]},
    ]}
