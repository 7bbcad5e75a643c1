"""Per-environment figures, the Welch and paired intervals on the log scale, the recorded resolution, and every
path of the decision rule with its reason."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from analysis.clustered import (
    Estimate,
    Units,
    _welch_rows,
    paired_ratio,
    per_environment,
    per_round,
    quantum,
    units,
    welch_ratio,
)
from analysis.decision import DEFAULT_MARGIN, check_margin, decide

RNG_SEED = 14


def environments_of(sizes: list[int], seed: int = RNG_SEED) -> tuple[np.ndarray, np.ndarray]:
    """Log-normal item values, ``sizes[i]`` of them in environment ``env-i``."""
    labels = np.repeat([f"env-{i}" for i in range(len(sizes))], sizes)
    return np.random.default_rng(seed).lognormal(2.0, 0.3, labels.size), labels


# --- per_environment, units, per_round ----------------------------------------------------------------------------

@pytest.mark.parametrize(("statistic", "numpy_figure"), [
    ("median", np.median), ("p90", lambda v: np.percentile(v, 90)), ("p99", lambda v: np.percentile(v, 99)),
    ("mean", np.mean)])
def test_per_environment_figures_match_numpy_per_group(statistic, numpy_figure):
    values, labels = environments_of([7, 30, 12, 5])
    result = per_environment(values, labels, statistic)
    expected = [numpy_figure(values[labels == name]) for name in sorted(set(labels))]
    assert result.values == pytest.approx(expected, rel=1e-12)
    assert (result.excluded, result.items) == (0, 54)


def test_small_environments_are_left_out_and_counted():
    values, labels = environments_of([4, 5, 1, 9])
    result = per_environment(values, labels)
    assert result.values.size == 2 and result.excluded == 2 and result.items == 14
    assert per_environment(values, labels, min_items=1).values.size == 4


def test_bad_values_go_before_an_environment_is_counted():
    values, labels = environments_of([5, 6])
    values[[0, 1, 5]] = [np.nan, -1.0, np.inf]  # env-0 keeps 3 items, env-1 keeps 5
    result = per_environment(values, labels)
    assert result.excluded == 1 and result.items == 5
    assert result.values == pytest.approx([np.median(values[6:])])


def test_items_without_an_environment_are_not_an_environment():
    values, labels = environments_of([6, 6, 6, 6])
    labels = labels.astype(object)
    labels[6:12], labels[12:18] = "", None
    labels[18:24] = [np.nan, pd.NA, None, "", np.nan, None]
    result = per_environment(pd.Series(values), pd.Series(labels))
    assert result.values == pytest.approx([np.median(values[:6])]) and result.excluded == 0 and result.items == 6


def test_per_environment_rejects_what_it_cannot_compute():
    values, labels = environments_of([5])
    with pytest.raises(ValueError, match="unknown statistic 'p50'"):
        per_environment(values, labels, "p50")
    with pytest.raises(ValueError, match="5 values but 4 environment labels"):
        per_environment(values, labels[:4])


def test_units_keeps_positive_finite_values_one_unit_each():
    result = units(pd.Series([120.5, None, 0.0, -3.0, 98.25, np.inf]))
    assert list(result.values) == [120.5, 98.25] and result.items == 2 and result.excluded == 0


def test_per_round_is_the_statistic_over_the_round_and_drops_items_without_one():
    values = np.array([1.0, 2.0, 3.0, 10.0, 20.0, 40.0, 99.0])
    rounds = pd.Series([0, 0, 0, 1, 1, 1, None], dtype="Int64")
    assert per_round(values, rounds) == {0: 2.0, 1: 20.0}
    assert per_round(values, rounds, statistic="mean") == pytest.approx({0: 2.0, 1: 70.0 / 3.0})


def test_per_round_with_environments_weighs_each_environment_alike():
    """Round 0: env a's median 2 (three items), env b's 8 (one item) → geometric mean 4, not the item median 2.5."""
    values = [1.0, 2.0, 3.0, 8.0, 5.0, 5.0]
    rounds = [0, 0, 0, 0, 1, 1]
    environments = ["a", "a", "a", "b", "a", ""]
    assert per_round(values, rounds, environments) == pytest.approx({0: 4.0, 1: 5.0})
    assert per_round(values, rounds)[0] == 2.5


# --- quantum ------------------------------------------------------------------------------------------------------

def test_quantum_of_three_decimal_values_despite_float_noise():
    written = ["12.345", "0.003", "1500.120", "7.1", "0.30000000000000004"]
    assert quantum([float(text) for text in written]) == 0.001
    assert quantum(np.round(np.random.default_rng(RNG_SEED).lognormal(3.0, 1.0, 10_000), 3)) == 0.001


def test_quantum_of_whole_millisecond_values():
    assert quantum(pd.Series([3.0, 12.0, 250.0, 3.0, None])) == 1.0
    assert quantum([0.5, 1.5, 2.0]) == 0.1


def test_quantum_cannot_be_told():
    assert quantum([12.0]) is None  # one value: any step fits
    assert quantum([]) is None
    assert quantum(np.random.default_rng(RNG_SEED).lognormal(0.0, 1.0, 100)) is None  # computed, not recorded


# --- welch_ratio, paired_ratio ------------------------------------------------------------------------------------

def test_welch_ratio_is_the_geometric_mean_ratio_with_scipys_welch_interval_on_the_logs():
    rng = np.random.default_rng(RNG_SEED)
    base, cand = rng.lognormal(2.3, 0.05, 8), rng.lognormal(2.2, 0.12, 13)
    estimate = welch_ratio(Units(base, excluded=2), Units(cand, excluded=1))
    reference = sps.ttest_ind(np.log(base), np.log(cand), equal_var=False).confidence_interval(0.95)
    assert estimate.ratio == pytest.approx(sps.gmean(base) / sps.gmean(cand), rel=1e-12)
    assert estimate.ci95 == pytest.approx((np.exp(reference.low), np.exp(reference.high)), rel=1e-12)
    assert (estimate.n_baseline, estimate.n_candidate, estimate.excluded_baseline, estimate.excluded_candidate) \
        == (8, 13, 2, 1)
    assert estimate.baseline_value == pytest.approx(sps.gmean(base))
    assert estimate.spread_candidate == pytest.approx(np.log(cand).std(ddof=1))
    assert estimate.unit == "environments"


def test_welch_ratio_with_one_unit_on_a_side_has_no_interval():
    estimate = welch_ratio(Units(np.array([10.0])), Units(np.array([9.0, 11.0, 10.0])), unit="cold starts")
    assert estimate.ratio is None and estimate.ci95 is None and estimate.mde is None
    assert (estimate.n_baseline, estimate.n_candidate, estimate.unit) == (1, 3, "cold starts")
    assert estimate.baseline_value == pytest.approx(10.0) and estimate.spread_baseline is None
    assert estimate.spread_candidate is not None


def test_identical_units_give_a_zero_width_interval():
    estimate = welch_ratio(Units(np.full(6, 4.0)), Units(np.full(6, 5.0)))
    assert estimate.ratio == pytest.approx(0.8) and estimate.ci95 == pytest.approx((0.8, 0.8))
    assert estimate.mde == 0.0


def units_with_spread(n: int, spread: float) -> Units:
    """``n`` units around 1 whose logs have a sample sd of exactly ``spread``."""
    logs = np.linspace(-1.0, 1.0, n)
    return Units(np.exp(logs / logs.std(ddof=1) * spread))


def test_mde_is_the_80_percent_power_difference_and_falls_with_more_units():
    mdes = [welch_ratio(units_with_spread(n, 0.05), units_with_spread(n, 0.05)).mde or np.nan for n in (5, 10, 30, 100)]
    se, df = 0.05 * np.sqrt(2 / 10), 18  # 10 a side, equal spreads: Welch's df is the pooled 2n − 2
    assert mdes[1] == pytest.approx(np.expm1((sps.t.ppf(0.975, df) + sps.t.ppf(0.80, df)) * se), rel=1e-9)
    assert mdes == sorted(mdes, reverse=True)


def test_a_true_difference_of_the_mde_is_found_about_80_percent_of_the_time():
    """The power the mde promises, checked by simulation: 10 units a side with a log sd of 0.05."""
    mde = welch_ratio(units_with_spread(10, 0.05), units_with_spread(10, 0.05)).mde
    assert mde is not None
    rng = np.random.default_rng(RNG_SEED)
    rows = _welch_rows(rng.normal(np.log1p(mde), 0.05, (4000, 10)), rng.normal(0.0, 0.05, (4000, 10)))
    assert 0.76 < 1.0 - float(rows.covers(0.0).mean()) < 0.84


def test_paired_ratio_is_scipys_paired_interval_over_the_rounds_both_sides_have():
    rng = np.random.default_rng(RNG_SEED)
    drift = rng.normal(0.0, 0.2, 12)
    base = {r: float(np.exp(2.0 + drift[r] + rng.normal(0, 0.02))) for r in range(12)}
    cand = {r: float(np.exp(1.9 + drift[r] + rng.normal(0, 0.02))) for r in range(12) if r != 4}
    base[20], cand[21], cand[22] = 5.0, 5.0, float("nan")
    estimate = paired_ratio(base, cand)
    common = [r for r in range(12) if r != 4]
    logs_base, logs_cand = np.log([base[r] for r in common]), np.log([cand[r] for r in common])
    reference = sps.ttest_rel(logs_base, logs_cand).confidence_interval(0.95)
    assert estimate.unit == "rounds" and estimate.n_baseline == estimate.n_candidate == 11
    assert (estimate.excluded_baseline, estimate.excluded_candidate) == (2, 1)  # 4 and 20; 21 (22 is not a figure)
    assert estimate.ratio == pytest.approx(np.exp(np.mean(logs_base - logs_cand)), rel=1e-12)
    assert estimate.ci95 == pytest.approx((np.exp(reference.low), np.exp(reference.high)), rel=1e-12)
    low, high = estimate.ci95 or (np.nan, np.nan)
    assert high / low < 1.05  # the drift cancels: far narrower than the drift itself


def test_paired_ratio_needs_two_common_rounds():
    estimate = paired_ratio({0: 2.0, 1: 3.0}, {1: 2.5})
    assert estimate.ratio is None and estimate.n_baseline == 1 and estimate.excluded_baseline == 1


# --- decide -------------------------------------------------------------------------------------------------------

def estimate_of(ratio=1.0, ci95=(0.99, 1.01), n=10, *, values=(10.0, 10.0), mde=0.03, unit="environments",
                n_candidate=None):
    return Estimate(unit=unit, ratio=ratio, ci95=ci95, n_baseline=n, n_candidate=n if n_candidate is None else
                    n_candidate, baseline_value=values[0], candidate_value=values[1], spread_baseline=0.05,
                    spread_candidate=0.05, mde=mde)


@pytest.mark.parametrize(("estimate", "verdict", "reason"), [
    (estimate_of(ci95=(0.985, 1.019)), "equivalent", "equivalent within ±2 %"),
    (estimate_of(1.12, (1.08, 1.16), values=(11.2, 10.0)), "candidate_better",
     "candidate takes 11 % less (95 % CI 7.4–14 %)"),
    (estimate_of(0.9, (0.85, 0.95), values=(9.0, 10.0)), "baseline_better",
     "baseline takes 10 % less (95 % CI 5–15 %)"),
    (estimate_of(1.03, (1.01, 1.05), mde=0.043), "inconclusive", "inconclusive — this run could detect about ±4.3 %"),
    (estimate_of(1.0, (0.9, 1.1), mde=0.15), "inconclusive", "inconclusive — this run could detect about ±15 %"),
    (estimate_of(1.0, None, 1, n_candidate=4), "insufficient_data", "no verdict: only 1 environment"),
    (estimate_of(1.0, None, 0), "insufficient_data", "no verdict: no environments"),
    (estimate_of(1.2, (1.1, 1.3), 12, n_candidate=3), "too_few_units", "no verdict: only 3 environments"),
    (estimate_of(1.2, (1.1, 1.3), 4, unit="rounds"), "too_few_units", "no verdict: only 4 rounds"),
    (estimate_of(1.2, (1.1, 1.3), 2, unit="cold starts"), "too_few_units", "no verdict: only 2 cold starts"),
], ids=lambda value: value if isinstance(value, str) else "")
def test_every_outcome_and_its_reason(estimate, verdict, reason):
    decision = decide(estimate, kind="memory", quantum=0.001)
    assert (decision.verdict, decision.reason) == (verdict, reason)


def test_an_interval_that_excludes_one_but_reaches_into_the_margin_is_no_winner():
    """Entirely outside the equivalence band means its near end beyond 1 + m, not merely beyond 1."""
    assert decide(estimate_of(1.04, (1.015, 1.065)), kind="memory").verdict == "inconclusive"
    assert decide(estimate_of(1.04, (1.021, 1.065)), kind="memory").verdict == "candidate_better"
    assert decide(estimate_of(1.04, (1.015, 1.065)), kind="memory", margin=0.01).verdict == "candidate_better"


def test_a_difference_under_two_recorded_steps_is_below_resolution():
    """MiniStack's whole-ms durations: 2.9 ms against 2.0 ms is 45 % but under two steps of 1 ms."""
    estimate = estimate_of(1.45, (1.3, 1.6), values=(2.9, 2.0))
    assert decide(estimate, kind="memory", quantum=1.0).reason == "below measurement resolution"
    assert decide(estimate, kind="memory", quantum=0.001).verdict == "candidate_better"
    assert decide(estimate, kind="memory", quantum=None).verdict == "candidate_better"


