"""What a run will do, decided before anything is sent: the request, its plan, the senders and the AWS cost.

The command prints this (and stops here for ``--dry-run``); ``run_load`` carries it out. Kept apart from running
so that planning needs no stack: a dry run without one plans with the default settings.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Literal, get_args

from core import UsageError
from handlers.contract import USER_WORKLOAD, WorkRequest, is_run_id, run_id_problem
from loadgen.cost import CostEstimate, estimate_cost, workers_cost_usd
from loadgen.parsing import WorkloadShare
from loadgen.plan import Plan, build_plan
from loadgen.runner import MAX_PROCESSES, default_processes, senders_per_variant
from loadgen.schedule import Profile
from stack import WORKER_ARCHITECTURE, WORKER_MEMORY_MB, Settings, StackOutputs, Variant

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
    senders: int | None = None  # per variant; None: sized to the rate
    variants: tuple[str, ...] | None = None  # the variant ids to drive; None: every deployed one
    processes: int | None = None  # sender processes, each one slice of the schedule; None: sized to the rate
    workers: int = 0  # Lambda load workers (``--workers lambda:N``), each one slice; 0: this machine sends


@dataclass(frozen=True)
class LoadPlan:
    """A request made concrete: every seq's due time and workload, who gets it, how many senders send it."""

    request: LoadRequest
    plan: Plan
    variants: tuple[str, ...]  # variant ids, in matrix order
    senders: int  # per variant, in each sender process or Lambda worker
    estimate: CostEstimate | None  # on AWS, or when the stack is unknown; None for a local cloud
    processes: int = 1  # sender processes; each sends the seqs ≡ its index modulo this
    workers: int = 0  # Lambda load workers instead, each the seqs ≡ its index modulo this

    @property
    def target(self) -> TargetName:
        return self.request.target


def plan_load(request: LoadRequest, outputs: StackOutputs | None) -> LoadPlan:
    """Plan ``request`` for the stack of ``outputs`` (None: not found, plan with the default settings).

    Every request the functions would refuse is refused here, before anything is sent: a ``UsageError``.
    """
    deployed = ({v.id: v for v in Settings().variants} if outputs is None
                else {variant_id: fn.variant for variant_id, fn in outputs.variants.items()})
    variants = select_variants(deployed, request.variants)
    check_requests(request, variants, user_function=None if outputs is None else outputs.user_function is not None)
    plan = build_plan(request.run_id, request.profile, request.mix, request.iterations, request.seed)
    estimate = None
    if outputs is None or not outputs.is_local:
        estimate = estimate_cost(plan, request.target, variants.values(), _default_sizes(plan))
    if request.workers:
        _check_workers(request, plan)
        if estimate is not None:
            worker = outputs.load_workers if outputs is not None else None
            estimate = replace(estimate, workers_usd=workers_cost_usd(
                request.workers, plan.profile.duration_s, worker.memory_mb if worker else WORKER_MEMORY_MB,
                worker.architecture if worker else WORKER_ARCHITECTURE))
    processes = 1 if request.workers else _processes(request, plan, len(variants))
    senders = request.senders or math.ceil(senders_per_variant(plan, request.target) / (request.workers or processes))
    return LoadPlan(request=request, plan=plan, variants=tuple(variants), senders=senders, estimate=estimate,
                    processes=processes, workers=request.workers)


def _check_workers(request: LoadRequest, plan: Plan) -> None:
    """What Lambda workers can send: a timed schedule, not rounds that update the functions in between."""
    if plan.profile.kind == "cold" or plan.rounds > 1:
        raise UsageError("--workers is not for --profile cold or --rounds: their rounds update every function in "
                         "between, which this machine does")
    if request.processes not in (None, 1):
        raise UsageError("--workers and --processes exclude each other: the workers send every slice")
    if request.workers > plan.total:
        raise UsageError(f"--workers lambda:{request.workers} is more workers than requests ({plan.total})")


