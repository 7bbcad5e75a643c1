"""Comparisons over units, not work items: one figure per execution environment (or per round), compared with a
t interval on the log scale.

Items that share an execution environment share its speed (its host, its neighbours, its CPU model), so they are
not independent: an item-level test counts one lucky environment as hundreds of lucky items and names winners in
A/A runs far more often than its 5 %. One figure per environment (the median of its items, or their p90, p99 or
mean) is one independent observation; the ratio of two variants is the ratio of the geometric means of those
figures, and its interval is Welch's t interval on their logs (Welch–Satterthwaite degrees of freedom), which stays
calibrated with 3–30 environments a side (``tests/unit/analysis/test_calibration.py``). A run with rounds pairs the
two variants round by round instead: a paired t interval of the per-round log differences, R − 1 degrees of freedom.

``mde`` is the relative difference a run like this one would detect with 80 % power in a 5 % two-sided test:
exp((t₀.₉₇₅ + t₀.₈₀) · se) − 1, with the interval's own standard error of the log ratio and degrees of freedom.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps

from core import Unit

MIN_ITEMS = 5  # an environment with fewer warm successful items is left out (and counted)
MIN_UNITS = 5  # per side, for a winner
DESCRIPTIVE_BELOW = 30  # units a side under which a tail-percentile or cost interval is "descriptive"
STATISTICS = ("median", "p90", "p99", "mean")
QUANTILES = {"median": 0.5, "p90": 0.9, "p99": 0.99}
CONFIDENCE = 0.95
POWER = 0.80
FINEST_QUANTUM_DECIMALS = 6  # below a microsecond (or a millionth of a dollar) no resolution is told


@dataclass(frozen=True)
class Units:
    """One variant's units: one positive figure per environment (or per cold start)."""

    values: np.ndarray
    excluded: int = 0  # environments left out: fewer than min_items items
    items: int = 0  # items in the kept environments


@dataclass(frozen=True)
class Estimate:
    """A candidate against a baseline over units; ``ratio`` = baseline / candidate, above 1 the candidate takes
    less."""

    unit: Unit
    ratio: float | None  # exp(mean log baseline − mean log candidate): the ratio of the geometric means
    ci95: tuple[float, float] | None  # the t interval on the log scale, exponentiated
    n_baseline: int  # units kept
    n_candidate: int
    baseline_value: float | None  # geometric mean of the units (ms, USD …)
    candidate_value: float | None
    spread_baseline: float | None  # sd (ddof=1) of the units' logs
    spread_candidate: float | None
    mde: float | None  # relative difference detectable at 80 % power, 5 % two-sided (module docstring)
    excluded_baseline: int = 0
    excluded_candidate: int = 0


def per_environment(values: Any, environments: Any, statistic: str = "median", min_items: int = MIN_ITEMS) -> Units:
    """One figure per environment, in the order of the sorted environment labels.

    Non-finite and non-positive values go first; items without an environment label ("" or None) are left out and
    are not an environment. An environment with fewer than ``min_items`` remaining items is left out and counted
    in ``excluded``: the median of two items says little about its environment.
    """
    data, labels = _valid_items(values, environments)
    codes = _sorted_codes(labels)
    figures, counts = _group_figures(data, codes, statistic)
    kept = counts >= min_items
    return Units(values=figures[kept], excluded=int((~kept).sum()), items=int(counts[kept].sum()))


def units(values: Any) -> Units:
    """Values that already are one per unit (init durations: one per environment); non-positive ones dropped."""
    data = _positive(np.asarray(values, dtype=float).ravel())
    return Units(values=data, items=int(data.size))


