"""AWS access for the targets: a session for the stack's endpoint and region, checks, and the API signer.

A local cloud (``endpoint_url`` set) accepts any credentials, so when none are configured dummy ones are used;
against AWS the normal credential chain (``AWS_PROFILE``, environment, SSO, instance role) applies.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from components.outputs import StackOutputs
from loadgen.api import Signer
from loadgen.parsing import UsageError

_LOCAL_CREDENTIALS = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}


def session_for(outputs: StackOutputs) -> boto3.Session:
    session = boto3.Session(region_name=outputs.region)
    if outputs.is_local and session.get_credentials() is None:
        session = boto3.Session(region_name=outputs.region, **_LOCAL_CREDENTIALS)
    return session


def sqs_client(outputs: StackOutputs, connections: int) -> Any:
    """One thread-safe client with a connection per sender thread; botocore retries throttling itself.

    Parameter validation is off: loadgen builds every entry itself, and validating ten entries per call costs
    about an eighth of the sender's CPU (measured against MiniStack).
    """
    config = Config(max_pool_connections=max(10, connections), retries={"max_attempts": 3, "mode": "standard"},
                    connect_timeout=5, read_timeout=30, parameter_validation=False)
    return session_for(outputs).client("sqs", endpoint_url=outputs.endpoint_url, region_name=outputs.region,
                                       config=config)


def preflight_queues(client: Any, queue_urls: Mapping[str, str]) -> None:
    """Fail before the run, in one line, when a queue is unreachable (stack gone, endpoint down, no access)."""
    for arch, url in queue_urls.items():
        try:
            client.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        except (BotoCoreError, ClientError) as exc:
            raise UsageError(f"the {arch} queue {url} is not reachable ({exc}); is the stack up? "
                             "(`python -m localcloud status`, or `pulumi stack`)") from None


def api_signer(outputs: StackOutputs) -> Signer | None:
    """A SigV4 signer when credentials exist (needed by IAM-authorized routes, ignored by the others)."""
    credentials = session_for(outputs).get_credentials()
    return Signer(credentials, outputs.region) if credentials is not None else None
