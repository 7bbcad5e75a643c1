"""Slices of the schedule (seq modulo N) and the send-lag sketch they merge into."""

from __future__ import annotations

import numpy as np
import pytest

from loadgen.parsing import WorkloadShare
from loadgen.plan import build_plan
from loadgen.runner import default_processes
from loadgen.schedule import Profile
from loadgen.slicing import slice_window
from loadgen.stats import LAG_RELATIVE_ACCURACY, new_sketch, summarise_sketch


def plan_of(profile: Profile):
    return build_plan("20261125T080000Z-3fa2", profile, (WorkloadShare("noop", 3.0, 0), WorkloadShare("sort", 1.0, 10)),
                      1, 7)


@pytest.mark.parametrize("count", [1, 2, 3, 7])
@pytest.mark.parametrize("profile", [Profile("sustained", 50.0, 2.0), Profile("poisson", 33.0, 3.0, seed=5),
                                     Profile("ramp", 40.0, 2.0, start_rate_per_s=5.0),
                                     Profile("burst", 10.0, 2.0, burst_interval_s=1.0)])
def test_every_seq_is_in_exactly_one_slice_at_its_own_due_time(profile: Profile, count: int) -> None:
    plan = plan_of(profile)
    slices = [slice_window(plan.whole_window, index, count) for index in range(count)]
    every = sorted(seq for window in slices for seq in window.seqs)
    assert every == list(range(plan.total))
    for index, window in enumerate(slices):
        assert all(seq % count == index for seq in window.seqs)
        assert window.offset_s == 0.0
    # Each slice's requests keep their due times and bodies: what the schedule says, whoever sends it.
    again = plan_of(profile)
    assert [plan.request(seq, 0.0) for seq in slices[-1].seqs] == [again.request(seq, 0.0) for seq in
                                                                   slice_window(again.whole_window, count - 1,
                                                                                count).seqs]


def test_a_round_window_slices_by_seq_not_by_position() -> None:
    plan = plan_of(Profile("sustained", 10.0, 3.0, rounds=3))
    window = plan.round_window(1)  # seqs 10..19
    assert list(slice_window(window, 0, 3).seqs) == [12, 15, 18]
    assert list(slice_window(window, 1, 3).seqs) == [10, 13, 16, 19]
    with pytest.raises(ValueError, match="slice 3 of 3"):
        slice_window(window, 3, 3)


def test_merged_slice_sketches_are_within_the_documented_error_of_the_exact_percentiles() -> None:
    """A known heavy-tailed sample split three ways (as three senders would see it): the merged sketch's
    quantiles are within the relative accuracy of the sample's own (the element at rank q·(n−1))."""
    sample = np.random.default_rng(19).lognormal(mean=1.0, sigma=1.2, size=30_000)
    parts = [new_sketch() for _ in range(3)]
    for i, value in enumerate(sample):
        parts[i % 3].add(float(value))
    merged = parts[0]
    merged.merge(parts[1])
    merged.merge(parts[2])
    assert merged.count == len(sample)
    for q in (0.5, 0.9, 0.99, 0.999, 1.0):
        exact = float(np.quantile(sample, q, method="lower"))
        assert merged.get_quantile_value(q) == pytest.approx(exact, rel=LAG_RELATIVE_ACCURACY)
    # Averaging the parts' p99s is what a merge must not do; the sketch's own summary is the merged one.
    assert summarise_sketch(merged)["p99"] == pytest.approx(float(np.quantile(sample, 0.99, method="lower")),
                                                            rel=LAG_RELATIVE_ACCURACY)
    assert summarise_sketch(new_sketch()) == {"p50": 0.0, "p99": 0.0, "max": 0.0}


def test_default_processes_cover_the_rate_up_to_the_cores() -> None:
    def processes(rate: float, variants: int, cores: int, target: str = "sqs", **kw) -> int:
        return default_processes(plan_of(Profile("sustained", rate, 10.0, **kw)), target, variants, cores=cores)

    assert processes(20, 3, cores=2) == 1
    assert processes(1000, 3, cores=2) == 2  # 3,000 msg/s: two processes' worth
    assert processes(1000, 3, cores=8) == 2
    assert processes(2000, 12, cores=8) == 8  # 24,000 msg/s wants 16, the machine has 8
    assert processes(200, 3, cores=8, target="api") == 2
    assert processes(1000, 3, cores=2, rounds=2) == 1  # rounds update every function in between
