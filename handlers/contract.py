"""Contracts the handler shares with loadgen and analysis: the work request and the EMF document's names.

Loadgen builds ``WorkRequest``s, the handler validates them, analysis reads the EMF names back. Everyone imports
them from here rather than re-spelling field names. Standard library only: this ships inside the function.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from datetime import datetime

# --- work request (SQS body, HTTP API body, direct invoke event) -------------------------------------------------
REQUEST_FIELDS = ("run_id", "seq", "workload", "size", "iterations", "seed", "sent_at", "round", "event")
# The workload name of a request for the user's own function (``archbench:function``); its ``event`` is the sample
# event the user's handler is called with.
USER_WORKLOAD = "function"
# Free-form: a letter or digit, then up to 63 letters, digits, '.', '_' or '-' (``fullmatch``: no trailing newline).
# One run id can be a substring of another (``base`` of ``baseline-1024``): the log filters match substrings, so
# analysis keeps only the documents whose ``RunId`` equals the run id exactly.
RUN_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
RUN_ID_EXAMPLE = "20261125T080000Z-3fa2"
RUN_ID_MAX_LEN = 64


class WorkRequest(NamedTuple):
    run_id: str
    seq: int
    workload: str
    size: int
    iterations: int = 1
    seed: int = 0
    sent_at: float = 0.0
    round: int | None = None  # ``loadgen --rounds``: which randomised interleaved trial (0-based); None outside rounds
    event: object = None  # the user's sample event (any JSON value); None for the built-in workloads

    def to_json(self) -> str:
        """The body loadgen sends; ``round`` only when the run has rounds and ``event`` only for the user's function
        (the body stays what it was otherwise)."""
        body = self._asdict()
        if self.round is None:
            del body["round"]
        if self.event is None:
            del body["event"]
        return json.dumps(body, separators=(",", ":"))


def is_run_id(value: object) -> bool:
    return isinstance(value, str) and RUN_ID_RE.fullmatch(value) is not None


def run_id_problem(value: object) -> str:
    """What is wrong with a value that is not a run id, in the words every tool uses."""
    return (f"{value!r} is not a run id (1–{RUN_ID_MAX_LEN} letters, digits, '.', '_' or '-', starting with a "
            f"letter or digit, e.g. baseline-1024 or {RUN_ID_EXAMPLE})")


def new_run_id(now: datetime | None = None) -> str:
    """``20261125T080000Z-3fa2``: UTC time and a random suffix (a user may also name a run freely)."""
    import secrets  # here, not at import: hmac and OpenSSL would add ~8 ms to every cold start (only hosts ask)
    from datetime import UTC, datetime

    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return f"{moment:%Y%m%dT%H%M%SZ}-{secrets.token_hex(2)}"


# --- EMF document (namespace, dimensions, metrics, properties) -----------------------------------------------------
NAMESPACE = "ArchBench"
DIM_VARIANT = "Variant"  # the matrix variant id (``stack.variants``), e.g. py313-1024-arm64
DIM_WORKLOAD = "Workload"
DIMENSION_SETS = ((DIM_VARIANT, DIM_WORKLOAD), (DIM_VARIANT,))

M_WORKLOAD_MS = "WorkloadMs"
M_HANDLER_MS = "HandlerMs"
M_PEAK_RSS_MB = "PeakRssMb"
M_QUEUE_LAG_MS = "QueueLagMs"  # SQS only
M_COLD_START = "ColdStart"  # 0/1
M_INIT_MS = "InitMs"  # cold starts only: module import start to first invocation
M_USER_INIT_MS = "UserInitMs"  # cold starts of the user's function only: the import of the user's module (in InitMs)
M_ERRORS = "Errors"  # 0/1

P_ARCHITECTURE = "Architecture"  # the configured architecture label (a property, not a dimension)
P_RUN_ID = "RunId"
P_SEQ = "Seq"
P_REQUEST_ID = "RequestId"
P_MESSAGE_ID = "MessageId"
P_FUNCTION_NAME = "FunctionName"
P_FUNCTION_VERSION = "FunctionVersion"
P_MEMORY_SIZE_MB = "MemorySizeMb"
P_RUNTIME = "Runtime"
P_HOST_MACHINE = "HostMachine"
P_TRIGGER = "Trigger"  # sqs | api | direct
P_RESULT_DIGEST = "ResultDigest"
P_ERROR_TYPE = "ErrorType"
# The execution environment, once per process: the unit of analysis (items of one environment share its speed).
P_ENVIRONMENT_ID = "EnvironmentId"  # a random id made at import
P_LOG_STREAM = "LogStream"  # context.log_stream_name: one stream per environment on AWS
P_CPU_MODEL = "CpuModel"  # x86: /proc/cpuinfo ``model name``; arm64: ``CPU implementer`` + ``CPU part``
P_ROUND = "Round"  # the work request's ``round``, only when it has one

TRIGGER_SQS = "sqs"
TRIGGER_API = "api"
TRIGGER_DIRECT = "direct"
TRIGGERS = (TRIGGER_SQS, TRIGGER_API, TRIGGER_DIRECT)  # the values of P_TRIGGER

# --- function environment (set by the deployers from stack/spec.py, read by the handler) ---------------------
ENV_ARCHITECTURE = "ARCHBENCH_ARCHITECTURE"  # the configured architecture label, the EMF Architecture property
ENV_VARIANT = "ARCHBENCH_VARIANT"  # the variant id, the EMF Variant dimension
ENV_ALLOWED_WORKLOADS = "ARCHBENCH_ALLOWED_WORKLOADS"  # comma-separated workload names; empty or unset = all
ENV_FUNCTION_HANDLER = "ARCHBENCH_FUNCTION_HANDLER"  # archbench:function's handler, module.function
ENV_FUNCTION_EVENT = "ARCHBENCH_FUNCTION_EVENT"  # archbench:function's event kind: raw | sqs | http
ENV_FUNCTION_DIGEST_EXCLUDE = "ARCHBENCH_FUNCTION_DIGEST_EXCLUDE"  # comma-separated key paths left out of the digest
# How every invocation of a wrapper whose user module did not import fails (its errorType on AWS, the start of its
# errorMessage everywhere): the readiness check stops on it.
IMPORT_ERROR_TYPE = "FunctionImportError"
