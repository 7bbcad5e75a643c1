"""The CDF plot's steps: exact for a small sample, a pixel-fine subset of the exact steps for a large one."""

from __future__ import annotations

import numpy as np

from analysis.plots import CDF_POINTS, _cdf_steps


def test_small_sample_keeps_every_step() -> None:
    values = np.array([3.0, 1.0, 2.0, 2.0])
    x, y = _cdf_steps(values)
    assert x.tolist() == [1.0, 2.0, 2.0, 3.0]
    assert y.tolist() == [0.25, 0.5, 0.75, 1.0]


def test_large_sample_steps_lie_on_the_exact_cdf() -> None:
    values = np.random.default_rng(3).lognormal(2.0, 0.5, 250_001)
    x, y = _cdf_steps(values)
    assert x.size <= CDF_POINTS
    assert x[0] == values.min() and x[-1] == values.max() and y[-1] == 1.0
    ordered = np.sort(values)
    exact = np.searchsorted(ordered, x, side="right") / values.size  # fraction ≤ x: the true CDF there
    assert np.allclose(exact, y)
    assert np.diff(y).max() <= 1.5 / CDF_POINTS  # no visible jump: every step under a pixel of a 528 px axis
