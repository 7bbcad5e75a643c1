"""The run manifest contract: ``runs/<run_id>/manifest.json``, written by loadgen and read by analysis.

Runs live in ``core.paths.runs_dir()``. ``targets`` holds one ``TargetCounts`` per driven variant, keyed by its
variant id (the keys of ``outputs["functions"]``): read its architecture, memory, runtime and role with
``stack.StackOutputs.from_dict(manifest.outputs)``. ``sent`` counts requests SQS accepted (or the API answered,
with any status); ``failed`` those never accepted after retries; ``scheduled`` = sent + failed.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from core.cli import UserError
from core.files import write_json_atomic
from core.paths import runs_dir
from handlers.contract import is_run_id

MANIFEST_NAME = "manifest.json"


class ManifestError(UserError):
    """No manifest, or one that does not follow the contract; the message says which and where."""


@dataclass
class TargetCounts:
    """One variant's queue or route. ``http_status`` (status → count) only for the API target."""

    scheduled: int = 0
    sent: int = 0
    failed: int = 0
    retried: int = 0
    started_late: int = 0
    http_status: dict[str, int] | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        if self.http_status is None:
            del data["http_status"]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TargetCounts:
        status = data.get("http_status")
        return cls(scheduled=int(data["scheduled"]), sent=int(data["sent"]), failed=int(data["failed"]),
                   retried=int(data["retried"]), started_late=int(data["started_late"]),
                   http_status={str(k): int(v) for k, v in status.items()} if status is not None else None)


@dataclass
class RunManifest:
    run_id: str
    started_at: float  # epoch seconds
    ended_at: float
    interrupted: bool
    config: dict[str, Any]
    outputs: dict[str, Any]  # StackOutputs.to_dict()
    targets: dict[str, TargetCounts]  # variant id → counts (a subset of outputs["functions"] with --variants)
    lag_ms: dict[str, float] = field(default_factory=lambda: {"p50": 0.0, "p99": 0.0, "max": 0.0})
    achieved_rate_per_s: float = 0.0

    @property
    def target(self) -> str:
        """What the run drove: ``sqs`` (the queues) or ``api`` (the HTTP routes)."""
        return str(self.config.get("target", "sqs"))

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "interrupted": self.interrupted,
            "config": self.config,
            "outputs": self.outputs,
            "targets": {variant: counts.to_dict() for variant, counts in self.targets.items()},
            "lag_ms": self.lag_ms,
            "achieved_rate_per_s": self.achieved_rate_per_s,
        }

    @classmethod
    def from_dict(cls, data: Any, source: str = "manifest") -> RunManifest:
        """Validate the contract; every problem is a ``ManifestError`` naming the field and the source."""
        if not isinstance(data, dict):
            raise ManifestError(f"{source}: expected a JSON object")
        try:
            return cls(
                run_id=str(data["run_id"]),
                started_at=float(data["started_at"]),
                ended_at=float(data["ended_at"]),
                interrupted=bool(data["interrupted"]),
                config=dict(data["config"]),
                outputs=dict(data["outputs"]),
                targets={str(variant): TargetCounts.from_dict(counts)
                         for variant, counts in data["targets"].items()},
                lag_ms={str(k): float(v) for k, v in data["lag_ms"].items()},
                achieved_rate_per_s=float(data["achieved_rate_per_s"]),
            )
        except KeyError as exc:
            raise ManifestError(f"{source}: missing field {exc.args[0]!r}") from None
        except (TypeError, ValueError, AttributeError) as exc:
            raise ManifestError(f"{source}: malformed manifest ({exc})") from None


def run_dir(run_id: str) -> Path:
    return runs_dir() / run_id


def write_manifest(manifest: RunManifest) -> Path:
    """Write atomically (a reader never sees half a file); returns the path."""
    path = run_dir(manifest.run_id) / MANIFEST_NAME
    try:
        write_json_atomic(path, manifest.to_dict())
    except OSError as exc:  # ARCHBENCH_RUNS_DIR on a file, read-only, full
        raise ManifestError(f"cannot write the run manifest {path}: {exc}") from None
    return path


def read_manifest(run_id: str | None = None) -> RunManifest:
    """The manifest of ``run_id``, or of the newest run when ``run_id`` is None: the latest ``started_at`` (a run
    is named freely, so its name says nothing about its age), or the file's mtime for a manifest without one."""
    root = runs_dir()
    if run_id is None:
        candidates = [p for p in root.glob(f"*/{MANIFEST_NAME}") if is_run_id(p.parent.name)]
        if not candidates:
            raise ManifestError(f"no run manifest in {root}: run `python -m loadgen --rate 10/s --duration 30s` "
                                "first, or pass --run-id")
        run_id = max(candidates, key=_started_at).parent.name
    path = root / run_id / MANIFEST_NAME
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise ManifestError(f"no manifest for run {run_id} ({path} does not exist)") from None
    except (OSError, json.JSONDecodeError) as exc:
        raise ManifestError(f"cannot read {path}: {exc}") from None
    manifest = RunManifest.from_dict(data, source=str(path))
    if manifest.run_id != run_id:  # analysis would search the logs for the wrong run
        raise ManifestError(f"{path}: run_id is {manifest.run_id!r}, not its directory's {run_id!r}")
    return manifest


def _started_at(path: Path) -> tuple[float, float, str]:
    """When the run of this manifest started (epoch s), for picking the newest: ``started_at``, else the mtime."""
    try:
        mtime = path.stat().st_mtime
    except OSError:
        return (float("-inf"), float("-inf"), path.parent.name)
    try:
        started = json.loads(path.read_text()).get("started_at")
    except (OSError, ValueError, AttributeError):
        started = None
    if isinstance(started, bool) or not isinstance(started, int | float) or not math.isfinite(started):
        started = mtime
    return (float(started), mtime, path.parent.name)
