"""The rules are calibrated on seeded clustered data (``clustered_data``): an A/A run names a winner about as often
as its 5 % promises, and an A/B run's interval holds the true ratio about 95 % of the time.

Every cell: 3, 5, 10 or 30 environments a side × an environment spread of 2 % or 10 % × even or uneven items per
environment, ``REPLICATIONS`` runs each; a rate passes inside the 99.9 % binomial band around its nominal value.
At 3 environments a side Welch's interval is known to be conservative (its degrees of freedom fall below the pooled
2n − 2): 3.4–3.6 % false positives over 10,000 replications per cell, so there it must only not exceed the band.
"""

from functools import cache

import numpy as np
import pytest

from analysis.clustered import Units, per_environment, welch_ratio
from tests.unit.analysis.clustered_data import (
    CELLS,
    TRUE_RATIO,
    WINNERS,
    Cell,
    Side,
    binomial_band,
    draw_pair,
    new_intervals,
    new_verdicts,
    old_comparisons,
    round_intervals,
)

REPLICATIONS = 1000
CONSERVATIVE_BELOW = 5  # environments a side under which the interval may be conservative, not liberal
FALSE_POSITIVES = 0.05


@cache
def pair(cell: Cell, different: bool) -> tuple[Side, Side]:
    return draw_pair(CELLS.index(cell) + (100 if different else 0), cell, REPLICATIONS, different=different)


def assert_rate(observed: float, nominal: float, *, conservative: bool) -> None:
    """``observed`` misses (an interval excluding the truth) at the ``nominal`` rate, or fewer when allowed."""
    low, high = binomial_band(REPLICATIONS, nominal)
    assert observed <= high, f"{observed:.1%} misses, above the {low:.1%}–{high:.1%} band around {nominal:.0%}"
    if not conservative:
        assert observed >= low, f"{observed:.1%} misses, below the {low:.1%}–{high:.1%} band around {nominal:.0%}"


@pytest.mark.parametrize("cell", CELLS, ids=str)
def test_a_a_intervals_exclude_one_five_percent_of_the_time(cell: Cell):
    false_positives = 1.0 - float(new_intervals(*pair(cell, False)).covers(0.0).mean())
    assert_rate(false_positives, FALSE_POSITIVES, conservative=cell.environments < CONSERVATIVE_BELOW)


@pytest.mark.parametrize("cell", CELLS, ids=str)
def test_a_b_intervals_hold_the_true_ratio_95_percent_of_the_time(cell: Cell):
    misses = 1.0 - float(new_intervals(*pair(cell, True)).covers(float(np.log(TRUE_RATIO))).mean())
    assert_rate(misses, FALSE_POSITIVES, conservative=cell.environments < CONSERVATIVE_BELOW)


@pytest.mark.parametrize("cell", CELLS, ids=str)
def test_the_decision_rule_names_an_a_a_winner_at_most_five_percent_of_the_time(cell: Cell):
    verdicts = new_verdicts(*pair(cell, False))
    assert sum(verdict in WINNERS for verdict in verdicts) / len(verdicts) <= FALSE_POSITIVES


@pytest.mark.parametrize("rounds", [5, 10, 30])
def test_rounds_paired_intervals_are_calibrated(rounds: int):
    false_positives = 1.0 - float(round_intervals(rounds, rounds, REPLICATIONS, different=False).covers(0.0).mean())
    misses = 1.0 - float(round_intervals(rounds + 1, rounds, REPLICATIONS, different=True)
                         .covers(float(np.log(TRUE_RATIO))).mean())
    assert_rate(false_positives, FALSE_POSITIVES, conservative=False)
    assert_rate(misses, FALSE_POSITIVES, conservative=False)


def test_the_old_item_level_bootstrap_names_a_winner_far_too_often_on_clustered_a_a_data():
    """Why the unit changed: 120 items from 10 environments are not 120 independent items."""
    cell = Cell(10, 0.10, uneven=False)
    replications = 300
    comparisons = old_comparisons(*pair(cell, False), replications)
    false_positives = sum(comparison.significant for comparison in comparisons) / replications
    assert false_positives > binomial_band(replications, FALSE_POSITIVES)[1] and false_positives > 0.12


def test_the_vectorised_path_is_the_public_one():
    """Row 3 of the calibration's arrays is what per_environment and welch_ratio say of replication 3 alone."""
    baseline, candidate = pair(CELLS[5], True)
    alone = welch_ratio(per_environment(baseline.items(3), baseline.environments(3)),
                        per_environment(candidate.items(3), candidate.environments(3)))
    rows = new_intervals(baseline, candidate)
    assert alone.ratio == pytest.approx(np.exp(rows.log_ratio[3]), rel=1e-12)
    assert alone.ci95 == pytest.approx((np.exp(rows.log_ratio[3] - rows.half_width[3]),
                                        np.exp(rows.log_ratio[3] + rows.half_width[3])), rel=1e-12)
    assert welch_ratio(Units(baseline.medians()[3]), Units(candidate.medians()[3])) == alone
