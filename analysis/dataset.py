"""A run's parsed lines as two tables: work items (EMF documents) and the Lambda invocations that ran them.

An SQS batch is one Lambda invocation (one REPORT line) for up to ``batchSize`` work items, so the two are joined
by the EMF ``RequestId`` property — never by log stream (MiniStack may file a document in the next invocation's
stream). Durations and cost are per invocation; workload times are per work item.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.events import LogEvent
from analysis.parse import EMF_COLUMNS, INT_COLUMNS, METRIC_COLUMNS, REPORT_COLUMNS, LineParser, ParseCounts

REPORT_NUMBERS = [column for column in REPORT_COLUMNS if column not in ("request_id", "report_status")]


@dataclass
class RunData:
    run_id: str
    items: pd.DataFrame  # one row per EMF document of the run, with its invocation's REPORT columns
    invocations: pd.DataFrame  # one row per REPORT line whose request id ran at least one of the run's items
    counts: ParseCounts
    items_without_report: int  # no REPORT line found for the document's RequestId (outside the window?)
    duplicate_reports: int


def build_run_data(events: Iterable[LogEvent], run_id: str) -> RunData:
    parser = LineParser(run_id)
    for event in events:
        parser.feed(event.message, event.timestamp_ms)
    return from_records(run_id, parser.items, parser.reports, parser.counts)


def from_records(run_id: str, items: list[dict], reports: list[dict], counts: ParseCounts) -> RunData:
    """Join parsed records; also the entry point for benchmarks and tests that start from records."""
    # Explicit dtypes: a column that is None throughout (no InitMs on a warm run) must still be numeric.
    item_frame = pd.DataFrame(items, columns=EMF_COLUMNS).astype(
        {**dict.fromkeys(METRIC_COLUMNS.values(), "float64"), **dict.fromkeys(INT_COLUMNS.values(), "Int64"),
         "timestamp_ms": "int64"})
    for column in ("workload", "request_id"):
        item_frame[column] = item_frame[column].fillna("unknown" if column == "workload" else "")
    item_frame["cold"] = item_frame["cold_start"].fillna(0).to_numpy() >= 0.5
    item_frame["error"] = item_frame["errors"].fillna(0).to_numpy() >= 0.5
    item_frame = item_frame.sort_values("timestamp_ms", kind="stable", ignore_index=True)

    report_frame = pd.DataFrame(reports, columns=REPORT_COLUMNS).astype(dict.fromkeys(REPORT_NUMBERS, "float64"))
    duplicated = report_frame["request_id"].duplicated()
    report_frame = report_frame[~duplicated]

    per_request = item_frame[item_frame["request_id"] != ""].groupby("request_id", sort=False).agg(
        architecture=("architecture", "first"), function_name=("function_name", "first"),
        memory_size_mb=("memory_size_mb", "first"), cold=("cold", "any"), init_ms=("init_ms", "max"),
        n_items=("architecture", "size"), first_item_ms=("timestamp_ms", "min"),
    ).reset_index()
    invocations = per_request.merge(report_frame, on="request_id", how="inner", validate="one_to_one")
    invocations["memory_mb"] = invocations["report_memory_mb"].fillna(invocations["memory_size_mb"])

    item_frame = item_frame.merge(report_frame, on="request_id", how="left")
    return RunData(
        run_id=run_id, items=item_frame, invocations=invocations, counts=counts,
        items_without_report=int(np.count_nonzero(item_frame["duration_ms"].isna().to_numpy())),
        duplicate_reports=int(duplicated.sum()),
    )
