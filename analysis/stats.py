"""Exact sample statistics, and the item-level rule the verdict used before issue 14: a baseline/candidate median
ratio with a bootstrap 95 % CI and a Mann–Whitney U test over individual work items. That rule treats items of one
execution environment as independent and names a winner in up to 78 % of A/A runs; the comparisons now use
``analysis.clustered``. It stays here as the baseline that ``benchmarks/calibration.py`` and the calibration test
measure the new rule against.

Percentiles are exact sample percentiles with linear interpolation (numpy's default), computed from every
record. The bootstrap draws the median of each resample directly from its order-statistic distribution (see
``bootstrap_medians``): exactly the same distribution as resampling all n values, in O(draws) instead of
O(draws × n), so 100,000 records cost no more than 100.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats as sps

from core import Stats

PERCENTILES = {"p50": 50.0, "p90": 90.0, "p99": 99.0, "p99.9": 99.9}
BOOTSTRAP_DRAWS = 10_000
CONFIDENCE = 0.95
SEED = 20251125  # fixed: the same run always gives the same interval


def describe(values: Any) -> Stats:
    """n, p50/p90/p99/p99.9, mean, stdev (n − 1), min and max of the finite values; ``None`` where undefined."""
    data = _finite(values)
    if data.size == 0:
        return {"n": 0, "p50": None, "p90": None, "p99": None, "p99.9": None, "mean": None, "stdev": None,
                "min": None, "max": None}
    p50, p90, p99, p999 = (float(value) for value in np.percentile(data, list(PERCENTILES.values())))
    return {"n": int(data.size), "p50": p50, "p90": p90, "p99": p99, "p99.9": p999, "mean": float(data.mean()),
            "stdev": float(data.std(ddof=1)) if data.size > 1 else None, "min": float(data.min()),
            "max": float(data.max())}


def _finite(values: Any) -> np.ndarray:
    data: np.ndarray = np.asarray(values, dtype=float).ravel()
    finite: np.ndarray = data[np.isfinite(data)]
    return finite


def bootstrap_medians(values: Any, draws: int, rng: np.random.Generator) -> np.ndarray:
    """``draws`` medians of bootstrap resamples of ``values``, without materialising the resamples.

    A resample draws n indices uniformly; its k-th smallest value is ``sorted[floor(U_(k) · n)]`` where U_(k),
    the k-th order statistic of n uniforms, is Beta(k, n − k + 1). For even n the next order statistic, given
    U_(k) = u, is the minimum of n − k uniforms on (u, 1): u + (1 − u)·Beta(1, n − k). The median is the mean of
    the two middle order statistics for even n (numpy's definition), the middle one for odd n.
    """
    data = np.sort(_finite(values))
    n = data.size
    if n == 0:
        raise ValueError("no values to bootstrap")
    k = (n + 1) // 2
    lower = rng.beta(k, n - k + 1, size=draws)
    low_values = data[np.minimum((lower * n).astype(np.int64), n - 1)]
    if n % 2:
        return low_values
    upper = lower + (1.0 - lower) * rng.beta(1, n - k, size=draws)
    high_values = data[np.minimum((upper * n).astype(np.int64), n - 1)]
    medians: np.ndarray = (low_values + high_values) / 2.0
    return medians


@dataclass(frozen=True)
class Comparison:
    """A candidate against a baseline on one metric: ratio = baseline / candidate, so above 1 the candidate takes
    less (is faster, or cheaper)."""

    n_baseline: int
    n_candidate: int
    ratio: float | None
    ci95: tuple[float, float] | None
    p_value: float | None

    @property
    def significant(self) -> bool:
        """The 95 % interval excludes 1: only then is either side named the better."""
        return self.ci95 is not None and (self.ci95[0] > 1.0 or self.ci95[1] < 1.0)


def compare(baseline: Any, candidate: Any, draws: int = BOOTSTRAP_DRAWS, seed: int = SEED) -> Comparison:
    """Median ratio baseline/candidate with a percentile-bootstrap CI and a two-sided Mann–Whitney U p-value."""
    base, cand = _finite(baseline), _finite(candidate)
    if base.size < 2 or cand.size < 2:
        return Comparison(int(base.size), int(cand.size), None, None, None)
    base_median, cand_median = float(np.median(base)), float(np.median(cand))
    if cand_median <= 0:
        return Comparison(int(base.size), int(cand.size), None, None, None)
    rng = np.random.default_rng(seed)
    cand_draws = bootstrap_medians(cand, draws, rng)  # the candidate first: the draws of issue 7's x86/arm ratio
    base_draws = bootstrap_medians(base, draws, rng)
    ratios = base_draws / np.where(cand_draws > 0, cand_draws, np.nan)
    tail = (1.0 - CONFIDENCE) / 2.0 * 100.0
    low, high = np.nanpercentile(ratios, [tail, 100.0 - tail])
    p_value = float(sps.mannwhitneyu(base, cand, alternative="two-sided").pvalue)
    return Comparison(int(base.size), int(cand.size), base_median / cand_median, (float(low), float(high)), p_value)
