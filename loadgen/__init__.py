"""``python -m loadgen``: open-model load for every variant of the matrix at once (SQS queues or HTTP API routes).

The schedule alone decides when each work request is due (a slow target never slows it down), and every
scheduled request goes to every variant at the same moment with the same workload, size, seed and seq; within
each release the variants are served in a seeded shuffled order, so none is always first. Beyond one process the
schedule is sliced by seq modulo N and sent by N sender processes or N Lambda load workers from one common start,
merged into one manifest.

As a library (benchmarks, other packages' tests): describe a run with ``LoadRequest``, plan it with ``plan_load``
(no stack needed), carry it out with ``run_load``, which returns the ``RunManifest`` it wrote. Other packages
import from this face.
"""

from loadgen.clients import sqs_client
from loadgen.cost import DEFAULT_MAX_COST_USD, CostEstimate, estimate_cost
from loadgen.parsing import WorkloadShare, parse_mix, parse_rate
from loadgen.plan import Plan, build_plan, resolve_mix
from loadgen.planning import TARGETS, LoadPlan, LoadRequest, TargetName, plan_load
from loadgen.run import run_load
from loadgen.runner import available_cores, default_processes, linger_s, release_orders, senders_per_variant
from loadgen.schedule import PROFILES, Profile
from loadgen.sqs import MAX_BATCH
from loadgen.stats import RunStats
from loadgen.workers import LambdaWorkers

__all__ = [
    "DEFAULT_MAX_COST_USD",
    "MAX_BATCH",
    "PROFILES",
    "TARGETS",
    "CostEstimate",
    "LambdaWorkers",
    "LoadPlan",
    "LoadRequest",
    "Plan",
    "Profile",
    "RunStats",
    "TargetName",
    "WorkloadShare",
    "available_cores",
    "build_plan",
    "default_processes",
    "estimate_cost",
    "linger_s",
    "parse_mix",
    "parse_rate",
    "plan_load",
    "release_orders",
    "resolve_mix",
    "run_load",
    "senders_per_variant",
    "sqs_client",
]
