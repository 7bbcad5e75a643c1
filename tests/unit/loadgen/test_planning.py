"""Planning a run: who gets it, how many senders, and a cost estimate only where AWS would charge for it."""

from __future__ import annotations

import pytest

from core import UsageError
from handlers.workloads import WORKLOADS
from loadgen import LoadRequest, Profile, TargetName, WorkloadShare, estimate_cost, plan_load, senders_per_variant
from stack import Settings, StackOutputs, Variant
from tests.unit.loadgen.fake_api import DEFAULT_VARIANTS, VARIANTS, outputs_dict, variant

RUN_ID = "20261125T080000Z-3fa2"
NOOP_SIZE = {"noop": WORKLOADS["noop"].default_size}


def request(target: TargetName = "sqs", senders: int | None = None, rate: float = 300.0,
            variants: tuple[str, ...] | None = None) -> LoadRequest:
    return LoadRequest(rate_text=f"{rate:g}/s", profile=Profile("sustained", rate, 2.0),
                       mix=(WorkloadShare("noop", 1.0, 0),), iterations=1, seed=0, run_id=RUN_ID,
                       target=target, senders=senders, variants=variants)


def outputs(local: bool, variants: tuple[Variant, ...] = DEFAULT_VARIANTS) -> StackOutputs:
    return StackOutputs.from_dict(outputs_dict("http://127.0.0.1:1", local, variants))


@pytest.mark.parametrize("target", ["sqs", "api"])
def test_a_local_stack_is_planned_for_its_own_functions_without_a_cost_estimate(target: TargetName) -> None:
    load = plan_load(request(target), outputs(local=True, variants=(variant("x86_64"),)))
    assert load.variants == ("py313-1024-x86_64",) and load.estimate is None
    assert load.plan.total == 600 and load.plan.run_id == RUN_ID and load.target == target
    assert load.senders == senders_per_variant(load.plan, target)


def test_every_deployed_variant_is_planned_in_matrix_order() -> None:
    shuffled = (variant("x86_64", 2048), variant("arm64", 2048), variant("x86_64", 512, "control"),
                variant("x86_64", 512))
    load = plan_load(request(), outputs(local=True, variants=shuffled))
    assert load.variants == ("py313-512-x86_64", "py313-512-x86_64-twin", "py313-2048-arm64", "py313-2048-x86_64")


def test_variants_drives_a_subset_and_an_unknown_id_lists_the_deployed_ones() -> None:
    load = plan_load(request(variants=("py313-1024-x86_64-twin", "py313-1024-arm64")), outputs(local=True))
    assert load.variants == ("py313-1024-arm64", "py313-1024-x86_64-twin")  # matrix order, not the given one
    with pytest.raises(UsageError) as caught:
        plan_load(request(variants=("py313-1024-arm64", "py312-1024-arm64")), outputs(local=True))
    assert str(caught.value) == ("--variants: py312-1024-arm64 is not deployed; the stack has "
                                 "py313-1024-arm64, py313-1024-x86_64, py313-1024-x86_64-twin")
    with pytest.raises(UsageError, match="--variants names no variant"):
        plan_load(request(variants=()), outputs(local=True))


def test_asked_for_senders_win_over_the_sizing() -> None:
    assert plan_load(request(senders=3), outputs(local=True)).senders == 3


def test_a_stack_on_aws_gets_the_estimate_for_its_functions() -> None:
    load = plan_load(request("api"), outputs(local=False))
    assert load.estimate == estimate_cost(load.plan, "api", DEFAULT_VARIANTS, NOOP_SIZE)
    assert load.estimate.invocations == 1800  # 600 to each of the 3 variants


def test_without_a_stack_the_default_settings_are_planned_and_priced() -> None:
    load = plan_load(request(), None)
    assert load.variants == VARIANTS == tuple(v.id for v in Settings().variants)
    assert load.estimate == estimate_cost(load.plan, "sqs", Settings().variants, NOOP_SIZE)
