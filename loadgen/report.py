"""What a run leaves behind: the manifest (the contract analysis reads), ``requests.csv``, the closing summary."""

from __future__ import annotations

import csv
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from core import MANIFEST_NAME, RunManifest, run_dir
from loadgen.plan import Plan
from loadgen.stats import LATE_AFTER_S, RunStats
from stack import StackOutputs


def build_manifest(plan: Plan, config: dict[str, Any], outputs: StackOutputs, stats: RunStats, started_at: float,
                   interrupted: bool) -> RunManifest:
    """The manifest of a finished (or interrupted) run; ``config`` holds what the command line said."""
    full_config: dict[str, Any] = {
        **config,
        "workloads": [{"name": s.name, "weight": s.weight, "size": s.size} for s in plan.mix],
        "iterations": plan.iterations, "seed": plan.seed, "planned_per_variant": plan.total,
        "variants": list(stats.variants), "late_after_ms": LATE_AFTER_S * 1000.0,
    }
    api = config.get("target") == "api"
    with stats.lock:
        targets = {variant: replace(s, http_status=dict(s.http_status or {}) if api else None)
                   for variant, s in stats.variants.items()}
        rounds = [replace(r) for r in stats.rounds]
    achieved = stats.achieved_rate_per_s(plan.profile.duration_s)
    ended_at = time.time()  # also the end of a round a second Ctrl-C abandoned
    return RunManifest(run_id=plan.run_id, started_at=started_at, ended_at=ended_at,
                       interrupted=interrupted, config=full_config, outputs=outputs.to_dict(),
                       targets=targets, lag_ms=stats.lag_summary_ms(), achieved_rate_per_s=round(achieved, 3),
                       rounds=[{"index": r.index, "started_at": r.started_at,
                                "ended_at": ended_at if r.ended_at is None else r.ended_at, "order": list(r.order),
                                "settled": r.settled} for r in rounds] if plan.rounds > 1 else None)


def write_requests(stats: RunStats, path: Path) -> None:
    """One row per HTTP request: status (empty: no answer), latency from the actual send, schedule lag, and
    latency from the intended send time."""
    with stats.lock:
        records = list(stats.records)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(("variant", "seq", "status", "latency_ms", "lag_ms", "intended_latency_ms"))
        for r in sorted(records, key=lambda r: (r.seq, r.variant)):
            writer.writerow((r.variant, r.seq, "" if r.status is None else r.status, r.latency_ms, r.lag_ms,
                             r.intended_latency_ms))


def print_summary(manifest: RunManifest, stats: RunStats) -> None:
    """The closing lines: counts per variant (one line each, ids aligned), achieved rate and lag, where the
    manifest is, what next."""
    run_id = manifest.run_id
    width = max(map(len, manifest.targets), default=0)
    for variant, t in manifest.targets.items():
        status = ""
        if t.http_status is not None:
            latency = stats.latency_summary_ms(variant)
            intended = stats.latency_summary_ms(variant, intended=True)
            status = (f", http {dict(sorted(t.http_status.items()))}, response p50 {latency['p50']:g} ms "
                      f"p99 {latency['p99']:g} ms (from the intended send time: p50 {intended['p50']:g} ms "
                      f"p99 {intended['p99']:g} ms)")
        print(f"run {run_id}: {variant + ':':<{width + 1}} scheduled {t.scheduled}, sent {t.sent}, "
              f"failed {t.failed}, retried {t.retried}, started late {t.started_late}{status}")
    lag = manifest.lag_ms
    state = "interrupted" if manifest.interrupted else "done"
    if manifest.config.get("profile") == "cold":
        rounds = min((t.scheduled for t in manifest.targets.values()), default=0)
        pace = f"{rounds} of {manifest.config['count']} cold rounds"
    else:
        pace = f"achieved {manifest.achieved_rate_per_s:g}/s of {manifest.config['rate']}"
    print(f"run {run_id}: {state}; {pace}; send lag p50 {lag['p50']:g} ms, p99 {lag['p99']:g} ms, "
          f"max {lag['max']:g} ms")
    if manifest.rounds is not None:
        unsettled = [str(r["index"]) for r in manifest.rounds if not r["settled"]]
        print(f"run {run_id}: {len(manifest.rounds)} of {manifest.config['rounds']} rounds, each on fresh execution "
              f"environments; " + (f"not settled: round {', '.join(unsettled)}" if unsettled else "all settled"))
    print(f"run {run_id}: manifest {run_dir(run_id) / MANIFEST_NAME}")
    print(f"next: python -m analysis.compare --run-id {run_id}")
