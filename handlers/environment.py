"""What the handler knows about where it runs: the function's identity, the execution environment (its id, log
stream and CPU model: the unit of analysis), cold start, init time and peak RSS."""

from __future__ import annotations

import os
import resource
import sys
import time
from typing import Any, NamedTuple

from handlers.contract import ENV_ALLOWED_WORKLOADS, ENV_ARCHITECTURE, ENV_VARIANT

UNSET_ARCHITECTURE = "unset"

HOST_MACHINE = os.uname().machine  # what platform.machine() reads, without importing platform
RUNTIME = f"python{sys.version_info.major}.{sys.version_info.minor}"
_STATUS_FILE = "/proc/self/status"
_CPUINFO_FILE = "/proc/cpuinfo"
_status_fd: int | None = None
UNKNOWN_CPU = "unknown"  # no /proc/cpuinfo (macOS, a sandbox without /proc), or neither field in it


def cpu_model(cpuinfo: str) -> str:
    """The CPU model as ``/proc/cpuinfo`` names it: x86's ``model name``; on arm64, which has none, ``CPU
    implementer:CPU part`` (Graviton2 ``0x41:0xd0c`` Neoverse N1, Graviton3 ``0x41:0xd40`` V1, Graviton4
    ``0x41:0xd4f`` V2). Environments of one function may land on different CPUs, which is why it is recorded."""
    fields: dict[str, str] = {}
    for line in cpuinfo.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            fields.setdefault(key.strip(), value.strip())
    if fields.get("model name"):
        return fields["model name"]
    if fields.get("CPU implementer") and fields.get("CPU part"):
        return f"{fields['CPU implementer']}:{fields['CPU part']}"
    return UNKNOWN_CPU


def _read_cpu_model() -> str:
    """Once per process, at import: the first processor's block is enough (every vCPU of a host is alike)."""
    try:
        with open(_CPUINFO_FILE, encoding="utf-8", errors="replace") as cpuinfo:
            return cpu_model(cpuinfo.read(4096))
    except OSError:
        return UNKNOWN_CPU


# The execution environment (one process): made once at import, stamped on every EMF document.
ENVIRONMENT_ID = os.urandom(8).hex()  # secrets.token_hex(8), without importing secrets (hmac, OpenSSL)
CPU_MODEL = _read_cpu_model()


class FunctionInfo(NamedTuple):
    """The per-invocation identity stamped on every EMF document (the same for all items of a batch)."""

    architecture: str
    variant: str  # the deployer's variant id; the architecture label when unset (a call outside a stack)
    function_name: str
    function_version: str
    memory_size_mb: int | None
    request_id: str
    allowed_workloads: tuple[str, ...]
    log_stream: str = ""  # context.log_stream_name: one stream per execution environment on AWS

    @classmethod
    def from_context(cls, context: Any) -> FunctionInfo:
        """Read the Lambda context object and the environment; tolerate a missing context (local calls)."""
        env = os.environ
        allowed = tuple(n.strip() for n in env.get(ENV_ALLOWED_WORKLOADS, "").split(",") if n.strip())
        memory = getattr(context, "memory_limit_in_mb", None) or env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        architecture = env.get(ENV_ARCHITECTURE) or UNSET_ARCHITECTURE
        return cls(
            architecture=architecture,
            variant=env.get(ENV_VARIANT) or architecture,
            function_name=getattr(context, "function_name", None) or env.get("AWS_LAMBDA_FUNCTION_NAME", ""),
            function_version=(getattr(context, "function_version", None)
                              or env.get("AWS_LAMBDA_FUNCTION_VERSION", "")),
            memory_size_mb=int(memory) if memory else None,
            request_id=getattr(context, "aws_request_id", None) or "",
            allowed_workloads=allowed,
            log_stream=(getattr(context, "log_stream_name", None)
                        or env.get("AWS_LAMBDA_LOG_STREAM_NAME", "")),
        )


class LocalContext:
    """A stand-in for the Lambda context object, for calling the handler outside Lambda (the layers' verify
    probe, the benchmarks, the tests): the attributes ``FunctionInfo.from_context`` reads, as AWS types them.
    Any of them can be given by keyword."""

    aws_request_id: str = "00000000-0000-4000-8000-000000000000"
    function_name: str = "archbench-local"
    function_version: str = "$LATEST"
    memory_limit_in_mb: str = "1024"  # a string on AWS
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:000000000000:function:archbench-local"
    log_group_name: str = "/aws/lambda/archbench-local"
    log_stream_name: str = "local"

    def __init__(self, **attributes: str) -> None:
        unknown = sorted(set(attributes) - set(LocalContext.__annotations__))
        if unknown:
            raise TypeError(f"LocalContext has no attribute(s) {', '.join(unknown)}")
        self.__dict__.update(attributes)

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 900_000


class ColdStartClock:
    """Knows whether this is the execution environment's first invocation and how long init took.

    Init time runs from ``started`` (taken at the top of ``handlers/app.py``, before any other import) to the
    first invocation: on AWS that is the INIT phase plus the hand-over to the first request.
    """

    def __init__(self, started: float) -> None:
        self.started = started
        self._claimed = False

    def claim(self) -> float | None:
        """The init time in ms on the first call of the process, then ``None`` forever."""
        if self._claimed:
            return None
        self._claimed = True
        return (time.perf_counter() - self.started) * 1000.0


def peak_rss_mb() -> float:
    """The peak resident set size of this process image, in MB (VmHWM).

    Not ``ru_maxrss``: on Linux it carries over the spawning parent's peak across fork+exec (measured: a child of a
    400 MB parent reports 411 MB while its own VmHWM is 11 MB), and MiniStack spawns workers from a large process.
    psutil has no peak figure on Linux. ``ru_maxrss`` remains the fallback where /proc is absent.
    """
    global _status_fd
    try:
        if _status_fd is None:
            _status_fd = os.open(_STATUS_FILE, os.O_RDONLY)  # kept open: pread costs ~10 µs, open+read ~37 µs
        status = os.pread(_status_fd, 8192, 0)
        start = status.index(b"VmHWM:") + len(b"VmHWM:")
        return int(status[start:status.index(b"kB", start)]) / 1024.0
    except (OSError, ValueError):
        maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return maxrss / (1024.0 * 1024.0) if sys.platform == "darwin" else maxrss / 1024.0
