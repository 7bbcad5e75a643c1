"""Which run to compare, over which time window, against which stack.

With a manifest (the newest by default, or ``--run-id``'s) the window is the run's own, widened by slack for
late processing and DLQ redrive; without one (a run made elsewhere) ``--since`` bounds the search and the
reconciliation is unknown. The stack is the manifest's own outputs unless ``--outputs``/``--stack`` say otherwise,
and falls back to ``find_outputs()`` (a running local cloud, the current Pulumi stack).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from analysis.errors import AnalysisError
from analysis.events import TimeWindow
from core import MANIFEST_NAME, ManifestError, RunManifest, check_run_id, read_manifest, run_dir
from stack import OutputsError, StackOutputs, find_outputs

SLACK_BEFORE_S = 60.0
SLACK_AFTER_S = 900.0  # late messages: visibility timeouts, retries, DLQ redrive


@dataclass(frozen=True)
class RunInfo:
    run_id: str
    window: TimeWindow
    manifest: RunManifest | None  # None for a run made elsewhere

    @property
    def target(self) -> str | None:
        return self.manifest.target if self.manifest else None


def resolve_run(run_id: str | None, since_s: float, now: float | None = None,
                window: TimeWindow | None = None) -> RunInfo:
    """``window`` (else the last ``since_s``) is where to search for a run that has no manifest here."""
    now = time.time() if now is None else now
    if run_id is not None:
        check_run_id(run_id)
        if not (run_dir(run_id) / MANIFEST_NAME).exists():
            return RunInfo(run_id, window or TimeWindow.from_seconds(now - since_s, now), None)
    try:
        manifest = read_manifest(run_id)
    except ManifestError as exc:
        raise AnalysisError(str(exc)) from None
    start = manifest.started_at - SLACK_BEFORE_S
    end = min(manifest.ended_at + SLACK_AFTER_S, now + SLACK_BEFORE_S)
    return RunInfo(manifest.run_id, TimeWindow.from_seconds(start, end), manifest)


def resolve_outputs(run: RunInfo, outputs_file: str | None, stack: str | None) -> StackOutputs:
    try:
        if outputs_file or stack:
            return find_outputs(outputs_file, stack)
        if run.manifest and run.manifest.outputs:
            return StackOutputs.from_dict(run.manifest.outputs, source=f"run {run.run_id}'s manifest")
        return find_outputs()
    except OutputsError as exc:
        raise AnalysisError(str(exc)) from None
