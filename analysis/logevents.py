"""Raw log events from a local cloud (MiniStack, LocalStack), read window by window with ``FilterLogEvents``.

The emulator's Logs Insights answers are silently wrong (docs/architecture.md), so locally the lines are read
directly. Two quoted filters per log group: ``"RunId"`` (every EMF document, of this run and of any other, so that
a REPORT line of another run's invocation is recognised by its request id; the parser keeps this run's) and
``"REPORT"`` (the REPORT and INIT_REPORT lines, which do not name the run; a phrase matches as a substring).
MiniStack returns at most 10,000 events per call and never a ``nextToken``: a window that comes back full is read on
from the last millisecond of its (time-ordered) answer, or split in two by time when the answer is not in time
order, until every part fits. An endpoint that does paginate (LocalStack, AWS) is followed page by page instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import pairwise
from typing import Any

from botocore.exceptions import ClientError

from analysis.errors import AnalysisError
from analysis.events import LogEvent, TimeWindow

EVENT_CAP = 10_000
REPORT_FILTER = '"REPORT"'  # REPORT RequestId … and INIT_REPORT …
EMF_FILTER = '"RunId"'  # handlers.contract.P_RUN_ID: in every EMF document


class LogEventsSource:
    """Reads one run's log lines from the given log groups with ``FilterLogEvents``."""

    label = "log-events"

    def __init__(self, client: Any, log_groups: list[str], run_id: str,
                 progress: Callable[[str], None] | None = None) -> None:
        self._client = client
        self._log_groups = log_groups
        self._filters = (EMF_FILTER, REPORT_FILTER)
        self._progress = progress or (lambda message: None)
        self.calls = 0
        self.lines = 0  # events yielded so far

    def fetch(self, window: TimeWindow) -> list[LogEvent]:
        return list(self.stream(window))

    def stream(self, window: TimeWindow) -> Iterator[LogEvent]:
        """The events answer by answer: a caller that parses as it reads never holds a million raw lines."""
        for group in self._log_groups:
            for pattern in self._filters:
                yield from self._stream_group(group, pattern, window)

    def _stream_group(self, group: str, pattern: str, window: TimeWindow) -> Iterator[LogEvent]:
        todo = [window]
        while todo:
            part = todo.pop()
            batch, paginated = self._read(group, pattern, part)
            if len(batch) >= EVENT_CAP and not paginated:
                resume = _resume_point(batch, part)
                if resume is not None:
                    yield from self._events(group, [e for e in batch if e["timestamp"] < resume])
                    todo.append(TimeWindow(resume, part.end_ms))
                    continue
                if not part.can_split:
                    raise AnalysisError(f"{group}: more than {EVENT_CAP:,} events in one millisecond "
                                        f"({part.describe()}); the endpoint cannot return them all")
                todo.extend(reversed(part.split()))  # earlier half first: progress reads in time order
                continue
            yield from self._events(group, batch)

    def _events(self, group: str, batch: list[dict[str, Any]]) -> list[LogEvent]:
        self.lines += len(batch)
        self._progress(f"log events: {self.lines:,} lines read ({self.calls} calls)")
        return [LogEvent(group, int(event["timestamp"]), event["message"], event.get("logStreamName", ""))
                for event in batch]

    def _read(self, group: str, pattern: str, window: TimeWindow) -> tuple[list[dict[str, Any]], bool]:
        """All events of one call, plus its further pages if the endpoint paginates (``paginated`` then)."""
        kwargs: dict[str, Any] = {"logGroupName": group, "startTime": window.start_ms,
                                  "endTime": window.end_ms, "filterPattern": pattern, "limit": EVENT_CAP}
        batch: list[dict[str, Any]] = []
        paginated = False
        while True:
            self.calls += 1
            try:
                response = self._client.filter_log_events(**kwargs)
            except ClientError as exc:
                error = exc.response.get("Error", {})
                if error.get("Code") == "ResourceNotFoundException":
                    raise AnalysisError(f"log group {group} does not exist: is the stack deployed "
                                        "(`python -m localcloud up`), and did anything run yet?") from None
                raise AnalysisError(f"reading {group} failed ({error.get('Code', 'error')}): "
                                    f"{error.get('Message', exc)}") from None
            batch.extend(response.get("events", []))
            token = response.get("nextToken")
            if not token:
                return batch, paginated
            paginated = True
            kwargs["nextToken"] = token


def _resume_point(batch: list[dict[str, Any]], window: TimeWindow) -> int | None:
    """Where to read on after a full answer, if the answer is in time order; else None (split instead).

    MiniStack merges its streams in time order and stops at the cap, so a full, time-ordered answer holds the
    window's earliest events: everything before its last millisecond is complete, and the next read starts at
    that millisecond (its events are read again there, whole). Saves the wasted full answers of blind halving.
    """
    stamps = [event["timestamp"] for event in batch]
    last = stamps[-1]
    if last <= window.start_ms or any(a > b for a, b in pairwise(stamps)):
        return None
    return int(last)
