"""Synthetic runs of a matrix with known distributions, printed exactly as the handler and Lambda print them.

The tests check the statistics against the distributions drawn here, and ``benchmarks/analysis.py`` loads 100,000
work items of one into a local cloud. Each variant (``stack.variants``) has its own log group and its own median; a
twin given its sibling's median is the known truth of "no difference". Each work item is an EMF document in
aws-embedded-metrics' layout; each batch of ``batch_size`` items is one Lambda invocation with START, END and a
REPORT line in AWS's text format (``aws``), MiniStack's reduced one (``ministack``) or the JSON log format
(``json``). With ``timeout_every``, every n-th invocation times out before its first item: START, END and a REPORT
line with ``Status: timeout`` (none in MiniStack's style), and no EMF document — an invocation without a work item.

Every invocation runs in an *execution environment* with its own id, AWS-style log stream name
(``2025/11/25/[$LATEST]<32 hex>``, which its events carry) and CPU model (``cpu_models``); an environment's first
invocation is its cold start. With ``environments`` = N, a variant's invocations are dealt to N concurrent
environments (round robin, or with ``uneven`` one each and the rest by random weights); with 0, a new environment
starts at every ``cold_every``-th invocation, one at a time. Each environment multiplies its items' times by
exp(N(0, ``environment_spread``)), the between-environment noise the comparisons must see through, and
``SyntheticRun.environments`` keeps that truth. With ``rounds`` = R, the items are R consecutive blocks, each with
a fresh set of environments, and every document carries its ``Round``. The environments draw from their own random
stream, so a spec that uses none of this gives the same times and request ids as before it existed.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

import numpy as np

from analysis.events import LogEvent
from handlers import contract as c
from stack import FunctionOutputs, StackOutputs, Variant

REPORT_STYLES = ("aws", "ministack", "json")
_UNITS = {c.M_WORKLOAD_MS: "Milliseconds", c.M_HANDLER_MS: "Milliseconds", c.M_PEAK_RSS_MB: "Megabytes",
          c.M_QUEUE_LAG_MS: "Milliseconds", c.M_COLD_START: "Count", c.M_INIT_MS: "Milliseconds",
          c.M_ERRORS: "Count"}


ARM64 = Variant("python3.13", 1024, "arm64")
X86_64 = Variant("python3.13", 1024, "x86_64")
FUNCTION_PREFIX = "archbench-synthetic"


@dataclass
class SyntheticSpec:
    run_id: str
    items_per_variant: int
    # every variant of the matrix and its median warm workload time (ms): the known truth
    median_ms: dict[Variant, float] = field(default_factory=lambda: {ARM64: 10.0, X86_64: 12.0})
    sigma: float = 0.25  # log-normal shape of the workload time
    workloads: tuple[str, ...] = ("sort",)
    batch_size: int = 10
    cold_every: int = 50  # with environments = 0: a new environment (a cold invocation) per this many invocations
    init_ms: dict[str, float] = field(default_factory=lambda: {"arm64": 250.0, "x86_64": 300.0})  # by architecture
    cold_factor: float = 1.0  # a cold item's workload time is this many times its draw (first-use imports)
    error_every: int = 0  # every n-th item fails (0: none)
    timeout_every: int = 0  # every n-th invocation times out before its first item, writing no document (0: none)
    timeout_ms: float = 30_000.0
    report_style: str = "aws"
    host_machine: dict[str, str] = field(default_factory=lambda: {"arm64": "aarch64", "x86_64": "x86_64"})
    start_ms: int = 1_764_057_600_000
    rate_per_s: float = 100.0
    seed: int = 7
    environments: int = 0  # per variant (and per round); 0: one at a time, a new one every cold_every invocations
    environment_spread: float = 0.0  # sd of the log environment effect (0: every environment alike)
    uneven: bool = False  # environments run uneven numbers of invocations
    rounds: int = 0  # 0: none; else consecutive blocks of items, each with fresh environments and its Round
    cpu_models: dict[str, str] = field(default_factory=lambda: {"arm64": "0x41:0xd0c",
                                                                "x86_64": "Intel(R) Xeon(R) Processor @ 2.50GHz"})

    def __post_init__(self) -> None:
        if min(self.environments, self.rounds) < 0 or self.environment_spread < 0:
            raise ValueError("environments, rounds and environment_spread must be >= 0")
        if self.rounds and not self.environments:
            raise ValueError("rounds need environments >= 1: each round starts a fresh set of them")


@dataclass(frozen=True)
class SyntheticEnvironment:
    """One execution environment of a variant, and its known truth."""

    id: str
    log_stream: str
    effect: float  # its items' times were multiplied by this
    round: int | None
    invocations: int = 0


@dataclass
class SyntheticRun:
    events: list[LogEvent]
    warm_ms: dict[str, np.ndarray]  # per variant id: the workload times of successful warm items
    cold_ms: dict[str, np.ndarray]  # and of successful cold ones
    log_groups: dict[str, str]  # variant id → log group
    variants: tuple[Variant, ...] = ()
    timeouts: dict[str, int] = field(default_factory=dict)  # per variant id: invocations that timed out
    environments: dict[str, list[SyntheticEnvironment]] = field(default_factory=dict)  # per variant id

    @property
    def environment_effect(self) -> dict[str, dict[str, float]]:
        """Variant id → environment id → the factor its items' times were multiplied by."""
        return {vid: {env.id: env.effect for env in envs} for vid, envs in self.environments.items()}

    def outputs(self, endpoint_url: str | None = None) -> StackOutputs:
        """The stack outputs of this run's matrix (a local cloud's when ``endpoint_url`` is given)."""
        functions = {v.id: FunctionOutputs(f"{FUNCTION_PREFIX}_{v.id}", f"http://sqs/q-{v.id}",
                                           f"http://sqs/d-{v.id}", self.log_groups[v.id], f"/{v.id}/process",
                                           v.memory_mb, v.architecture, v.runtime, v.role) for v in self.variants}
        api = f"{endpoint_url}/api" if endpoint_url else "https://api"
        return StackOutputs("us-east-1", endpoint_url, api, functions)


