"""What the senders observed, shared between sender threads, the live display and the manifest.

The send lag goes into a DDSketch, not a list: sketches of several senders (processes, Lambda workers) merge
into the sketch of the whole run, whose quantiles stay within ``LAG_RELATIVE_ACCURACY`` of the exact ones, where
averaging each sender's percentiles would not. A run in several processes keeps one ``RunStats`` in the driver:
each process's latest ``SenderLive`` shows in its snapshot, and its final ``SenderReport`` is absorbed into it.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
from ddsketch import DDSketch

from core import TargetCounts

LATE_AFTER_S = 0.1  # a request that starts more than this after its due time counts as started late
LAG_RELATIVE_ACCURACY = 0.01  # DDSketch: every quantile within 1 % of the exact sample quantile
_RECENT = 4096  # lag samples the live display summarises


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One HTTP request: the per-request record the API target keeps (``requests.csv``)."""

    variant: str  # variant id
    seq: int
    status: int | None  # None: no answer (connection error)
    latency_ms: float  # from the actual send
    lag_ms: float
    intended_latency_ms: float  # from the intended (due) send time: lag + latency, as wrk2 and k6 report it


@dataclass(slots=True)
class RoundState:
    """One round of ``--rounds``: its update order, when its schedule started and ended (epoch s), whether
    every variant had processed its requests before the next round's update."""

    index: int
    order: tuple[str, ...]  # the seeded shuffled order of its functions' updates
    started_at: float
    ended_at: float | None = None
    settled: bool = False


