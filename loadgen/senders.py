"""What sender processes and Lambda workers share: one slice each, a clock offset each, and the books of who
reported — so that a sender that never reports is named and its slice counted as not sent, never missing.

``SenderPool`` is the base of ``loadgen.processes.SenderProcesses`` and ``loadgen.workers.LambdaWorkers``:
``open`` before the live display (a ``UserError`` there sends nothing), ``run`` inside it, ``close`` after.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from loadgen.planning import LoadPlan
from loadgen.slicing import slice_window
from loadgen.stats import RunStats


@dataclass(frozen=True)
class SenderRecord:
    """One sender as the manifest names it: its clock offset against the driver, and whether it reported."""

    index: int
    scheduled: int  # per variant: the size of its slice
    clock_offset_ms: float | None
    status: str  # reported | failed
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"index": self.index, "scheduled": self.scheduled,
                                "clock_offset_ms": self.clock_offset_ms, "status": self.status}
        if self.error is not None:
            data["error"] = self.error
        return data


def sent_by(kind: str, senders: list[SenderRecord]) -> dict[str, Any]:
    """The manifest's ``config.sent_by``: who sent the run (``processes`` or ``lambda`` workers), each one's
    clock offset against the driver and whether it reported."""
    return {"kind": kind, "count": len(senders), "senders": [sender.to_dict() for sender in senders]}


class SenderPool:
    """``count`` senders outside this process, sender ``i`` with the seqs ≡ i (mod ``count``)."""

    kind = "processes"
    label = "sender"  # how an error names one of them

    def __init__(self, load: LoadPlan, stats: RunStats, count: int) -> None:
        self.load, self.stats, self.count = load, stats, count
        self._offsets: dict[int, float] = {}  # s, the sender's clock minus the driver's
        self._errors: dict[int, str] = {}
        self._reported: set[int] = set()

    def open(self) -> None:
        raise NotImplementedError

    def run(self, stop: threading.Event) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """Name every sender that never reported and count its whole slice as not sent."""
        for index in range(self.count):
            if index not in self._reported:
                self._errors.setdefault(index, "never reported")
                self.stats.note_error(f"{self.label} {index}: {self._errors[index]}")
                self.stats.count_unsent(self.slice_size(index))

    def slice_size(self, index: int) -> int:
        return len(slice_window(self.load.plan.whole_window, index, self.count).seqs)

    def records(self) -> list[SenderRecord]:
        return [SenderRecord(index=index, scheduled=self.slice_size(index), clock_offset_ms=self._offset_ms(index),
                             status="reported" if index in self._reported else "failed",
                             error=self._errors.get(index)) for index in range(self.count)]

    def _offset_ms(self, index: int) -> float | None:
        if index not in self._offsets:
            return None
        return round(self._offsets[index] * 1000.0, 3) + 0.0  # + 0.0: never -0.0
