"""The whole run decided up front: due times, which workload each seq runs, and the request body for a seq."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core import UsageError
from handlers.contract import WorkRequest
from loadgen.parsing import WorkloadShare
from loadgen.schedule import Profile, due_times, split_rounds


@dataclass(frozen=True)
class RoundWindow:
    """One round's part of the plan: its seqs, and where its schedule starts in the plan's time."""

    index: int
    seqs: range
    offset_s: float


@dataclass(frozen=True)
class Plan:
    """Seq ``i`` is due ``due[i]`` s after the start and runs ``mix[workload_index[i]]``; round ``r`` holds the
    seqs ``round_bounds[r]`` up to ``round_bounds[r + 1]``."""

    run_id: str
    profile: Profile
    mix: tuple[WorkloadShare, ...]  # every size resolved
    iterations: int
    seed: int
    due: np.ndarray
    workload_index: np.ndarray
    round_bounds: np.ndarray

    @property
    def total(self) -> int:
        """Requests per architecture."""
        return len(self.due)

    @property
    def rounds(self) -> int:
        return len(self.round_bounds) - 1

    @property
    def whole_window(self) -> RoundWindow:
        """Every seq from the schedule's t=0: what a run without rounds releases."""
        return RoundWindow(index=0, seqs=range(self.total), offset_s=0.0)

    def round_window(self, index: int) -> RoundWindow:
        return RoundWindow(index=index, seqs=range(int(self.round_bounds[index]), int(self.round_bounds[index + 1])),
                           offset_s=index * self.profile.round_s)

    def round_of(self, seq: int) -> int:
        return int(np.searchsorted(self.round_bounds, seq, side="right")) - 1

    def request(self, seq: int, sent_at: float) -> WorkRequest:
        """The body of ``seq``; it names its round only in a run of several (one round sends today's body)."""
        share = self.mix[int(self.workload_index[seq])]
        return WorkRequest(run_id=self.run_id, seq=seq, workload=share.name, size=int(share.size or 0),
                           iterations=self.iterations, seed=self.seed, sent_at=sent_at,
                           round=self.round_of(seq) if self.rounds > 1 else None, event=share.event)

    def counts(self) -> list[int]:
        """How many seqs each share of the mix gets, in mix order (``--events`` shares all share one name)."""
        return [int(n) for n in np.bincount(self.workload_index, minlength=len(self.mix))]


def build_plan(run_id: str, profile: Profile, mix: tuple[WorkloadShare, ...], iterations: int,
               seed: int) -> Plan:
    """Fix the schedule and the workload of every seq; the mix must already have its sizes resolved."""
    due = due_times(profile)
    return Plan(run_id=run_id, profile=profile, mix=mix, iterations=iterations, seed=seed, due=due,
                workload_index=assign_workloads(len(due), [s.weight for s in mix], seed),
                round_bounds=split_rounds(profile, due))


def assign_workloads(total: int, weights: list[float], seed: int) -> np.ndarray:
    """Exact shares (largest remainder) in a seeded random order, so a mix is both precise and interleaved."""
    shares = np.asarray(weights, dtype=np.float64) / float(sum(weights)) * total
    counts = np.floor(shares).astype(np.int64)
    by_remainder = np.argsort(-(shares - counts), kind="stable")
    counts[by_remainder[: total - int(counts.sum())]] += 1
    order = np.repeat(np.arange(len(weights), dtype=np.int16), counts)
    return np.random.default_rng(seed).permutation(order)


def resolve_mix(shares: tuple[WorkloadShare, ...], size: int | None, iterations: int) -> tuple[WorkloadShare, ...]:
    """Give each workload its size (``@SIZE``, else ``--size``, else its default) and check it with the handler's
    own validation, so that a request the functions would refuse is refused here, before anything is sent."""
    from handlers.validation import RequestError, find_workload, parse_work_request

    resolved = []
    for share in shares:
        try:
            workload = find_workload(share.name)
        except RequestError as exc:
            raise UsageError(str(exc)) from None
        chosen = share.size if share.size is not None else size if size is not None else workload.default_size
        sample = WorkRequest(run_id="19700101T000000Z-0000", seq=0, workload=share.name, size=chosen,
                             iterations=iterations)
        try:
            parse_work_request(sample.to_json())
        except RequestError as exc:
            raise UsageError(f"workload {share.name!r}: {exc}") from None
        resolved.append(WorkloadShare(share.name, share.weight, chosen))
    return tuple(resolved)
