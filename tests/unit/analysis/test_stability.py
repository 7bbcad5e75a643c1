"""analysis.stability on seeded synthetic runs whose truth is known: drift or none, leaks or a first-use rise,
latency that rises with the active environments or does not."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from analysis.stability import GROWTH_MB, latency_trend, memory_growth, scaling, stability

MARGIN = 0.02
RUN_MS = 600_000


def frame(timestamp_ms: np.ndarray, environment: np.ndarray, workload_ms: np.ndarray, *,
          workload: np.ndarray | None = None, peak_rss_mb: np.ndarray | None = None,
          cold: np.ndarray | None = None) -> pd.DataFrame:
    """Items with the columns of analysis.dataset's items frame, in time order."""
    size = len(timestamp_ms)
    items = pd.DataFrame({
        "timestamp_ms": np.asarray(timestamp_ms, dtype="int64"),
        "environment": np.asarray(environment, dtype=object),
        "workload": np.asarray(workload if workload is not None else ["noop"] * size, dtype=object),
        "workload_ms": np.asarray(workload_ms, dtype=float),
        "peak_rss_mb": np.asarray(peak_rss_mb if peak_rss_mb is not None else np.full(size, 60.0), dtype=float),
        "cold": np.asarray(cold if cold is not None else np.zeros(size, dtype=bool), dtype=bool),
        "error": np.zeros(size, dtype=bool),
        "seq": pd.array(np.arange(size), dtype="Int64"),
    })
    return items.sort_values("timestamp_ms", kind="stable", ignore_index=True)


def run(seed: int, *, environments: int = 12, items_each: int = 60, slowdown: float = 1.0,
        churn: bool = False) -> pd.DataFrame:
    """Log-normal items (sigma 0.25) around 10 ms, each environment 10 % off the others (log-normal).

    ``slowdown``: the last third is that much slower than the first (latency × slowdown^(1.5 · t / run), so the
    thirds' centres, 1/6 and 5/6 of the run, differ by exactly ``slowdown``). ``churn``: each environment lives
    in one third of the run only, so early and late environments are different processes.
    """
    rng = np.random.default_rng(seed)
    labels = np.repeat([f"env-{index}" for index in range(environments)], items_each)
    if churn:
        thirds = np.repeat(np.arange(environments) % 3, items_each)
        timestamps = (thirds + rng.uniform(0, 1, labels.size)) * RUN_MS / 3
    else:
        timestamps = rng.uniform(0, RUN_MS, labels.size)
    levels = np.repeat(rng.normal(0, 0.10, environments), items_each)
    drift = 1.5 * math.log(slowdown) * timestamps / RUN_MS
    return frame(timestamps, labels, 10.0 * np.exp(levels + drift + rng.normal(0, 0.25, labels.size)))


def binomial_band(replications: int, rate: float) -> tuple[float, float]:
    """The 99.9 % band of a binomial proportion: a calibrated rule lands outside it 1 time in 1000."""
    low, high = sps.binom.ppf([0.0005, 0.9995], replications, rate)
    return low / replications, high / replications


@pytest.mark.parametrize("churn", [False, True], ids=["paired environments", "welch across thirds"])
def test_flat_runs_interval_covers_one_at_the_nominal_rate(churn: bool) -> None:
    replications = 500
    trends = [latency_trend(run(seed, churn=churn), MARGIN) for seed in range(replications)]
    assert {trend["unit"] for trend in trends} == {"environments"}
    covered = [trend["ci95"] is not None and trend["ci95"][0] <= 1.0 <= trend["ci95"][1] for trend in trends]
    low, high = binomial_band(replications, 0.95)
    assert low <= float(np.mean(covered)) <= high
    assert not any(trend["warning"] for trend in trends[:50])


def test_paired_interval_used_when_environments_span_the_run() -> None:
    trend = latency_trend(run(1), MARGIN)
    assert trend["unit"] == "environments" and trend["n"] == 12


def test_churning_environments_are_compared_as_separate_samples() -> None:
    trend = latency_trend(run(1, churn=True), MARGIN)
    assert trend["unit"] == "environments" and trend["n"] == 4  # 12 environments: 4 per third


