"""``python -m loadgen`` against the session's real MiniStack: exactly rate × duration arrive per architecture."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from core import local_outputs_path, read_manifest
from handlers.contract import P_SEQ, P_TRIGGER, new_run_id
from loadgen.cli import main
from stack import StackOutputs
from tests.support.local_logs import emf_documents

RATE, DURATION = 20, 4  # 80 requests per architecture: big enough for batching, short enough for the suite
EXPECTED = RATE * DURATION


def wait_for_all(outputs: StackOutputs, run_id: str, timeout_s: float = 90.0) -> dict[str, list[dict[str, Any]]]:
    deadline = time.monotonic() + timeout_s
    while True:
        documents = {arch: emf_documents(outputs, fn.log_group, run_id) for arch, fn in outputs.functions.items()}
        if all(len(d) >= EXPECTED for d in documents.values()) or time.monotonic() > deadline:
            return documents
        time.sleep(1.0)


@pytest.mark.parametrize("target", ["sqs", "api"])
def test_exactly_rate_times_duration_arrive_at_each_architecture(local_cloud: StackOutputs, target: str,
                                                                  tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARCHBENCH_RUNS_DIR", str(tmp_path))
    run_id = new_run_id()
    code = main(["--rate", f"{RATE}/s", "--duration", f"{DURATION}s", "--target", target, "--workload", "noop",
                 "--run-id", run_id, "--outputs", str(local_outputs_path())])
    assert code == 0

    manifest = read_manifest(run_id)
    assert not manifest.interrupted and manifest.outputs == local_cloud.to_dict()
    for counts in manifest.targets.values():
        assert (counts.scheduled, counts.sent, counts.failed) == (EXPECTED, EXPECTED, 0)
        if target == "api":
            assert counts.http_status == {"200": EXPECTED}

    documents = wait_for_all(local_cloud, run_id)
    assert set(documents) == {"arm64", "x86_64"}
    for arch, docs in documents.items():
        seqs = sorted(int(d[P_SEQ]) for d in docs)
        assert seqs == list(range(EXPECTED)), f"{arch}: {len(seqs)} of {EXPECTED} work items processed"
        assert {d[P_TRIGGER] for d in docs} == {target}  # they came the way loadgen sent them