def test_a_local_run_names_no_winner_and_no_architecture_verdict():
    winner, equivalent = estimate_of(1.2, (1.1, 1.3), values=(12.0, 10.0)), estimate_of()
    assert decide(winner, kind="runtime", local=True) == decide(winner, kind="control", local=True)
    assert decide(winner, kind="runtime", local=True).reason == "no verdict: local emulation"
    assert decide(winner, kind="runtime", local=True).verdict == "local_emulation"
    assert decide(equivalent, kind="control", local=True).verdict == "equivalent"  # the A/A check holds locally
    for estimate in (winner, equivalent, estimate_of(1.0, None, 1)):
        decision = decide(estimate, kind="architecture", local=True)
        assert (decision.verdict, decision.reason) == ("local_emulation", "no architectural verdict: local emulation")


def test_the_margin_and_the_minimum_units_are_the_callers():
    estimate = estimate_of(1.03, (1.01, 1.045), n=6)
    assert decide(estimate, kind="memory", margin=0.05).reason == "equivalent within ±5 %"
    assert decide(estimate, kind="memory", margin=0.015).verdict == "inconclusive"
    assert decide(estimate_of(ci95=(0.99, 1.012)), kind="memory", margin=0.015).reason == "equivalent within ±1.5 %"
    assert decide(estimate, kind="memory", min_units=8).verdict == "too_few_units"
    assert DEFAULT_MARGIN == 0.02


@pytest.mark.parametrize("margin", [0.0, 1.0, -0.02, 2.0, float("nan")])
def test_a_margin_outside_zero_to_one_is_refused(margin):
    with pytest.raises(ValueError, match="the equivalence margin must be between 0 and 1"):
        check_margin(margin)
    with pytest.raises(ValueError, match="the equivalence margin"):
        decide(estimate_of(), kind="memory", margin=margin)
