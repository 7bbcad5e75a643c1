"""Deterministic slices of the schedule, one per sender (a process or a Lambda worker): seq modulo N.

A slice is a stride of the seqs, so it keeps every request's due time, and it sends each of its seqs to every
variant: the pairing across variants is per seq and survives any split. Every seq is in exactly one slice, and the
same plan and N always give the same slices, so partial counts add up to the whole run.
"""

from __future__ import annotations

from loadgen.plan import RoundWindow


def slice_window(window: RoundWindow, index: int, count: int) -> RoundWindow:
    """The seqs of ``window`` with ``seq % count == index``, at the same due times."""
    if not 0 <= index < count:
        raise ValueError(f"slice {index} of {count} does not exist")
    seqs = window.seqs
    if seqs.step != 1:
        raise ValueError("only a whole window can be sliced")
    first = seqs.start + (index - seqs.start) % count
    return RoundWindow(index=window.index, seqs=range(first, seqs.stop, count), offset_s=window.offset_s)