class RunStats:
    """Thread-safe accumulation of counts and schedule lag across all senders."""

    def __init__(self, variants: tuple[str, ...], clock: Callable[[], float] = time.monotonic) -> None:
        self.lock = threading.Lock()
        self.clock = clock
        # The manifest's own counts, kept live (guarded by ``lock``); every target gets a status map, which
        # only the API target fills and only its manifest keeps.
        self.variants = {variant: TargetCounts(http_status={}) for variant in variants}
        self.dispatched = 0  # seqs whose due time has come (per variant)
        self.lag_sketch = new_sketch()  # every request's lag, ms
        self._recent_lags: deque[float] = deque(maxlen=_RECENT)
        self.records: list[RequestRecord] = []
        self.started_mono = clock()
        self.last_start_mono = self.started_mono
        self.offset_s = 0.0  # schedule time before ``started_mono``: the earlier rounds'
        self.stopped_mono: float | None = None  # when a stop cut the schedule short
        self.last_error: str | None = None
        self._error_kinds: set[str] = set()
        self._first_errors: deque[str] = deque()  # the first error of each kind, until taken
        self.rounds: list[RoundState] = []  # ``--rounds`` only
        self._live: dict[int, SenderLive] = {}  # sender processes' latest progress, until their report

    def begin_round(self, index: int, order: tuple[str, ...], started_at: float) -> None:
        with self.lock:
            self.rounds.append(RoundState(index=index, order=order, started_at=started_at))

    def end_round(self, ended_at: float, settled: bool) -> None:
        with self.lock:
            self.rounds[-1].ended_at = ended_at
            self.rounds[-1].settled = settled

    def mark_start(self, now: float, offset_s: float = 0.0) -> None:
        """The schedule's t=0 (monotonic), or a round's: ``offset_s`` of the schedule came before it (earlier
        rounds). The achieved rate is measured over the schedule's time, not over the pauses between rounds."""
        self.started_mono = self.last_start_mono = now
        self.offset_s = offset_s

    def mark_stopped(self, now: float) -> None:
        """The schedule was cut short here (monotonic): the achieved rate is measured up to this moment."""
        self.stopped_mono = now

    def mark_dispatched(self, count: int) -> None:
        with self.lock:
            self.dispatched += count

    def note_error(self, message: str, kind: str | None = None) -> None:
        """Keep the latest error text for the live display (the counts live in ``variants``), and the first one
        of each ``kind`` (default: the message up to its second colon, e.g. ``py313-1024-arm64: SendMessageBatch``)
        for a log without a terminal (``take_first_errors``)."""
        line = message.splitlines()[0][:200] if message else message
        self.last_error = line
        kind = kind if kind is not None else ":".join(line.split(":")[:2])
        with self.lock:
            if kind not in self._error_kinds:
                self._error_kinds.add(kind)
                self._first_errors.append(line)

    def take_first_errors(self) -> list[str]:
        """The first error of each kind not taken yet, oldest first (each is returned once)."""
        with self.lock:
            return self._take_first_errors()

    def _take_first_errors(self) -> list[str]:
        taken = list(self._first_errors)
        self._first_errors.clear()
        return taken

    def begin(self, variant: str, due_mono: list[float]) -> list[float]:
        """A sender starts sending these requests now: count them as scheduled and record their lag (s)."""
        now = self.clock()
        lags = [now - due for due in due_mono]
        with self.lock:
            stats = self.variants[variant]
            stats.scheduled += len(lags)
            stats.started_late += sum(1 for lag in lags if lag > LATE_AFTER_S)
            for lag in lags:
                self.lag_sketch.add(lag * 1000.0)
            self._recent_lags.extend(lags)
            self.last_start_mono = max(self.last_start_mono, now)
        return lags

    def finish(self, variant: str, *, sent: int = 0, failed: int = 0, retried: int = 0) -> None:
        with self.lock:
            stats = self.variants[variant]
            stats.sent += sent
            stats.failed += failed
            stats.retried += retried

    def answer(self, record: RequestRecord) -> None:
        """An HTTP request ended: with a status it counts as sent, without one as failed."""
        with self.lock:
            stats = self.variants[record.variant]
            if record.status is None:
                stats.failed += 1
            else:
                stats.sent += 1
                codes = stats.http_status
                assert codes is not None  # given to every target by __init__
                codes[str(record.status)] = codes.get(str(record.status), 0) + 1
            self.records.append(record)

    def snapshot(self) -> Snapshot:
        """What every sender has done so far: this process's own counts plus each sender process's latest."""
        with self.lock:
            live = list(self._live.values())
            recent = np.fromiter(itertools.chain(self._recent_lags, *(s.recent_lags_s for s in live)),
                                 dtype=np.float64)
            variants = {}
            for variant, own in self.variants.items():
                s = _sum_counts(own, *(sender.counts[variant] for sender in live))
                variants[variant] = VariantView(s.sent, s.failed, s.retried, s.started_late, _errors(s))
            dispatched = self.dispatched + sum(sender.dispatched for sender in live)
            current_round = self.rounds[-1].index if self.rounds else None
        elapsed = self.clock() - self.started_mono
        p50, p99 = (np.percentile(recent, [50, 99]) * 1000.0) if len(recent) else (0.0, 0.0)
        return Snapshot(elapsed_s=elapsed, offset_s=self.offset_s, dispatched=dispatched, variants=variants,
                        lag_p50_ms=float(p50), lag_p99_ms=float(p99), last_error=self.last_error,
                        round_index=current_round)

    def live(self, index: int) -> SenderLive:
        """This sender process's progress so far, for the driver's live display."""
        with self.lock:
            return SenderLive(index=index, counts={v: replace(c, http_status=dict(c.http_status or {}))
                                                   for v, c in self.variants.items()},
                              dispatched=self.dispatched, recent_lags_s=tuple(self._recent_lags),
                              errors=tuple(self._take_first_errors()))

    def report(self, index: int, start_mono: float) -> SenderReport:
        """What this sender did, its times relative to the common ``start_mono``: for the driver to absorb."""
        live = self.live(index)
        with self.lock:
            return SenderReport(index=index, counts=live.counts, dispatched=live.dispatched, lags=self.lag_sketch,
                                records=list(self.records), errors=list(live.errors),
                                last_start_s=self.last_start_mono - start_mono,
                                stopped_s=None if self.stopped_mono is None else self.stopped_mono - start_mono)

    def note_live(self, live: SenderLive) -> None:
        for error in live.errors:
            self.note_error(error)
        with self.lock:
            self._live[live.index] = live

    def absorb(self, report: SenderReport) -> None:
        """Add one sender's final counts, lags and records to the run's; its times are relative to this run's
        start (``mark_start``)."""
        for error in report.errors:
            self.note_error(error)
        with self.lock:
            self._live.pop(report.index, None)
            for variant, counts in report.counts.items():
                self.variants[variant] = _sum_counts(self.variants[variant], counts)
            self.dispatched += report.dispatched
            self.lag_sketch.merge(report.lags)
            self.records.extend(report.records)
            self.last_start_mono = max(self.last_start_mono, self.started_mono + report.last_start_s)
            if report.stopped_s is not None:
                stopped = self.started_mono + report.stopped_s
                self.stopped_mono = stopped if self.stopped_mono is None else max(self.stopped_mono, stopped)

    def count_unsent(self, scheduled: int) -> None:
        """A sender that never reported: its ``scheduled`` requests per variant count as failed, never sent."""
        with self.lock:
            for counts in self.variants.values():
                counts.scheduled += scheduled
                counts.failed += scheduled

    def lag_summary_ms(self) -> dict[str, float]:
        """p50/p99/max of intended-vs-actual send time over every request of the run, from the sketch."""
        with self.lock:
            return summarise_sketch(self.lag_sketch)

    def latency_summary_ms(self, variant: str, *, intended: bool = False) -> dict[str, float]:
        """HTTP response time of one variant's answered requests (API target), from the actual send or, with
        ``intended``, from the time the schedule meant it to be sent."""
        with self.lock:
            latencies = [r.intended_latency_ms if intended else r.latency_ms
                         for r in self.records if r.variant == variant and r.status is not None]
        return summarise(np.asarray(latencies, dtype=np.float64))

    def achieved_rate_per_s(self, duration_s: float) -> float:
        """Mean over variants of sent / sending time; sending time is the planned duration, stretched if
        the last request started after it, or cut short by a stop."""
        if self.stopped_mono is not None:
            window = self.offset_s + self.stopped_mono - self.started_mono
        else:
            window = max(duration_s, self.offset_s + self.last_start_mono - self.started_mono)
        with self.lock:
            sent = [s.sent for s in self.variants.values()]
        return sum(sent) / len(sent) / window if window > 0 else 0.0


