"""Planning a run: who gets it, how many senders, and a cost estimate only where AWS would charge for it."""

from __future__ import annotations

import pytest

from handlers.workloads import WORKLOADS
from loadgen import LoadRequest, Profile, TargetName, WorkloadShare, estimate_cost, plan_load, senders_per_arch
from stack import Settings, StackOutputs
from tests.unit.loadgen.fake_api import outputs_dict

RUN_ID = "20261125T080000Z-3fa2"
NOOP_SIZE = {"noop": WORKLOADS["noop"].default_size}


def request(target: TargetName = "sqs", senders: int | None = None, rate: float = 300.0) -> LoadRequest:
    return LoadRequest(rate_text=f"{rate:g}/s", profile=Profile("sustained", rate, 2.0),
                       mix=(WorkloadShare("noop", 1.0, 0),), iterations=1, seed=0, run_id=RUN_ID,
                       target=target, senders=senders)


def outputs(local: bool, archs: tuple[str, ...] = ("arm64", "x86_64")) -> StackOutputs:
    return StackOutputs.from_dict(outputs_dict("http://127.0.0.1:1", local, archs))


@pytest.mark.parametrize("target", ["sqs", "api"])
def test_a_local_stack_is_planned_for_its_own_functions_without_a_cost_estimate(target: TargetName) -> None:
    load = plan_load(request(target), outputs(local=True, archs=("x86_64",)))
    assert load.architectures == ("x86_64",) and load.estimate is None
    assert load.plan.total == 600 and load.plan.run_id == RUN_ID and load.target == target
    assert load.senders == senders_per_arch(load.plan, target)


def test_asked_for_senders_win_over_the_sizing() -> None:
    assert plan_load(request(senders=3), outputs(local=True)).senders == 3


def test_a_stack_on_aws_gets_the_estimate_for_its_functions() -> None:
    load = plan_load(request("api"), outputs(local=False))
    assert load.estimate == estimate_cost(load.plan, "api", {"arm64": 1024, "x86_64": 1024}, NOOP_SIZE)
    assert load.estimate.invocations == 1200


def test_without_a_stack_the_default_settings_are_planned_and_priced() -> None:
    settings = Settings()
    load = plan_load(request(), None)
    assert load.architectures == settings.architectures
    memory = dict.fromkeys(settings.architectures, settings.memory_mb)
    assert load.estimate == estimate_cost(load.plan, "sqs", memory, NOOP_SIZE)
