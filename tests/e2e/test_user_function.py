"""End to end on the session's MiniStack with archbench:function: the Pillow thumbnail example (examples/thumbnail)
on every variant, driven by `python -m loadgen --events` through SQS and HTTP, reconciled with
``analysis.compare_run``; and a user module that does not import, refused by ``up`` at once."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from analysis import compare_run
from core import PROJECT_ROOT
from stack import FunctionSettings, Settings, StackOutputs
from tests.support.local_logs import nudge_workers
from tests.support.redeploy import redeployed

EXAMPLE = FunctionSettings.from_raw({"handler": "thumbnail.handler", "codeDir": "examples/thumbnail",
                                     "requirements": "examples/thumbnail/requirements.txt", "event": "sqs"})
EVENTS = "examples/thumbnail/events.jsonl"
RATE_PER_S, DURATION_S = 5, 2


pytestmark = pytest.mark.usefixtures("own_runs")


@pytest.fixture(scope="module")
def local_cloud(local_cloud: StackOutputs, local_cloud_settings: Settings) -> Iterator[StackOutputs]:
    """The session's cloud running the example for this module."""
    with redeployed(local_cloud_settings, replace(local_cloud_settings, function=EXAMPLE)) as outputs:
        yield outputs


@pytest.mark.parametrize("target", ["sqs", "api"])
def test_the_example_runs_on_every_variant_with_the_same_answers(local_cloud: StackOutputs, tmp_path: Path,
                                                                 target: str) -> None:
    load = subprocess.run([sys.executable, "-m", "loadgen", "--rate", f"{RATE_PER_S}/s", "--duration",
                           f"{DURATION_S}s", "--events", EVENTS, "--target", target, "--yes"],
                          capture_output=True, text=True, cwd=PROJECT_ROOT, env=os.environ.copy(), timeout=300,
                          check=False)
    assert load.returncode == 0, load.stdout + load.stderr
    (run_id,) = [path.name for path in (tmp_path / "runs").iterdir()]
    comparison = compare_run(run_id, wait_s=120, plots=False)
    if comparison.problem:  # a late document still in a worker's pipe?
        nudge_workers(local_cloud)
        comparison = compare_run(run_id, wait_s=0, plots=False)
    assert comparison.problem is None, comparison.problem
    sent = RATE_PER_S * DURATION_S
    for vid, counts in comparison.result.summary["reconciliation"]["by_variant"].items():
        assert (counts["sent"], counts["failed"], counts["lost"], counts["in_flight"]) == (sent, 0, 0, 0), vid
    with (comparison.directory / "invocations.csv").open() as handle:
        rows = [row for row in csv.DictReader(handle) if row["workload"] == "function"]
    assert {row["variant"] for row in rows} == set(local_cloud.variants)
    digests: dict[str, set[str]] = {}
    for row in rows:
        assert row["error_type"] == "" and row["result_digest"], row
        digests.setdefault(row["seq"], set()).add(row["result_digest"])
    assert len(digests) == sent and all(len(seen) == 1 for seen in digests.values())  # same answer everywhere
    assert len({next(iter(seen)) for seen in digests.values()}) == 2  # the two sample events' thumbnails


def test_a_module_that_does_not_import_is_refused_by_up_at_once(local_cloud: StackOutputs,
                                                                local_cloud_settings: Settings) -> None:
    import localcloud

    broken = FunctionSettings.from_raw({"handler": "broken.handler", "codeDir": "tests/support/broken_function"})
    started = time.monotonic()
    with pytest.raises(localcloud.LocalCloudError) as caught:
        localcloud.up(replace(local_cloud_settings, function=broken))
    assert time.monotonic() - started < 45  # not the readiness timeout of 60 s
    assert "FunctionImportError" in str(caught.value) and "archbench_no_such_dependency" in str(caught.value)
