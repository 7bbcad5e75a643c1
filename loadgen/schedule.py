"""The open-model schedule: a pure function from a load profile to the moment each request is due.

Like k6's constant-arrival-rate executor, the due times are fixed before the run starts, so a slow target can
only make requests late (which the run measures) — never fewer or later-scheduled (no coordinated omission).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from core import UsageError

PROFILES = ("sustained", "burst", "ramp", "poisson", "cold")
_EPS = 1e-9  # so that 0.1/s × 30 s counts as 3, not 2.9999999
# Requests per architecture in one run: the plan and the lag record hold every one (~50 bytes each), and one
# process sends a few thousand per second, so more than this is a typo in --rate or --duration, not a run.
MAX_REQUESTS = 20_000_000
# Cold rounds in one run: each waits for a configuration update of every function (seconds on AWS).
MAX_COLD_ROUNDS = 1000
# ``--rounds``: each round also waits for an update of every function, then for its requests to be processed.
MAX_ROUNDS = 100


@dataclass(frozen=True)
class Profile:
    """How arrivals are spread over the run.

    sustained: ``rate`` requests/s evenly spaced, the first at t=0.
    burst:     every ``burst_interval_s``, ``rate × burst_interval_s`` requests due at the same instant.
    ramp:      the rate grows (or falls) linearly from ``start_rate`` to ``rate`` over the duration.
    poisson:   a Poisson process of ``rate`` conditioned on exactly ``rate × duration`` arrivals (seeded).
    cold:      ``count`` rounds, each released when every function has a fresh execution environment (not by
               time: ``loadgen.cold``); the rate and the duration do not apply and are 0.

    ``rounds`` (not cold) splits the duration into that many equal windows, each run on fresh execution
    environments (``loadgen.rounds``): randomised multiple interleaved trials, so that one lucky or unlucky
    environment weighs as one of several, not as the whole run.
    """

    kind: str
    rate_per_s: float
    duration_s: float
    start_rate_per_s: float = 0.0
    burst_interval_s: float = 10.0
    seed: int = 0
    count: int = 0  # cold: rounds
    rounds: int = 1  # the other profiles: 1 is one window on whatever environments are warm

    def __post_init__(self) -> None:
        if self.kind not in PROFILES:
            raise UsageError(f"profile {self.kind!r} is not one of {', '.join(PROFILES)}")
        if self.kind == "cold" and self.rounds != 1:
            raise UsageError("--rounds is not for --profile cold: its --count already gives every request a fresh "
                             "execution environment")
        if not 1 <= self.rounds <= MAX_ROUNDS:
            raise UsageError(f"--rounds must be 1–{MAX_ROUNDS}, got {self.rounds}")
        if self.kind == "cold":
            if not 1 <= self.count <= MAX_COLD_ROUNDS:
                raise UsageError(f"--count must be 1–{MAX_COLD_ROUNDS} cold rounds, got {self.count}")
            return
        if self.kind == "burst" and self.burst_size < 1:
            raise UsageError(
                f"burst: rate × interval is {self.rate_per_s * self.burst_interval_s:g} requests; "
                "raise --rate or --burst-interval so each burst has at least one")
        if self.request_count == 0:
            raise UsageError(f"rate × duration gives no request at all ({self.rate_per_s:g}/s for "
                             f"{self.duration_s:g} s): raise --rate or --duration")
        if self.request_count > MAX_REQUESTS:
            raise UsageError(f"this profile plans {self.request_count:,} requests per architecture; one run takes "
                             f"at most {MAX_REQUESTS:,}: lower --rate or --duration")

    @property
    def burst_size(self) -> int:
        return round(self.rate_per_s * self.burst_interval_s)

    @property
    def request_count(self) -> int:
        """How many requests ``due_times`` returns, known before any array is made."""
        if self.kind == "cold":
            return self.count
        if self.kind == "burst":
            return self.burst_count * self.burst_size
        if self.kind == "ramp":
            return _count((self.start_rate_per_s + self.rate_per_s) / 2 * self.duration_s)
        return _count(self.rate_per_s * self.duration_s)

    @property
    def burst_count(self) -> int:
        return math.ceil(self.duration_s / self.burst_interval_s - _EPS)

    @property
    def peak_rate_per_s(self) -> float:
        """The highest steady rate the senders must sustain (a burst is sized separately)."""
        if self.kind == "ramp":
            return max(self.start_rate_per_s, self.rate_per_s)
        return self.rate_per_s

    def to_config(self) -> dict[str, float | int | str]:
        """The parameters that matter for this kind, for the run manifest."""
        config: dict[str, float | int | str] = {"profile": self.kind}
        if self.kind == "ramp":
            config["start_rate_per_s"] = self.start_rate_per_s
        if self.kind == "burst":
            config.update(burst_interval_s=self.burst_interval_s, burst_size=self.burst_size)
        if self.kind == "cold":
            config["count"] = self.count
        if self.rounds > 1:
            config["rounds"] = self.rounds
        return config

    @property
    def round_s(self) -> float:
        """How long each round's schedule lasts."""
        return self.duration_s / self.rounds


