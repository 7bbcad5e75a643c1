"""Synthetic runs with execution environments: each one's identity, cold start and known effect come back out."""

import re

import numpy as np
import pytest

from analysis.dataset import build_run_data
from analysis.synthetic import ARM64, X86_64, SyntheticSpec, synthetic_run

RUN = "synthetic-env"
STREAM = re.compile(r"2025/11/25/\[\$LATEST\][0-9a-f]{32}")


def items_of(spec: SyntheticSpec):
    run = synthetic_run(spec)
    return run, build_run_data(run.events, RUN, log_groups={g: v for v, g in run.log_groups.items()}).items


def test_each_environment_has_an_id_a_stream_its_events_carry_and_one_cold_start_first() -> None:
    run, items = items_of(SyntheticSpec(RUN, 400, environments=6))
    assert {len(envs) for envs in run.environments.values()} == {6}
    for vid, envs in run.environments.items():
        mine = items[items["variant"] == vid]
        assert set(mine["environment"]) == {env.id for env in envs}
        assert all(STREAM.fullmatch(env.log_stream) for env in envs)
        for env in envs:
            rows = mine[mine["environment"] == env.id].sort_values("seq")
            assert set(rows["event_log_stream"]) == set(rows["log_stream"]) == {env.log_stream}
            assert rows["cold"].tolist() == [True] + [False] * (len(rows) - 1)
            assert env.invocations * 10 == len(rows)
    assert set(items["cpu_model"]) == {"0x41:0xd0c", "Intel(R) Xeon(R) Processor @ 2.50GHz"}
    assert items["round"].isna().all()


def test_the_default_spec_keeps_one_environment_per_cold_every_invocations() -> None:
    run, items = items_of(SyntheticSpec(RUN, 1200))  # 120 invocations, cold_every 50: three environments
    assert [env.invocations for env in run.environments[ARM64.id]] == [50, 50, 20]
    assert items.groupby("environment")["cold"].sum().tolist() == [1] * 6


def test_uneven_environments_each_run_at_least_once_and_differ_in_size() -> None:
    run = synthetic_run(SyntheticSpec(RUN, 2000, environments=8, uneven=True))
    sizes = [env.invocations for env in run.environments[X86_64.id]]
    assert len(sizes) == 8 and min(sizes) >= 1 and sum(sizes) == 200
    assert max(sizes) >= 3 * min(sizes)


def test_rounds_are_consecutive_blocks_each_with_fresh_environments() -> None:
    run, items = items_of(SyntheticSpec(RUN, 600, environments=4, rounds=3))
    arm = items[items["variant"] == ARM64.id].sort_values("seq")
    assert arm["round"].tolist() == [0] * 200 + [1] * 200 + [2] * 200
    per_round = arm.groupby("round")["environment"].agg(set)
    assert all(len(envs) == 4 for envs in per_round) and len(set.union(*per_round)) == 12
    assert [env.round for env in run.environments[ARM64.id]] == [0] * 4 + [1] * 4 + [2] * 4


@pytest.mark.parametrize("spread", [0.05, 0.2])
def test_the_environment_effect_is_the_drawn_truth_and_its_spread_is_calibrated(spread: float) -> None:
    """With sigma tiny, an environment's median ratio to the variant's median is its effect; over 400 environments
    the sd of the log effects is within 10 % of the spread asked for."""
    spec = SyntheticSpec(RUN, 8000, median_ms={ARM64: 10.0}, sigma=0.001, environments=400,
                         environment_spread=spread, seed=3)
    run, items = items_of(spec)
    warm = items[~items["cold"]]
    medians = warm.groupby("environment")["workload_ms"].median()
    effects = run.environment_effect[ARM64.id]
    assert np.allclose([medians[e] / 10.0 for e in effects], list(effects.values()), rtol=0.01)
    assert abs(np.std(np.log(list(effects.values())), ddof=1) / spread - 1) < 0.1


def test_rounds_without_environments_are_refused() -> None:
    with pytest.raises(ValueError, match="rounds need environments"):
        SyntheticSpec(RUN, 100, rounds=2)