def emf_line(fields: dict[str, object], metrics: dict[str, float], timestamp_ms: int) -> str:
    """One EMF document as aws-embedded-metrics' LogSerializer writes it."""
    document = dict(fields)
    document["_aws"] = {"Timestamp": timestamp_ms, "CloudWatchMetrics": [{
        "Dimensions": [list(dims) for dims in c.DIMENSION_SETS],
        "Metrics": [{"Name": name, "Unit": _UNITS[name]} for name in metrics],
        "Namespace": c.NAMESPACE}]}
    document.update(metrics)
    return json.dumps(document)


def report_line(style: str, request_id: str, duration_ms: float, memory_mb: int, init_ms: float | None,
                timestamp_ms: int, status: str = "success") -> str:
    """The REPORT line of one invocation; AWS bills INIT on cold starts (since 2025-08-01). A ``status`` other
    than success is written as AWS does (``Status: timeout`` after the memory fields; MiniStack writes none)."""
    billed = int(np.ceil(duration_ms)) + (int(np.ceil(init_ms)) if init_ms is not None else 0)
    if style == "ministack":
        whole = int(duration_ms)
        return (f"REPORT RequestId: {request_id}\tDuration: {whole} ms\tBilled Duration: {whole} ms\t"
                f"Memory Size: {memory_mb} MB\tMax Memory Used: 0 MB")
    if style == "json":
        metrics: dict[str, float] = {"durationMs": round(duration_ms, 3), "billedDurationMs": billed,
                                     "memorySizeMB": memory_mb, "maxMemoryUsedMB": 80}
        if init_ms is not None:
            metrics["initDurationMs"] = round(init_ms, 3)
        stamp = datetime.fromtimestamp(timestamp_ms / 1000, UTC).isoformat(timespec="milliseconds")
        return json.dumps({"time": stamp, "type": "platform.report",
                           "record": {"requestId": request_id, "metrics": metrics, "status": status}})
    line = (f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms\tBilled Duration: {billed} ms\t"
            f"Memory Size: {memory_mb} MB\tMax Memory Used: 80 MB")
    line += f"\tInit Duration: {init_ms:.2f} ms\t" if init_ms is not None else "\t"
    return line + (f"Status: {status}" if status != "success" else "")


