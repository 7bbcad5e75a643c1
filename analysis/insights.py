"""Logs Insights on AWS: every raw line of a run, however many, in windows small enough to come back whole.

A query returns at most 10,000 rows, so a window that reaches the cap is split in two by time (recursively, down to
one millisecond) and both halves are queried again: every record retrieved, none sampled. At most
``max_concurrent`` queries run at once (the account quota is shared with dashboards and colleagues); a
``LimitExceededException`` puts the window back in the queue. A failed, cancelled or timed-out query is retried a
few times and then reported as an error, never ignored. Rows carry the raw ``@message`` so that the one parser
in ``analysis.parse`` reads AWS and the local cloud alike.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from analysis.errors import AnalysisError
from analysis.events import LogEvent, TimeWindow

ROW_CAP = 10_000
MAX_ATTEMPTS = 3
MAX_QUOTA_WAITS = 40  # consecutive LimitExceeded answers (with backoff, minutes) before giving up
DONE_STATUSES = ("Complete", "Failed", "Cancelled", "Timeout", "Unknown")


def build_query(run_id: str, window: TimeWindow) -> str:
    """Every EMF document (this run's and any other's: a REPORT line of another run's invocation is recognised by
    its request id, ``analysis.dataset``), and every REPORT / INIT_REPORT line and ``platform.report``,
    ``platform.initReport`` and ``platform.runtimeDone`` record (text or JSON format) in the window.

    The millisecond bounds live in the query (``toMillis``) because ``startTime``/``endTime`` are whole seconds.
    ``@logStream`` (a system field of every log event) names the execution environment when a document does not.
    """
    return (
        "fields toMillis(@timestamp) as tsMs, @message, @log, @logStream"
        f" | filter tsMs >= {window.start_ms} and tsMs <= {window.end_ms}"
        " | filter @message like /\"RunId\"/ or @message like /^REPORT RequestId/"
        " or @message like /^INIT_REPORT/"
        " or @message like /platform\\.(report|initReport|runtimeDone)/"
        " | sort tsMs asc"
        f" | limit {ROW_CAP}"
    )


@dataclass
class _Running:
    window: TimeWindow
    attempt: int


class InsightsSource:
    """Reads one run's log lines from the given log groups with Logs Insights."""

    label = "logs-insights"

    def __init__(self, client: Any, log_groups: list[str], run_id: str, max_concurrent: int = 8,
                 poll_s: float = 1.0, max_poll_s: float = 8.0, sleep: Callable[[float], None] = time.sleep,
                 progress: Callable[[str], None] | None = None) -> None:
        self._client = client
        self._log_groups = log_groups
        self._run_id = run_id
        self._max_concurrent = max_concurrent
        self._poll_s = poll_s
        self._max_poll_s = max_poll_s
        self._sleep = sleep
        self._progress = progress or (lambda message: None)
        self.queries = 0  # how many queries were started (splits and retries included)
        self.lines = 0  # events yielded so far
        self._quota_waits = 0

    def fetch(self, window: TimeWindow) -> list[LogEvent]:
        return list(self.stream(window))

    def stream(self, window: TimeWindow) -> Iterator[LogEvent]:
        """The events query by query, as each completes."""
        pending: deque[tuple[TimeWindow, int]] = deque([(window, 1)])
        running: dict[str, _Running] = {}
        delay = self._poll_s
        while pending or running:
            self._start_pending(pending, running)
            self._sleep(delay)
            finished = 0
            for query_id in list(running):
                response = self._client.get_query_results(queryId=query_id)
                status = response.get("status", "Unknown")
                if status not in DONE_STATUSES:
                    continue
                job = running.pop(query_id)
                finished += 1
                events = self._finish(job, status, response, pending)
                self.lines += len(events)
                yield from events
            delay = self._poll_s if finished else min(delay * 1.5, self._max_poll_s)
            self._progress(f"Logs Insights: {self.lines:,} lines, {len(running)} queries running, "
                           f"{len(pending)} waiting")

    def _start_pending(self, pending: deque[tuple[TimeWindow, int]], running: dict[str, _Running]) -> None:
        while pending and len(running) < self._max_concurrent:
            window, attempt = pending.popleft()
            try:
                response = self._client.start_query(
                    logGroupNames=self._log_groups,
                    startTime=window.start_ms // 1000,
                    endTime=-(-window.end_ms // 1000),  # ceiling: the query's own filter is exact
                    queryString=build_query(self._run_id, window),
                )
            except ClientError as exc:
                error = exc.response.get("Error", {})
                quota_full = error.get("Code") == "LimitExceededException"
                if not quota_full or self._quota_waits >= MAX_QUOTA_WAITS:
                    raise AnalysisError(f"Logs Insights refused a query ({error.get('Code', 'error')}): "
                                        f"{error.get('Message', exc)}") from None
                self._quota_waits += 1
                pending.appendleft((window, attempt))  # the concurrent-query quota is full: wait and retry
                return
            self._quota_waits = 0
            self.queries += 1
            running[response["queryId"]] = _Running(window, attempt)

    def _finish(self, job: _Running, status: str, response: dict[str, Any],
                pending: deque[tuple[TimeWindow, int]]) -> list[LogEvent]:
        """A finished query's events; none when its window is queued again (split or retried)."""
        window = job.window
        if status == "Complete":
            rows = response.get("results", [])
            matched = response.get("statistics", {}).get("recordsMatched", 0.0)
            if len(rows) >= ROW_CAP or matched > len(rows):
                if not window.can_split:
                    raise AnalysisError(f"more than {ROW_CAP:,} log lines in one millisecond "
                                        f"({window.describe()}): Logs Insights cannot return them all")
                pending.extend((half, 1) for half in window.split())
                return []
            return [_row_event(row) for row in rows]
        if status == "Timeout" and window.can_split:
            pending.extend((half, 1) for half in window.split())
            return []
        if job.attempt >= MAX_ATTEMPTS:
            raise AnalysisError(f"Logs Insights query for {window.describe()} ended {status} "
                                f"{job.attempt} times; try again later or narrow the run's window")
        pending.append((window, job.attempt + 1))
        return []


def _row_event(row: list[dict[str, str]]) -> LogEvent:
    fields = {cell["field"]: cell.get("value", "") for cell in row}
    log = fields.get("@log", "")
    # @log is "<account id>:<log group>"; keep the group only.
    group = log.split(":", 1)[1] if ":" in log else log
    return LogEvent(group, int(float(fields.get("tsMs", "0"))), fields.get("@message", ""),
                    fields.get("@logStream", ""))
