"""Start and stop the MiniStack process: a loopback port, its own TMPDIR, its own session, stopped by pid.

MiniStack is started in a new session so its Lambda workers share its process group; ``stop`` signals that group,
then kills whatever of the recorded tree survived, and removes the temp dir MiniStack leaves behind on SIGTERM.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import psutil

from core import LOCAL_REGION, local_credentials_env
from localcloud.errors import LocalCloudError

HOST = "127.0.0.1"
HEALTH_PATH = "/_localstack/health"  # MiniStack answers it too, so one probe fits both emulators


@dataclass(frozen=True)
class MiniStackProcess:
    pid: int
    port: int
    tmpdir: Path
    log_path: Path
    created: float  # the process's start time: a recycled pid is never mistaken for ours

    @property
    def endpoint_url(self) -> str:
        return f"http://{HOST}:{self.port}"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return True
    return False


# MiniStack's Lambda workers inherit its whole environment, then get what Lambda sets (AWS_REGION,
# AWS_LAMBDA_FUNCTION_NAME, …, credentials) and the function's own variables. So MiniStack gets what a Lambda
# runtime has — a fixed PATH, locale and time zone — and its own settings, never the host's environment: no
# GITHUB_TOKEN, PULUMI_*, AWS profile or emulator switch of the shell reaches it or a function.
LAMBDA_RUNTIME_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "TZ": ":UTC"}
# The one host fact passed on: where set, this machine's OpenBLAS needs them to compute correctly (numpy workloads).
HOST_CPU_ENV = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def ministack_env(port: int, tmpdir: Path) -> dict[str, str]:
    """MiniStack's environment, which its workers inherit: a Lambda runtime's, its own settings, the dummy
    credentials (MiniStack accepts any; real ones must never reach it), and nothing else of the host's."""
    env = {**LAMBDA_RUNTIME_ENV, **{key: os.environ[key] for key in HOST_CPU_ENV if key in os.environ}}
    env.update(local_credentials_env())
    env.update({
        "AWS_DEFAULT_REGION": LOCAL_REGION,
        "GATEWAY_PORT": str(port),
        "BIND_HOST": HOST,
        "TMPDIR": str(tmpdir),
        "LOG_LEVEL": "WARNING",  # INFO logs every SQS batch
    })
    return env


def start(python: Path, work_dir: Path, port: int | None = None, timeout_s: float = 60.0) -> MiniStackProcess:
    """Start MiniStack on ``port`` (or a free one) and return once its health endpoint answers."""
    if port is not None and port_in_use(port):
        raise LocalCloudError(f"port {port} on {HOST} is already in use: choose another with --port, or omit it")
    port = port if port is not None else free_port()
    tmpdir = work_dir / f"ministack-{port}"
    tmpdir.mkdir(parents=True, exist_ok=True)
    log_path = work_dir / f"ministack-{port}.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [str(python), "-m", "ministack"], cwd=tmpdir, env=ministack_env(port, tmpdir),
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
    started = MiniStackProcess(pid=proc.pid, port=port, tmpdir=tmpdir, log_path=log_path,
                               created=psutil.Process(proc.pid).create_time())
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            shutil.rmtree(tmpdir, ignore_errors=True)
            raise LocalCloudError(f"MiniStack exited with code {proc.returncode} at start: {_last_line(log_path)}")
        if is_healthy(started.endpoint_url):
            return started
        time.sleep(0.1)
    last = _last_line(log_path)  # read before stop() removes the log with the rest of the process's files
    stop(started)
    raise LocalCloudError(f"MiniStack did not answer on {started.endpoint_url} within {timeout_s:.0f} s "
                          f"(its last log line: {last})")


def is_healthy(endpoint_url: str) -> bool:
    try:
        with urllib.request.urlopen(endpoint_url + HEALTH_PATH, timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def _ours(ministack: MiniStackProcess) -> psutil.Process | None:
    """The recorded process if it still runs and is the one we started, else None."""
    try:
        found = psutil.Process(ministack.pid)
        if found.create_time() != ministack.created or found.status() == psutil.STATUS_ZOMBIE:
            return None
        return found
    except psutil.NoSuchProcess:
        return None


def is_running(ministack: MiniStackProcess) -> bool:
    return _ours(ministack) is not None


def stop(ministack: MiniStackProcess, timeout_s: float = 10.0) -> None:
    """SIGTERM MiniStack's process group, SIGKILL what is left of its tree, then remove its temp dir and log."""
    leader = _ours(ministack)
    if leader is not None:
        try:
            tree = [leader, *leader.children(recursive=True)]
        except psutil.NoSuchProcess:
            tree = [leader]
        _signal_group(ministack.pid, signal.SIGTERM)
        _, alive = psutil.wait_procs(tree, timeout=timeout_s)
        if alive:
            _signal_group(ministack.pid, signal.SIGKILL)
        for process in alive:
            with contextlib.suppress(psutil.NoSuchProcess):
                process.kill()
        psutil.wait_procs(alive, timeout=timeout_s)
    shutil.rmtree(ministack.tmpdir, ignore_errors=True)
    ministack.log_path.unlink(missing_ok=True)


def _signal_group(pid: int, sig: signal.Signals) -> None:
    """Signal the group MiniStack leads (its session, which its Lambda workers share)."""
    try:
        if os.getpgid(pid) == pid:
            os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _last_line(path: Path) -> str:
    lines = [line for line in path.read_text(errors="replace").splitlines() if line.strip()]
    return lines[-1] if lines else "no output"
