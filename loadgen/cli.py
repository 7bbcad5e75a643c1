"""``python -m loadgen``: parse the command line, show the plan, guard the cost, watch the run, sum it up.

The work itself is the library's (``plan_load``, ``run_load``); this module owns the terminal: every printed line,
the confirmation, the live display and the Ctrl-C handler.
"""

from __future__ import annotations

import argparse
import math
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.console import Console

from core import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    RunManifest,
    UsageError,
    check_run_id,
    parse_duration,
    run_cli,
)
from handlers.contract import new_run_id
from handlers.validation import MAX_USER_ITERATIONS
from loadgen.cost import DEFAULT_MAX_COST_USD, CostEstimate
from loadgen.events import load_events
from loadgen.parsing import WorkloadShare, parse_mix, parse_rate
from loadgen.plan import resolve_mix
from loadgen.planning import TARGETS, LoadPlan, LoadRequest, check_seed, plan_load
from loadgen.progress import live_progress
from loadgen.report import print_summary
from loadgen.run import run_load
from loadgen.schedule import PROFILES, Profile
from loadgen.stats import RunStats
from loadgen.workers import parse_workers
from stack import OutputsError, StackOutputs, find_outputs

EXAMPLES = """examples:
  python -m loadgen --rate 50/s --duration 10m                       sustained, SQS, workload sort
  python -m loadgen --rate 20/s --duration 1m --target api           every variant's HTTP API route
  python -m loadgen --rate 20/s --duration 1m --variants py313-1024-arm64,py313-1024-x86_64   two of them
  python -m loadgen --rate 5/s --duration 2m --profile burst --burst-interval 30s   150 at once, every 30 s
  python -m loadgen --rate 100/s --duration 5m --profile ramp --ramp-from 10/s
  python -m loadgen --rate 50/s --duration 1m --profile poisson --seed 3
  python -m loadgen --rate 30/s --duration 1m --workload sort:3,noop:1 --dry-run
  python -m loadgen --profile cold --count 10 --workload noop            10 forced cold starts per variant
  python -m loadgen --rate 10/s --duration 1m --events examples/thumbnail/events.jsonl   your function's events
  python -m loadgen --rate 20/s --duration 10m --rounds 10               10 rounds of 1 min, fresh environments each
  python -m loadgen --rate 1000/s --duration 1m --processes 2            two sender processes, one manifest
  python -m loadgen --rate 2000/s --duration 5m --workers lambda:8       eight Lambda workers (archbench:loadWorkers)

--profile cold and --rounds change an environment variable (ARCHBENCH_COLD_ROUND, ARCHBENCH_ROUND) on every
variant's function before each round, so they need lambda:GetFunctionConfiguration and
lambda:UpdateFunctionConfiguration on them.
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m loadgen", formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EXAMPLES,
        description="Send the same scheduled work requests to every variant of the stack (each runtime × memory × "
                    "architecture, and the A/A twin) at the same moments, in a shuffled order within each release "
                    "(open model: the schedule never waits for the target), and write runs/<run_id>/manifest.json.")
    parser.add_argument("--rate", help="requests per second per variant: 50/s or 3000/m "
                        "(ramp: the end rate; burst: the average rate); every profile but cold")
    parser.add_argument("--duration", help="how long: 30s, 10m, 1h; every profile but cold")
    parser.add_argument("--profile", choices=PROFILES, default="sustained",
                        help="sustained (even spacing), burst, ramp, poisson, or cold: --count rounds, each a "
                             "configuration update of every function, then one request to each (default: sustained)")
    parser.add_argument("--count", type=int, help="cold: rounds, i.e. forced cold starts per variant, 1–1000")
    parser.add_argument("--rounds", type=int, default=1,
                        help="split --duration into this many equal rounds, 1–100, each on fresh execution "
                             "environments (every function's configuration updated before it, in a --seed shuffled "
                             "order, and its requests processed before the next); needs "
                             "lambda:GetFunctionConfiguration and lambda:UpdateFunctionConfiguration; not with "
                             "cold (default: 1, no update)")
    parser.add_argument("--ramp-from", default="0/s", help="ramp: the start rate (default: 0/s)")
    parser.add_argument("--burst-interval", default="10s",
                        help="burst: time between bursts; each burst is rate × interval requests (default: 10s)")
    parser.add_argument("--target", choices=TARGETS, default="sqs", help="queues or HTTP routes (default: sqs)")
    parser.add_argument("--variants", metavar="ID,ID", type=_variant_ids,
                        help="drive only these variants, e.g. py313-1024-arm64,py313-1024-x86_64 (default: all)")
    parser.add_argument("--workload",
                        help="a workload or a mix: sort | sort,noop | sort:3,noop:1 | sort@20000:3 (default: sort)")
    parser.add_argument("--events", metavar="FILE",
                        help="archbench:function's sample events instead of a workload: one JSON event, or JSON "
                             'Lines of {"event": …, "weight": …} (weight optional)')
    parser.add_argument("--size", type=int, help="input size for workloads without @SIZE (default: each one's own)")
    parser.add_argument("--iterations", type=int, default=1, help="times each request runs its workload (default: 1)")
    parser.add_argument("--seed", type=int, default=1,
                        help="input seed, 0 … 2**63-1; also orders the mix, poisson arrivals and the variants' "
                             "order within each release (default: 1)")
    parser.add_argument("--run-id", help="name the run (1–64 of A-Z a-z 0-9 . _ -, e.g. baseline-1024) instead of "
                                         "a new id like 20261125T080000Z-3fa2")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--outputs", metavar="FILE", help="stack outputs JSON file")
    source.add_argument("--stack", metavar="NAME", help="Pulumi stack whose `bench` output to use")
    parser.add_argument("--senders", type=int,
                        help="sender threads per variant in each sender process (default: sized to the rate)")
    parser.add_argument("--processes", type=int,
                        help="sender processes, each sending the seqs ≡ its index modulo N, all started at one "
                             "instant and merged into one manifest (default: enough for the rate, at most the "
                             "cores; 1 for cold and --rounds)")
    parser.add_argument("--workers", metavar="lambda:N",
                        help="send from N Lambda load workers instead of this machine, each the seqs ≡ its index "
                             "modulo N, all from one start instant a few seconds ahead; needs archbench:loadWorkers "
                             "(not cold or --rounds); their own cost is in the cost guard")
    parser.add_argument("--max-cost", type=float, default=DEFAULT_MAX_COST_USD, metavar="USD",
                        help=f"ask before an AWS run estimated above this, > 0 (default: {DEFAULT_MAX_COST_USD:g})")
    parser.add_argument("--yes", action="store_true", help="do not ask, whatever the estimated cost")
    parser.add_argument("--dry-run", action="store_true", help="print the plan and the cost estimate, send nothing")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # A Ctrl-C that reaches here came before the run started (planning, confirmation, preflight).
    return run_cli("loadgen", lambda: _main(args), interrupted="interrupted; nothing sent")


def _main(args: argparse.Namespace) -> int:
    request = _request(args)
    outputs = _outputs(args)
    load = plan_load(request, outputs)
    _print_plan(load)
    if load.estimate is not None:
        _print_cost(load.estimate, args.max_cost)
    if args.dry_run:
        print(f"run {load.plan.run_id}: dry run, nothing sent")
        return EXIT_OK
    assert outputs is not None  # _outputs raised otherwise
    if load.estimate is not None and load.estimate.total_usd > args.max_cost and not args.yes:
        _confirm(load.plan.run_id, load.estimate, args.max_cost)

    stats, stop = RunStats(load.variants), threading.Event()
    manifest = run_load(load, outputs, stop=stop, stats=stats, live=_watched(load, stats, stop), notice=print)
    print_summary(manifest, stats)
    return _exit_code(manifest)


def _request(args: argparse.Namespace) -> LoadRequest:
    run_id = check_run_id(args.run_id) if args.run_id is not None else new_run_id()
    if not (math.isfinite(args.max_cost) and args.max_cost > 0):
        raise UsageError(f"--max-cost must be a finite amount of USD above 0, got {args.max_cost:g}")
    check_seed(args.seed)
    if args.senders is not None and args.senders < 1:
        raise UsageError("--senders must be at least 1")
    if args.processes is not None and args.processes < 1:
        raise UsageError("--processes must be at least 1")
    profile = _profile(args)
    rate_text = f"{profile.count} cold rounds" if profile.kind == "cold" else args.rate
    mix = _events_mix(args) if args.events else resolve_mix(parse_mix(args.workload or "sort"), args.size,
                                                            args.iterations)
    return LoadRequest(rate_text=rate_text, profile=profile, mix=mix, iterations=args.iterations, seed=args.seed,
                       run_id=run_id, target=args.target, senders=args.senders, variants=args.variants,
                       processes=args.processes, workers=parse_workers(args.workers) if args.workers else 0)


def _events_mix(args: argparse.Namespace) -> tuple[WorkloadShare, ...]:
    """``--events``: the user's function's events, which take the place of ``--workload`` and ``--size``."""
    for flag, value in (("--workload", args.workload), ("--size", args.size), ("--workers", args.workers)):
        if value is not None:
            raise UsageError(f"--events and {flag} cannot be combined"
                             + (": the Lambda load workers send built-in workloads only" if flag == "--workers"
                                else ": the events are the workload of your function"))
    if not 1 <= args.iterations <= MAX_USER_ITERATIONS:
        raise UsageError(f"--iterations must be 1–{MAX_USER_ITERATIONS} calls of your handler, got {args.iterations}")
    return load_events(Path(args.events))


def _profile(args: argparse.Namespace) -> Profile:
    """The cold profile takes --count; every other one --rate and --duration."""
    if args.profile == "cold":
        if args.rounds != 1:
            raise UsageError("--rounds is not for --profile cold: its --count N already gives every request a fresh "
                             "execution environment")
        if args.rate is not None or args.duration is not None:
            raise UsageError("--profile cold takes --count N, not --rate or --duration")
        if args.count is None:
            raise UsageError("--profile cold needs --count N: how many cold starts per variant")
        return Profile(kind="cold", rate_per_s=0.0, duration_s=0.0, seed=args.seed, count=args.count)
    if args.count is not None:
        raise UsageError(f"--count is for --profile cold; --profile {args.profile} takes --rate and --duration")
    if args.rate is None or args.duration is None:
        raise UsageError(f"--profile {args.profile} needs --rate and --duration (e.g. --rate 50/s --duration 1m)")
    return Profile(kind=args.profile, rate_per_s=parse_rate(args.rate), duration_s=parse_duration(args.duration),
                   start_rate_per_s=parse_rate(args.ramp_from, allow_zero=True),
                   burst_interval_s=parse_duration(args.burst_interval), seed=args.seed, rounds=args.rounds)


def _variant_ids(text: str) -> tuple[str, ...]:
    """``--variants a,b``: the ids as given (checked against the stack by ``plan_load``)."""
    return tuple(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))


def _outputs(args: argparse.Namespace) -> StackOutputs | None:
    """The stack to drive; a dry run without one still shows the plan (with default settings)."""
    try:
        return find_outputs(args.outputs, args.stack)
    except OutputsError as exc:
        if not args.dry_run:
            raise
        print(f"{exc}\n(dry run: planning with the default settings)")
        return None


def _print_plan(load: LoadPlan) -> None:
    plan, profile = load.plan, load.request.profile
    mix = ", ".join(f"{s.name}@{s.size} ×{n}" if s.event is None else f"{s.name} event {i} ×{n}"
                    for i, (s, n) in enumerate(zip(plan.mix, plan.counts(), strict=True), 1))
    if profile.kind == "cold":
        print(f"run {plan.run_id}: {plan.total} forced cold starts per variant to {len(load.variants)} variants via "
              f"{load.target}: each round updates every function's environment, waits until the updates have "
              "finished, then sends one request to each")
    else:
        shape = {"sustained": "evenly spaced", "poisson": f"poisson arrivals (seed {profile.seed})",
                 "ramp": f"ramping {profile.start_rate_per_s:g}/s → {profile.rate_per_s:g}/s",
                 "burst": f"{profile.burst_size} at once every {profile.burst_interval_s:g} s"}[profile.kind]
        print(f"run {plan.run_id}: {plan.total} requests per variant to {len(load.variants)} variants via "
              f"{load.target}, {load.request.rate_text} for {profile.duration_s:g} s, {shape}")
    if plan.rounds > 1:
        sizes = [len(plan.round_window(r).seqs) for r in range(plan.rounds)]
        spread = str(sizes[0]) if min(sizes) == max(sizes) else f"{min(sizes)}–{max(sizes)}"
        print(f"run {plan.run_id}: {plan.rounds} rounds of {profile.round_s:g} s ({spread} requests each), each on "
              "fresh execution environments: every function's environment updated (ARCHBENCH_ROUND) in a shuffled "
              "order, then the round's requests sent and processed before the next round")
    print(f"run {plan.run_id}: variants {', '.join(load.variants)}")
    if load.workers:
        print(f"run {plan.run_id}: sent by {load.workers} Lambda load workers, each the seqs ≡ its index modulo "
              f"{load.workers}, all from one start instant")
    processes = (f" in each of {load.processes} sender processes (each sends the seqs ≡ its index modulo "
                 f"{load.processes}, all from one start instant)" if load.processes > 1 else "")
    senders = "" if load.workers else f"; {load.senders} senders per variant{processes}"
    print(f"run {plan.run_id}: workloads {mix}; iterations {plan.iterations}{senders}")


def _print_cost(estimate: CostEstimate, max_cost: float) -> None:
    rounds = f" in {estimate.rounds} rounds, each on new environments whose init time is not priced" \
        if estimate.rounds > 1 else ""
    workers = f" + load workers ${estimate.workers_usd:.4f}" if estimate.workers_usd else ""
    print(f"AWS cost guard: {estimate.invocations} work items (Lambda invocations at most){rounds}; estimated "
          f"${estimate.total_usd:.4f} (Lambda ${estimate.lambda_usd:.4f} + messaging ${estimate.messaging_usd:.4f}"
          f"{workers}); threshold ${max_cost:g}")


def _confirm(run_id: str, estimate: CostEstimate, max_cost: float) -> None:
    question = f"run {run_id}: estimated ${estimate.total_usd:.2f} is above ${max_cost:g}. Send it? [y/N] "
    if not sys.stdin.isatty():
        raise UsageError(f"estimated cost ${estimate.total_usd:.2f} is above --max-cost {max_cost:g}: "
                         "pass --yes to confirm")
    if input(question).strip().lower() not in ("y", "yes"):
        raise UsageError("not confirmed; nothing sent")


@contextmanager
def _watched(load: LoadPlan, stats: RunStats, stop: threading.Event) -> Iterator[None]:
    """Around the schedule: the live display; the first Ctrl-C sets ``stop``, a second one abandons the rest."""
    run_id = load.plan.run_id

    def on_interrupt(signum: int, frame: Any) -> None:
        stop.set()
        signal.signal(signal.SIGINT, signal.default_int_handler)  # a second Ctrl-C abandons the rest
        sys.stderr.write(f"run {run_id}: stopping; sending what is already due (Ctrl-C again to abandon)\n")

    previous = signal.signal(signal.SIGINT, on_interrupt)
    console = Console(stderr=True)
    try:
        with live_progress(stats.snapshot, load.plan, load.target, console, stats.take_first_errors):
            yield
    except KeyboardInterrupt:
        console.print(f"run {run_id}: abandoned requests no sender had started")
        raise
    finally:
        signal.signal(signal.SIGINT, previous)


def _exit_code(manifest: RunManifest) -> int:
    if manifest.interrupted:
        return EXIT_INTERRUPTED
    return EXIT_FAILED if any(t.failed for t in manifest.targets.values()) else EXIT_OK
