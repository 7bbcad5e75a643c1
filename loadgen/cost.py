"""A rough upper estimate of what a run costs on AWS, so a typo in --rate cannot run up a bill unnoticed.

List prices from the one table, ``core.pricing`` (us-east-1's: the cost guard does not know the region yet).
Every work item is assumed to be its own invocation (SQS batches make it fewer) and to take ``ASSUMED_MS`` per
iteration at the workload's default size, scaled linearly with size: deliberately pessimistic. Every variant
gets every request, each billed at its own memory size and its architecture's GB-second price. With ``--rounds``
each round starts on new execution environments; their init time is not priced (the configuration updates
themselves are free API calls), so the estimate names the rounds instead.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from core import (
    HTTP_API_PER_MILLION_REQUESTS_USD,
    LAMBDA_PER_GB_S_USD,
    LAMBDA_PER_MILLION_REQUESTS_USD,
    SQS_PER_MILLION_REQUESTS_USD,
)
from loadgen.plan import Plan
from stack import Variant

LAMBDA_PER_REQUEST_USD = LAMBDA_PER_MILLION_REQUESTS_USD / 1e6
SQS_PER_REQUEST_USD = SQS_PER_MILLION_REQUESTS_USD / 1e6
HTTP_API_PER_REQUEST_USD = HTTP_API_PER_MILLION_REQUESTS_USD / 1e6
ASSUMED_MS = 50.0  # the upper end of a default-size workload (5–50 ms on one core)
DEFAULT_MAX_COST_USD = 1.0
# A Lambda load worker (``loadgen.workers``) runs from its invocation to the common start (this lead), through the
# schedule, and at most this drain after it: what each one is billed for at most.
WORKER_LEAD_S = 5.0
WORKER_DRAIN_S = 10.0


@dataclass(frozen=True)
class CostEstimate:
    invocations: int  # work items across all variants
    lambda_usd: float
    messaging_usd: float  # SQS requests or HTTP API requests
    rounds: int = 1  # ``--rounds``: each one on fresh execution environments
    workers_usd: float = 0.0  # ``--workers lambda:N``: the workers' own Lambda time

    @property
    def total_usd(self) -> float:
        return self.lambda_usd + self.messaging_usd + self.workers_usd


def estimate_cost(plan: Plan, target: str, variants: Iterable[Variant], default_sizes: dict[str, int]) -> CostEstimate:
    """Upper estimate for sending ``plan`` to every one of ``variants``."""
    variants = tuple(variants)
    seconds_all_items = sum(
        count * ASSUMED_MS / 1000.0 * plan.iterations * _size_factor(share.size or 0, default_sizes.get(share.name, 0))
        for share, count in zip(plan.mix, plan.counts(), strict=True)
    )
    lambda_usd = 0.0
    for variant in variants:
        gb_seconds = seconds_all_items * variant.memory_mb / 1024.0
        lambda_usd += plan.total * LAMBDA_PER_REQUEST_USD + gb_seconds * LAMBDA_PER_GB_S_USD[variant.architecture]
    if target == "sqs":
        # one send per ≤ 10 items, then a receive and a delete per item at worst
        per_variant_requests = math.ceil(plan.total / 10) + 2 * plan.total
        messaging = per_variant_requests * len(variants) * SQS_PER_REQUEST_USD
    else:
        messaging = plan.total * len(variants) * HTTP_API_PER_REQUEST_USD
    return CostEstimate(invocations=plan.total * len(variants), lambda_usd=lambda_usd, messaging_usd=messaging,
                        rounds=plan.rounds)


def _size_factor(size: int, default_size: int) -> float:
    """Work grows about linearly with size; never assume less than the default's cost."""
    return max(1.0, size / default_size) if default_size > 0 else 1.0


def worker_seconds(duration_s: float) -> float:
    """How long each Lambda load worker runs at most for a schedule of ``duration_s``."""
    return WORKER_LEAD_S + duration_s + WORKER_DRAIN_S


def workers_cost_usd(count: int, duration_s: float, memory_mb: int, architecture: str) -> float:
    """Upper estimate of ``count`` load workers' own Lambda cost: one request and ``worker_seconds`` each."""
    gb_seconds = worker_seconds(duration_s) * memory_mb / 1024.0
    return count * (LAMBDA_PER_REQUEST_USD + gb_seconds * LAMBDA_PER_GB_S_USD[architecture])
