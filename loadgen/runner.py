"""The pacer: releases each request when the schedule says, to every variant at once, to sender threads.

The pacer never waits for a sender. Each variant has its own queue of released requests and its own senders.
Within each release the variants are handed their requests in a fresh seeded random order (``release_orders``),
so no variant is always first and a run with the same seed releases in the same orders. One sender at a time
collects a batch (up to the target's batch size: 10 for SQS, 1 for HTTP): at a light load each request goes out
alone the moment it is due; at 200/s and more an SQS batch may wait up to ``linger`` past its first request's due
time to fill, so one process can reach high rates without a call per message; and when every sender is busy the
next batch is simply fuller. Requests that start late are measured by ``RunStats`` (lag, started_late); the
schedule itself never slips and nothing is dropped.
"""

from __future__ import annotations

import math
import os
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from typing import Protocol

from loadgen.plan import Plan, RoundWindow
from loadgen.stats import RunStats

SQS_CALL_S = 0.05  # a SendMessageBatch round trip on AWS (~5–10 ms locally): sizes the SQS senders
API_CALL_S = 0.5  # an HTTP request waits for the function; cold starts can take a second
LINGER_FROM_PER_S = 200.0  # below this rate a batch would rarely fill: send each request at once
LINGER_S = 0.01  # at or above it, a batch waits at most this long for company
# Messages a second one sender process sends at most on this machine, every variant together: ~1,700 measured
# for SendMessageBatch (issue 19; ``benchmarks/loadgen.py`` measures it again); HTTP costs a signed call per
# message, and its figure is a cautious estimate, not a measurement.
PROCESS_MSG_PER_S = {"sqs": 1500.0, "api": 300.0}
MAX_PROCESSES = 64


class Target(Protocol):
    batch_size: int

    def send(self, variant: str, seqs: list[int], due_mono: list[float]) -> None: ...

    def close(self) -> None: ...


def linger_s(plan: Plan, target: str) -> float:
    """How long an SQS batch may wait past its first request's due time to fill up (0 for HTTP, low rates)."""
    return LINGER_S if target == "sqs" and plan.profile.peak_rate_per_s >= LINGER_FROM_PER_S else 0.0


def senders_per_variant(plan: Plan, target: str) -> int:
    """Sender threads per variant for the plan's peak, with 2× headroom; a burst goes out all at once; one for the
    cold profile's single request per round."""
    profile = plan.profile
    if profile.kind == "cold":
        return 1  # one request per variant and round
    rate = profile.peak_rate_per_s
    if target == "sqs":
        per_call = min(10.0, max(1.0, rate * linger_s(plan, target)))
        wanted, cap = rate / per_call * SQS_CALL_S * 2, 32
        burst = math.ceil(profile.burst_size / 10)
    else:
        wanted, cap = rate * API_CALL_S * 2, 256
        burst = profile.burst_size
    if profile.kind == "burst":
        wanted = max(wanted, burst)
    return int(min(cap, max(4, math.ceil(wanted))))