def per_round(values: Any, rounds: Any, environments: Any = None, statistic: str = "median") -> dict[int, float]:
    """One figure per round: the statistic over that round's items; items without a round are left out.

    With ``environments``, each environment of a round weighs the same instead of each item: the round's figure is
    the geometric mean of its environments' statistics (items without an environment label left out), so one busy
    environment does not stand for the whole round.
    """
    data = np.asarray(values, dtype=float).ravel()
    round_present, round_labels = _labels(rounds)
    keep = _positive_mask(data) & round_present
    if environments is not None:
        environment_present, environment_labels = _labels(environments)
        keep &= environment_present
    data = data[keep]
    round_numbers = np.asarray(round_labels[keep], dtype=float).astype(np.int64)
    round_ids, round_codes = np.unique(round_numbers, return_inverse=True)
    round_codes = round_codes.ravel()
    if environments is None:
        figures = _group_figures(data, round_codes, statistic)[0]
        return {int(r): float(f) for r, f in zip(round_ids, figures, strict=True)}
    environment_codes = _sorted_codes(environment_labels[keep])
    pair_codes = round_codes * (int(environment_codes.max(initial=0)) + 1) + environment_codes
    _, pair_first, pair_inverse = np.unique(pair_codes, return_index=True, return_inverse=True)
    pair_figures = _group_figures(data, pair_inverse.ravel(), statistic)[0]
    pair_rounds = round_codes[pair_first]
    log_means = np.bincount(pair_rounds, weights=np.log(pair_figures)) / np.bincount(pair_rounds)
    return {int(r): float(np.exp(m)) for r, m in zip(round_ids, log_means, strict=True)}


def quantum(values: Any) -> float | None:
    """The recorded resolution of the raw values: the coarsest step of 1, 0.1, … 10⁻⁶ they are all multiples of
    (0.001 ms for durations written with 3 decimals, 1.0 for MiniStack's whole-ms durations).

    Float noise of parsing and printing is tolerated (a relative 10⁻¹²). None for fewer than two values, or values
    finer than 10⁻⁶ (computed figures such as costs). Pass item values, not medians: the median of an even count
    is a half step.
    """
    data = np.abs(np.asarray(values, dtype=float).ravel())
    data = data[np.isfinite(data) & (data > 0)]
    if data.size < 2:
        return None
    for decimals in range(FINEST_QUANTUM_DECIMALS + 1):
        scaled = data * 10.0**decimals
        if np.all(np.abs(scaled - np.round(scaled)) <= np.maximum(1e-9, scaled * 1e-12)):
            return float(10.0**-decimals)
    return None


def welch_ratio(baseline: Units, candidate: Units, unit: Unit = "environments") -> Estimate:
    """The ratio of the units' geometric means with Welch's t interval on their logs; fewer than two units on a
    side leaves the ratio, interval and ``mde`` undefined."""
    base_logs, cand_logs = np.log(baseline.values), np.log(candidate.values)
    rows = _welch_rows(base_logs[np.newaxis, :], cand_logs[np.newaxis, :])
    return _estimate(unit, rows, base_logs, cand_logs, (baseline.excluded, candidate.excluded))


def paired_ratio(baseline: Mapping[int, float], candidate: Mapping[int, float]) -> Estimate:
    """Round by round: the rounds with a positive figure on both sides, the mean of their log differences with a
    t interval on R − 1 degrees of freedom. A round on one side only is counted in that side's ``excluded``."""
    base_rounds = {r for r, value in baseline.items() if _is_positive(value)}
    cand_rounds = {r for r, value in candidate.items() if _is_positive(value)}
    common = sorted(base_rounds & cand_rounds)
    base_logs = np.log(np.array([baseline[r] for r in common], dtype=float))
    cand_logs = np.log(np.array([candidate[r] for r in common], dtype=float))
    rows = _paired_rows((base_logs - cand_logs)[np.newaxis, :])
    excluded = (len(base_rounds) - len(common), len(cand_rounds) - len(common))
    return _estimate("rounds", rows, base_logs, cand_logs, excluded)


