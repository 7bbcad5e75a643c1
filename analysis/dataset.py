"""A run's parsed lines as tables: work items (EMF documents), the Lambda invocations that ran them, and the
invocations that ran none of them.

An SQS batch is one Lambda invocation (one REPORT line) for up to ``batchSize`` work items, so the two are joined
by the EMF ``RequestId`` property — never by log stream (MiniStack may file a document in the next invocation's
stream). Durations and cost are per invocation; workload times are per work item.

Each work item also names its **execution environment** (one Lambda process, the unit of analysis: its items share
its host and its warm-up), in the text column ``environment``: the document's ``EnvironmentId``, else its
``LogStream`` property, else the log stream the event was filed in (one stream per environment on AWS), else ``""``
(unknown: a document from before issue 14 read from a file without streams), and as an integer in
``environment_code`` (its index among the run's sorted labels, −1 for unknown: what the per-environment statistics
group by, as hashing a million strings again for every comparison costs seconds). ``cpu_model`` (text) and ``round``
(``Int64``, ``<NA>`` outside rounds) come from the document as the handler wrote them.

REPORT lines carry no run id, and the window may hold other runs' invocations. A REPORT line is therefore sorted
by its request id: with an EMF document of this run it is this run's invocation; with an EMF document of another
run (or of none: an unreadable request) it is that run's and is left out (``reports_other_runs``); with no EMF
document at all (a timeout before the first item, an out-of-memory kill, a failed init) it is an **invocation
without a work item**, attributed to its variant by its log group (``log_groups``, from the stack outputs: one log
group per variant), kept with ``orphan`` true, counted as a failed invocation with its status, and billed. One
whose log group maps to no variant is only counted (``reports_unattributed``). ``INIT_REPORT`` /
``platform.initReport`` lines carry no request id: each is attributed to its log group's variant
(``init_reports``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.events import LogEvent
from analysis.parse import (
    EMF_COLUMNS,
    INIT_COLUMNS,
    INT_COLUMNS,
    METRIC_COLUMNS,
    REPORT_COLUMNS,
    SUCCESS,
    LineParser,
    ParseCounts,
)

REPORT_TEXT = ("request_id", "report_status", "report_error_type", "trace_id", "log_group")
REPORT_NUMBERS = [column for column in REPORT_COLUMNS if column not in REPORT_TEXT]
UNKNOWN_STATUS = "unknown"  # an invocation without a work item whose REPORT gives no Status (MiniStack, pre-2023)


def _empty_init_reports() -> pd.DataFrame:
    return pd.DataFrame(columns=[*INIT_COLUMNS, "variant"])


@dataclass
class RunData:
    run_id: str
    items: pd.DataFrame  # one row per EMF document of the run, with its invocation's REPORT columns
    # One row per REPORT line of this run: those whose request id ran at least one of the run's items, then the
    # invocations without a work item (``orphan``). ``status`` is the REPORT's (or runtimeDone's), ``failed`` is
    # a status other than success, and always true for an orphan.
    invocations: pd.DataFrame
    counts: ParseCounts
    items_without_report: int  # no REPORT line found for the document's RequestId (outside the window?)
    duplicate_reports: int
    init_reports: pd.DataFrame = field(default_factory=_empty_init_reports)  # INIT_COLUMNS + variant
    reports_other_runs: int = 0  # REPORT lines whose request id has an EMF document of another run
    reports_unattributed: int = 0  # invocations without a work item in a log group of no known variant


def build_run_data(events: Iterable[LogEvent], run_id: str, log_groups: Mapping[str, str] | None = None) -> RunData:
    """Parse and join one run's events; ``log_groups`` maps a log group to its variant id (for the orphans)."""
    parser = LineParser(run_id)
    for event in events:
        parser.feed(event.message, event.timestamp_ms, event.log_group, event.log_stream)
    return from_records(run_id, parser.items, parser.reports, parser.counts, log_groups=log_groups,
                        init_reports=parser.init_reports, runtime_done=parser.runtime_done,
                        foreign_request_ids=parser.foreign_request_ids)


