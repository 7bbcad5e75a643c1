"""Which run to compare, over which time window, against which stack.

With a manifest (the newest by default, or ``--run-id``'s) the window is the run's own, from its start to the last
moment one of its messages can still be processed: ``late_s`` after its end, the queues' redelivery bound
(``analysis.queues.redelivery_bound_s``), never past now. Without one (a run made elsewhere) ``--since`` bounds the
search and the reconciliation is unknown. The stack is the manifest's own outputs unless ``--outputs``/``--stack``
say otherwise, and falls back to ``find_outputs()`` (a running local cloud, the current Pulumi stack).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from analysis.errors import AnalysisError
from analysis.events import TimeWindow
from core import MANIFEST_NAME, ManifestError, RunManifest, check_run_id, read_manifest, run_dir
from stack import OutputsError, StackOutputs, find_outputs

SLACK_S = 60.0  # either side of a window: clocks, log delivery, the poller's first receive


@dataclass(frozen=True)
class RunInfo:
    run_id: str
    manifest: RunManifest | None  # None for a run made elsewhere
    search: TimeWindow | None = None  # where to look for a run without a manifest

    @property
    def target(self) -> str | None:
        return self.manifest.target if self.manifest else None

    def window(self, late_s: float, now: float | None = None) -> TimeWindow:
        """The time range to read: a manifest's run from its start until ``late_s`` after its end (but not past
        ``now``), each widened by ``SLACK_S``; otherwise the search window."""
        if self.manifest is None:
            assert self.search is not None  # resolve_run sets one for every run without a manifest
            return self.search
        now = time.time() if now is None else now
        end = min(self.manifest.ended_at + late_s, now) + SLACK_S
        return TimeWindow.from_seconds(self.manifest.started_at - SLACK_S, end)


def resolve_run(run_id: str | None, since_s: float, now: float | None = None,
                window: TimeWindow | None = None) -> RunInfo:
    """``window`` (else the last ``since_s``) is where to search for a run that has no manifest here."""
    now = time.time() if now is None else now
    if run_id is not None:
        check_run_id(run_id)
        if not (run_dir(run_id) / MANIFEST_NAME).exists():
            return RunInfo(run_id, None, window or TimeWindow.from_seconds(now - since_s, now))
    try:
        manifest = read_manifest(run_id)
    except ManifestError as exc:
        raise AnalysisError(str(exc)) from None
    return RunInfo(manifest.run_id, manifest)


def resolve_outputs(run: RunInfo, outputs_file: str | None, stack: str | None) -> StackOutputs:
    try:
        if outputs_file or stack:
            return find_outputs(outputs_file, stack)
        if run.manifest and run.manifest.outputs:
            return StackOutputs.from_dict(run.manifest.outputs, source=f"run {run.run_id}'s manifest")
        return find_outputs()
    except OutputsError as exc:
        raise AnalysisError(str(exc)) from None