def geometric_interval(units: Units) -> tuple[float | None, tuple[float, float] | None]:
    """One variant's units on their own: the geometric mean and its one-sample t interval on the logs (what the
    memory curve and the recommendation rank). No interval below two units."""
    logs = np.log(units.values)
    rows = _paired_rows(logs[np.newaxis, :])  # the one-sample t interval of the mean log
    mean, half_width = float(rows.log_ratio[0]), float(rows.half_width[0])
    if not np.isfinite(half_width):
        return _geometric_mean(logs), None
    return float(np.exp(mean)), (float(np.exp(mean - half_width)), float(np.exp(mean + half_width)))


@dataclass(frozen=True)
class _Rows:
    """Log-scale t intervals, one per row (one comparison each): NaN where a row has fewer than two units."""

    log_ratio: np.ndarray
    half_width: np.ndarray
    mde: np.ndarray

    def covers(self, log_value: float) -> np.ndarray:
        """Per row: does the interval hold ``log_value`` (0 for a ratio of 1)?"""
        held: np.ndarray = np.abs(self.log_ratio - log_value) <= self.half_width
        return held


def _welch_rows(base_logs: np.ndarray, cand_logs: np.ndarray) -> _Rows:
    """Welch's interval of mean(base) − mean(cand) for every row of two NaN-padded (rows × units) arrays:
    ``welch_ratio`` is one row of it, the calibration thousands at once."""
    n_base, mean_base, var_base = _moments(base_logs)
    n_cand, mean_cand, var_cand = _moments(cand_logs)
    with np.errstate(divide="ignore", invalid="ignore"):
        se2_base, se2_cand = var_base / n_base, var_cand / n_cand
        df = (se2_base + se2_cand) ** 2 / (se2_base**2 / (n_base - 1) + se2_cand**2 / (n_cand - 1))
    return _t_rows(mean_base - mean_cand, np.sqrt(se2_base + se2_cand), df)


def _paired_rows(log_differences: np.ndarray) -> _Rows:
    """The paired t interval of the mean log difference for every row of a NaN-padded (rows × rounds) array."""
    n, mean, var = _moments(log_differences)
    with np.errstate(divide="ignore", invalid="ignore"):
        return _t_rows(mean, np.sqrt(var / n), n - 1)


def _t_rows(log_ratio: np.ndarray, se: np.ndarray, df: np.ndarray) -> _Rows:
    """Half-width and ``mde`` from the standard error and degrees of freedom. A zero standard error (every unit
    the same figure, as whole-ms values can be) gives a zero-width interval, where the degrees of freedom are 0/0."""
    t_interval = sps.t.ppf(0.5 + CONFIDENCE / 2.0, df)
    t_power = sps.t.ppf(POWER, df)
    exact = se == 0
    half_width = np.where(exact, 0.0, t_interval * se)
    mde = np.where(exact, 0.0, np.expm1((t_interval + t_power) * se))
    return _Rows(log_ratio=log_ratio, half_width=half_width, mde=mde)


