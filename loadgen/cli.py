"""``python -m loadgen``: parse the command line, show the plan, guard the cost, drive the load, write the manifest."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any

from rich.console import Console

from core import UsageError, check_run_id, parse_duration, run_cli, run_dir, write_manifest
from handlers.contract import new_run_id
from loadgen.clients import api_signer, preflight_queues, sqs_client
from loadgen.cost import DEFAULT_MAX_COST_USD, CostEstimate, estimate_cost
from loadgen.parsing import parse_mix, parse_rate
from loadgen.plan import Plan, build_plan, resolve_mix
from loadgen.progress import live_progress
from loadgen.report import build_manifest, print_summary, write_requests
from loadgen.runner import Target, linger_s, run_schedule, senders_per_arch
from loadgen.schedule import PROFILES, Profile
from loadgen.stats import RunStats
from stack import OutputsError, Settings, StackOutputs, find_outputs

EXAMPLES = """examples:
  python -m loadgen --rate 50/s --duration 10m                       sustained, SQS, workload sort
  python -m loadgen --rate 20/s --duration 1m --target api           both HTTP API routes
  python -m loadgen --rate 5/s --duration 2m --profile burst --burst-interval 30s   150 at once, every 30 s
  python -m loadgen --rate 100/s --duration 5m --profile ramp --ramp-from 10/s
  python -m loadgen --rate 50/s --duration 1m --profile poisson --seed 3
  python -m loadgen --rate 30/s --duration 1m --workload sort:3,noop:1 --dry-run
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m loadgen", formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EXAMPLES,
        description="Send the same scheduled work requests to both architectures at the same moments "
                    "(open model: the schedule never waits for the target) and write runs/<run_id>/manifest.json.")
    parser.add_argument("--rate", required=True, help="requests per second per architecture: 50/s or 3000/m "
                        "(ramp: the end rate; burst: the average rate)")
    parser.add_argument("--duration", required=True, help="how long: 30s, 10m, 1h")
    parser.add_argument("--profile", choices=PROFILES, default="sustained",
                        help="sustained (even spacing), burst, ramp, poisson (default: sustained)")
    parser.add_argument("--ramp-from", default="0/s", help="ramp: the start rate (default: 0/s)")
    parser.add_argument("--burst-interval", default="10s",
                        help="burst: time between bursts; each burst is rate × interval requests (default: 10s)")
    parser.add_argument("--target", choices=("sqs", "api"), default="sqs", help="queues or HTTP routes (default: sqs)")
    parser.add_argument("--workload", default="sort",
                        help="a workload or a mix: sort | sort,noop | sort:3,noop:1 | sort@20000:3 (default: sort)")
    parser.add_argument("--size", type=int, help="input size for workloads without @SIZE (default: each one's own)")
    parser.add_argument("--iterations", type=int, default=1, help="times each request runs its workload (default: 1)")
    parser.add_argument("--seed", type=int, default=1, help="input seed, also orders the mix and poisson arrivals")
    parser.add_argument("--run-id", help="use this run id (form 20261125T080000Z-3fa2) instead of a new one")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--outputs", metavar="FILE", help="stack outputs JSON file")
    source.add_argument("--stack", metavar="NAME", help="Pulumi stack whose `bench` output to use")
    parser.add_argument("--senders", type=int, help="sender threads per architecture (default: sized to the rate)")
    parser.add_argument("--max-cost", type=float, default=DEFAULT_MAX_COST_USD, metavar="USD",
                        help=f"ask before an AWS run estimated above this (default: {DEFAULT_MAX_COST_USD:g})")
    parser.add_argument("--yes", action="store_true", help="do not ask, whatever the estimated cost")
    parser.add_argument("--dry-run", action="store_true", help="print the plan and the cost estimate, send nothing")
    return parser


@dataclass(frozen=True)
class Options:
    """What the user asked for, parsed and checked."""

    rate_text: str
    profile: Profile
    plan: Plan
    target: str


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # A Ctrl-C that reaches here came before the run started (planning, confirmation, preflight).
    return run_cli("loadgen", lambda: _main(args), interrupted="interrupted; nothing sent")


def _main(args: argparse.Namespace) -> int:
    options = _options(args)
    plan = options.plan
    outputs = _outputs(args)
    architectures = tuple(outputs.functions) if outputs else Settings().architectures
    senders = args.senders or senders_per_arch(plan, options.target)
    _print_plan(options, architectures, senders)

    estimate = None
    if outputs is None or not outputs.is_local:
        memory = ({a: f.memory_mb for a, f in outputs.functions.items()} if outputs
                  else dict.fromkeys(architectures, Settings().memory_mb))
        estimate = estimate_cost(plan, options.target, memory, _default_sizes(plan))
        _print_cost(estimate, args.max_cost)
    if args.dry_run:
        print(f"run {plan.run_id}: dry run, nothing sent")
        return 0
    assert outputs is not None  # _outputs raised otherwise
    if estimate and estimate.total_usd > args.max_cost and not args.yes:
        _confirm(plan.run_id, estimate, args.max_cost)

    stats = RunStats(architectures)
    target = _target(options, outputs, stats, senders)
    return _drive(options, outputs, stats, senders, target)


def _options(args: argparse.Namespace) -> Options:
    if args.run_id:
        check_run_id(args.run_id)
    if args.senders is not None and args.senders < 1:
        raise UsageError("--senders must be at least 1")
    rate = parse_rate(args.rate)
    profile = Profile(kind=args.profile, rate_per_s=rate, duration_s=parse_duration(args.duration),
                      start_rate_per_s=parse_rate(args.ramp_from, allow_zero=True),
                      burst_interval_s=parse_duration(args.burst_interval), seed=args.seed)
    mix = resolve_mix(parse_mix(args.workload), args.size, args.iterations)
    plan = build_plan(args.run_id or new_run_id(), profile, mix, args.iterations, args.seed)
    return Options(rate_text=args.rate, profile=profile, plan=plan, target=args.target)


