"""``noop``: no work at all, so its timings are the platform's and the instrumentation's overhead."""

from __future__ import annotations

from handlers.workloads.base import Workload, sha256_hex

_NOOP_DIGEST = sha256_hex(b"noop")


def _prepare(size: int, seed: int) -> None:
    return None


def _compute(data: None) -> None:
    return None


def _digest(result: None) -> str:
    return _NOOP_DIGEST


NOOP = Workload(
    name="noop",
    description="does nothing: the baseline for platform and instrumentation overhead",
    size_unit="none (must be 0)",
    min_size=0,
    max_size=0,
    default_size=0,
    max_iterations=1000,
    prepare=_prepare,
    compute=_compute,
    digest=_digest,
    peak_mb=lambda size: 0.0,
)

WORKLOADS = (NOOP,)