def from_records(run_id: str, items: list[dict], reports: list[dict], counts: ParseCounts, *,
                 log_groups: Mapping[str, str] | None = None, init_reports: list[dict] | None = None,
                 runtime_done: list[dict] | None = None,
                 foreign_request_ids: set[str] | None = None) -> RunData:
    """Join parsed records; also the entry point for benchmarks and tests that start from records."""
    groups = dict(log_groups or {})
    # Explicit dtypes: a column that is None throughout (no InitMs on a warm run) must still be numeric.
    item_frame = pd.DataFrame(items, columns=EMF_COLUMNS).astype(
        {**dict.fromkeys(METRIC_COLUMNS.values(), "float64"), **dict.fromkeys(INT_COLUMNS.values(), "Int64"),
         "timestamp_ms": "int64"})
    for column in ("workload", "request_id"):
        item_frame[column] = item_frame[column].fillna("unknown" if column == "workload" else "")
    item_frame["environment"] = _environment(item_frame)
    item_frame["environment_code"] = _codes(item_frame["environment"])
    item_frame["cold"] = item_frame["cold_start"].fillna(0).to_numpy() >= 0.5
    item_frame["error"] = item_frame["errors"].fillna(0).to_numpy() >= 0.5
    item_frame = item_frame.sort_values("timestamp_ms", kind="stable", ignore_index=True)

    report_frame = pd.DataFrame(reports, columns=REPORT_COLUMNS).astype(dict.fromkeys(REPORT_NUMBERS, "float64"))
    duplicated = report_frame["request_id"].duplicated()
    report_frame = _with_runtime_done(report_frame[~duplicated], runtime_done or [])

    per_request = item_frame[item_frame["request_id"] != ""].groupby("request_id", sort=False).agg(
        variant=("variant", "first"), architecture=("architecture", "first"),
        function_name=("function_name", "first"),
        memory_size_mb=("memory_size_mb", "first"), cold=("cold", "any"), init_ms=("init_ms", "max"),
        user_init_ms=("user_init_ms", "max"),
        n_items=("variant", "size"), first_item_ms=("timestamp_ms", "min"),
    ).reset_index()
    invocations = per_request.merge(report_frame, on="request_id", how="inner", validate="one_to_one")
    invocations["orphan"] = False

    unjoined = report_frame[~report_frame["request_id"].isin(per_request["request_id"])]
    foreign = unjoined["request_id"].isin(foreign_request_ids or set())
    orphans = unjoined[~foreign].assign(variant=lambda frame: frame["log_group"].map(groups))
    unattributed = int(orphans["variant"].isna().sum())
    orphans = orphans[orphans["variant"].notna()].assign(
        cold=lambda frame: frame["init_duration_ms"].notna(), n_items=0, orphan=True)
    if len(orphans):
        invocations = pd.concat([invocations, orphans], ignore_index=True)
    invocations = invocations.astype({"cold": bool, "orphan": bool, "n_items": "int64"})
    invocations["memory_mb"] = invocations["report_memory_mb"].fillna(invocations["memory_size_mb"]).astype(float)
    status = invocations["report_status"].fillna(SUCCESS)
    invocations["status"] = status.where(~invocations["orphan"] | invocations["report_status"].notna(),
                                         UNKNOWN_STATUS)
    invocations["failed"] = invocations["orphan"] | (invocations["status"] != SUCCESS)

    init_frame = pd.DataFrame(init_reports or [], columns=INIT_COLUMNS)
    init_frame["variant"] = init_frame["log_group"].map(groups)

    item_frame = item_frame.merge(report_frame, on="request_id", how="left")
    return RunData(
        run_id=run_id, items=item_frame, invocations=invocations, counts=counts,
        items_without_report=int(np.count_nonzero(item_frame["duration_ms"].isna().to_numpy())),
        duplicate_reports=int(duplicated.sum()), init_reports=init_frame,
        reports_other_runs=int(foreign.sum()), reports_unattributed=unattributed,
    )


def _environment(items: pd.DataFrame) -> pd.Series:
    """The first non-empty of ``environment_id``, ``log_stream`` and ``event_log_stream``; ``""`` when none is."""
    names = pd.Series("", index=items.index, dtype=object)
    for column in ("event_log_stream", "log_stream", "environment_id"):  # last wins: the most specific name
        given = items[column].notna() & (items[column].astype(str) != "")
        names = names.mask(given, items[column])
    return names.astype(str)


def _codes(names: pd.Series) -> np.ndarray:
    """Each name's index among the sorted distinct names; −1 for ``""``."""
    codes: np.ndarray = pd.factorize(names, sort=True)[0]
    codes[(names == "").to_numpy()] = -1
    return codes


def _with_runtime_done(reports: pd.DataFrame, runtime_done: list[dict]) -> pd.DataFrame:
    """A REPORT without a status takes its request's ``platform.runtimeDone`` status and error type."""
    if not runtime_done or reports.empty:
        return reports
    done = pd.DataFrame(runtime_done).drop_duplicates("request_id").set_index("request_id")
    reports = reports.copy()
    reports["report_status"] = reports["report_status"].fillna(reports["request_id"].map(done["status"]))
    reports["report_error_type"] = reports["report_error_type"].fillna(
        reports["request_id"].map(done["error_type"]))
    return reports
