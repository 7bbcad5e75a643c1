"""What a run will do, decided before anything is sent: the request, its plan, the senders and the AWS cost.

The command prints this (and stops here for ``--dry-run``); ``run_load`` carries it out. Kept apart from running
so that planning needs no stack: a dry run without one plans with the default settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from loadgen.cost import CostEstimate, estimate_cost
from loadgen.parsing import WorkloadShare
from loadgen.plan import Plan, build_plan
from loadgen.runner import senders_per_arch
from loadgen.schedule import Profile
from stack import Settings, StackOutputs

TargetName = Literal["sqs", "api"]
TARGETS: tuple[TargetName, ...] = get_args(TargetName)


@dataclass(frozen=True)
class LoadRequest:
    """What the user asked for, parsed and checked (by the command line, or written out by a benchmark)."""

    rate_text: str  # as given, e.g. 50/s: the manifest and the summary quote it
    profile: Profile
    mix: tuple[WorkloadShare, ...]  # every size resolved (``resolve_mix``)
    iterations: int
    seed: int
    run_id: str  # a checked run id (``core.check_run_id``) or a new one
    target: TargetName = "sqs"
    senders: int | None = None  # per architecture; None: sized to the rate


@dataclass(frozen=True)
class LoadPlan:
    """A request made concrete: every seq's due time and workload, who gets it, how many senders send it."""

    request: LoadRequest
    plan: Plan
    architectures: tuple[str, ...]
    senders: int  # per architecture
    estimate: CostEstimate | None  # on AWS, or when the stack is unknown; None for a local cloud

    @property
    def target(self) -> TargetName:
        return self.request.target


def plan_load(request: LoadRequest, outputs: StackOutputs | None) -> LoadPlan:
    """Plan ``request`` for the stack of ``outputs`` (None: not found, plan with the default settings)."""
    plan = build_plan(request.run_id, request.profile, request.mix, request.iterations, request.seed)
    if outputs is None:
        settings = Settings()
        architectures = settings.architectures
        memory = dict.fromkeys(architectures, settings.memory_mb)
    else:
        architectures = tuple(outputs.functions)
        memory = {arch: fn.memory_mb for arch, fn in outputs.functions.items()}
    estimate = None
    if outputs is None or not outputs.is_local:
        estimate = estimate_cost(plan, request.target, memory, _default_sizes(plan))
    return LoadPlan(request=request, plan=plan, architectures=architectures,
                    senders=request.senders or senders_per_arch(plan, request.target), estimate=estimate)


def _default_sizes(plan: Plan) -> dict[str, int]:
    from handlers.workloads import WORKLOADS

    return {share.name: WORKLOADS[share.name].default_size for share in plan.mix}
