"""loadgen against the session's real MiniStack: exactly rate × duration arrive at every variant."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from core import local_outputs_path, read_manifest
from handlers.contract import (
    DIM_VARIANT,
    M_COLD_START,
    M_INIT_MS,
    P_ENVIRONMENT_ID,
    P_ROUND,
    P_SEQ,
    P_TRIGGER,
    new_run_id,
)
from loadgen import LoadRequest, Profile, TargetName, WorkloadShare, plan_load, run_load
from loadgen.cli import main
from stack import StackOutputs
from tests.support.local_logs import emf_documents

RATE, DURATION = 20, 4  # 80 requests per variant: big enough for batching, short enough for the suite
EXPECTED = RATE * DURATION


def wait_for_all(outputs: StackOutputs, run_id: str, expected: int = EXPECTED,
                 timeout_s: float = 90.0) -> dict[str, list[dict[str, Any]]]:
    deadline = time.monotonic() + timeout_s
    while True:
        documents = {variant: emf_documents(outputs, fn.log_group, run_id) for variant, fn in outputs.variants.items()}
        if all(len(d) >= expected for d in documents.values()) or time.monotonic() > deadline:
            return documents
        time.sleep(1.0)


@pytest.mark.parametrize("target", ["sqs", "api"])
def test_exactly_rate_times_duration_arrive_at_each_variant(local_cloud: StackOutputs, target: TargetName,
                                                             tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARCHBENCH_RUNS_DIR", str(tmp_path))
    request = LoadRequest(rate_text=f"{RATE}/s", profile=Profile("sustained", RATE, DURATION),
                          mix=(WorkloadShare("noop", 1.0, 0),), iterations=1, seed=1, run_id=new_run_id(),
                          target=target)
    manifest = run_load(plan_load(request, local_cloud), local_cloud, stop=threading.Event())

    assert manifest.to_dict() == read_manifest(request.run_id).to_dict()
    assert not manifest.interrupted and manifest.outputs == local_cloud.to_dict()
    assert tuple(manifest.targets) == tuple(local_cloud.variants)
    for counts in manifest.targets.values():
        assert (counts.scheduled, counts.sent, counts.failed) == (EXPECTED, EXPECTED, 0)
        if target == "api":
            assert counts.http_status == {"200": EXPECTED}

    documents = wait_for_all(local_cloud, request.run_id)
    assert len(documents) == len(local_cloud.functions) >= 3
    for variant, docs in documents.items():
        seqs = sorted(int(d[P_SEQ]) for d in docs)
        assert seqs == list(range(EXPECTED)), f"{variant}: {len(seqs)} of {EXPECTED} work items processed"
        assert {d[P_TRIGGER] for d in docs} == {target}  # they came the way loadgen sent them
        assert {d[DIM_VARIANT] for d in docs} == {variant}  # to the function of that variant


def test_the_command_drives_the_real_queues_and_sums_up(local_cloud: StackOutputs, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    """The CLI's SQS path (the unit tests reach SQS only through a stub): preflight on the real queues, the
    summary, exit 0, and the work items arrive."""
    monkeypatch.setenv("ARCHBENCH_RUNS_DIR", str(tmp_path))
    run_id = new_run_id()
    code = main(["--rate", "10/s", "--duration", "1s", "--workload", "noop", "--run-id", run_id,
                 "--outputs", str(local_outputs_path())])
    out = capsys.readouterr().out
    assert code == 0, out
    for variant in local_cloud.variants:
        assert f"{variant}: scheduled 10, sent 10, failed 0" in " ".join(out.split())
    assert f"run {run_id}: manifest {tmp_path / run_id / 'manifest.json'}" in out
    assert "AWS cost guard" not in out  # a local cloud costs nothing
    documents = wait_for_all(local_cloud, run_id, expected=10)
    assert all(sorted(int(d[P_SEQ]) for d in docs) == list(range(10)) for docs in documents.values())


def test_the_cold_profile_gives_every_variant_a_fresh_environment_each_round(
        local_cloud: StackOutputs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """``--profile cold --count N``: every round's configuration update replaces MiniStack's warm worker, so every
    variant logs N work items, each a cold start with its init time."""
    monkeypatch.setenv("ARCHBENCH_RUNS_DIR", str(tmp_path))
    run_id, rounds = new_run_id(), 3
    code = main(["--profile", "cold", "--count", str(rounds), "--workload", "noop", "--run-id", run_id,
                 "--outputs", str(local_outputs_path())])
    out = capsys.readouterr().out
    assert code == 0, out
    documents = wait_for_all(local_cloud, run_id, expected=rounds)
    for variant, docs in documents.items():
        assert sorted(int(d[P_SEQ]) for d in docs) == list(range(rounds)), f"{variant}: {len(docs)} items"
        assert [d[M_COLD_START] for d in docs] == [1] * rounds, f"{variant}: a round found a warm environment"
        assert all(float(d[M_INIT_MS]) > 0 for d in docs)


def test_rounds_give_every_variant_new_environments_each_round(
        local_cloud: StackOutputs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """``--rounds 3``: each round's update replaces MiniStack's workers, so no environment serves two rounds, each
    round starts cold, every item names its round, and the manifest records three settled rounds."""
    monkeypatch.setenv("ARCHBENCH_RUNS_DIR", str(tmp_path))
    run_id, rounds, per_round = new_run_id(), 3, 2
    code = main(["--rate", "2/s", "--duration", "3s", "--rounds", str(rounds), "--workload", "noop",
                 "--run-id", run_id, "--outputs", str(local_outputs_path())])
    out = capsys.readouterr().out
    assert code == 0, out
    assert f"run {run_id}: 3 of 3 rounds, each on fresh execution environments; all settled" in out
    manifest = read_manifest(run_id)
    assert manifest.rounds is not None and [r["index"] for r in manifest.rounds] == [0, 1, 2]
    assert all(r["settled"] and sorted(r["order"]) == sorted(local_cloud.variants) for r in manifest.rounds)

    documents = wait_for_all(local_cloud, run_id, expected=rounds * per_round)
    for variant, docs in documents.items():
        assert sorted(int(d[P_SEQ]) for d in docs) == list(range(rounds * per_round)), f"{variant}: {len(docs)} items"
        assert all(d[P_ROUND] == int(d[P_SEQ]) // per_round for d in docs), f"{variant}: an item without its round"
        environments = [{d[P_ENVIRONMENT_ID] for d in docs if d[P_ROUND] == r} for r in range(rounds)]
        for r, seen in enumerate(environments):
            others = set().union(*(environments[:r] + environments[r + 1:]))
            assert seen and not seen & others, f"{variant}: round {r} shares an environment with another round"
        for r in range(rounds):
            assert any(d[M_COLD_START] == 1 for d in docs if d[P_ROUND] == r), f"{variant}: round {r} found it warm"
