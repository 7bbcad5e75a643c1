"""``up``, ``down`` and ``status``: the local cloud's lifecycle and the state file that ties them together.

``up`` records what it started in ``<state dir>/local/cloud.json`` (pid, port, temp dir); ``down`` stops exactly
that pid's tree and removes the outputs file, whose presence tells loadgen and analysis a local cloud runs.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from core import local_outputs_path, state_dir, write_json_atomic
from localcloud import process
from localcloud.deploy import deploy
from localcloud.errors import LocalCloudError
from localcloud.ready import wait_ready
from localcloud.runtime_venv import ensure_venv
from stack import Settings, StackOutputs, describe_stack, load_outputs_file, stack_prefix

PREFIX = stack_prefix("local")  # the local cloud's resources are named as a Pulumi stack called "local" would be

Progress = Callable[[str], None]


def local_dir() -> Path:
    return state_dir() / "local"


def cloud_state_path() -> Path:
    return local_dir() / "cloud.json"


@dataclass(frozen=True)
class CloudState:
    """What ``up`` left running: MiniStack started by us (``ministack``) or an external ``endpoint_url``."""

    endpoint_url: str
    ministack: process.MiniStackProcess | None

    def to_dict(self) -> dict[str, object]:
        data: dict[str, object] = {"endpoint_url": self.endpoint_url, "pid": None}
        if self.ministack:
            data.update(pid=self.ministack.pid, port=self.ministack.port, tmpdir=str(self.ministack.tmpdir),
                        log_path=str(self.ministack.log_path), created=self.ministack.created)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> CloudState:
        ministack = None
        if data.get("pid") is not None:
            ministack = process.MiniStackProcess(pid=int(str(data["pid"])), port=int(str(data["port"])),
                                                 tmpdir=Path(str(data["tmpdir"])),
                                                 log_path=Path(str(data["log_path"])),
                                                 created=float(str(data["created"])))
        return cls(endpoint_url=str(data["endpoint_url"]), ministack=ministack)

    @property
    def alive(self) -> bool:
        """For our own MiniStack: its pid runs and answers; for an external endpoint: it answers."""
        if self.ministack and not process.is_running(self.ministack):
            return False
        return process.is_healthy(self.endpoint_url)


def read_state() -> CloudState | None:
    try:
        return CloudState.from_dict(json.loads(cloud_state_path().read_text()))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise LocalCloudError(f"unreadable local cloud state {cloud_state_path()}: {exc}; "
                              "remove it after stopping MiniStack by hand") from None


def up(settings: Settings, port: int | None = None, endpoint: str | None = None,
       progress: Progress = lambda _: None) -> StackOutputs:
    """Start MiniStack (or reuse the one ``up`` started, or use ``endpoint``), deploy, wait until ready.

    Idempotent: a second ``up`` deploys in place on the running emulator. If this call started MiniStack and the
    deploy fails, it stops it again, so a failed ``up`` leaves nothing running.
    """
    endpoint = endpoint.rstrip("/") if endpoint else None
    user_requirements = settings.function.requirements_path if settings.function else None
    state = read_state()
    started_here = None
    if state and state.alive and (endpoint is None or endpoint == state.endpoint_url):
        if port is not None and state.ministack and state.ministack.port != port:
            raise LocalCloudError(f"a local cloud already runs on port {state.ministack.port}; "
                                  "run `python -m localcloud down` first to move it")
        progress(f"updating the local cloud at {state.endpoint_url}")
        if user_requirements is not None and state.ministack is not None:
            ensure_venv(progress, user_requirements)
    elif endpoint:
        if not process.is_healthy(endpoint):
            raise LocalCloudError(f"no MiniStack/LocalStack answers at {endpoint}")
        _stop_recorded(state)
        state = CloudState(endpoint_url=endpoint, ministack=None)
    else:
        _stop_recorded(state)
        python = ensure_venv(progress, user_requirements)
        progress("starting MiniStack")
        started_here = process.start(python, local_dir(), port=port)
        state = CloudState(endpoint_url=started_here.endpoint_url, ministack=started_here)
        write_json_atomic(cloud_state_path(), state.to_dict())
    try:
        stack = describe_stack(settings, PREFIX)
        progress(f"deploying {len(stack.functions)} variants of {PREFIX} "
                 f"({', '.join(fn.variant_id for fn in stack.functions)}) and {stack.api_name}")
        outputs = deploy(stack, state.endpoint_url, progress)
        progress("waiting until every function answers a noop by invoke and by its route")
        wait_ready(outputs, sign=settings.api_auth == "iam")
    except BaseException:
        if started_here:
            down()
        raise
    write_json_atomic(cloud_state_path(), state.to_dict())
    write_json_atomic(local_outputs_path(), outputs.to_dict())
    return outputs


def down() -> str:
    """Stop what ``up`` started (by pid) and remove the outputs and state files; say what was done."""
    state = read_state()
    outputs = local_outputs_path()
    if state is None and not outputs.exists():
        return "no local cloud is running"
    was_running = bool(state and state.ministack and process.is_running(state.ministack))
    _stop_recorded(state)
    outputs.unlink(missing_ok=True)
    cloud_state_path().unlink(missing_ok=True)
    if state and state.ministack:
        if not was_running:
            return (f"MiniStack (pid {state.ministack.pid}) on {state.endpoint_url} was not running; "
                    "removed its files")
        return f"stopped MiniStack (pid {state.ministack.pid}) on {state.endpoint_url}"
    return f"forgot the local cloud at {state.endpoint_url if state else 'an unknown endpoint'} (not started by us)"


def status() -> tuple[bool, str]:
    """(running, a few lines describing it)."""
    state = read_state()
    if state is None:
        return False, "no local cloud: run `python -m localcloud up --detach`"
    who = f"MiniStack pid {state.ministack.pid}" if state.ministack else "external endpoint"
    if not state.alive:
        return False, f"local cloud recorded at {state.endpoint_url} ({who}) is not answering: " \
                      "run `python -m localcloud down`, then `up`"
    lines = [f"running: {state.endpoint_url} ({who})"]
    if local_outputs_path().exists():
        outputs = load_outputs_file(local_outputs_path())
        lines.append(f"api: {outputs.api_url}")
        lines += [f"{variant_id}: {fn.name}  queue {fn.queue_url}  logs {fn.log_group}"
                  for variant_id, fn in outputs.variants.items()]
        lines.append(f"outputs: {local_outputs_path()}")
    return True, "\n".join(lines)


def _stop_recorded(state: CloudState | None) -> None:
    if state and state.ministack:
        process.stop(state.ministack)

