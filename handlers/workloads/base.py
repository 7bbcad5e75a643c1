"""What a workload is, and the canonical digest both architectures must agree on."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any, NamedTuple


class Workload(NamedTuple):
    """A named computation with documented size bounds.

    ``prepare`` builds the seed-generated input (not timed as workload time), ``compute`` is the measured work
    (run ``iterations`` times on the same input), ``digest`` turns its result into a string that must be identical
    on every CPU architecture. ``peak_mb`` estimates the memory a size adds to the process at its peak (measured
    VmHWM growth on x86_64, plus a margin), so a request that would get the function OOM-killed — and take the rest
    of its SQS batch down with it — is refused up front.
    """

    name: str
    description: str
    size_unit: str
    min_size: int
    max_size: int
    default_size: int
    max_iterations: int
    prepare: Callable[[int, int], Any]
    compute: Callable[[Any], Any]
    digest: Callable[[Any], str]
    peak_mb: Callable[[int], float]

    def check(self) -> Workload:
        """The workload itself, once its bounds are consistent (the registry checks every one it holds)."""
        if not self.min_size <= self.default_size <= self.max_size:
            raise ValueError(f"{self.name}: default size {self.default_size} is outside its bounds")
        if self.max_iterations < 1:
            raise ValueError(f"{self.name}: max_iterations must be >= 1")
        return self

    def run(self, size: int, seed: int) -> str:
        """Prepare, compute once and digest: the whole workload in one call (tests, benchmarks, loadgen checks)."""
        return self.digest(self.compute(self.prepare(size, seed)))


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def canonical_digest(value: Any) -> str:
    """sha256 of compact, key-sorted JSON: the digest for results made of ints, strings and exact floats."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)
    return sha256_hex(text.encode("ascii"))
