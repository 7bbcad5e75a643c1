"""Open the target a plan asks for on a stack: the queues (one SQS client sized to the senders, checked before
anything is sent) or the HTTP API routes (one pool, signed when credentials exist).

A problem the user can fix (a queue that is gone, a stack without an API) is a ``UserError`` here, before the
schedule starts: the command line was right, the stack is not there.
"""

from __future__ import annotations

from collections.abc import Callable

from core import UserError
from loadgen.api import ApiTarget
from loadgen.clients import api_signer, preflight_queues, sqs_client
from loadgen.planning import LoadPlan
from loadgen.recycle import SettlingTarget
from loadgen.sqs import SqsTarget
from loadgen.stats import RunStats
from stack import StackOutputs


def open_target(load: LoadPlan, outputs: StackOutputs, stats: RunStats,
                notice: Callable[[str], None]) -> SettlingTarget:
    """The target of ``load`` on ``outputs``, counting into ``stats``; ``notice`` hears of unsigned requests."""
    plan, variants = load.plan, load.variants
    if load.target == "sqs":
        client = sqs_client(outputs, load.senders * len(variants))
        queue_urls = {variant: outputs.functions[variant].queue_url for variant in variants}
        preflight_queues(client, queue_urls)
        return SqsTarget(client, queue_urls, plan, stats)
    if not outputs.api_url:
        raise UserError("the stack outputs have no api_url: this stack has no HTTP API to drive")
    urls = {variant: outputs.api_url.rstrip("/") + outputs.functions[variant].route for variant in variants}
    signer = api_signer(outputs)
    if signer is None:
        notice(f"run {plan.run_id}: no AWS credentials found, requests go unsigned "
               "(an API with IAM authorization will answer 403)")
    return ApiTarget(urls, plan, stats, pool_size=load.senders, signer=signer)
