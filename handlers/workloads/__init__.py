"""The workload registry the handler validates against: name → ``Workload``, in the documented order.

Importing this package never imports numpy or pandas; the workloads that need them import them at first use.
"""

from __future__ import annotations

from handlers.workloads import baseline, cpu, memory, numeric, tabular
from handlers.workloads.base import Workload

WORKLOADS: dict[str, Workload] = {
    w.name: w.check() for w in (*baseline.WORKLOADS, *cpu.WORKLOADS, *numeric.WORKLOADS, *tabular.WORKLOADS,
                        *memory.WORKLOADS)
}

__all__ = ["WORKLOADS", "Workload"]