def _outputs(args: argparse.Namespace) -> StackOutputs | None:
    """The stack to drive; a dry run without one still shows the plan (with default settings)."""
    try:
        return find_outputs(args.outputs, args.stack)
    except OutputsError as exc:
        if not args.dry_run:
            raise
        print(f"{exc}\n(dry run: planning with the default settings)")
        return None


def _default_sizes(plan: Plan) -> dict[str, int]:
    from handlers.workloads import WORKLOADS

    return {share.name: WORKLOADS[share.name].default_size for share in plan.mix}


def _print_plan(options: Options, architectures: tuple[str, ...], senders: int) -> None:
    plan, profile = options.plan, options.profile
    shape = {"sustained": "evenly spaced", "poisson": f"poisson arrivals (seed {profile.seed})",
             "ramp": f"ramping {profile.start_rate_per_s:g}/s → {profile.rate_per_s:g}/s",
             "burst": f"{profile.burst_size} at once every {profile.burst_interval_s:g} s"}[profile.kind]
    mix = ", ".join(f"{s.name}@{s.size} ×{n}" for s, n in zip(plan.mix, plan.counts_by_workload().values(),
                                                               strict=True))
    print(f"run {plan.run_id}: {plan.total} requests per architecture to {', '.join(architectures)} via "
          f"{options.target}, {options.rate_text} for {profile.duration_s:g} s, {shape}")
    print(f"run {plan.run_id}: workloads {mix}; iterations {plan.iterations}; {senders} senders per architecture")


def _print_cost(estimate: CostEstimate, max_cost: float) -> None:
    print(f"AWS cost guard: {estimate.invocations} work items (Lambda invocations at most); estimated "
          f"${estimate.total_usd:.4f} (Lambda ${estimate.lambda_usd:.4f} + messaging ${estimate.messaging_usd:.4f}); "
          f"threshold ${max_cost:g}")


def _confirm(run_id: str, estimate: CostEstimate, max_cost: float) -> None:
    question = f"run {run_id}: estimated ${estimate.total_usd:.2f} is above ${max_cost:g}. Send it? [y/N] "
    if not sys.stdin.isatty():
        raise UsageError(f"estimated cost ${estimate.total_usd:.2f} is above --max-cost {max_cost:g}: "
                         "pass --yes to confirm")
    if input(question).strip().lower() not in ("y", "yes"):
        raise UsageError("not confirmed; nothing sent")


def _target(options: Options, outputs: StackOutputs, stats: RunStats, senders: int) -> Target:
    plan, architectures = options.plan, tuple(stats.archs)
    if options.target == "sqs":
        from loadgen.sqs import SqsTarget

        client = sqs_client(outputs, senders * len(architectures))
        queue_urls = {arch: outputs.functions[arch].queue_url for arch in architectures}
        preflight_queues(client, queue_urls)
        return SqsTarget(client, queue_urls, plan, stats)
    from loadgen.api import ApiTarget

    if not outputs.api_url:
        raise UsageError("the stack outputs have no api_url: this stack has no HTTP API to drive")
    urls = {arch: outputs.api_url.rstrip("/") + outputs.functions[arch].route for arch in architectures}
    signer = api_signer(outputs)
    if signer is None:
        print(f"run {plan.run_id}: no AWS credentials found, requests go unsigned "
              "(an API with IAM authorization will answer 403)")
    return ApiTarget(urls, plan, stats, pool_size=senders, signer=signer)


def _drive(options: Options, outputs: StackOutputs, stats: RunStats, senders: int, target: Target) -> int:
    """Run the schedule under the live display; the first Ctrl-C stops the schedule, the manifest is written."""
    plan, architectures = options.plan, tuple(stats.archs)
    linger = linger_s(plan, options.target)
    stop = threading.Event()
    interrupted_at: list[float] = []

    def on_interrupt(signum: int, frame: Any) -> None:
        interrupted_at.append(time.monotonic() - stats.started_mono)
        stop.set()
        signal.signal(signal.SIGINT, signal.default_int_handler)  # a second Ctrl-C abandons the rest
        sys.stderr.write(f"run {plan.run_id}: stopping; sending what is already due (Ctrl-C again to abandon)\n")

    previous = signal.signal(signal.SIGINT, on_interrupt)
    started_at = time.time()
    console = Console(stderr=True)
    try:
        with live_progress(stats.snapshot, plan, options.target, console):
            run_schedule(plan, target, architectures, stats, senders=senders, linger=linger, stop=stop)
    except KeyboardInterrupt:
        console.print(f"run {plan.run_id}: abandoned requests no sender had started")
    finally:
        signal.signal(signal.SIGINT, previous)
        target.close()
    config = {"rate": options.rate_text, "rate_per_s": options.profile.rate_per_s,
              "duration_s": options.profile.duration_s, **options.profile.to_config(), "target": options.target,
              "senders_per_arch": senders, "linger_ms": linger * 1000.0}
    manifest = build_manifest(plan, config, outputs, stats, started_at,
                              interrupted_at[0] if interrupted_at else None)
    path = write_manifest(manifest)
    if options.target == "api":
        write_requests(stats, run_dir(plan.run_id) / "requests.csv")
    print_summary(manifest, path, stats)
    if manifest.interrupted:
        return 130
    return 1 if any(t.failed for t in manifest.targets.values()) else 0