def due_times(profile: Profile) -> np.ndarray:
    """Seconds after the start at which each request is due, non-decreasing, one entry per request."""
    count = profile.request_count
    if profile.kind == "cold":
        return np.zeros(count, dtype=np.float64)  # each round is released when its update has finished
    if profile.kind == "sustained":
        return np.arange(count, dtype=np.float64) / profile.rate_per_s
    if profile.kind == "burst":
        starts = np.arange(profile.burst_count, dtype=np.float64) * profile.burst_interval_s
        return np.repeat(starts, profile.burst_size)
    if profile.kind == "ramp":
        return _ramp(profile.start_rate_per_s, profile.rate_per_s, profile.duration_s, count)
    rng = np.random.default_rng(profile.seed)
    return np.sort(rng.uniform(0.0, profile.duration_s, count))


def split_rounds(profile: Profile, due: np.ndarray) -> np.ndarray:
    """The first seq of each round, then the total (``rounds + 1`` entries): round ``r`` holds the requests due
    in ``[r, r + 1) × round_s``, so the rounds last the same time even when the requests do not divide evenly (a
    ramp's last request, due at the very end, belongs to the last round). A round with no request is refused."""
    if profile.rounds == 1:
        return np.array([0, len(due)], dtype=np.int64)
    boundaries = np.arange(1, profile.rounds, dtype=np.float64) * profile.round_s - _EPS
    bounds = np.concatenate(([0], np.searchsorted(due, boundaries, side="left"), [len(due)])).astype(np.int64)
    empty = np.flatnonzero(np.diff(bounds) == 0)
    if len(empty):
        raise UsageError(f"--rounds {profile.rounds} leaves round {int(empty[0])} ({profile.round_s:g} s) without a "
                         f"request: {len(due)} per variant cannot fill {profile.rounds} rounds; lower --rounds or "
                         "raise --rate or --duration")
    return bounds


def _ramp(start: float, end: float, duration: float, count: int) -> np.ndarray:
    """Request i is due when the cumulative arrivals ``start·t + (end−start)·t²/2D`` reach i."""
    i = np.arange(count, dtype=np.float64)
    a = (end - start) / (2 * duration)
    # 2i / (b + sqrt(b² + 4ai)) is the root of a·t² + b·t − i = 0 that stays finite for a = 0 and for b = 0.
    denominator = start + np.sqrt(np.maximum(start * start + 4 * a * i, 0.0))
    with np.errstate(invalid="ignore", divide="ignore"):
        times = np.where(i == 0, 0.0, 2 * i / denominator)
    return np.minimum(times, duration)


def _count(expected: float) -> int:
    return math.floor(expected + _EPS)
