"""Seeded synthetic clustered runs, and the rules applied to thousands of them at once: what the calibration test
asserts and ``benchmarks/calibration.py`` tabulates.

A variant's run is a few execution environments, each with its own speed (a log-normal effect, sd = the cell's
spread), each serving some work items (all the cell's ``items``, or uneven: at least ``MIN_ITEMS`` plus a geometric
count, same mean) whose times are log-normal around it (sigma ``ITEM_SIGMA``), written with 3 decimals as the
handler writes them. All replications of a cell are drawn as flat arrays, replication after replication, so the
real ``per_environment`` reduces all of them in one call.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

from analysis.clustered import (
    MIN_ITEMS,
    Units,
    _paired_rows,
    _Rows,
    _welch_rows,
    per_environment,
    per_round,
    quantum,
    welch_ratio,
)
from analysis.decision import decide
from analysis.stats import Comparison, compare
from core import Verdict

LEVEL_MS = 10.0
ITEM_SIGMA = 0.25
MEAN_ITEMS = 12
TRUE_RATIO = 1.10  # the A/B runs: the candidate 10 % faster (baseline / candidate)
CANDIDATE_SPREAD_FACTOR = 2.0  # in A/B runs the candidate's environments vary twice as much: Welch, not pooled
ENVIRONMENTS_PER_ROUND = 2  # fresh ones every round, per variant
ROUND_DRIFT = 0.05  # sd of a round's log effect shared by both variants (noisy hours): what pairing removes
ROUND_SPREAD = 0.05
WINNERS = ("candidate_better", "baseline_better")


@dataclass(frozen=True)
class Cell:
    environments: int  # per side
    spread: float  # sd of the log environment effect
    uneven: bool  # geometric item counts (at least MIN_ITEMS) instead of ``items`` each
    items: int = MEAN_ITEMS  # per environment, on average

    def __str__(self) -> str:
        return f"{self.environments:>2} env, spread {self.spread:.0%}, {'uneven' if self.uneven else 'even'}"


CELLS = tuple(Cell(environments, spread, uneven) for environments in (3, 5, 10, 30) for spread in (0.02, 0.10)
              for uneven in (False, True))


@dataclass(frozen=True)
class Side:
    """One variant's replications: every item, replication after replication, labelled by its environment."""

    values: np.ndarray
    labels: np.ndarray  # replication × environments + environment
    starts: np.ndarray  # where each replication's items begin, and the end

    def medians(self) -> np.ndarray:
        """(replications × environments) per-environment medians; ``per_environment`` orders them by label."""
        units = per_environment(self.values, self.labels)
        return units.values.reshape(self.starts.size - 1, -1)

    def items(self, replication: int) -> np.ndarray:
        return self.values[self.starts[replication]:self.starts[replication + 1]]

    def environments(self, replication: int) -> np.ndarray:
        """The labels of ``items(replication)``."""
        return self.labels[self.starts[replication]:self.starts[replication + 1]]


def draw_side(rng: np.random.Generator, cell: Cell, replications: int, *, spread: float | None = None,
              speedup: float = 1.0) -> Side:
    """``replications`` runs of one variant in ``cell``, ``speedup`` times faster than the level."""
    shape = (replications, cell.environments)
    if cell.uneven:
        sizes = MIN_ITEMS - 1 + rng.geometric(1.0 / (cell.items - MIN_ITEMS + 1), size=shape)
    else:
        sizes = np.full(shape, cell.items)
    effects = rng.normal(0.0, cell.spread if spread is None else spread, size=shape)
    labels = np.repeat(np.arange(effects.size), sizes.ravel())
    logs = np.repeat(effects.ravel(), sizes.ravel()) + rng.normal(0.0, ITEM_SIGMA, size=labels.size)
    values = np.round(LEVEL_MS / speedup * np.exp(logs), 3)
    starts = np.concatenate([[0], np.cumsum(sizes.sum(axis=1))])
    return Side(values=values, labels=labels, starts=starts)


def draw_pair(seed: int, cell: Cell, replications: int, *, different: bool) -> tuple[Side, Side]:
    """Baseline and candidate: A/A (the same distribution), or A/B (``TRUE_RATIO``, the candidate's spread
    ``CANDIDATE_SPREAD_FACTOR`` times the baseline's)."""
    rng = np.random.default_rng(seed)
    baseline = draw_side(rng, cell, replications)
    if not different:
        return baseline, draw_side(rng, cell, replications)
    return baseline, draw_side(rng, cell, replications, spread=cell.spread * CANDIDATE_SPREAD_FACTOR,
                               speedup=TRUE_RATIO)


def new_intervals(baseline: Side, candidate: Side) -> _Rows:
    """The new rule's intervals: Welch on the log per-environment medians, every replication at once."""
    return _welch_rows(np.log(baseline.medians()), np.log(candidate.medians()))


def new_verdicts(baseline: Side, candidate: Side) -> list[Verdict]:
    """The whole new rule (margin, minimum units, resolution) on each replication, through the public calls."""
    verdicts = []
    for replication, (base, cand) in enumerate(zip(baseline.medians(), candidate.medians(), strict=True)):
        step = quantum(np.concatenate([baseline.items(replication), candidate.items(replication)]))
        estimate = welch_ratio(Units(base), Units(cand))
        verdicts.append(decide(estimate, kind="architecture", quantum=step).verdict)
    return verdicts


def old_comparisons(baseline: Side, candidate: Side, replications: int) -> list[Comparison]:
    """The old rule: the item-level bootstrap of the median ratio, replication by replication."""
    return [compare(baseline.items(i), candidate.items(i)) for i in range(replications)]


def round_intervals(seed: int, rounds: int, replications: int, *, different: bool) -> _Rows:
    """Runs with rounds: every round fresh environments for both variants and a drift both share; per round one
    figure per variant (``per_round``, environments weighed alike), compared pairwise."""
    rng = np.random.default_rng(seed)
    drift = rng.normal(0.0, ROUND_DRIFT, size=replications * rounds)
    cell = Cell(ENVIRONMENTS_PER_ROUND, ROUND_SPREAD, uneven=True)
    figures = []
    candidate = (TRUE_RATIO, ROUND_SPREAD * CANDIDATE_SPREAD_FACTOR) if different else (1.0, ROUND_SPREAD)
    for speedup, spread in ((1.0, ROUND_SPREAD), candidate):
        side = draw_side(rng, cell, replications * rounds, spread=spread, speedup=speedup)
        round_of_item = side.labels // ENVIRONMENTS_PER_ROUND
        by_round = per_round(side.values * np.exp(drift[round_of_item]), round_of_item, side.labels)
        figures.append(np.log(np.array([by_round[r] for r in range(replications * rounds)])))
    return _paired_rows((figures[0] - figures[1]).reshape(replications, rounds))


def binomial_band(replications: int, rate: float, confidence: float = 0.999) -> tuple[float, float]:
    """The shares of ``replications`` a correct ``rate`` lands between with probability ``confidence``."""
    tail = (1.0 - confidence) / 2.0
    low, high = sps.binom.ppf([tail, 1.0 - tail], replications, rate)
    return float(low) / replications, float(high) / replications
