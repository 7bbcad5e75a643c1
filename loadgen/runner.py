"""The pacer: releases each request when the schedule says, to every architecture at once, to sender threads.

The pacer never waits for a sender. Each architecture has its own queue of released requests and its own
senders. One sender at a time collects a batch (up to the target's batch size: 10 for SQS, 1 for HTTP): at a light
load each request goes out alone the moment it is due; at 200/s and more an SQS batch may wait up to ``linger``
past its first request's due time to fill, so one process can reach high rates without a call per message; and
when every sender is busy the next batch is simply fuller. Requests that start late are measured by ``RunStats``
(lag, started_late); the schedule itself never slips and nothing is dropped.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Protocol

from loadgen.plan import Plan
from loadgen.stats import RunStats

SQS_CALL_S = 0.05  # a SendMessageBatch round trip on AWS (~5–10 ms locally): sizes the SQS senders
API_CALL_S = 0.5  # an HTTP request waits for the function; cold starts can take a second
LINGER_FROM_PER_S = 200.0  # below this rate a batch would rarely fill: send each request at once
LINGER_S = 0.01  # at or above it, a batch waits at most this long for company


class Target(Protocol):
    batch_size: int

    def send(self, arch: str, seqs: list[int], due_mono: list[float]) -> None: ...

    def close(self) -> None: ...


def linger_s(plan: Plan, target: str) -> float:
    """How long an SQS batch may wait past its first request's due time to fill up (0 for HTTP, low rates)."""
    return LINGER_S if target == "sqs" and plan.profile.peak_rate_per_s >= LINGER_FROM_PER_S else 0.0


def senders_per_arch(plan: Plan, target: str) -> int:
    """Sender threads per architecture for the plan's peak, with 2× headroom; a burst goes out all at once."""
    profile = plan.profile
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


class _Released:
    """One architecture's released-but-not-taken requests: (seq, due monotonic time)."""

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


def run_schedule(plan: Plan, target: Target, architectures: tuple[str, ...], stats: RunStats, *,
                 senders: int, linger: float, stop: threading.Event,
                 clock: Callable[[], float] = time.monotonic) -> None:
    """Release every planned request at its due time (or until ``stop`` is set), then wait for the senders.

    On ``stop`` (the first Ctrl-C) requests already released are still sent, so scheduled = sent + failed, and
    ``stats`` notes when the schedule was cut short; a ``KeyboardInterrupt`` while they drain abandons the ones no
    sender has taken (they were never counted).
    """
    released = {arch: _Released(clock) for arch in architectures}
    abandon = threading.Event()

    def sender(arch: str) -> None:
        while (batch := released[arch].take(target.batch_size, linger)) is not None:
            if abandon.is_set():
                continue
            try:
                target.send(arch, [seq for seq, _ in batch], [due for _, due in batch])
            except Exception as exc:  # a sender must outlive a bug in one call; the error is shown live
                stats.note_error(f"{arch}: {type(exc).__name__}: {exc}", kind=f"{arch} {type(exc).__name__}")

    threads = [threading.Thread(target=sender, args=(arch,), name=f"loadgen-{arch}-{i}", daemon=True)
               for arch in architectures for i in range(senders)]
    for thread in threads:
        thread.start()
    start = clock()
    stats.mark_start(start)
    try:
        _pace(plan, released, stats, stop, start, clock)
    finally:
        for queue in released.values():
            queue.close()
        try:
            for thread in threads:
                thread.join()
        except KeyboardInterrupt:  # a second Ctrl-C: give up what no sender has taken yet
            abandon.set()
            raise


def _pace(plan: Plan, released: dict[str, _Released], stats: RunStats, stop: threading.Event, start: float,
          clock: Callable[[], float]) -> None:
    due, total, next_seq = plan.due, len(plan.due), 0
    while next_seq < total and not stop.is_set():
        now = clock() - start
        first = next_seq
        while next_seq < total and due[next_seq] <= now:
            next_seq += 1
        if next_seq > first:
            items = [(seq, start + float(due[seq])) for seq in range(first, next_seq)]
            for queue in released.values():
                queue.put(items)
            stats.mark_dispatched(next_seq - first)
        if next_seq < total:
            stop.wait(max(0.0, float(due[next_seq]) - (clock() - start)))
    if next_seq < total:
        stats.mark_stopped(clock())
