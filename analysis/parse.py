"""One log line → an EMF work-item record, a REPORT record, an init record, or nothing; malformed lines counted by
kind, never fatal.

EMF documents (one per work item) are read by the names in ``handlers.contract``; the ``Variant`` dimension says
whose a document is (the ``Architecture`` property is kept as the handler gave it). ``EnvironmentId``,
``LogStream`` and ``CpuModel`` (text) and ``Round`` (an integer, absent outside rounds) say which execution
environment and trial ran it; the log stream the event was filed in is kept beside them (``event_log_stream``).

REPORT lines come in AWS's text format (``REPORT RequestId: …\\tDuration: 12.34 ms\\tBilled Duration: 13 ms\\t…
\\tInit Duration: 250.10 ms``), MiniStack's reduced one (whole ms, no Init Duration) and the JSON log format
(``"type": "platform.report"``). Text fields are read by their exact label, left to right, so ``Duration`` is never
read out of ``Restore Duration`` or ``Billed Restore Duration``; tab- and space-separated lines, a
``Status``/``Error Type`` tail (2023+) and the ``XRAY TraceId`` line that follows in the same event all parse.
``INIT_REPORT`` lines and ``platform.initReport`` records carry no request id: they are kept with their log group.
``platform.runtimeDone`` records are kept for the status and error type they give their request.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from sys import intern
from typing import Any

from core import ParseCountsSummary
from handlers import contract as c

# EMF name → column name. Metrics are numbers; properties are kept as given (strings, Seq and memory as ints).
METRIC_COLUMNS = {
    c.M_WORKLOAD_MS: "workload_ms", c.M_HANDLER_MS: "handler_ms", c.M_PEAK_RSS_MB: "peak_rss_mb",
    c.M_QUEUE_LAG_MS: "queue_lag_ms", c.M_COLD_START: "cold_start", c.M_INIT_MS: "init_ms",
    c.M_USER_INIT_MS: "user_init_ms", c.M_ERRORS: "errors",
}
TEXT_COLUMNS = {
    c.P_REQUEST_ID: "request_id", c.P_MESSAGE_ID: "message_id", c.P_FUNCTION_NAME: "function_name",
    c.P_FUNCTION_VERSION: "function_version", c.P_RUNTIME: "runtime", c.P_HOST_MACHINE: "host_machine",
    c.P_TRIGGER: "trigger", c.P_RESULT_DIGEST: "result_digest", c.P_ERROR_TYPE: "error_type",
    c.DIM_WORKLOAD: "workload", c.P_ARCHITECTURE: "architecture",
    c.P_ENVIRONMENT_ID: "environment_id", c.P_LOG_STREAM: "log_stream", c.P_CPU_MODEL: "cpu_model",
}
INT_COLUMNS = {c.P_SEQ: "seq", c.P_MEMORY_SIZE_MB: "memory_size_mb", c.P_ROUND: "round"}
# Text that every document of a variant, an environment or a batch repeats: kept once (``sys.intern``) instead of
# once per document — a million documents' copies of their run id, variant, function name and log streams took
# about a gigabyte. Message ids and digests are each item's own.
_UNIQUE_TEXT = {c.P_MESSAGE_ID, c.P_RESULT_DIGEST}
# ``event_log_stream``: the stream the log event itself was filed in (``LogEvent.log_stream``), not a document field.
EMF_COLUMNS = ["run_id", "variant", "timestamp_ms", *METRIC_COLUMNS.values(), *TEXT_COLUMNS.values(),
               *INT_COLUMNS.values(), "event_log_stream"]
REPORT_COLUMNS = ["request_id", "report_ms", "duration_ms", "billed_duration_ms", "report_memory_mb",
                  "max_memory_used_mb", "init_duration_ms", "report_status", "restore_duration_ms",
                  "billed_restore_duration_ms", "report_error_type", "trace_id", "log_group"]
INIT_COLUMNS = ["log_group", "report_ms", "init_duration_ms", "phase", "init_status", "init_error_type"]
SUCCESS = "success"

_REPORT_HEAD = re.compile(r"^REPORT RequestId: (\S+)")
# Every label Lambda writes, longest first where one ends another, each starting at a field boundary; finditer
# reads left to right without overlap, so "Billed Restore Duration: 182 ms" is one field, never "Duration: 182 ms".
_LABELS = ("Billed Restore Duration", "Restore Duration", "Billed Duration", "Init Duration", "Duration",
           "Memory Size", "Max Memory Used", "Status", "Error Type", "Phase", "XRAY TraceId", "SegmentId",
           "Sampled", "RequestId")
_TEXT_FIELD = re.compile(r"(?:^|(?<=\s))(" + "|".join(re.escape(label) for label in _LABELS) + r"): (\S*)"
                         r"(?: (ms|MB)\b)?")
_TEXT_NUMBERS = {"Duration": "duration_ms", "Billed Duration": "billed_duration_ms",
                 "Memory Size": "report_memory_mb", "Max Memory Used": "max_memory_used_mb",
                 "Init Duration": "init_duration_ms", "Restore Duration": "restore_duration_ms",
                 "Billed Restore Duration": "billed_restore_duration_ms"}
_TEXT_WORDS = {"Status": "report_status", "Error Type": "report_error_type", "XRAY TraceId": "trace_id"}
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_JSON_FIELDS = {"durationMs": "duration_ms", "billedDurationMs": "billed_duration_ms",
                "memorySizeMB": "report_memory_mb", "maxMemoryUsedMB": "max_memory_used_mb",
                "initDurationMs": "init_duration_ms", "restoreDurationMs": "restore_duration_ms",
                "billedRestoreDurationMs": "billed_restore_duration_ms"}
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
    init_reports: int = 0  # INIT_REPORT lines and platform.initReport records
    runtime_done: int = 0  # platform.runtimeDone records
    malformed_init_report: int = 0
    malformed_runtime_done: int = 0
    samples: list[str] = field(default_factory=list)

    def note_malformed(self, kind: str, line: str, reason: str) -> None:
        """``kind``: emf, report, init_report or runtime_done."""
        name = f"malformed_{kind}"
        setattr(self, name, getattr(self, name) + 1)
        if len(self.samples) < MAX_SAMPLES:
            self.samples.append(f"{kind}: {reason}: {line[:160]}")

    def to_dict(self) -> ParseCountsSummary:
        return {"emf_documents": self.emf_documents, "other_runs": self.other_runs, "reports": self.reports,
                "malformed_emf": self.malformed_emf, "malformed_report": self.malformed_report,
                "ignored": self.ignored, "init_reports": self.init_reports, "runtime_done": self.runtime_done,
                "malformed_init_report": self.malformed_init_report,
                "malformed_runtime_done": self.malformed_runtime_done}


def parse_emf(document: dict[str, Any], timestamp_ms: int) -> dict[str, Any]:
    """An EMF document as a flat record with the columns of ``EMF_COLUMNS``; ``Malformed`` if it is not one.

    Written for speed (a run has hundreds of thousands): exact type checks, no helper call per field.
    """
    get = document.get
    run_id = get(c.P_RUN_ID)
    variant = get(c.DIM_VARIANT)
    if type(run_id) is not str or not run_id:
        raise Malformed("no RunId")
    if type(variant) is not str or not variant:
        raise Malformed(f"Variant is {variant!r}")
    metadata = get("_aws")
    stamp = metadata.get("Timestamp") if type(metadata) is dict else None
    record: dict[str, Any] = {"run_id": intern(run_id), "variant": intern(variant),
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
        if value is not None:
            value = value if type(value) is str else str(value)
            value = value if name in _UNIQUE_TEXT else intern(value)
        record[column] = value
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


def _text_fields(text: str) -> dict[str, tuple[str, str | None]]:
    """Label → (value, unit) of a text platform line; ``Malformed`` if a label is given twice."""
    fields: dict[str, tuple[str, str | None]] = {}
    for match in _TEXT_FIELD.finditer(text):
        label, value, unit = match.groups()
        if label in fields:
            raise Malformed(f"{label} given twice")
        fields[label] = (value, unit)
    return fields


def _text_number(label: str, value: str, unit: str | None) -> float:
    if unit is None or not _NUMBER.fullmatch(value):
        raise Malformed(f"{label} is not a number with a unit: {value!r}")
    return float(value)


def parse_text_report(line: str, timestamp_ms: int, log_group: str = "") -> dict[str, Any]:
    """``REPORT RequestId: …`` in AWS's or MiniStack's text format, tabs or spaces, with an ``XRAY`` tail or not."""
    head = _REPORT_HEAD.match(line)
    if head is None:
        raise Malformed("no request id")
    record: dict[str, Any] = dict.fromkeys(REPORT_COLUMNS)
    record.update(request_id=head.group(1), report_ms=timestamp_ms, log_group=log_group)
    for label, (value, unit) in _text_fields(line[head.end():]).items():
        if label in _TEXT_NUMBERS:
            record[_TEXT_NUMBERS[label]] = _text_number(label, value, unit)
        elif label in _TEXT_WORDS:
            record[_TEXT_WORDS[label]] = value or None
    if record["duration_ms"] is None:
        raise Malformed("no Duration")
    return record


def parse_text_init_report(line: str, timestamp_ms: int, log_group: str = "") -> dict[str, Any]:
    """``INIT_REPORT Init Duration: … ms\\tPhase: init|invoke[\\tStatus: error|timeout\\tError Type: …]``."""
    fields = _text_fields(line[len("INIT_REPORT"):])
    if "Init Duration" not in fields:
        raise Malformed("no Init Duration")
    status = fields.get("Status", (SUCCESS, None))[0] or SUCCESS
    return {"log_group": log_group, "report_ms": timestamp_ms,
            "init_duration_ms": _text_number("Init Duration", *fields["Init Duration"]),
            "phase": fields.get("Phase", ("", None))[0] or None, "init_status": status,
            "init_error_type": fields.get("Error Type", ("", None))[0] or None}


def _optional_text(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is not None and not isinstance(value, str):
        raise Malformed(f"{key} is not a string: {value!r}")
    return value


def parse_json_report(document: dict[str, Any], timestamp_ms: int, log_group: str = "") -> dict[str, Any]:
    """A ``platform.report`` record of the JSON log format."""
    body = document.get("record")
    if not (isinstance(body, dict) and isinstance(body.get("metrics"), dict)
            and isinstance(body.get("requestId"), str)):
        raise Malformed("no record.requestId or record.metrics")
    metrics = body["metrics"]
    record: dict[str, Any] = dict.fromkeys(REPORT_COLUMNS)
    tracing = body.get("tracing")
    record.update(request_id=body["requestId"], report_ms=timestamp_ms, log_group=log_group,
                  report_status=_optional_text(body, "status"), report_error_type=_optional_text(body, "errorType"),
                  trace_id=tracing.get("value") if isinstance(tracing, dict) else None)
    for name, column in _JSON_FIELDS.items():
        value = metrics.get(name)
        if value is not None and not _is_number(value):
            raise Malformed(f"{name} is not a number: {value!r}")
        record[column] = None if value is None else float(value)
    if record["duration_ms"] is None:
        raise Malformed("no durationMs")
    return record


def parse_json_init_report(document: dict[str, Any], timestamp_ms: int, log_group: str = "") -> dict[str, Any]:
    """A ``platform.initReport`` record: the INIT phase's duration, phase and (when it failed) status."""
    body = document.get("record")
    metrics = body.get("metrics") if isinstance(body, dict) else None
    duration = metrics.get("durationMs") if isinstance(metrics, dict) else None
    if not isinstance(body, dict) or not isinstance(duration, int | float) or isinstance(duration, bool):
        raise Malformed("no record.metrics.durationMs")
    return {"log_group": log_group, "report_ms": timestamp_ms, "init_duration_ms": float(duration),
            "phase": _optional_text(body, "phase"), "init_status": _optional_text(body, "status") or SUCCESS,
            "init_error_type": _optional_text(body, "errorType")}


