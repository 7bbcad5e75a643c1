"""The stack outputs contract (Pulumi output ``bench`` / ``.archbench/local/outputs.json``) and how to find it.

Loadgen and analysis find the outputs in this order: ``--outputs FILE``, ``--stack NAME`` (``pulumi stack
output``), a running local cloud's file, the current Pulumi stack. No pulumi import here.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from core import ARCHITECTURES, PROJECT_ROOT, UserError, local_outputs_path
from core import client as aws_client
from stack.variants import ROLES, Role, Variant, runtime_tag

OUTPUT_NAME = "bench"


class OutputsError(UserError):
    """Stack outputs are missing or malformed; the message says what to run."""


@dataclass(frozen=True)
class FunctionOutputs:
    """One variant's deployed function; ``StackOutputs.functions`` keys it by its variant id."""

    name: str
    queue_url: str
    dlq_url: str
    log_group: str
    route: str
    memory_mb: int
    architecture: str
    runtime: str
    role: Role

    @property
    def variant(self) -> Variant:
        return Variant(self.runtime, self.memory_mb, self.architecture, self.role)


@dataclass(frozen=True)
class LoadWorkerOutputs:
    """The load worker function and its results bucket (``archbench:loadWorkers``; ``stack.load_workers``)."""

    function_name: str
    bucket: str
    results_prefix: str
    memory_mb: int
    architecture: str
    timeout_s: int


@dataclass(frozen=True)
class StackOutputs:
    region: str
    endpoint_url: str | None
    api_url: str
    functions: dict[str, FunctionOutputs]
    load_workers: LoadWorkerOutputs | None = None  # only with archbench:loadWorkers
    user_function: str | None = None  # archbench:function's handler (module.function) when the stack runs it

    @property
    def is_local(self) -> bool:
        """A local emulator (MiniStack/LocalStack) rather than AWS: set by ``localcloud``."""
        return self.endpoint_url is not None

    def client(self, service: str, **config: Any) -> Any:
        """A boto3 client for this stack's region and endpoint (``core.aws.client``; ``config`` passes on)."""
        return aws_client(service, self.region, self.endpoint_url, **config)

    @property
    def log_groups(self) -> list[str]:
        """Every function's log group, in variant order."""
        return [fn.log_group for fn in self.variants.values()]

    @property
    def variants(self) -> dict[str, FunctionOutputs]:
        """``functions`` in the matrix's sort order (runtime, memory, architecture, subject before twin)."""
        return dict(sorted(self.functions.items(), key=lambda item: item[1].variant.sort_key()))

    @property
    def architectures(self) -> tuple[str, ...]:
        """The deployed architectures, in ``core.ARCHITECTURES`` order."""
        deployed = {fn.architecture for fn in self.functions.values()}
        return tuple(arch for arch in ARCHITECTURES if arch in deployed)

    def to_dict(self) -> dict[str, Any]:
        data = {
            "region": self.region,
            "endpoint_url": self.endpoint_url,
            "api_url": self.api_url,
            "functions": {variant_id: asdict(fn) for variant_id, fn in self.variants.items()},
        }
        if self.load_workers is not None:
            data["load_workers"] = asdict(self.load_workers)
        if self.user_function is not None:
            data["user_function"] = self.user_function
        return data

    @classmethod
    def from_dict(cls, data: Any, source: str = "outputs") -> StackOutputs:
        """Validate the contract; every problem is an ``OutputsError`` naming the field and the source."""
        if not isinstance(data, dict):
            raise OutputsError(f"{source}: expected a JSON object with region, api_url and functions")
        try:
            functions_raw = data["functions"]
            if not isinstance(functions_raw, dict) or not functions_raw:
                raise OutputsError(f"{source}: 'functions' must map variant ids to functions")
            functions = {str(key): _function(str(key), fn, source) for key, fn in functions_raw.items()}
            endpoint = data.get("endpoint_url")
            workers = data.get("load_workers")
            user_function = data.get("user_function")
            return cls(region=str(data["region"]), endpoint_url=str(endpoint) if endpoint else None,
                       api_url=str(data["api_url"]), functions=functions,
                       load_workers=None if workers is None else _load_workers(workers),
                       user_function=None if user_function is None else str(user_function))
        except KeyError as exc:
            raise OutputsError(f"{source}: missing field {exc.args[0]!r}") from None
        except (TypeError, ValueError) as exc:
            raise OutputsError(f"{source}: malformed stack outputs ({exc})") from None


