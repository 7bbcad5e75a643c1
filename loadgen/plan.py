"""The whole run decided up front: due times, which workload each seq runs, and the request body for a seq."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core import UsageError
from handlers.contract import WorkRequest
from loadgen.parsing import WorkloadShare
from loadgen.schedule import Profile, due_times


@dataclass(frozen=True)
class Plan:
    """Seq ``i`` is due ``due[i]`` s after the start and runs ``mix[workload_index[i]]``."""

    run_id: str
    profile: Profile
    mix: tuple[WorkloadShare, ...]  # every size resolved
    iterations: int
    seed: int
    due: np.ndarray
    workload_index: np.ndarray

    @property
    def total(self) -> int:
        """Requests per architecture."""
        return len(self.due)

    def request(self, seq: int, sent_at: float) -> WorkRequest:
        share = self.mix[int(self.workload_index[seq])]
        return WorkRequest(run_id=self.run_id, seq=seq, workload=share.name, size=int(share.size or 0),
                           iterations=self.iterations, seed=self.seed, sent_at=sent_at)

    def counts_by_workload(self) -> dict[str, int]:
        counts = np.bincount(self.workload_index, minlength=len(self.mix))
        return {share.name: int(n) for share, n in zip(self.mix, counts, strict=True)}


def build_plan(run_id: str, profile: Profile, mix: tuple[WorkloadShare, ...], iterations: int,
               seed: int) -> Plan:
    """Fix the schedule and the workload of every seq; the mix must already have its sizes resolved."""
    due = due_times(profile)
    return Plan(run_id=run_id, profile=profile, mix=mix, iterations=iterations, seed=seed, due=due,
                workload_index=assign_workloads(len(due), [s.weight for s in mix], seed))


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