@dataclass(frozen=True)
class _Invocation:
    index: int  # the variant's invocation counter (timeout_every counts on it)
    first: int  # the seq of its first item
    end: int  # one past its last
    environment: int  # which environment of its block runs it
    cold: bool


def _blocks(spec: SyntheticSpec) -> list[tuple[int, int, int | None]]:
    """(first seq, end, round) of each round's items; one block without rounds."""
    n = spec.items_per_variant
    if not spec.rounds:
        return [(0, n, None)]
    cuts = [n * r // spec.rounds for r in range(spec.rounds + 1)]
    return [(cuts[r], cuts[r + 1], r) for r in range(spec.rounds)]


def _owners(spec: SyntheticSpec, count: int, rng: np.random.Generator) -> list[int]:
    """Which of ``spec.environments`` runs each of ``count`` invocations (every environment at least one)."""
    n = spec.environments
    if not spec.uneven or count <= n:
        return [i % n for i in range(count)]
    rest = rng.choice(n, size=count - n, p=rng.dirichlet(np.full(n, 0.5)))
    return [*range(n), *(int(e) for e in rest)]


def _invocations(spec: SyntheticSpec, rng: np.random.Generator) -> Iterator[tuple[list[_Invocation], int | None]]:
    """Each block's invocations (``batch_size`` items, never across rounds), and the block's round."""
    index = 0
    for first, end, trial in _blocks(spec):
        starts = range(first, end, spec.batch_size)
        if spec.environments:
            owners = _owners(spec, len(starts), rng)
            firsts = {owner: i for i, owner in reversed(list(enumerate(owners)))}
        else:
            owners = [(index + i) // spec.cold_every for i in range(len(starts))]
            firsts = {owner: i for i, owner in enumerate(owners) if (index + i) % spec.cold_every == 0}
        yield [_Invocation(index + i, start, min(start + spec.batch_size, end), owners[i], firsts.get(owners[i]) == i)
               for i, start in enumerate(starts)], trial
        index += len(starts)


def _new_environment(spec: SyntheticSpec, trial: int | None, rng: np.random.Generator) -> SyntheticEnvironment:
    day = datetime.fromtimestamp(spec.start_ms / 1000, UTC)
    effect = float(np.exp(rng.normal(0.0, spec.environment_spread))) if spec.environment_spread else 1.0
    return SyntheticEnvironment(rng.bytes(8).hex(), f"{day:%Y/%m/%d}/[$LATEST]{rng.bytes(16).hex()}", effect, trial)


def synthetic_run(spec: SyntheticSpec) -> SyntheticRun:
    rng = np.random.default_rng(spec.seed)
    env_rng = np.random.default_rng([spec.seed, 14])  # its own stream: the other draws stay as they were
    events: list[LogEvent] = []
    warm_ms: dict[str, np.ndarray] = {}
    cold_ms: dict[str, np.ndarray] = {}
    groups = {v.id: f"/aws/lambda/{FUNCTION_PREFIX}_{v.id}" for v in spec.median_ms}
    gap_ms = 1000.0 / spec.rate_per_s
    timeouts: dict[str, int] = {}
    truth: dict[str, list[SyntheticEnvironment]] = {}
    for variant, median in spec.median_ms.items():
        vid, arch, memory_mb, group = variant.id, variant.architecture, variant.memory_mb, groups[variant.id]
        timeouts[vid], truth[vid] = 0, []
        times = rng.lognormal(np.log(median), spec.sigma, spec.items_per_variant)
        ok: dict[bool, list[float]] = {True: [], False: []}
        for block, trial in _invocations(spec, env_rng):
            envs: dict[int, SyntheticEnvironment] = {}
            for call in block:
                env = envs.get(call.environment) or _new_environment(spec, trial, env_rng)
                envs[call.environment] = replace(env, invocations=env.invocations + 1)
                request_id = str(uuid.UUID(int=int(rng.integers(0, 2**63)) << 64 | call.index))
                init = round(spec.init_ms[arch] * float(rng.uniform(0.9, 1.1)), 3) if call.cold else None
                stamp = spec.start_ms + int(call.first * gap_ms)
                events.append(LogEvent(group, stamp, f"START RequestId: {request_id} Version: $LATEST",
                                       env.log_stream))
                if spec.timeout_every > 0 and call.index % spec.timeout_every == spec.timeout_every - 1:
                    end = stamp + int(spec.timeout_ms)
                    events.append(LogEvent(group, end, f"END RequestId: {request_id}", env.log_stream))
                    events.append(LogEvent(group, end, report_line(
                        spec.report_style, request_id, spec.timeout_ms, memory_mb, init, end, status="timeout"),
                        env.log_stream))
                    timeouts[vid] += 1
                    continue
                handler_total = 0.0
                for seq in range(call.first, call.end):
                    failed = spec.error_every > 0 and seq % spec.error_every == spec.error_every - 1
                    cold_item = call.cold and seq == call.first  # the handler marks a cold invocation's first item
                    # Rounded as the handler rounds what it emits (handlers/processing.py).
                    workload_ms = round(float(times[seq]) * env.effect * (spec.cold_factor if cold_item else 1.0), 4)
                    handler_ms = round(workload_ms + 0.4, 4)
                    handler_total += handler_ms
                    metrics = {c.M_HANDLER_MS: handler_ms, c.M_PEAK_RSS_MB: 60.0 + seq % 7,
                               c.M_QUEUE_LAG_MS: 15.0 + seq % 11, c.M_COLD_START: float(cold_item),
                               c.M_ERRORS: float(failed)}
                    if not failed:
                        metrics = {c.M_WORKLOAD_MS: workload_ms, **metrics}
                        ok[cold_item].append(workload_ms)
                    if cold_item and init is not None:
                        metrics[c.M_INIT_MS] = init
                    fields: dict[str, object] = {
                        c.DIM_VARIANT: vid, c.DIM_WORKLOAD: spec.workloads[seq % len(spec.workloads)],
                        c.P_ARCHITECTURE: arch, c.P_RUN_ID: spec.run_id, c.P_SEQ: seq, c.P_REQUEST_ID: request_id,
                        c.P_MESSAGE_ID: f"m-{vid}-{seq}", c.P_FUNCTION_NAME: f"{FUNCTION_PREFIX}_{vid}",
                        c.P_FUNCTION_VERSION: "$LATEST", c.P_MEMORY_SIZE_MB: memory_mb,
                        c.P_RUNTIME: variant.runtime, c.P_HOST_MACHINE: spec.host_machine[arch],
                        c.P_TRIGGER: "sqs", c.P_RESULT_DIGEST: f"{seq:08x}",
                        c.P_ERROR_TYPE: "workload_failed" if failed else None,
                        c.P_ENVIRONMENT_ID: env.id, c.P_LOG_STREAM: env.log_stream,
                        c.P_CPU_MODEL: spec.cpu_models[arch]}
                    if trial is not None:
                        fields[c.P_ROUND] = trial
                    events.append(LogEvent(group, stamp, emf_line(fields, metrics, stamp), env.log_stream))
                duration = handler_total + 1.0
                end = stamp + int(duration)
                events.append(LogEvent(group, end, f"END RequestId: {request_id}", env.log_stream))
                events.append(LogEvent(group, end, report_line(spec.report_style, request_id, duration, memory_mb,
                                                               init, end), env.log_stream))
            truth[vid].extend(envs.values())
        warm_ms[vid], cold_ms[vid] = np.asarray(ok[False]), np.asarray(ok[True])
    return SyntheticRun(events, warm_ms, cold_ms, groups, tuple(spec.median_ms), timeouts, truth)