def _function(key: str, fn: Any, source: str) -> FunctionOutputs:
    """One ``functions`` entry, checked against its key (the id its own fields derive)."""
    if not isinstance(fn, dict):
        raise OutputsError(f"{source}: functions[{key!r}] must be an object")
    out = FunctionOutputs(
        name=str(fn["name"]), queue_url=str(fn["queue_url"]), dlq_url=str(fn["dlq_url"]),
        log_group=str(fn["log_group"]), route=str(fn["route"]), memory_mb=int(fn["memory_mb"]),
        architecture=str(fn["architecture"]), runtime=str(fn["runtime"]), role=fn["role"],
    )
    if out.architecture not in ARCHITECTURES:
        raise OutputsError(f"{source}: functions[{key!r}] has unknown architecture {out.architecture!r}")
    if out.role not in ROLES:
        raise OutputsError(f"{source}: functions[{key!r}] has role {out.role!r}; expected one of {', '.join(ROLES)}")
    runtime_tag(out.runtime)  # a ValueError naming the runtime if it is not python3.N
    if out.variant.id != key:
        raise OutputsError(f"{source}: functions[{key!r}] describes variant {out.variant.id!r}; the key must "
                           "be its variant id")
    return out


def _load_workers(data: Any) -> LoadWorkerOutputs:
    return LoadWorkerOutputs(function_name=str(data["function_name"]), bucket=str(data["bucket"]),
                             results_prefix=str(data["results_prefix"]), memory_mb=int(data["memory_mb"]),
                             architecture=str(data["architecture"]), timeout_s=int(data["timeout_s"]))


def load_outputs_file(path: Path) -> StackOutputs:
    try:
        data = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise OutputsError(f"outputs file not found: {path}") from None
    except (OSError, json.JSONDecodeError) as exc:
        raise OutputsError(f"cannot read outputs file {path}: {exc}") from None
    return StackOutputs.from_dict(data, source=str(path))


def load_pulumi_outputs(stack: str | None) -> StackOutputs:
    """``pulumi stack output bench --json`` for the named (or current) stack."""
    pulumi = shutil.which("pulumi")
    if pulumi is None:
        raise OutputsError("the pulumi CLI is not on PATH; pass --outputs FILE or run `python -m localcloud up`")
    command = [pulumi, "stack", "output", OUTPUT_NAME, "--json", "--cwd", str(PROJECT_ROOT)]
    if stack:
        command += ["--stack", stack]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    label = f"pulumi stack {stack or '(current)'}"
    if result.returncode != 0:
        reason = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise OutputsError(f"{label}: `pulumi stack output {OUTPUT_NAME}` failed: {reason}")
    try:
        data = json.loads(result.stdout)
    except json.JSONDecodeError:
        raise OutputsError(f"{label}: output {OUTPUT_NAME!r} is not JSON") from None
    return StackOutputs.from_dict(data, source=label)


def find_outputs(outputs_file: str | Path | None = None, stack: str | None = None) -> StackOutputs:
    """Resolve the stack outputs in the documented order; a clear error if none is found."""
    if outputs_file:
        return load_outputs_file(Path(outputs_file))
    if stack:
        return load_pulumi_outputs(stack)
    local = local_outputs_path()
    if local.exists():
        return load_outputs_file(local)
    if shutil.which("pulumi"):
        return load_pulumi_outputs(None)
    raise OutputsError(
        "no stack found: run `python -m localcloud up --detach` (local) or `pulumi up` (AWS), "
        "or pass --outputs FILE / --stack NAME"
    )