def new_sketch() -> DDSketch:
    return DDSketch(relative_accuracy=LAG_RELATIVE_ACCURACY)


def summarise(values_ms: np.ndarray) -> dict[str, float]:
    """p50/p99/max, exact (linear interpolation); zeros when there is nothing to summarise."""
    if not len(values_ms):
        return {"p50": 0.0, "p99": 0.0, "max": 0.0}
    p50, p99 = np.percentile(values_ms, [50, 99])
    return {"p50": round(float(p50), 3), "p99": round(float(p99), 3), "max": round(float(values_ms.max()), 3)}


def summarise_sketch(sketch: DDSketch) -> dict[str, float]:
    """p50/p99/max of a sketch, each within its relative accuracy; zeros for an empty one."""
    if not sketch.count:
        return {"p50": 0.0, "p99": 0.0, "max": 0.0}
    return {name: round(float(sketch.get_quantile_value(q) or 0.0), 3)
            for name, q in (("p50", 0.5), ("p99", 0.99), ("max", 1.0))}


def _sum_counts(first: TargetCounts, *more: TargetCounts) -> TargetCounts:
    total = replace(first, http_status=dict(first.http_status or {}))
    for counts in more:
        total.scheduled += counts.scheduled
        total.sent += counts.sent
        total.failed += counts.failed
        total.retried += counts.retried
        total.started_late += counts.started_late
        assert total.http_status is not None
        for status, n in (counts.http_status or {}).items():
            total.http_status[status] = total.http_status.get(status, 0) + n
    return total


def _errors(stats: TargetCounts) -> int:
    """Failed sends plus HTTP answers that are not 2xx."""
    return stats.failed + sum(n for status, n in (stats.http_status or {}).items() if not status.startswith("2"))


@dataclass(frozen=True)
class SenderLive:
    """One sender process's progress so far (cumulative), sent to the driver a few times a second."""

    index: int
    counts: dict[str, TargetCounts]
    dispatched: int
    recent_lags_s: tuple[float, ...]
    errors: tuple[str, ...]  # the first of each kind since the last one sent


@dataclass(frozen=True)
class SenderReport:
    """One sender's final account (a process, or a Lambda worker's partial manifest): its times are seconds
    after the run's common start."""

    index: int
    counts: dict[str, TargetCounts]
    dispatched: int
    lags: DDSketch  # ms
    records: list[RequestRecord] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    last_start_s: float = 0.0
    stopped_s: float | None = None


@dataclass(frozen=True)
class VariantView:
    sent: int
    failed: int
    retried: int
    started_late: int
    errors: int  # failed sends plus non-2xx answers


@dataclass(frozen=True)
class Snapshot:
    """A consistent view for the live display."""

    elapsed_s: float  # since the schedule's (or the round's) t=0
    offset_s: float  # schedule time before that t=0: the earlier rounds'
    dispatched: int
    variants: dict[str, VariantView]
    lag_p50_ms: float
    lag_p99_ms: float
    last_error: str | None
    round_index: int | None = None  # the round in progress (``--rounds``), 0-based