def available_cores() -> int:
    """The cores this process may run on (its affinity, where the OS tells)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def default_processes(plan: Plan, target: str, variants: int, cores: int | None = None) -> int:
    """Sender processes for the plan's peak rate to every one of ``variants``, at most the cores (or the
    requests): one for the cold profile and ``--rounds``, whose rounds update every function in between."""
    if plan.profile.kind == "cold" or plan.rounds > 1:
        return 1
    wanted = math.ceil(plan.profile.peak_rate_per_s * variants / PROCESS_MSG_PER_S[target])
    return max(1, min(wanted, cores or available_cores(), plan.total))


def release_orders(variants: tuple[str, ...], seed: int | str) -> Iterator[tuple[str, ...]]:
    """The order in which each release hands its requests to the variants: a new seeded shuffle every release
    (a ``str`` seed gives a stream of its own from the same ``--seed``, e.g. the rounds' update orders)."""
    rng = random.Random(seed)
    order = list(variants)
    while True:
        rng.shuffle(order)
        yield tuple(order)


class Releasable(Protocol):
    def put(self, items: list[tuple[int, float]]) -> None: ...


class _Released:
    """One variant's released-but-not-taken requests: (seq, due monotonic time)."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._items: deque[tuple[int, float]] = deque()
        self._ready = threading.Condition()
        self._collecting = threading.Lock()  # one sender forms a batch at a time; the others send theirs
        self._closed = False
        self._clock = clock

    def put(self, items: list[tuple[int, float]]) -> None:
        with self._ready:
            self._items.extend(items)
            self._ready.notify()  # only the collecting sender waits on this condition

    def close(self) -> None:
        with self._ready:
            self._closed = True
            self._ready.notify_all()

    def take(self, limit: int, linger: float) -> list[tuple[int, float]] | None:
        """Up to ``limit`` requests once at least one is there and the batch is full or its first request has
        waited ``linger`` past its due time; None once closed and empty."""
        with self._collecting, self._ready:
            while not self._items and not self._closed:
                self._ready.wait()
            if self._items and linger > 0:
                deadline = self._items[0][1] + linger
                while len(self._items) < limit and not self._closed:
                    remaining = deadline - self._clock()
                    if remaining <= 0:
                        break
                    self._ready.wait(remaining)
            count = min(limit, len(self._items))
            return [self._items.popleft() for _ in range(count)] or None


def send_guarded(target: Target, stats: RunStats, variant: str, seqs: list[int], due_mono: list[float]) -> None:
    """One send; a sender must outlive a bug in one call, so an exception becomes an error shown live."""
    try:
        target.send(variant, seqs, due_mono)
    except Exception as exc:
        stats.note_error(f"{variant}: {type(exc).__name__}: {exc}", kind=f"{variant} {type(exc).__name__}")


def run_schedule(plan: Plan, target: Target, variants: tuple[str, ...], stats: RunStats, *,
                 senders: int, linger: float, stop: threading.Event,
                 clock: Callable[[], float] = time.monotonic, window: RoundWindow | None = None,
                 orders: Iterator[tuple[str, ...]] | None = None, start: float | None = None,
                 abandon: threading.Event | None = None) -> None:
    """Release every planned request (of ``window``: one round, or one process's slice) at its due time (or until
    ``stop`` is set), then wait for the senders. ``orders`` continues one stream of release orders across rounds;
    ``start`` (monotonic, default: now) is the schedule's t=0, the instant every sender process shares.

    On ``stop`` (the first Ctrl-C) requests already released are still sent, so scheduled = sent + failed, and
    ``stats`` notes when the schedule was cut short; a ``KeyboardInterrupt`` while they drain, or ``abandon`` set,
    abandons the ones no sender has taken (they were never counted).
    """
    released = {variant: _Released(clock) for variant in variants}
    abandon = abandon or threading.Event()

    def sender(variant: str) -> None:
        while (batch := released[variant].take(target.batch_size, linger)) is not None:
            if not abandon.is_set():
                send_guarded(target, stats, variant, [seq for seq, _ in batch], [due for _, due in batch])

    threads = [threading.Thread(target=sender, args=(variant,), name=f"loadgen-{variant}-{i}", daemon=True)
               for variant in variants for i in range(senders)]
    for thread in threads:
        thread.start()
    window = window or plan.whole_window
    start = clock() if start is None else start
    stats.mark_start(start, offset_s=window.offset_s)
    try:
        release_schedule(plan, released, stats, stop, start, clock, window=window, orders=orders)
    finally:
        for queue in released.values():
            queue.close()
        try:
            for thread in threads:
                thread.join()
        except KeyboardInterrupt:  # a second Ctrl-C: give up what no sender has taken yet
            abandon.set()
            raise


def release_schedule(plan: Plan, released: Mapping[str, Releasable], stats: RunStats, stop: threading.Event,
                     start: float, clock: Callable[[], float], *, window: RoundWindow | None = None,
                     orders: Iterator[tuple[str, ...]] | None = None) -> None:
    """Hand every variant's queue each due request (seq, due monotonic time), at its due time, in the order of
    ``orders`` (default: ``release_orders`` seeded by the plan's seed); until the end or ``stop``. ``start`` is
    the moment the window (default: the whole plan) begins."""
    window = window or plan.whole_window
    offset, seqs = window.offset_s, window.seqs  # a slice's seqs step by the number of slices
    due = plan.due[seqs.start:seqs.stop:seqs.step]  # due[i] is when seqs[i] is due
    position, end = 0, len(seqs)
    orders = orders or release_orders(tuple(released), plan.seed)
    while position < end and not stop.is_set():
        now = clock() - start + offset
        first = position
        while position < end and due[position] <= now:
            position += 1
        if position > first:
            items = [(seqs[i], start + float(due[i]) - offset) for i in range(first, position)]
            for variant in next(orders):
                released[variant].put(items)
            stats.mark_dispatched(position - first)
        if position < end:
            stop.wait(max(0.0, float(due[position]) - offset - (clock() - start)))
    if position < end:
        stats.mark_stopped(clock())
