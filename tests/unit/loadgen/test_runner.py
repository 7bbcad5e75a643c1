"""The pacer: every seq to every variant, in batches of at most the target's size, in a shuffled order within each
release; stop keeps the books."""

from __future__ import annotations

import threading
from collections import Counter

import pytest

from loadgen.parsing import WorkloadShare
from loadgen.plan import Plan, build_plan
from loadgen.runner import LINGER_S, linger_s, release_orders, release_schedule, run_schedule, senders_per_variant
from loadgen.schedule import Profile
from loadgen.stats import RunStats

VARIANTS = ("py313-1024-arm64", "py313-1024-x86_64", "py313-1024-x86_64-twin")


class RecordingTarget:
    """A target that accepts everything and remembers each call (the collaborator, not the code under test)."""

    def __init__(self, stats: RunStats, batch_size: int, on_call=None) -> None:
        self.stats = stats
        self.batch_size = batch_size
        self.calls: list[tuple[str, tuple[int, ...], tuple[float, ...]]] = []
        self.lock = threading.Lock()
        self.on_call = on_call

    def send(self, variant: str, seqs: list[int], due_mono: list[float]) -> None:
        self.stats.begin(variant, due_mono)
        with self.lock:
            self.calls.append((variant, tuple(seqs), tuple(due_mono)))
        if self.on_call:
            self.on_call(len(self.calls))
        self.stats.finish(variant, sent=len(seqs))

    def close(self) -> None:
        """Nothing to release."""


def make_plan(kind: str = "sustained", rate: float = 400.0, duration: float = 0.5) -> Plan:
    return build_plan("20261125T080000Z-3fa2", Profile(kind, rate, duration, burst_interval_s=0.25),
                      (WorkloadShare("noop", 1.0, 0),), 1, 0)


def run(plan: Plan, batch_size: int, stop: threading.Event | None = None, on_call=None, senders: int = 2,
        linger: float = 0.0):
    stats = RunStats(VARIANTS)
    target = RecordingTarget(stats, batch_size, on_call)
    run_schedule(plan, target, VARIANTS, stats, senders=senders, linger=linger, stop=stop or threading.Event())
    return target, stats


def test_every_seq_goes_once_to_each_variant_in_batches_of_at_most_ten() -> None:
    plan = make_plan()
    target, stats = run(plan, batch_size=10)
    for variant in VARIANTS:
        seqs = [seq for a, batch, _ in target.calls if a == variant for seq in batch]
        assert sorted(seqs) == list(range(plan.total))
        assert stats.variants[variant].scheduled == stats.variants[variant].sent == plan.total
    assert max(len(seqs) for _, seqs, _ in target.calls) <= 10
    assert stats.dispatched == plan.total and stats.stopped_mono is None


def test_busy_senders_take_what_waited_in_one_call() -> None:
    plan = make_plan("burst", rate=100.0, duration=0.5)  # 25 due at t=0, 25 at t=0.25
    target, _ = run(plan, batch_size=10, senders=1)
    arm = [len(seqs) for variant, seqs, _ in target.calls if variant == VARIANTS[0]]
    assert sum(arm) == 50 and max(arm) == 10 and len(arm) <= 8  # not 50 calls of one


def test_with_a_linger_batches_wait_to_fill() -> None:
    plan = make_plan(rate=400.0, duration=0.5)  # 200 requests, 10 every 25 ms: far inside a 1 s linger
    target, stats = run(plan, batch_size=10, linger=1.0)
    for variant in VARIANTS:
        sizes = [len(seqs) for a, seqs, _ in target.calls if a == variant]
        assert sizes == [10] * 20
        assert stats.variants[variant].sent == 200


def test_linger_only_for_sqs_at_high_rates() -> None:
    assert linger_s(make_plan(rate=199.0), "sqs") == 0.0
    assert linger_s(make_plan(rate=200.0), "sqs") == LINGER_S
    assert linger_s(make_plan(rate=1000.0), "api") == 0.0


def test_due_times_passed_to_senders_follow_the_schedule() -> None:
    plan = make_plan()
    target, _ = run(plan, batch_size=1)
    dues = {seqs[0]: due[0] for variant, seqs, due in target.calls if variant == VARIANTS[0]}
    for seq in (0, 1, 50, plan.total - 1):
        assert dues[seq] - dues[0] == pytest.approx(float(plan.due[seq]), abs=1e-9)
    assert all(len(seqs) == 1 for _, seqs, _ in target.calls)


