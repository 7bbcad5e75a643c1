"""Forced cold starts (``--profile cold --count N``): N rounds, each on a fresh execution environment per variant.

A round sets one environment variable, ``ARCHBENCH_COLD_ROUND=<run id>-<round>``, on every variant's function
(UpdateFunctionConfiguration with the rest of the environment exactly as GetFunctionConfiguration read it), waits
until every update has finished (``LastUpdateStatus`` Successful), then sends one request to each variant — the
same seq for all, handed out in a seeded shuffled order — and waits until the target has processed it, so the
next round's update cannot leave this round's warm environment to the next request.

How a function gets its fresh environment is ``loadgen.recycle``'s; this variable is the cold profile's own
marker. The user needs ``recycle.PERMISSIONS`` on the stack's functions.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait

from loadgen.plan import Plan
from loadgen.recycle import SETTLE_TIMEOUT_S, FunctionRecycler, SettlingTarget, settle_round
from loadgen.runner import release_orders, send_guarded
from loadgen.stats import RunStats

COLD_ROUND_VAR = "ARCHBENCH_COLD_ROUND"


def run_cold(plan: Plan, target: SettlingTarget, variants: tuple[str, ...], stats: RunStats, recycler: FunctionRecycler,
             *, stop: threading.Event, settle_timeout_s: float = SETTLE_TIMEOUT_S,
             clock: Callable[[], float] = time.monotonic) -> None:
    """Seq ``r`` is round ``r``: recycle every function, send ``r`` to every variant at once, wait until it was
    processed. ``stop`` ends the run after the round in progress."""
    orders = release_orders(variants, plan.seed)
    stats.mark_start(clock())
    with ThreadPoolExecutor(max_workers=len(variants), thread_name_prefix="loadgen-cold") as pool:
        for seq in range(plan.total):
            if stop.is_set():
                stats.mark_stopped(clock())
                return
            recycler.recycle(f"{plan.run_id}-{seq}")
            due = clock()
            wait([pool.submit(send_guarded, target, stats, variant, [seq], [due]) for variant in next(orders)])
            stats.mark_dispatched(1)
            settle_round(target, variants, stats, stop, settle_timeout_s, f"cold round {seq}")
