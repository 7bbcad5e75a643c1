"""End to end on the session's MiniStack: a small `python -m loadgen` run, then ``analysis.compare_run`` on it,
then `python -m analysis.compare` (the command over it)."""

import json
import os
import platform
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from analysis import compare_run
from core import PROJECT_ROOT
from stack import StackOutputs
from tests.support.local_logs import nudge_workers

RATE_PER_S, DURATION_S = 10, 3
REPORT_FILES = {"summary.json", "report.md", "invocations.csv", "latency_cdf.png", "latency_over_time.png",
                "cold_start_init.png", "cost_per_million.png", "cost_vs_duration.png", "memory_curve.png"}


def run(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *argv], capture_output=True, text=True, cwd=PROJECT_ROOT,
                          env=os.environ.copy(), timeout=300, check=False)


@pytest.fixture(scope="module")
def load_run(local_cloud: StackOutputs, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """One loadgen run for the module: its run id and the root of its runs/ and reports/ directories."""
    root = tmp_path_factory.mktemp("analysis-e2e")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ARCHBENCH_RUNS_DIR", str(root / "runs"))
        patch.setenv("ARCHBENCH_REPORTS_DIR", str(root / "reports"))
        load = run("loadgen", "--rate", f"{RATE_PER_S}/s", "--duration", f"{DURATION_S}s", "--yes")
        assert load.returncode == 0, load.stderr
        (run_id,) = [path.name for path in (root / "runs").iterdir()]
        yield run_id, root


def test_compare_run_after_a_loadgen_run(local_cloud: StackOutputs, load_run: tuple[str, Path]) -> None:
    run_id, root = load_run
    comparison = compare_run(wait_s=120)  # the newest manifest, its own stack outputs
    if comparison.problem:  # unaccounted for: a late document still in a worker's pipe?
        nudge_workers(local_cloud)
        comparison = compare_run(run_id, wait_s=0)
    assert comparison.problem is None, comparison.problem
    assert comparison.directory == root / "reports" / run_id and comparison.source == "log-events"
    assert {path.name for path in comparison.directory.iterdir()} >= REPORT_FILES
    summary = json.loads((comparison.directory / "summary.json").read_text())
    assert summary["run_id"] == run_id and summary["source"] == "log-events" and summary["local_emulation"]
    sent = RATE_PER_S * DURATION_S
    assert list(summary["variants"]) == list(local_cloud.variants)  # every variant of the local matrix
    assert list(summary["reconciliation"]["by_variant"]) == list(local_cloud.variants)
    for vid, block in summary["variants"].items():
        fn = local_cloud.functions[vid]
        assert (block["architecture"], block["memory_mb"], block["runtime"], block["role"]) == (
            fn.architecture, fn.memory_mb, fn.runtime, fn.role)
        reconciliation = summary["reconciliation"]["by_variant"][vid]
        # On a busy machine an invocation may time out after its items were done: the message is redelivered
        # (a second EMF document) and may end in the DLQ; either way each message is counted exactly once.
        assert reconciliation == {"sent": sent, "processed": sent - reconciliation["in_dlq"], "failed": 0,
                                  "in_dlq": reconciliation["in_dlq"], "in_flight": 0, "lost": 0}
        # The only error a healthy local run may show: the handler's per-item time budget (2 s timeout here) running
        # out on a host busy with other work; the item is retried, so it is still counted once above.
        assert block["invocations"] >= reconciliation["processed"] and set(block["error_types"]) <= {
            "deadline_exceeded"}
        assert block["handler_runtime"]  # what really ran (MiniStack keeps its own interpreter per runtime)
        assert block["host_machine"] == platform.machine()
        assert 1 <= block["lambda_invocations"] <= block["invocations"]
        assert block["workload_ms"]["p50"] > 0 and block["cost_per_million_usd"] > 0
    assert summary["cost"]["billed_duration"] == "estimated" and summary["local_cloud"]
    assert summary["verdict"].startswith("Local emulation — ") and " ran on the host's " in summary["verdict"]
    kinds = {row["kind"] for row in summary["comparisons"]}
    assert "architecture" in kinds and ("control" in kinds) == any(fn.role == "control"
                                                                   for fn in local_cloud.functions.values())
    picks = [summary["recommendation"][name] for name in ("cheapest", "fastest", "balanced")]
    assert all(pick["tie"] and set(pick["tie"]) <= {vid for vid, fn in local_cloud.functions.items()
                                                    if fn.role == "subject"} for pick in picks)


def test_the_command_prints_the_report_and_fails_in_one_line(load_run: tuple[str, Path], tmp_path: Path) -> None:
    run_id, root = load_run
    report = root / "reports" / run_id
    table = run("analysis.compare", "--run-id", run_id, "--wait", "0s", "--no-plots")
    assert "Per variant" in table.stdout and "Recommendation" in table.stdout and "verdict" in table.stdout
    assert "MiniStack neither enforces the memory size" in table.stdout
    assert table.stdout.rstrip().endswith(f"report: {report}")

    as_json = run("analysis.compare", "--run-id", run_id, "--format", "json", "--wait", "0s", "--no-plots")
    assert json.loads(as_json.stdout) == json.loads((report / "summary.json").read_text())
    assert f"report: {report}" in as_json.stderr.splitlines()

    (tmp_path / "a-file").write_text("")
    unwritable = run("analysis.compare", "--run-id", run_id, "--wait", "0s", "--no-plots",
                     "--out", str(tmp_path / "a-file" / "report"))
    assert unwritable.returncode == 1 and "Traceback" not in unwritable.stderr
    assert unwritable.stderr.strip().splitlines()[-1].startswith("analysis.compare: error: cannot write the report:")