def test_stop_ends_the_schedule_and_the_released_requests_are_all_accounted() -> None:
    plan = make_plan(rate=100.0, duration=30.0)
    stop = threading.Event()
    target, stats = run(plan, batch_size=1, stop=stop,
                        on_call=lambda n: stop.set() if n >= 20 else None)
    assert stats.dispatched < plan.total and stats.stopped_mono is not None
    assert stats.achieved_rate_per_s(plan.profile.duration_s) > 10.0  # over the time until the stop, not 30 s
    for variant in VARIANTS:
        counts = stats.variants[variant]
        assert counts.scheduled == counts.sent == stats.dispatched  # released before the stop: all sent
    assert Counter(variant for variant, _, _ in target.calls) == {a: stats.dispatched for a in VARIANTS}


def test_senders_grow_with_the_rate_and_cover_a_burst() -> None:
    low, high = make_plan(rate=50.0, duration=1.0), make_plan(rate=2000.0, duration=1.0)
    assert senders_per_variant(low, "sqs") < senders_per_variant(high, "sqs") <= 32
    assert senders_per_variant(high, "api") > senders_per_variant(high, "sqs")
    burst = build_plan("20261125T080000Z-3fa2", Profile("burst", 10.0, 20.0, burst_interval_s=10.0),
                       (WorkloadShare("noop", 1.0, 0),), 1, 0)
    assert senders_per_variant(burst, "api") == 100  # a whole burst in flight at once
    assert senders_per_variant(burst, "sqs") == 10


class Handed:
    """One variant's released queue that notes, in one shared log, when it was handed which requests."""

    def __init__(self, variant: str, log: list[tuple[str, tuple[int, ...]]]) -> None:
        self.variant = variant
        self.log = log

    def put(self, items: list[tuple[int, float]]) -> None:
        self.log.append((self.variant, tuple(seq for seq, _ in items)))


class SimulatedTime(threading.Event):
    """A stop event whose waits move a simulated clock forward instead of sleeping."""

    def __init__(self) -> None:
        super().__init__()
        self.now = 0.0

    def wait(self, timeout: float | None = None) -> bool:
        self.now += timeout or 0.0
        return self.is_set()


def released_in_order(plan: Plan) -> list[tuple[str, tuple[int, ...]]]:
    """Every hand-over of ``plan``'s releases, in the order they happened, on simulated time."""
    log: list[tuple[str, tuple[int, ...]]] = []
    queues = {variant: Handed(variant, log) for variant in VARIANTS}
    time = SimulatedTime()
    release_schedule(plan, queues, RunStats(VARIANTS), time, start=0.0, clock=lambda: time.now)
    return log


def test_each_release_hands_every_variant_the_same_requests_in_a_shuffled_order() -> None:
    plan = make_plan("burst", rate=400.0, duration=10.0)  # 40 releases of 100 requests (one every 0.25 s)
    log = released_in_order(plan)
    releases = [log[i:i + len(VARIANTS)] for i in range(0, len(log), len(VARIANTS))]
    assert len(releases) == 40
    orders = []
    for release in releases:
        assert sorted(variant for variant, _ in release) == sorted(VARIANTS)  # every variant, once
        assert len({seqs for _, seqs in release}) == 1  # the same requests
        orders.append(tuple(variant for variant, _ in release))
    assert [seqs for release in releases for _, seqs in release[:1]] == [
        tuple(range(start, start + 100)) for start in range(0, 4000, 100)]  # each burst once, in schedule order
    assert len(set(orders)) == 6  # all 3! orders occur in 40 releases
    assert {order[0] for order in orders} == set(VARIANTS)  # no variant is always first
    assert log == released_in_order(plan)  # the same seed releases in the same orders


def test_release_orders_are_seeded_and_differ_between_seeds() -> None:
    def first_twenty(seed: int) -> list[tuple[str, ...]]:
        orders = release_orders(VARIANTS, seed)
        return [next(orders) for _ in range(20)]

    assert first_twenty(1) == first_twenty(1) != first_twenty(2)
    assert all(sorted(order) == sorted(VARIANTS) for order in first_twenty(3))
