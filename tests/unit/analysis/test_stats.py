"""Statistics on synthetic samples of known distributions: percentiles, the bootstrap CI, Mann–Whitney, the
cost ratio's CI and the intervals of one quantile and one mean."""

import numpy as np
import pytest
from scipy import stats as sps

from analysis.stats import (
    Comparison,
    bootstrap_medians,
    compare,
    describe,
)


def interval(result: Comparison) -> tuple[float, float]:
    assert result.ci95 is not None, "no confidence interval"
    return result.ci95


def test_describe_matches_numpy_exactly():
    values = np.random.default_rng(1).lognormal(2.0, 0.5, 10_001)
    result = describe(np.append(values, [np.nan, np.inf]))  # non-finite values are dropped
    expected = np.percentile(values, [50, 90, 99, 99.9])
    assert result["n"] == values.size
    assert [result["p50"], result["p90"], result["p99"], result["p99.9"]] == list(expected)
    assert result["mean"] == pytest.approx(values.mean()) and result["stdev"] == pytest.approx(values.std(ddof=1))
    assert (result["min"], result["max"]) == (values.min(), values.max())


def test_describe_uses_linear_interpolation():
    result = describe([1.0, 2.0, 3.0, 4.0])
    assert result["p50"] == 2.5 and result["p90"] == pytest.approx(3.7)


def test_describe_empty_and_single():
    assert describe([])["p50"] is None and describe([])["n"] == 0
    single = describe([5.0])
    assert single["p99.9"] == 5.0 and single["stdev"] is None


@pytest.mark.parametrize("n", [1, 7, 51])
def test_bootstrap_median_distribution_is_exact_for_odd_n(n):
    """For odd n, P(bootstrap median ≤ x_(j)) = P(Binomial(n, (j+1)/n) ≥ (n+1)/2): compare with 200,000 draws."""
    data = np.sort(np.random.default_rng(n).normal(size=n))
    draws = bootstrap_medians(data, 200_000, np.random.default_rng(2))
    k = (n + 1) // 2
    for j in range(n):
        exact = sps.binom.sf(k - 1, n, (j + 1) / n)
        assert np.mean(draws <= data[j]) == pytest.approx(exact, abs=0.005)


def test_bootstrap_median_matches_naive_resampling_for_even_n():
    data = np.random.default_rng(3).exponential(size=40)
    fast = bootstrap_medians(data, 100_000, np.random.default_rng(4))
    rng = np.random.default_rng(5)
    naive = np.median(data[rng.integers(0, data.size, size=(100_000, data.size))], axis=1)
    for q in (2.5, 25, 50, 75, 97.5):
        assert np.percentile(fast, q) == pytest.approx(np.percentile(naive, q), rel=0.03)
    assert fast.mean() == pytest.approx(naive.mean(), rel=0.01)


def test_ratio_ci_covers_the_true_ratio_about_95_percent_of_the_time():
    """Log-normal samples with medians 10 (candidate) and 12 (baseline): the true baseline/candidate ratio is 1.2."""
    rng = np.random.default_rng(6)
    covered = 0
    trials = 300
    for trial in range(trials):
        arm = rng.lognormal(np.log(10.0), 0.3, 200)
        x86 = rng.lognormal(np.log(12.0), 0.3, 200)
        low, high = interval(compare(x86, arm, draws=2000, seed=trial))
        covered += low <= 1.2 <= high
    assert 0.90 <= covered / trials <= 0.985


def test_mann_whitney_p_values_are_calibrated_under_the_null():
    rng = np.random.default_rng(7)
    p_values = [compare(rng.normal(10, 1, 100), rng.normal(10, 1, 100), draws=200).p_value for _ in range(400)]
    rejected = np.mean(np.asarray(p_values) < 0.05)
    assert 0.02 <= rejected <= 0.09


def test_a_real_difference_is_significant_and_a_null_one_is_not():
    rng = np.random.default_rng(8)
    faster_arm = compare(candidate=rng.lognormal(np.log(10), 0.2, 500), baseline=rng.lognormal(np.log(12), 0.2, 500))
    assert faster_arm.significant and faster_arm.p_value is not None and faster_arm.p_value < 1e-10
    assert faster_arm.ratio == pytest.approx(1.2, rel=0.05) and interval(faster_arm)[0] > 1.0
    same = compare(rng.lognormal(np.log(10), 0.2, 500), rng.lognormal(np.log(10), 0.2, 500))
    assert interval(same)[0] < 1.0 < interval(same)[1] and not same.significant
    faster_x86 = compare(candidate=rng.lognormal(np.log(12), 0.2, 500), baseline=rng.lognormal(np.log(10), 0.2, 500))
    assert faster_x86.significant and interval(faster_x86)[1] < 1.0


def test_compare_is_seeded_and_needs_two_values_per_side():
    data = np.random.default_rng(9).normal(10, 1, 50)
    assert compare(data, data + 1) == compare(data, data + 1)
    too_few = compare([1.0, 2.0], [1.0])
    assert too_few.ratio is None and too_few.ci95 is None and not too_few.significant
