"""One log line → an EMF work-item record, a REPORT record, or nothing; malformed lines counted, never fatal.

EMF documents (one per work item) are read by the names in ``handlers.contract``. REPORT lines come in AWS's text
format (``REPORT RequestId: …\\tDuration: 12.34 ms\\tBilled Duration: 13 ms\\t…\\tInit Duration: 250.10 ms``),
MiniStack's reduced one (whole ms, no Init Duration) and the JSON log format (``"type": "platform.report"``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from core import ARCHITECTURES, ParseCountsSummary
from handlers import contract as c

# EMF name → column name. Metrics are numbers; properties are kept as given (strings, Seq and memory as ints).
METRIC_COLUMNS = {
    c.M_WORKLOAD_MS: "workload_ms", c.M_HANDLER_MS: "handler_ms", c.M_PEAK_RSS_MB: "peak_rss_mb",
    c.M_QUEUE_LAG_MS: "queue_lag_ms", c.M_COLD_START: "cold_start", c.M_INIT_MS: "init_ms",
    c.M_ERRORS: "errors",
}
TEXT_COLUMNS = {
    c.P_REQUEST_ID: "request_id", c.P_MESSAGE_ID: "message_id", c.P_FUNCTION_NAME: "function_name",
    c.P_FUNCTION_VERSION: "function_version", c.P_RUNTIME: "runtime", c.P_HOST_MACHINE: "host_machine",
    c.P_TRIGGER: "trigger", c.P_RESULT_DIGEST: "result_digest", c.P_ERROR_TYPE: "error_type",
    c.DIM_WORKLOAD: "workload",
}
INT_COLUMNS = {c.P_SEQ: "seq", c.P_MEMORY_SIZE_MB: "memory_size_mb"}
EMF_COLUMNS = ["run_id", "architecture", "timestamp_ms", *METRIC_COLUMNS.values(), *TEXT_COLUMNS.values(),
               *INT_COLUMNS.values()]
REPORT_COLUMNS = ["request_id", "report_ms", "duration_ms", "billed_duration_ms", "report_memory_mb",
                  "max_memory_used_mb", "init_duration_ms", "report_status"]

_REPORT_HEAD = re.compile(r"^REPORT RequestId: (\S+)")
_REPORT_FIELD = re.compile(r"(Duration|Billed Duration|Memory Size|Max Memory Used|Init Duration): "
                           r"([0-9]+(?:\.[0-9]+)?) (?:ms|MB)")
_TEXT_FIELDS = {"Duration": "duration_ms", "Billed Duration": "billed_duration_ms",
                "Memory Size": "report_memory_mb", "Max Memory Used": "max_memory_used_mb",
                "Init Duration": "init_duration_ms"}
_JSON_FIELDS = {"durationMs": "duration_ms", "billedDurationMs": "billed_duration_ms",
                "memorySizeMB": "report_memory_mb", "maxMemoryUsedMB": "max_memory_used_mb",
                "initDurationMs": "init_duration_ms"}
MAX_SAMPLES = 3


class Malformed(ValueError):
    """A line that is an EMF document or a REPORT line but cannot be read as one."""


@dataclass
class ParseCounts:
    """What the parser saw; the report prints the malformed counts and samples."""

    emf_documents: int = 0  # of this run
    other_runs: int = 0  # EMF documents of another run (a shared window) or of none (an unreadable request)
    reports: int = 0
    malformed_emf: int = 0
    malformed_report: int = 0
    ignored: int = 0  # START, END, anything else the function printed
    samples: list[str] = field(default_factory=list)

    def note_malformed(self, kind: str, line: str, reason: str) -> None:
        if kind == "emf":
            self.malformed_emf += 1
        else:
            self.malformed_report += 1
        if len(self.samples) < MAX_SAMPLES:
            self.samples.append(f"{kind}: {reason}: {line[:160]}")

    def to_dict(self) -> ParseCountsSummary:
        return {"emf_documents": self.emf_documents, "other_runs": self.other_runs, "reports": self.reports,
                "malformed_emf": self.malformed_emf, "malformed_report": self.malformed_report,
                "ignored": self.ignored}


def parse_emf(document: dict[str, Any], timestamp_ms: int) -> dict[str, Any]:
    """An EMF document as a flat record with the columns of ``EMF_COLUMNS``; ``Malformed`` if it is not one.

    Written for speed (a run has hundreds of thousands): exact type checks, no helper call per field.
    """
    get = document.get
    run_id = get(c.P_RUN_ID)
    architecture = get(c.DIM_ARCHITECTURE)
    if type(run_id) is not str or not run_id:
        raise Malformed("no RunId")
    if architecture not in ARCHITECTURES:
        raise Malformed(f"Architecture is {architecture!r}")
    metadata = get("_aws")
    stamp = metadata.get("Timestamp") if type(metadata) is dict else None
    record: dict[str, Any] = {"run_id": run_id, "architecture": architecture,
                              "timestamp_ms": stamp if type(stamp) is int else timestamp_ms}
    for name, column in METRIC_COLUMNS.items():
        value = get(name)
        if type(value) is list and len(value) == 1:  # EMF allows a list of values; the handler logs one
            value = value[0]
        if value is not None and type(value) is not float and type(value) is not int:  # bool is not int here
            raise Malformed(f"{name} is not a number: {value!r}")
        record[column] = value
    for name, column in TEXT_COLUMNS.items():
        value = get(name)
        record[column] = value if value is None or type(value) is str else str(value)
    for name, column in INT_COLUMNS.items():
        value = get(name)
        if value is not None and type(value) is not int:
            if type(value) is not float or not value.is_integer():
                raise Malformed(f"{name} is not an integer: {value!r}")
            value = int(value)
        record[column] = value
    return record


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def parse_text_report(line: str, timestamp_ms: int) -> dict[str, Any]:
    """``REPORT RequestId: …`` in AWS's or MiniStack's text format."""
    head = _REPORT_HEAD.match(line)
    if head is None:
        raise Malformed("no request id")
    record: dict[str, Any] = dict.fromkeys(REPORT_COLUMNS)
    record.update(request_id=head.group(1), report_ms=timestamp_ms)
    for name, value in _REPORT_FIELD.findall(line):
        record[_TEXT_FIELDS[name]] = float(value)
    if record["duration_ms"] is None:
        raise Malformed("no Duration")
    return record


def parse_json_report(document: dict[str, Any], timestamp_ms: int) -> dict[str, Any]:
    """A ``platform.report`` record of the JSON log format."""
    body = document.get("record")
    if not (isinstance(body, dict) and isinstance(body.get("metrics"), dict)
            and isinstance(body.get("requestId"), str)):
        raise Malformed("no record.requestId or record.metrics")
    metrics = body["metrics"]
    record: dict[str, Any] = dict.fromkeys(REPORT_COLUMNS)
    record.update(request_id=body["requestId"], report_ms=timestamp_ms, report_status=body.get("status"))
    for name, column in _JSON_FIELDS.items():
        value = metrics.get(name)
        if value is not None and not _is_number(value):
            raise Malformed(f"{name} is not a number: {value!r}")
        record[column] = None if value is None else float(value)
    if record["duration_ms"] is None:
        raise Malformed("no durationMs")
    return record


class LineParser:
    """Sorts the lines of one run into EMF records and REPORT records, counting everything else."""

    def __init__(self, run_id: str) -> None:
        self.run_id = run_id
        self.counts = ParseCounts()
        self.items: list[dict[str, Any]] = []
        self.reports: list[dict[str, Any]] = []

    def feed(self, message: str, timestamp_ms: int) -> None:
        line = message.strip()
        if line.startswith("REPORT RequestId"):
            self._add_report(line, lambda: parse_text_report(line, timestamp_ms))
        elif line.startswith("{"):
            self._feed_json(line, timestamp_ms)
        else:
            self.counts.ignored += 1

    def _feed_json(self, line: str, timestamp_ms: int) -> None:
        is_emf = '"_aws"' in line
        is_report = "platform.report" in line
        try:
            document = json.loads(line)
        except ValueError:
            if is_emf or is_report:
                self.counts.note_malformed("emf" if is_emf else "report", line, "not JSON")
            else:
                self.counts.ignored += 1
            return
        if not isinstance(document, dict):
            self.counts.ignored += 1
        elif "_aws" in document:
            self._add_emf(line, document, timestamp_ms)
        elif document.get("type") == "platform.report":
            self._add_report(line, lambda: parse_json_report(document, timestamp_ms))
        else:
            self.counts.ignored += 1

    def _add_emf(self, line: str, document: dict[str, Any], timestamp_ms: int) -> None:
        if document.get(c.P_RUN_ID) != self.run_id:  # another run's, or one the handler could not attribute
            self.counts.other_runs += 1
            return
        try:
            record = parse_emf(document, timestamp_ms)
        except Malformed as exc:
            self.counts.note_malformed("emf", line, str(exc))
            return
        self.counts.emf_documents += 1
        self.items.append(record)

    def _add_report(self, line: str, parse: Callable[[], dict[str, Any]]) -> None:
        try:
            record = parse()
        except Malformed as exc:
            self.counts.note_malformed("report", line, str(exc))
            return
        self.counts.reports += 1
        self.reports.append(record)
