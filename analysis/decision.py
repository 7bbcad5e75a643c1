"""The decision rule: what one comparison's interval allows us to say, and nothing more.

A winner needs three things beyond an interval that excludes 1: enough units for the interval to be trusted, a
difference larger than the equivalence margin (a 1 % difference is not worth a migration, and on A/A data an
interval that merely excludes 1 is wrong 5 % of the time), and a difference the recorded values can resolve. The
rule, in order, with margin m and band [1/(1+m), 1+m]:

1. a local run (every function on the host CPU, whatever its label): an architecture row → ``local_emulation``;
2. no interval (fewer than two units on a side) → ``insufficient_data``;
3. fewer than ``min_units`` units on a side → ``too_few_units``;
4. the interval entirely inside the band → ``equivalent``;
5. the interval entirely outside the band (its near end beyond 1+m or below 1/(1+m)) and the two geometric means
   at least two recorded quanta apart → ``candidate_better`` (ratio above 1) or ``baseline_better``; on a local
   run → ``local_emulation`` instead: an A/A twin may still prove equivalent locally, a winner may not be named;
6. outside the band but under two quanta apart → ``below_resolution``;
7. anything else → ``inconclusive``, with the difference this run could have detected (``mde``).
"""

from __future__ import annotations

from dataclasses import dataclass

from analysis.clustered import MIN_UNITS, Estimate
from core import ComparisonKind, Unit, Verdict

DEFAULT_MARGIN = 0.02
RESOLUTION_QUANTA = 2  # a winner's geometric means differ by at least this many recorded steps


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    reason: str  # one phrase without variant names: the verdict text adds them


def check_margin(margin: float) -> float:
    """The equivalence margin, relative: 0 < m < 1 (a ValueError otherwise, for the CLI to turn into one line)."""
    if not 0.0 < margin < 1.0:
        raise ValueError(f"the equivalence margin must be between 0 and 1 (0.02 is ±2 %), not {margin:g}")
    return margin


def decide(estimate: Estimate, *, kind: ComparisonKind, margin: float = DEFAULT_MARGIN, local: bool = False,
           quantum: float | None = None, min_units: int = MIN_UNITS) -> Decision:
    """Apply the rule of the module docstring to one comparison."""
    check_margin(margin)
    if local and kind == "architecture":
        return Decision("local_emulation", "no architectural verdict: local emulation")
    smaller = min(estimate.n_baseline, estimate.n_candidate)
    if estimate.ci95 is None or estimate.ratio is None or estimate.mde is None:
        return Decision("insufficient_data", f"no verdict: {_count(smaller, estimate.unit)}")
    if smaller < min_units:
        return Decision("too_few_units", f"no verdict: {_count(smaller, estimate.unit)}")
    low, high = estimate.ci95
    upper, lower = 1.0 + margin, 1.0 / (1.0 + margin)
    if lower <= low and high <= upper:
        return Decision("equivalent", f"equivalent within ±{_percent(margin)} %")
    if low > upper or high < lower:
        if not _resolved(estimate, quantum):
            return Decision("below_resolution", "below measurement resolution")
        if local:
            return Decision("local_emulation", "no verdict: local emulation")
        return _winner(estimate.ratio, (low, high))
    return Decision("inconclusive", f"inconclusive — this run could detect about ±{_percent(estimate.mde)} %")


def _resolved(estimate: Estimate, quantum: float | None) -> bool:
    """The geometric means are at least ``RESOLUTION_QUANTA`` recorded steps apart (always, with no step known)."""
    if quantum is None or estimate.baseline_value is None or estimate.candidate_value is None:
        return True
    return abs(estimate.baseline_value - estimate.candidate_value) >= RESOLUTION_QUANTA * quantum


def _winner(ratio: float, interval: tuple[float, float]) -> Decision:
    """How much less the winner takes (time or money), with its interval: 1 − winner/loser."""
    low, high = interval
    if ratio > 1.0:
        saving, saving_low, saving_high = 1 - 1 / ratio, 1 - 1 / low, 1 - 1 / high
        return Decision("candidate_better", _takes_less("candidate", saving, saving_low, saving_high))
    saving, saving_low, saving_high = 1 - ratio, 1 - high, 1 - low
    return Decision("baseline_better", _takes_less("baseline", saving, saving_low, saving_high))


def _takes_less(side: str, saving: float, low: float, high: float) -> str:
    return f"{side} takes {_percent(saving)} % less (95 % CI {_percent(low)}–{_percent(high)} %)"


def _count(n: int, unit: Unit) -> str:
    """``only 3 environments``, ``only 1 round``, ``no cold starts``."""
    if n == 0:
        return f"no {unit}"
    return f"only {n} {unit if n != 1 else unit.removesuffix('s')}"


def _percent(fraction: float) -> str:
    """A relative figure in percent, to two significant digits at most: 0.043 → 4.3, 0.12 → 12, 0.02 → 2."""
    value = fraction * 100.0
    text = f"{value:.0f}" if abs(value) >= 10 else f"{value:.1f}"
    return text.removesuffix(".0")