def _moments(logs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row: the count of non-NaN values, their mean and their variance (ddof=1); NaN below two values."""
    present = ~np.isnan(logs)
    n = present.sum(axis=-1).astype(float)
    filled = np.where(present, logs, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = filled.sum(axis=-1) / n
        squares = np.where(present, (logs - mean[..., np.newaxis]) ** 2, 0.0).sum(axis=-1)
        var = np.where(n >= 2, squares / (n - 1), np.nan)
    return n, mean, var


def _estimate(unit: Unit, rows: _Rows, base_logs: np.ndarray, cand_logs: np.ndarray,
              excluded: tuple[int, int]) -> Estimate:
    """Row 0 of ``rows`` with each side's geometric mean (one unit is enough) and log spread (two are needed);
    None wherever undefined."""
    log_ratio, half_width = float(rows.log_ratio[0]), float(rows.half_width[0])
    defined = bool(np.isfinite(half_width))
    return Estimate(
        unit=unit,
        ratio=float(np.exp(log_ratio)) if defined else None,
        ci95=(float(np.exp(log_ratio - half_width)), float(np.exp(log_ratio + half_width))) if defined else None,
        n_baseline=int(base_logs.size), n_candidate=int(cand_logs.size),
        baseline_value=_geometric_mean(base_logs), candidate_value=_geometric_mean(cand_logs),
        spread_baseline=_log_spread(base_logs), spread_candidate=_log_spread(cand_logs),
        mde=float(rows.mde[0]) if defined else None,
        excluded_baseline=excluded[0], excluded_candidate=excluded[1])


def _geometric_mean(logs: np.ndarray) -> float | None:
    return float(np.exp(logs.mean())) if logs.size else None


def _log_spread(logs: np.ndarray) -> float | None:
    return float(logs.std(ddof=1)) if logs.size > 1 else None


def _group_figures(values: np.ndarray, codes: np.ndarray, statistic: str) -> tuple[np.ndarray, np.ndarray]:
    """Per group 0 … G−1 (every code present): its statistic and its item count. Percentiles are numpy's linear
    interpolation, computed for every group at once from one sort."""
    if statistic not in STATISTICS:
        raise ValueError(f"unknown statistic {statistic!r}: one of {', '.join(STATISTICS)}")
    counts = np.bincount(codes)
    if statistic == "mean":
        return np.bincount(codes, weights=values) / np.maximum(counts, 1), counts
    ordered = values[np.lexsort((values, codes))]
    starts = np.cumsum(counts) - counts
    position = (counts - 1) * QUANTILES[statistic]
    low = np.floor(position).astype(np.int64)
    high = np.minimum(low + 1, counts - 1)
    low_values, high_values = ordered[starts + low], ordered[starts + high]
    return low_values + (high_values - low_values) * (position - low), counts


def _valid_items(values: Any, environments: Any) -> tuple[np.ndarray, np.ndarray]:
    """The positive finite values that have an environment label, and those labels."""
    data = np.asarray(values, dtype=float).ravel()
    present, labels = _labels(environments)
    if data.shape != labels.shape:
        raise ValueError(f"{data.size} values but {labels.size} environment labels")
    keep = _positive_mask(data) & present
    return data[keep], labels[keep]


def _labels(raw: Any) -> tuple[np.ndarray, np.ndarray]:
    """Which labels are present, and the labels in a sortable array (strings, when they came as Python objects).

    A label is a non-empty string, a finite float or a non-negative integer (integers are codes, pandas' factorize
    gives −1 for a missing label); None, "", NaN and pandas' NA are none."""
    labels = np.asarray(raw).ravel()
    if labels.dtype.kind in "iu":
        return labels >= 0, labels
    if labels.dtype.kind == "f":
        return np.isfinite(labels), labels
    if labels.dtype.kind in "US":
        return labels != labels.dtype.type(), labels
    if pd.api.types.infer_dtype(labels, skipna=True) == "string":  # text and missing ones: no loop in Python
        present = ~pd.isna(labels)
        present[present] = labels[present] != ""
        return present, np.where(present, labels, "")  # Python strings: hashed by _sorted_codes, not copied
    present = np.fromiter((_is_label(label) for label in labels), dtype=bool, count=labels.size)
    return present, np.where(present, labels, "").astype(str)


def _sorted_codes(labels: np.ndarray) -> np.ndarray:
    """Each label's index among the sorted distinct labels (what ``np.unique(return_inverse=True)`` gives), by
    hashing: sorting a million strings costs seconds, hashing them a fraction of one."""
    codes: np.ndarray = pd.factorize(labels, sort=True)[0]
    return codes


def _is_label(label: object) -> bool:
    if isinstance(label, str):
        return label != ""
    if isinstance(label, bool):
        return False
    return isinstance(label, int | np.integer) or (isinstance(label, float | np.floating) and bool(np.isfinite(label)))


def _positive_mask(data: np.ndarray) -> np.ndarray:
    mask: np.ndarray = np.isfinite(data) & (data > 0)
    return mask


def _positive(data: np.ndarray) -> np.ndarray:
    kept: np.ndarray = data[_positive_mask(data)]
    return kept


def _is_positive(value: float) -> bool:
    return bool(np.isfinite(value) and value > 0)
