"""AWS access for the targets: the SQS client sized to the senders, the queue check, the API signer.

Sessions and credentials are ``core.aws``'s: dummy ones for a local cloud, the normal chain against AWS.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from core import ExecuteApiSigner, UserError
from stack import StackOutputs


def sqs_client(outputs: StackOutputs, connections: int) -> Any:
    """One thread-safe client with a connection per sender thread; botocore retries throttling itself.

    Parameter validation is off: loadgen builds every entry itself, and validating ten entries per call costs
    about an eighth of the sender's CPU (measured against MiniStack).
    """
    return outputs.client("sqs", read_timeout_s=30, max_pool_connections=max(10, connections),
                          parameter_validation=False)


def preflight_queues(client: Any, queue_urls: Mapping[str, str]) -> None:
    """Fail before the run, in one line, when a queue is unreachable (stack gone, endpoint down, no access)."""
    for variant, url in queue_urls.items():
        try:
            client.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        except (BotoCoreError, ClientError) as exc:
            raise UserError(f"the {variant} queue {url} is not reachable ({exc}); is the stack up? "
                             "(`python -m localcloud status`, or `pulumi stack`)") from None


def api_signer(outputs: StackOutputs) -> ExecuteApiSigner | None:
    """A SigV4 signer when credentials exist (needed by IAM-authorized routes, ignored by the others)."""
    return ExecuteApiSigner.for_endpoint(outputs.region, outputs.endpoint_url)
