"""Log events from files: what ``aws logs filter-log-events`` printed, one file per variant, read without credentials.

A run made elsewhere (another account, a colleague's laptop) can be analysed from the JSON the AWS CLI writes,
``{"events": [{"logStreamName", "timestamp", "message", "ingestionTime", "eventId"}, …], "searchedLogStreams": […],
"nextToken"?}``. ``--logs VARIANT=FILE`` names whose file it is; the variant id (``stack.variants``) also gives
the variant's runtime, memory, architecture and role when no ``--outputs`` file is given. Every problem with an
option or a file is a ``UsageError``: one line, exit 2.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from analysis.events import LogEvent, TimeWindow
from core import UsageError
from handlers import contract as c
from stack import FunctionOutputs, StackOutputs, Variant

LABEL = "log-files"
DEFAULT_REGION = "us-east-1"  # the logs do not say; prices are the same in most regions (analysis.cost)
_VARIANT_ID = re.compile(r"py(\d)(\d+)-(\d+)-(arm64|x86_64)(-twin)?")  # Variant.id, read back


def parse_logs_options(values: Sequence[str]) -> dict[str, Path]:
    """``VARIANT=FILE`` options → variant id → file, in the order given; duplicates and bad ids refused."""
    files: dict[str, Path] = {}
    for value in values:
        variant, sep, file = value.partition("=")
        if not sep or not variant or not file:
            raise UsageError(f"--logs takes VARIANT=FILE (e.g. py313-1024-arm64=arm.json), got {value!r}")
        if variant in files:
            raise UsageError(f"--logs names variant {variant} twice ({files[variant]} and {file})")
        variant_of(variant)
        files[variant] = Path(file)
    return files


def variant_of(variant_id: str) -> Variant:
    """The variant a variant id names (the inverse of ``Variant.id``)."""
    match = _VARIANT_ID.fullmatch(variant_id)
    if match is None:
        raise UsageError(f"{variant_id!r} is not a variant id (<runtime tag>-<memory>-<architecture>[-twin], "
                         "e.g. py313-1024-arm64 or py313-1024-x86_64-twin)")
    major, minor, memory, architecture, twin = match.groups()
    return Variant(f"python{major}.{minor}", int(memory), architecture, "control" if twin else "subject")


def read_log_file(path: Path, log_group: str) -> list[LogEvent]:
    """One ``filter-log-events`` answer as log events of ``log_group``; a ``UsageError`` naming what is wrong."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"cannot read log file {path}: {exc.strerror or exc}") from None
    except (ValueError, RecursionError) as exc:
        raise UsageError(f"log file {path} is not JSON ({exc}); expected the output of "
                         "`aws logs filter-log-events --output json`") from None
    events = document.get("events") if isinstance(document, dict) else None
    if not isinstance(events, list):
        raise UsageError(f"log file {path} has no \"events\" list: is it the output of "
                         "`aws logs filter-log-events`?")
    return [_event(path, index, event, log_group) for index, event in enumerate(events)]


def _event(path: Path, index: int, event: Any, log_group: str) -> LogEvent:
    if not (isinstance(event, dict) and isinstance(event.get("message"), str)
            and isinstance(event.get("timestamp"), int) and not isinstance(event.get("timestamp"), bool)):
        raise UsageError(f"log file {path}: event {index} needs a string \"message\" and an integer \"timestamp\"")
    stream = event.get("logStreamName")
    return LogEvent(log_group, event["timestamp"], event["message"], stream if isinstance(stream, str) else "")


def _documents(events: Sequence[LogEvent]) -> list[dict[str, Any]]:
    """The EMF documents among ``events`` (the only lines that name a run or a function)."""
    found = []
    for event in events:
        line = event.message.strip()
        if line.startswith("{") and '"_aws"' in line:
            try:
                document = json.loads(line)
            except (ValueError, RecursionError):
                continue  # counted as malformed by the parser later
            if isinstance(document, dict):
                found.append(document)
    return found


class LogFilesSource:
    """Every event of the given files, read up front: the run, the window and the stack are found in them."""

    label = LABEL

    def __init__(self, files: Mapping[str, Path], outputs: StackOutputs | None = None) -> None:
        if outputs is not None:
            unknown = [vid for vid in files if vid not in outputs.functions]
            if unknown:
                raise UsageError(f"--logs names variant(s) {', '.join(unknown)} that the stack outputs do not "
                                 f"have (they have {', '.join(outputs.functions)})")
        self._files = dict(files)
        self._events: dict[str, list[LogEvent]] = {}
        for vid, path in files.items():
            group = outputs.functions[vid].log_group if outputs else f"/aws/lambda/{vid}"
            self._events[vid] = read_log_file(path, group)
        self.outputs = outputs or self._outputs_from_records()
        if outputs is None:  # the log groups now follow the functions' names as their documents gave them
            self._events = {vid: [event._replace(log_group=self.outputs.functions[vid].log_group) for event in events]
                            for vid, events in self._events.items()}

    @property
    def events(self) -> list[LogEvent]:
        return [event for events in self._events.values() for event in events]

    def run_id(self, asked: str | None) -> str:
        """``asked``, else the one run the files hold; a ``UsageError`` listing them when there are several."""
        if asked is not None:
            return asked
        found = sorted({str(d[c.P_RUN_ID]) for d in _documents(self.events) if isinstance(d.get(c.P_RUN_ID), str)})
        if len(found) == 1:
            return found[0]
        files = ", ".join(str(path) for path in self._files.values())
        if not found:
            raise UsageError(f"the log files ({files}) hold no EMF document of any run")
        raise UsageError(f"the log files hold {len(found)} runs ({', '.join(found)}); choose one with --run-id")

    @property
    def window(self) -> TimeWindow:
        """From the first event to the last (the files are the whole search)."""
        stamps = [event.timestamp_ms for event in self.events] or [0]
        return TimeWindow(min(stamps), max(stamps))

    def fetch(self, window: TimeWindow) -> list[LogEvent]:
        return [event for event in self.events if window.start_ms <= event.timestamp_ms <= window.end_ms]

    def _outputs_from_records(self) -> StackOutputs:
        """Stack outputs built from the variant ids, the function named as its documents name it."""
        functions = {}
        for vid, events in self._events.items():
            variant = variant_of(vid)
            names = sorted({str(d[c.P_FUNCTION_NAME]) for d in _documents(events) if d.get(c.P_FUNCTION_NAME)})
            name = names[0] if names else vid
            functions[vid] = FunctionOutputs(name, "", "", f"/aws/lambda/{name}", f"/{vid}/process",
                                             variant.memory_mb, variant.architecture, variant.runtime, variant.role)
        return StackOutputs(DEFAULT_REGION, None, "", functions)