def test_a_run_that_slows_ten_percent_warns() -> None:
    trend = latency_trend(run(7, environments=30, items_each=90, slowdown=1.10), MARGIN)
    assert trend["warning"]
    assert trend["ci95"] is not None and trend["ci95"][0] <= 1.10 <= trend["ci95"][1]
    assert trend["ratio"] == pytest.approx(1.10, rel=0.04)


def test_one_process_without_environment_ids_falls_back_to_items() -> None:
    rng = np.random.default_rng(3)
    timestamps = np.sort(rng.uniform(0, RUN_MS, 3000))
    latency = 10.0 * np.exp(1.5 * math.log(1.10) * timestamps / RUN_MS + rng.normal(0, 0.25, timestamps.size))
    trend = latency_trend(frame(timestamps, np.full(timestamps.size, ""), latency), MARGIN)
    assert trend["unit"] == "items" and trend["n"] >= 900
    assert trend["warning"]


def test_a_mix_that_shifts_towards_heavy_items_is_not_a_drift() -> None:
    """Light 1 ms items early, heavy 50 ms items late, neither slowing: the raw late/early ratio would be ~10."""
    rng = np.random.default_rng(11)
    labels = np.repeat([f"env-{index}" for index in range(12)], 200)
    timestamps = rng.uniform(0, RUN_MS, labels.size)
    heavy = rng.uniform(0, 1, labels.size) < 0.1 + 0.8 * timestamps / RUN_MS
    latency = np.where(heavy, 50.0, 1.0) * np.exp(rng.normal(0, 0.25, labels.size))
    trend = latency_trend(frame(timestamps, labels, latency, workload=np.where(heavy, "heavy", "light")), MARGIN)
    assert not trend["warning"]
    assert trend["ratio"] == pytest.approx(1.0, abs=0.05)


def test_cold_and_failed_items_do_not_make_a_trend() -> None:
    items = run(5)
    late = items["timestamp_ms"] > RUN_MS * 0.7
    items.loc[late & (items.index % 4 == 0), "cold"] = True
    items.loc[late & (items.index % 4 == 1), ["error", "workload_ms"]] = [True, np.nan]
    items.loc[late & (items.index % 4 < 2), "workload_ms"] = items.loc[late & (items.index % 4 < 2),
                                                                       "workload_ms"] * 5
    assert not latency_trend(items, MARGIN)["warning"]


def memory_run(growth_per_item_mb: float, *, environments: int = 8, items_each: int = 100,
               first_use_mb: float = 25.0, seed: int = 0) -> pd.DataFrame:
    """Peak RSS as a high-water mark: 60 MB, a first-use rise over the first 3 items, then ``growth_per_item_mb``
    per item plus allocator jitter (the running maximum, so it never falls)."""
    rng = np.random.default_rng(seed)
    labels = np.repeat([f"env-{index}" for index in range(environments)], items_each)
    position = np.tile(np.arange(items_each), environments)
    raw = (60.0 + first_use_mb * np.minimum(position, 3) / 3 + growth_per_item_mb * position
           + rng.uniform(0, 1.5, labels.size))
    peaks = pd.Series(raw).groupby(labels).cummax().to_numpy()
    timestamps = position * 1000 + np.repeat(np.arange(environments), items_each)
    return frame(timestamps, labels, np.full(labels.size, 5.0), peak_rss_mb=peaks)


def test_environments_that_leak_warn() -> None:
    growth = memory_growth(memory_run(0.2))
    assert growth["environments"] == 8 and growth["growing"] == 8 and growth["warning"]
    assert growth["median_growth_mb"] == pytest.approx(0.2 * 94, abs=2.0)  # 95 settled items, 94 steps


def test_a_first_use_rise_is_not_a_leak() -> None:
    growth = memory_growth(memory_run(0.0, first_use_mb=40.0))
    assert growth["environments"] == 8 and growth["growing"] == 0 and not growth["warning"]
    assert growth["max_growth_mb"] is not None and growth["max_growth_mb"] < GROWTH_MB


