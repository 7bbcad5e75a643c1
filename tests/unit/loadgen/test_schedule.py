"""Rates, durations, mixes and the open-model schedule: exact counts and due times for every profile."""

from __future__ import annotations

import numpy as np
import pytest

from core import UsageError, parse_duration
from loadgen.parsing import WorkloadShare, parse_mix, parse_rate
from loadgen.plan import assign_workloads, build_plan
from loadgen.schedule import Profile, due_times


@pytest.mark.parametrize(("text", "per_s"), [("50/s", 50.0), ("3000/m", 50.0), ("0.5/s", 0.5), (" 2 / s ", 2.0)])
def test_rate(text: str, per_s: float) -> None:
    assert parse_rate(text) == pytest.approx(per_s)


@pytest.mark.parametrize("text", ["50", "50/h", "-1/s", "0/s", "fast", "5/ss"])
def test_bad_rate_is_one_clear_error(text: str) -> None:
    with pytest.raises(UsageError, match="rate"):
        parse_rate(text)


def test_zero_rate_allowed_only_when_asked() -> None:
    assert parse_rate("0/s", allow_zero=True) == 0.0


@pytest.mark.parametrize(("text", "seconds"), [("30s", 30.0), ("10m", 600.0), ("1h", 3600.0), ("250ms", 0.25)])
def test_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["30", "10 minutes", "0s", "1d", ""])
def test_bad_duration(text: str) -> None:
    with pytest.raises(UsageError, match="duration"):
        parse_duration(text)


def test_mix_forms() -> None:
    assert parse_mix("sort,numpy_matmul") == (WorkloadShare("sort"), WorkloadShare("numpy_matmul"))
    assert parse_mix("sort:3,noop:1") == (WorkloadShare("sort", 3.0), WorkloadShare("noop", 1.0))
    assert parse_mix("sort@20000:2.5") == (WorkloadShare("sort", 2.5, 20000),)


@pytest.mark.parametrize(("text", "match"), [("sort:0", "weight"), ("sort,sort", "twice"), ("so rt", "NAME"),
                                              ("sort:x", "NAME"), ("", "NAME")])
def test_bad_mix(text: str, match: str) -> None:
    with pytest.raises(UsageError, match=match):
        parse_mix(text)


def test_sustained_is_evenly_spaced_from_zero() -> None:
    due = due_times(Profile("sustained", rate_per_s=50.0, duration_s=10.0))
    assert len(due) == 500
    np.testing.assert_allclose(due, np.arange(500) / 50.0)
    assert due[-1] < 10.0


@pytest.mark.parametrize(("rate", "duration", "count"), [(0.1, 30.0, 3), (3.0, 1.0, 3), (1000 / 60, 60.0, 1000),
                                                          (7.0, 0.5, 3)])
def test_sustained_count_is_rate_times_duration(rate: float, duration: float, count: int) -> None:
    assert len(due_times(Profile("sustained", rate, duration))) == count


def test_burst_sends_rate_times_interval_at_each_instant() -> None:
    due = due_times(Profile("burst", rate_per_s=5.0, duration_s=60.0, burst_interval_s=10.0))
    assert len(due) == 300
    instants, sizes = np.unique(due, return_counts=True)
    np.testing.assert_array_equal(instants, [0, 10, 20, 30, 40, 50])
    assert set(sizes) == {50}


def test_burst_smaller_than_one_request_is_refused() -> None:
    with pytest.raises(UsageError, match="at least one"):
        Profile("burst", rate_per_s=0.01, duration_s=60.0, burst_interval_s=10.0)


def test_ramp_up_counts_and_grows_linearly() -> None:
    due = due_times(Profile("ramp", rate_per_s=100.0, duration_s=10.0, start_rate_per_s=0.0))
    assert len(due) == 500  # (0 + 100) / 2 × 10
    assert due[0] == 0.0 and due[-1] <= 10.0
    # cumulative arrivals at t are 5 t² here: request i is due at sqrt(i / 5)
    np.testing.assert_allclose(due, np.sqrt(np.arange(500) / 5.0))
    gaps = np.diff(due)
    assert gaps[10] > gaps[400]  # the rate rises


def test_ramp_down_and_flat_ramp() -> None:
    down = due_times(Profile("ramp", rate_per_s=10.0, duration_s=10.0, start_rate_per_s=30.0))
    assert len(down) == 200
    gaps = np.diff(down)
    assert gaps[0] == pytest.approx(1 / 30, rel=0.01) and gaps[-1] == pytest.approx(1 / 10, rel=0.05)
    flat = due_times(Profile("ramp", rate_per_s=20.0, duration_s=5.0, start_rate_per_s=20.0))
    np.testing.assert_allclose(flat, np.arange(100) / 20.0)


def test_poisson_is_exact_in_count_seeded_and_not_even() -> None:
    profile = Profile("poisson", rate_per_s=50.0, duration_s=20.0, seed=3)
    due = due_times(profile)
    assert len(due) == 1000
    assert np.all(np.diff(due) >= 0) and due[0] >= 0 and due[-1] < 20.0
    np.testing.assert_array_equal(due, due_times(profile))
    assert not np.array_equal(due, due_times(Profile("poisson", 50.0, 20.0, seed=4)))
    gaps = np.diff(due)
    assert gaps.std() / gaps.mean() == pytest.approx(1.0, abs=0.15)  # exponential gaps: coefficient of variation 1


def test_mix_assignment_is_exact_and_interleaved() -> None:
    index = assign_workloads(1000, [3.0, 1.0], seed=1)
    assert np.bincount(index).tolist() == [750, 250]
    assert 0 < index[:40].sum() < 40  # shuffled, not 750 of one then 250 of the other
    np.testing.assert_array_equal(index, assign_workloads(1000, [3.0, 1.0], seed=1))
    assert np.bincount(assign_workloads(10, [1.0, 1.0, 1.0], seed=2)).tolist() in ([4, 3, 3], [3, 4, 3], [3, 3, 4])


def test_plan_builds_identical_bodies_but_for_seq_and_time() -> None:
    mix = (WorkloadShare("noop", 1.0, 0),)
    plan = build_plan("20261125T080000Z-3fa2", Profile("sustained", 10.0, 1.0), mix, iterations=2, seed=9)
    assert plan.total == 10
    request = plan.request(4, sent_at=123.5)
    assert (request.run_id, request.seq, request.workload, request.size, request.iterations, request.seed,
            request.sent_at) == ("20261125T080000Z-3fa2", 4, "noop", 0, 2, 9, 123.5)


@pytest.mark.parametrize(("kind", "start"), [("sustained", 0.0), ("ramp", 0.0)])
def test_a_profile_with_no_request_is_refused_before_any_plan(kind: str, start: float) -> None:
    with pytest.raises(UsageError, match="no request at all"):
        Profile(kind, 0.01, 10.0, start_rate_per_s=start)


@pytest.mark.parametrize("profile", [Profile("sustained", 7.0, 0.5), Profile("burst", 5.0, 61.0, burst_interval_s=10.0),
                                     Profile("ramp", 10.0, 10.0, start_rate_per_s=30.0), Profile("poisson", 3.0, 2.0)])
def test_request_count_is_known_before_the_schedule_is_made(profile: Profile) -> None:
    assert profile.request_count == len(due_times(profile))


def test_a_run_too_large_to_plan_is_a_usage_error_not_a_memory_error() -> None:
    with pytest.raises(UsageError, match="plans 359,999,999,996,400 requests per architecture"):
        Profile("sustained", rate_per_s=99_999_999_999.0, duration_s=3600.0)
