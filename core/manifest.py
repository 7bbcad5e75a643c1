"""The run manifest contract: ``runs/<run_id>/manifest.json``, written by loadgen and read by analysis.

Runs live in ``core.paths.runs_dir()``. ``targets`` holds one ``TargetCounts`` per driven variant, keyed by its
variant id (the keys of ``outputs["functions"]``): read its architecture, memory, runtime and role with
``stack.StackOutputs.from_dict(manifest.outputs)``. ``sent`` counts requests SQS accepted (or the API answered,
with any status); ``failed`` those never accepted after retries; ``scheduled`` = sent + failed. ``rounds`` is
there only for ``loadgen --rounds R`` with R > 1 (older manifests and runs of one round have none).
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypedDict

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


class RoundRecord(TypedDict):
    """One round of ``loadgen --rounds``: its items carry ``Round`` = ``index`` and ran on environments made for
    it; ``order`` is its seeded order of function updates; ``settled`` is false when some variant had not processed
    its items before the next round's update (or the run stopped): they may have run on that round's environments.
    """

    index: int  # 0-based, as in the work request's ``round``
    started_at: float  # epoch s: its schedule's t=0, once its updates had finished
    ended_at: float  # epoch s: settled, timed out or stopped
    order: list[str]  # variant ids
    settled: bool


def _round_record(data: Any) -> RoundRecord:
    """One entry of ``rounds``; ``settled`` must be a JSON boolean (``"false"`` would read as true)."""
    if not isinstance(data["settled"], bool):
        raise ValueError(f"a round's settled must be true or false, got {data['settled']!r}")
    return RoundRecord(index=int(data["index"]), started_at=float(data["started_at"]),
                       ended_at=float(data["ended_at"]), order=[str(v) for v in data["order"]],
                       settled=bool(data["settled"]))


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
    rounds: list[RoundRecord] | None = None  # ``loadgen --rounds R`` with R > 1

    @property
    def target(self) -> str:
        """What the run drove: ``sqs`` (the queues) or ``api`` (the HTTP routes)."""
        return str(self.config.get("target", "sqs"))

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
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
        if self.rounds is not None:
            data["rounds"] = [dict(record) for record in self.rounds]
        return data

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
                rounds=None if data.get("rounds") is None else [_round_record(r) for r in data["rounds"]],
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
