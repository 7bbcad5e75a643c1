"""How often each rule is wrong on clustered data: the calibration table of issue 14.

Per cell (environments per side × environment spread × even or uneven items per environment): the A/A false
positive rate of the old rule (item-level bootstrap of the median ratio, ``analysis.stats.compare``), of the new
interval (Welch t on the log per-environment medians) and of the whole new rule (±2 % margin, ≥ 5 units, two
recorded steps); the A/B coverage of the true 10 % ratio by the old and the new interval; and the new rule's power,
the share of A/B runs where it names the candidate. Then the paired rounds. Nominal: 5 % false positives, 95 %
coverage. The data are the calibration test's (``tests/unit/analysis/clustered_data.py``), with more replications.

Usage: python benchmarks/calibration.py [--replications 1000] [--items 12]   (the old rule takes minutes)
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.unit.analysis.clustered_data import (
    CELLS,
    MEAN_ITEMS,
    TRUE_RATIO,
    WINNERS,
    Cell,
    draw_pair,
    new_intervals,
    new_verdicts,
    old_comparisons,
    round_intervals,
)

COLUMNS = ("cell", "A/A old", "A/A new", "A/A new±2%", "A/B cover old", "A/B cover new", "power new")
ROUNDS = (5, 10, 30)


def cell_row(cell: Cell, replications: int, seed: int) -> list[float]:
    """The rates of one cell: A/A false positives (old, new interval, new rule), A/B coverage (old, new), power."""
    same = draw_pair(seed, cell, replications, different=False)
    different = draw_pair(seed + 1, cell, replications, different=True)
    old_same, old_different = (old_comparisons(*sides, replications) for sides in (same, different))
    log_truth = float(np.log(TRUE_RATIO))
    return [
        float(np.mean([comparison.significant for comparison in old_same])),
        1.0 - float(new_intervals(*same).covers(0.0).mean()),
        float(np.mean([verdict in WINNERS for verdict in new_verdicts(*same)])),
        float(np.mean([c.ci95 is not None and c.ci95[0] <= TRUE_RATIO <= c.ci95[1] for c in old_different])),
        float(new_intervals(*different).covers(log_truth).mean()),
        float(np.mean([verdict == "candidate_better" for verdict in new_verdicts(*different)])),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=1000, help="runs per cell (default 1000)")
    parser.add_argument("--items", type=int, default=MEAN_ITEMS, help=f"items per environment (default {MEAN_ITEMS})")
    args = parser.parse_args()
    started = time.perf_counter()
    print(f"{args.replications} replications per cell, {args.items} items per environment on average, "
          f"true A/B ratio {TRUE_RATIO:g} (candidate spread twice the baseline's)\n")
    print("| " + " | ".join(COLUMNS) + " |\n|" + "---|" * len(COLUMNS))
    for index, cell in enumerate(CELLS):
        rates = cell_row(replace(cell, items=args.items), args.replications, seed=2 * index)
        print(f"| {cell} | " + " | ".join(f"{rate:.1%}" for rate in rates) + " |", flush=True)
    print("\n| rounds | A/A new | A/B cover new |\n|---|---|---|")
    for rounds in ROUNDS:
        same = round_intervals(rounds, rounds, args.replications, different=False)
        different = round_intervals(rounds + 1, rounds, args.replications, different=True)
        print(f"| {rounds} | {1.0 - float(same.covers(0.0).mean()):.1%} | "
              f"{float(different.covers(float(np.log(TRUE_RATIO))).mean()):.1%} |")
    print(f"\n{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
