"""Raw log events and time windows: what both sources return and how they split their work.

Windows are inclusive at both ends, in whole milliseconds, because ``FilterLogEvents`` (AWS and MiniStack) treats
``startTime``/``endTime`` that way; splitting ``[a, b]`` into ``[a, m]`` and ``[m + 1, b]`` never reads an event
twice and never misses one.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import NamedTuple


class LogEvent(NamedTuple):
    """One log line as stored by CloudWatch Logs (a NamedTuple: a run has hundreds of thousands)."""

    log_group: str
    timestamp_ms: int
    message: str
    log_stream: str = ""  # FilterLogEvents ``logStreamName`` / Logs Insights ``@logStream``: one per environment


class TimeWindow(NamedTuple):
    start_ms: int
    end_ms: int  # inclusive

    @classmethod
    def from_seconds(cls, start_s: float, end_s: float) -> TimeWindow:
        return cls(int(start_s * 1000), int(end_s * 1000))

    @property
    def can_split(self) -> bool:
        return self.end_ms > self.start_ms

    def split(self) -> tuple[TimeWindow, TimeWindow]:
        """Two disjoint halves that together cover exactly this window."""
        if not self.can_split:
            raise ValueError(f"a one-millisecond window cannot be split: {self}")
        middle = (self.start_ms + self.end_ms) // 2
        return TimeWindow(self.start_ms, middle), TimeWindow(middle + 1, self.end_ms)

    def describe(self) -> str:
        def fmt(ms: int) -> str:
            return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]

        return f"{fmt(self.start_ms)}–{fmt(self.end_ms)} UTC"
