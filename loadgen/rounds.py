"""Randomised multiple interleaved trials (``--rounds R``): the run's schedule in R equal rounds, each on fresh
execution environments.

Two functions that differ only in architecture can still differ by the host their environment landed on, and one
run on one set of warm environments measures that luck as if it were the architecture. Before each round every
variant's function gets a new environment (``ROUND_VAR=<run id>-<round>``, ``loadgen.recycle``), the updates
issued in a seeded shuffled order of their own; then the round's part of the schedule runs, from its own t=0 and
at the same moments for every variant; then the round settles (every queue empty, or noted unsettled after a
timeout) before the next update, so no item of one round is served by the next round's environments. Each
request names its round (``WorkRequest.round``), which the handler echoes as the EMF property ``Round``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from loadgen.plan import Plan
from loadgen.recycle import SETTLE_TIMEOUT_S, FunctionRecycler, SettlingTarget, settle_round
from loadgen.runner import release_orders, run_schedule
from loadgen.stats import RunStats

ROUND_VAR = "ARCHBENCH_ROUND"


def run_rounds(plan: Plan, target: SettlingTarget, variants: tuple[str, ...], stats: RunStats,
               recycler: FunctionRecycler, *, senders: int, linger: float, stop: threading.Event,
               settle_timeout_s: float = SETTLE_TIMEOUT_S, clock: Callable[[], float] = time.monotonic) -> None:
    """Recycle, run and settle each round in turn; ``stop`` ends the run within the round in progress (what is
    already due is sent) and starts no other. Each round is recorded in ``stats.rounds``."""
    orders = release_orders(variants, f"{plan.seed}/rounds")
    sends = release_orders(variants, plan.seed)  # one stream across the rounds: no round repeats another's
    for index in range(plan.rounds):
        if stop.is_set():
            if stats.stopped_mono is None:  # it came after the last round's schedule: the cut is where this begins
                now = clock()
                stats.mark_start(now, offset_s=plan.round_window(index).offset_s)
                stats.mark_stopped(now)
            return
        order = next(orders)
        recycler.recycle(f"{plan.run_id}-{index}", order)
        stats.begin_round(index, order, time.time())
        run_schedule(plan, target, variants, stats, senders=senders, linger=linger, stop=stop, clock=clock,
                     window=plan.round_window(index), orders=sends)
        settled = not stop.is_set() and settle_round(target, variants, stats, stop, settle_timeout_s,
                                                     f"round {index}")
        stats.end_round(time.time(), settled)