def parse_json_runtime_done(document: dict[str, Any]) -> dict[str, Any]:
    """A ``platform.runtimeDone`` record: its request's status and error type."""
    body = document.get("record")
    if not (isinstance(body, dict) and isinstance(body.get("requestId"), str)
            and isinstance(body.get("status"), str)):
        raise Malformed("no record.requestId or record.status")
    return {"request_id": body["requestId"], "status": body["status"],
            "error_type": _optional_text(body, "errorType")}


class LineParser:
    """Sorts the lines of one run into EMF records, REPORT records and init records, counting everything else.

    ``foreign_request_ids`` are the request ids of EMF documents of other runs (or of none): their REPORT lines
    are not this run's (``analysis.dataset``).
    """

    def __init__(self, run_id: str) -> None:
        self.run_id = run_id
        self.counts = ParseCounts()
        self.items: list[dict[str, Any]] = []
        self.reports: list[dict[str, Any]] = []
        self.init_reports: list[dict[str, Any]] = []
        self.runtime_done: list[dict[str, Any]] = []
        self.foreign_request_ids: set[str] = set()

    def feed(self, message: str, timestamp_ms: int, log_group: str = "", log_stream: str = "") -> None:
        line = message.strip()
        if line.startswith("REPORT RequestId"):
            self._add(line, "report", lambda: parse_text_report(line, timestamp_ms, log_group))
        elif line.startswith("INIT_REPORT"):
            self._add(line, "init_report", lambda: parse_text_init_report(line, timestamp_ms, log_group))
        elif line.startswith("{"):
            self._feed_json(line, timestamp_ms, log_group, log_stream)
        else:
            self.counts.ignored += 1

    def _feed_json(self, line: str, timestamp_ms: int, log_group: str, log_stream: str) -> None:
        kind = ("emf" if '"_aws"' in line else "report" if "platform.report" in line
                else "init_report" if "platform.initReport" in line
                else "runtime_done" if "platform.runtimeDone" in line else None)
        try:
            document = json.loads(line)
        except (ValueError, RecursionError):  # RecursionError: JSON nested thousands of levels deep
            if kind is not None:
                self.counts.note_malformed(kind, line, "not JSON")
            else:
                self.counts.ignored += 1
            return
        if not isinstance(document, dict):
            self.counts.ignored += 1
        elif "_aws" in document:
            self._add_emf(line, document, timestamp_ms, log_stream)
        elif document.get("type") == "platform.report":
            self._add(line, "report", lambda: parse_json_report(document, timestamp_ms, log_group))
        elif document.get("type") == "platform.initReport":
            self._add(line, "init_report", lambda: parse_json_init_report(document, timestamp_ms, log_group))
        elif document.get("type") == "platform.runtimeDone":
            self._add(line, "runtime_done", lambda: parse_json_runtime_done(document))
        else:
            self.counts.ignored += 1

    def _add_emf(self, line: str, document: dict[str, Any], timestamp_ms: int, log_stream: str) -> None:
        if document.get(c.P_RUN_ID) != self.run_id:  # another run's, or one the handler could not attribute
            self.counts.other_runs += 1
            request_id = document.get(c.P_REQUEST_ID)
            if isinstance(request_id, str) and request_id:
                self.foreign_request_ids.add(request_id)
            return
        try:
            record = parse_emf(document, timestamp_ms)
        except Malformed as exc:
            self.counts.note_malformed("emf", line, str(exc))
            return
        record["event_log_stream"] = intern(log_stream)
        self.counts.emf_documents += 1
        self.items.append(record)

    def _add(self, line: str, kind: str, parse: Callable[[], dict[str, Any]]) -> None:
        try:
            record = parse()
        except Malformed as exc:
            self.counts.note_malformed(kind, line, str(exc))
            return
        if kind == "report":
            self.counts.reports += 1
            self.reports.append(record)
        elif kind == "init_report":
            self.counts.init_reports += 1
            self.init_reports.append(record)
        else:
            self.counts.runtime_done += 1
            self.runtime_done.append(record)