def test_a_workloads_first_use_later_in_life_is_not_a_leak() -> None:
    """The heavy workload first runs at item 15 of each environment and raises the peak by 30 MB once."""
    items = memory_run(0.0)
    position = items.groupby("environment").cumcount().to_numpy()
    items["workload"] = np.where((position >= 15) & (position % 15 == 0), "heavy", "noop")
    items["peak_rss_mb"] = items["peak_rss_mb"] + np.where(position >= 15, 30.0, 0.0)
    assert memory_growth(items)["growing"] == 0


def test_one_leaking_environment_in_five_is_not_most() -> None:
    steady, leaking = memory_run(0.0, environments=4), memory_run(0.5, environments=1, seed=1)
    leaking["environment"] = "leaky"
    growth = memory_growth(pd.concat([steady, leaking], ignore_index=True))
    assert growth["environments"] == 5 and growth["growing"] == 1 and not growth["warning"]


def test_short_lived_environments_are_not_measured() -> None:
    growth = memory_growth(memory_run(0.5, items_each=20))
    assert growth == {"environments": 0, "growing": 0, "median_growth_mb": None, "max_growth_mb": None,
                      "warning": False}


def scaling_run(slope: float, seed: int = 0) -> pd.DataFrame:
    """A ramp: in second ``b`` of 60, ``1 + b // 3`` environments each run 4 items; latency 10 ms × (1 + slope ×
    active environments); every environment's first item is cold (and 5× slower)."""
    rng = np.random.default_rng(seed)
    timestamps, labels, latency, cold = [], [], [], []
    for second in range(60):
        active = 1 + second // 3
        for environment in range(active):
            for item in range(4):
                timestamps.append(second * 1000 + item * 200 + environment)
                labels.append(f"env-{environment}")
                is_cold = item == 0 and (second == 0 or (environment == active - 1 and second % 3 == 0))
                cold.append(is_cold)
                latency.append(10.0 * (1 + slope * active) * (5.0 if is_cold else 1.0) * math.exp(rng.normal(0, 0.2)))
    return frame(np.array(timestamps), np.array(labels), np.array(latency), cold=np.array(cold))


def test_scaling_recovers_latency_rising_with_active_environments() -> None:
    result = scaling(scaling_run(0.05))
    assert [point["active_environments"] for point in result["points"]] == list(range(1, 21))
    assert result["spearman"] is not None and result["spearman"] > 0.8
    assert result["p_value"] is not None and result["p_value"] < 0.001
    by_count = {point["active_environments"]: point["p50_ms"] for point in result["points"]}
    assert by_count[20] / by_count[1] == pytest.approx(2.0 / 1.05, rel=0.15)


def test_flat_scaling_shows_no_correlation() -> None:
    result = scaling(scaling_run(0.0))
    assert result["spearman"] is not None and abs(result["spearman"]) < 0.3
    assert result["p_value"] is not None and result["p_value"] > 0.01


def test_scaling_counts_warm_items_only() -> None:
    items = scaling_run(0.0)
    result = scaling(items)
    assert sum(point["n"] for point in result["points"]) == int((~items["cold"]).sum())


def test_stability_adds_scaling_only_for_burst_and_ramp() -> None:
    items = run(2)
    assert "scaling" in stability(items, MARGIN, "burst") and "scaling" in stability(items, MARGIN, "ramp")
    assert "scaling" not in stability(items, MARGIN, "sustained")
    assert "scaling" not in stability(items, MARGIN, None)


@pytest.mark.parametrize("size", [0, 1, 3])
def test_empty_and_tiny_runs_give_no_figures(size: int) -> None:
    items = run(0).head(size)
    result = stability(items, MARGIN, "burst")
    assert result["trend"]["ratio"] is None and result["trend"]["ci95"] is None and not result["trend"]["warning"]
    assert result["memory_growth"]["median_growth_mb"] is None and not result["memory_growth"]["warning"]
    assert result["scaling"]["spearman"] is None
