"""What the senders observed, shared between sender threads, the live display and the manifest."""

from __future__ import annotations

import threading
import time
from array import array
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from core import TargetCounts

LATE_AFTER_S = 0.1  # a request that starts more than this after its due time counts as started late
_RECENT = 4096  # lag samples the live display summarises


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One HTTP request: the per-request record the API target keeps (``requests.csv``)."""

    variant: str  # variant id
    seq: int
    status: int | None  # None: no answer (connection error)
    latency_ms: float
    lag_ms: float


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
        self.lags_s = array("d")  # every request's lag: 8 bytes each, an hour at 1,000/s is ~60 MB
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
            self.lags_s.extend(lags)
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
        with self.lock:
            recent = np.fromiter(self._recent_lags, dtype=np.float64)
            variants = {variant: VariantView(s.sent, s.failed, s.retried, s.started_late, _errors(s))
                        for variant, s in self.variants.items()}
            dispatched = self.dispatched
            current_round = self.rounds[-1].index if self.rounds else None
        elapsed = self.clock() - self.started_mono
        p50, p99 = (np.percentile(recent, [50, 99]) * 1000.0) if len(recent) else (0.0, 0.0)
        return Snapshot(elapsed_s=elapsed, offset_s=self.offset_s, dispatched=dispatched, variants=variants,
                        lag_p50_ms=float(p50), lag_p99_ms=float(p99), last_error=self.last_error,
                        round_index=current_round)

    def lag_summary_ms(self) -> dict[str, float]:
        """Exact p50/p99/max of intended-vs-actual send time over every request of the run."""
        with self.lock:
            lags = np.frombuffer(self.lags_s, dtype=np.float64) * 1000.0
        return summarise(lags)

    def latency_summary_ms(self, variant: str) -> dict[str, float]:
        """HTTP response time of one variant's answered requests (API target)."""
        with self.lock:
            latencies = [r.latency_ms for r in self.records if r.variant == variant and r.status is not None]
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


def summarise(values_ms: np.ndarray) -> dict[str, float]:
    """p50/p99/max, exact (linear interpolation); zeros when there is nothing to summarise."""
    if not len(values_ms):
        return {"p50": 0.0, "p99": 0.0, "max": 0.0}
    p50, p99 = np.percentile(values_ms, [50, 99])
    return {"p50": round(float(p50), 3), "p99": round(float(p99), 3), "max": round(float(values_ms.max()), 3)}


def _errors(stats: TargetCounts) -> int:
    """Failed sends plus HTTP answers that are not 2xx."""
    return stats.failed + sum(n for status, n in (stats.http_status or {}).items() if not status.startswith("2"))


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
