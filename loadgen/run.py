"""Carry out a planned load: open the target, run the schedule, close the target, write what the run leaves.

The library never prints and never handles signals, so a benchmark can run it silently and the command can own
the terminal: the caller passes ``stop`` (the command sets it on the first Ctrl-C) and, to watch, its own
``stats`` and a ``live`` context manager entered just around the schedule (the command's live display and
Ctrl-C handler), after the target is open and before anything is sent.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from core import RunManifest, run_dir, write_manifest
from loadgen.cold import COLD_ROUND_VAR, run_cold
from loadgen.planning import LoadPlan
from loadgen.processes import SenderProcesses
from loadgen.recycle import FunctionRecycler, RecycleError, SettlingTarget
from loadgen.report import build_manifest, write_requests
from loadgen.rounds import ROUND_VAR, run_rounds
from loadgen.runner import linger_s, run_schedule
from loadgen.senders import SenderPool, SenderRecord, sent_by
from loadgen.stats import RunStats
from loadgen.targets import open_target
from loadgen.workers import LambdaWorkers
from stack import StackOutputs


def run_load(load: LoadPlan, outputs: StackOutputs, *, stop: threading.Event, stats: RunStats | None = None,
             live: AbstractContextManager[object] | None = None,
             notice: Callable[[str], None] = lambda message: None) -> RunManifest:
    """Send ``load`` to the stack of ``outputs``; write ``runs/<run_id>/manifest.json`` (and ``requests.csv`` for
    the API target) and return the manifest.

    Setting ``stop`` ends the schedule early: what was already due is still sent and the manifest says
    ``interrupted``. A ``KeyboardInterrupt`` after ``stop`` abandons what no sender had taken and the manifest is
    still written; one without ``stop`` propagates and nothing is written.

    The cold profile (``loadgen.cold``) and ``--rounds`` (``loadgen.rounds``) first check that every function can
    be read, then run their rounds; a function update that fails mid-run ends the run with an interrupted manifest
    and a ``RecycleError``.

    With ``load.processes`` > 1 (``loadgen.processes``) or ``load.workers`` (``loadgen.workers``) the slices are
    sent elsewhere and merged into ``stats``; sender processes are spawned, so a script that calls this with
    several needs the usual ``if __name__ == "__main__":`` guard.
    """
    if stats is None:
        stats = RunStats(load.variants)
    elif tuple(stats.variants) != load.variants:
        raise ValueError(f"stats count {tuple(stats.variants)}, the plan sends to {load.variants}")
    recycler = _recycler(load, outputs)
    if recycler is not None:
        recycler.check()
    linger = linger_s(load.plan, load.target)
    pool = _pool(load, outputs, stats, linger, notice)
    target = open_target(load, outputs, stats, notice) if pool is None else None
    started_at = time.time()
    failure: RecycleError | None = None
    try:
        if pool is not None:
            pool.open()
            started_at = time.time()
        with live or nullcontext():
            if pool is not None:
                pool.run(stop)
            else:
                assert target is not None  # opened above when there is no pool
                _send(load, target, stats, recycler, stop=stop, linger=linger)
    except KeyboardInterrupt:
        if not stop.is_set():
            raise
    except RecycleError as exc:
        failure = exc
    finally:
        if pool is not None:
            pool.close()
        if target is not None:
            target.close()
    senders = pool.records() if pool is not None else [
        SenderRecord(index=0, scheduled=load.plan.total, clock_offset_ms=0.0, status="reported")]
    kind = pool.kind if pool is not None else SenderProcesses.kind
    manifest = build_manifest(load.plan, {**_config(load, linger), "sent_by": sent_by(kind, senders)},
                              outputs, stats, started_at, stop.is_set() or failure is not None)
    path = write_manifest(manifest)
    if load.target == "api":
        write_requests(stats, run_dir(load.plan.run_id) / "requests.csv")
    if failure is not None:
        raise RecycleError(f"{failure}; the run stopped, what was sent is in {path}")
    return manifest


def _pool(load: LoadPlan, outputs: StackOutputs, stats: RunStats, linger: float,
          notice: Callable[[str], None]) -> SenderPool | None:
    """The Lambda workers or sender processes of ``load``; None when this process sends alone."""
    if load.workers:
        return LambdaWorkers(load, outputs, stats, count=load.workers)
    if load.processes > 1:
        return SenderProcesses(load, outputs, stats, count=load.processes, linger=linger, notice=notice)
    return None


def _send(load: LoadPlan, target: SettlingTarget, stats: RunStats, recycler: FunctionRecycler | None, *,
          stop: threading.Event, linger: float) -> None:
    """Run the plan in this process: the cold rounds, the rounds, or the schedule."""
    if recycler is not None and load.request.profile.kind == "cold":
        run_cold(load.plan, target, load.variants, stats, recycler, stop=stop)
    elif recycler is not None:
        run_rounds(load.plan, target, load.variants, stats, recycler, senders=load.senders, linger=linger, stop=stop)
    else:
        run_schedule(load.plan, target, load.variants, stats, senders=load.senders, linger=linger, stop=stop)


def _recycler(load: LoadPlan, outputs: StackOutputs) -> FunctionRecycler | None:
    """What gives every function fresh environments: for the cold profile and for ``--rounds``; None otherwise."""
    kind = load.request.profile.kind
    if kind != "cold" and load.plan.rounds == 1:
        return None
    variable, option = (COLD_ROUND_VAR, "--profile cold") if kind == "cold" else (ROUND_VAR, "--rounds")
    return FunctionRecycler(outputs.client("lambda"),
                            {variant: outputs.functions[variant].name for variant in load.variants},
                            variable=variable, needed_by=option)


def _config(load: LoadPlan, linger: float) -> dict[str, Any]:
    """What was asked for and how it was sent; ``build_manifest`` adds the plan's own parameters."""
    profile = load.request.profile
    return {"rate": load.request.rate_text, "rate_per_s": profile.rate_per_s, "duration_s": profile.duration_s,
            **profile.to_config(), "target": load.target, "senders_per_variant": load.senders,
            "linger_ms": linger * 1000.0, "processes": load.processes, "workers": load.workers}
