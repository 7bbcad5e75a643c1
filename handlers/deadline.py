"""The per-item time budget: an item that cannot finish fails alone, before the function times out.

The budget comes from the Lambda context's ``get_remaining_time_in_millis()`` (AWS, MiniStack and
``handlers.environment.LocalContext`` all have it; without it there is no budget at all):

- ``RESERVE_MS`` is kept back at the end of every invocation: time to stop a workload, write the EMF documents and
  return the answer. A started item's workload may run until ``remaining − RESERVE_MS``.
- An SQS item is started only while at least ``RESERVE_MS + MIN_START_MS`` remain. The items that cannot start are
  handed back unprocessed as batch item failures (SQS delivers them again), never lost with a timeout.
- An item SQS delivered before (it failed, or waited behind one that did) leaves ``MIN_START_MS`` for each record
  still waiting after it in its batch (``waiting``), but may always run ``MIN_START_MS``: a retried slow request
  cannot defer its neighbours again.
- The workload is interrupted by ``ITIMER_REAL``/``SIGALRM``, in the main thread only, and only when no one else's
  real-time timer is armed; otherwise it runs unbounded and only the not-started rule applies. A signal is handled
  between Python bytecodes, so a single long C call (one huge ``sorted()``, a numpy kernel) is stopped only when
  it returns.
"""

from __future__ import annotations

import signal
from collections.abc import Callable
from types import FrameType
from typing import Any, TypeVar

RESERVE_MS = 500
MIN_START_MS = 250

T = TypeVar("T")
_CAN_SIGNAL = hasattr(signal, "setitimer") and hasattr(signal, "SIGALRM")


class DeadlineExceeded(Exception):
    """The workload did not finish within ``budget_s``; raised once its timer is disarmed."""

    def __init__(self, budget_s: float) -> None:
        super().__init__(f"the item's budget of {budget_s:.3f} s ran out")
        self.budget_s = budget_s


class _Expired(BaseException):
    """Raised by the SIGALRM handler inside the workload; a BaseException so a workload's ``except Exception``
    cannot swallow it. Never leaves ``call_within``."""


class InvocationClock:
    """The remaining time of one invocation, read from its context on every question."""

    def __init__(self, remaining: Callable[[], Any] | None) -> None:
        self._remaining = remaining

    @classmethod
    def from_context(cls, context: Any) -> InvocationClock:
        remaining = getattr(context, "get_remaining_time_in_millis", None)
        return cls(remaining if callable(remaining) else None)

    def remaining_ms(self) -> float | None:
        """Milliseconds left before the function times out; ``None`` when the context cannot say."""
        if self._remaining is None:
            return None
        try:
            value = float(self._remaining())
        except (TypeError, ValueError, OverflowError):
            return None
        return value if value == value else None  # NaN: unknown

    def can_start(self) -> bool:
        """Whether a new item may be started: enough time for a minimal item plus the reserve (or no clock)."""
        remaining = self.remaining_ms()
        return remaining is None or remaining >= RESERVE_MS + MIN_START_MS

    def item_budget_s(self, waiting: int = 0) -> float | None:
        """Seconds the item's workload may run from now (the remaining time minus the reserve, minus a start for
        each of ``waiting`` records); ``None``: no limit."""
        remaining = self.remaining_ms()
        if remaining is None:
            return None
        if waiting:
            return max(remaining - RESERVE_MS - waiting * MIN_START_MS, MIN_START_MS) / 1000.0
        return max(remaining - RESERVE_MS, 1.0) / 1000.0


def call_within(budget_s: float | None, work: Callable[[], T]) -> T:
    """``work()``, interrupted after ``budget_s`` seconds with ``DeadlineExceeded`` where a signal can be used."""
    timer = _Timer(budget_s)
    try:
        try:
            timer.start()
            return work()
        finally:
            timer.stop()  # the pending signal may still be handled here: it is caught just below
    except _Expired:
        timer.stop()  # again: the signal may have interrupted the first stop before it restored the handler
        raise DeadlineExceeded(budget_s or 0.0) from None


class _Timer:
    """A one-shot ITIMER_REAL whose SIGALRM raises ``_Expired``; the previous handler is restored on ``stop``."""

    def __init__(self, budget_s: float | None) -> None:
        self.budget_s = budget_s
        self._live = False
        self._installed = False
        self._previous: Any = None

    def start(self) -> None:
        if self.budget_s is None or not _CAN_SIGNAL:
            return
        try:
            if signal.getitimer(signal.ITIMER_REAL)[0] > 0:
                return  # someone else's timer (the runtime, a test harness): leave it alone
            self._previous = signal.signal(signal.SIGALRM, self._fire)
        except ValueError:  # not the main thread: no interruption, only the not-started rule
            return
        self._installed = True
        self._live = True
        signal.setitimer(signal.ITIMER_REAL, self.budget_s)

    def stop(self) -> None:
        self._live = False  # from here on a late SIGALRM is ignored
        if not self._installed:
            return
        self._installed = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, signal.SIG_DFL if self._previous is None else self._previous)

    def _fire(self, signum: int, frame: FrameType | None) -> None:
        if self._live:
            self._live = False
            raise _Expired