def _processes(request: LoadRequest, plan: Plan, variants: int) -> int:
    """``--processes`` checked against the plan, or the default for its rate on this machine's cores."""
    wanted = request.processes
    if wanted is None:
        return default_processes(plan, request.target, variants)
    if wanted == 1:
        return 1
    if plan.profile.kind == "cold" or plan.rounds > 1:
        option = "--profile cold" if plan.profile.kind == "cold" else "--rounds"
        raise UsageError(f"--processes {wanted} is not for {option}: its rounds update every function in between, "
                         "one process sends them")
    if not 1 <= wanted <= min(MAX_PROCESSES, plan.total):
        raise UsageError(f"--processes must be 1–{min(MAX_PROCESSES, plan.total)} (at most one per request), "
                         f"got {wanted}")
    return wanted


def select_variants(deployed: Mapping[str, Variant], wanted: tuple[str, ...] | None) -> dict[str, Variant]:
    """The ``wanted`` ids of ``deployed`` (all of them for None), in matrix order; an unknown id is a
    ``UsageError`` that lists the deployed ones."""
    if wanted is None:
        return dict(deployed)
    unknown = [variant_id for variant_id in wanted if variant_id not in deployed]
    if unknown:
        raise UsageError(f"--variants: {', '.join(unknown)} {'is' if len(unknown) == 1 else 'are'} not deployed; "
                         f"the stack has {', '.join(deployed)}")
    if not wanted:
        raise UsageError(f"--variants names no variant; the stack has {', '.join(deployed)}")
    return {variant_id: variant for variant_id, variant in deployed.items() if variant_id in wanted}


def check_requests(request: LoadRequest, variants: Mapping[str, Variant], user_function: bool | None = None) -> None:
    """Refuse (``UsageError``) what the handler of every one of ``variants`` would: the run id, the seed, each
    workload's size and iterations, and whether its size fits the smallest variant's memory. ``user_function``:
    whether the stack runs ``archbench:function`` (its outputs say; None when no stack was found)."""
    from handlers.validation import RequestError, parse_work_request

    if not is_run_id(request.run_id):
        raise UsageError(f"--run-id {run_id_problem(request.run_id)}")
    check_seed(request.seed)
    smallest = min(variants, key=lambda variant_id: variants[variant_id].memory_mb)
    for share in request.mix:
        runs_user = share.name == USER_WORKLOAD if user_function is None else user_function
        _check_stack_kind(share.name, runs_user)
        sample = WorkRequest(run_id=request.run_id, seq=0, workload=share.name, size=int(share.size or 0),
                             iterations=request.iterations, seed=request.seed, event=share.event)
        try:
            parse_work_request(sample.to_json(), memory_mb=variants[smallest].memory_mb, user_function=runs_user)
        except RequestError as exc:
            where = f" ({smallest})" if len({v.memory_mb for v in variants.values()}) > 1 else ""
            raise UsageError(f"{exc.message}{where}") from None


def _check_stack_kind(workload: str, user_function: bool) -> None:
    """Sample events for a stack that runs the built-in workloads, or a workload for one that runs the user's
    function: every request would fail, so nothing is sent."""
    if workload == USER_WORKLOAD and not user_function:
        raise UsageError("--events is for a stack with archbench:function; this one runs the built-in workloads "
                         "(use --workload)")
    if workload != USER_WORKLOAD and user_function:
        raise UsageError(f"this stack runs your function (archbench:function): send its sample events with "
                         f"--events FILE, not --workload {workload}")


def check_seed(seed: int) -> None:
    """The seed range the handler accepts; also checked by the command before it looks for a stack."""
    from handlers.validation import MAX_SEED

    if isinstance(seed, bool) or not 0 <= seed <= MAX_SEED:
        raise UsageError(f"--seed {seed} is outside 0–{MAX_SEED}, which the functions accept")


def _default_sizes(plan: Plan) -> dict[str, int]:
    from handlers.workloads import WORKLOADS

    return {share.name: WORKLOADS[share.name].default_size for share in plan.mix if share.name in WORKLOADS}
