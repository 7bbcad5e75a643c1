"""The run manifest contract: JSON shape, round trip, the newest run, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.manifest import ManifestError, RunManifest, TargetCounts, read_manifest, write_manifest

OUTPUTS = {"region": "us-east-1", "endpoint_url": "http://127.0.0.1:4566", "api_url": "http://x",
           "functions": {}}
VARIANTS = ("py313-1024-arm64", "py313-1024-x86_64", "py313-1024-x86_64-twin")


@pytest.fixture(autouse=True)
def runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ARCHBENCH_RUNS_DIR", str(tmp_path))
    return tmp_path


def manifest(run_id: str, api: bool = False) -> RunManifest:
    status = {"200": 999, "500": 1} if api else None
    return RunManifest(
        run_id=run_id, started_at=1764057600.0, ended_at=1764057620.5, interrupted=False,
        config={"rate": "50/s", "rate_per_s": 50.0, "duration_s": 20.0, "profile": "sustained",
                "target": "api" if api else "sqs", "workloads": [{"name": "sort", "weight": 1.0, "size": 10000}],
                "iterations": 1, "seed": 7},
        outputs=OUTPUTS,
        targets={variant: TargetCounts(scheduled=1000, sent=1000, failed=0, retried=3, started_late=0,
                                    http_status=status) for variant in VARIANTS},
        lag_ms={"p50": 0.4, "p99": 3.1, "max": 12.0}, achieved_rate_per_s=49.9)


def test_written_json_has_the_contract_shape(runs: Path) -> None:
    path = write_manifest(manifest("20261125T080000Z-3fa2"))
    assert path == runs / "20261125T080000Z-3fa2" / "manifest.json"
    data = json.loads(path.read_text())
    assert set(data) == {"run_id", "started_at", "ended_at", "interrupted", "config", "outputs", "targets",
                         "lag_ms", "achieved_rate_per_s"}
    assert list(data["targets"]) == list(VARIANTS)  # keyed by variant id, in the order given
    assert data["targets"]["py313-1024-arm64"] == {"scheduled": 1000, "sent": 1000, "failed": 0, "retried": 3,
                                        "started_late": 0}  # no http_status for sqs
    assert data["lag_ms"] == {"p50": 0.4, "p99": 3.1, "max": 12.0}
    assert data["outputs"] == OUTPUTS


def test_round_trip_keeps_everything_including_http_status() -> None:
    original = manifest("20261125T080000Z-3fa2", api=True)
    write_manifest(original)
    again = read_manifest("20261125T080000Z-3fa2")
    assert again == original
    assert again.targets["py313-1024-x86_64-twin"].http_status == {"200": 999, "500": 1}


def test_none_reads_the_run_that_started_last_whatever_its_name(runs: Path) -> None:
    from dataclasses import replace

    # Names sort the other way round from their start times: the newest is the one that started last.
    for run_id, started in (("zeta", 1764057600.0), ("20261126T090000Z-0001", 1764057700.0),
                            ("baseline-1024", 1764057800.0), ("alpha", 1764057650.0)):
        write_manifest(replace(manifest(run_id), started_at=started, ended_at=started + 20))
    (runs / ".scratch").mkdir()  # not a run id: never a candidate
    (runs / ".scratch" / "manifest.json").write_text("{}")
    assert read_manifest(None).run_id == "baseline-1024"


def test_none_falls_back_to_the_file_time_for_a_manifest_without_a_start(runs: Path) -> None:
    import os

    write_manifest(manifest("older"))
    later = runs / "later"
    later.mkdir()
    (later / "manifest.json").write_text('{"run_id": "later"}')  # no started_at: its mtime counts
    os.utime(later / "manifest.json", (1764057600.0 + 3600, 1764057600.0 + 3600))
    with pytest.raises(ManifestError, match="missing field 'started_at'"):
        read_manifest(None)  # picked as the newest, then refused for what it lacks


def test_errors_say_what_is_wrong(runs: Path) -> None:
    with pytest.raises(ManifestError, match="no run manifest"):
        read_manifest(None)
    with pytest.raises(ManifestError, match="no manifest for run 20261125T080000Z-0000"):
        read_manifest("20261125T080000Z-0000")
    broken = runs / "20261125T080000Z-aaaa"
    broken.mkdir()
    (broken / "manifest.json").write_text('{"run_id": "20261125T080000Z-aaaa"}')
    with pytest.raises(ManifestError, match="missing field 'started_at'"):
        read_manifest("20261125T080000Z-aaaa")
    moved = manifest("20261125T080000Z-bbbb").to_dict()
    (broken / "manifest.json").write_text(json.dumps(moved))
    with pytest.raises(ManifestError, match="run_id is '20261125T080000Z-bbbb', not its directory's"):
        read_manifest("20261125T080000Z-aaaa")
    (broken / "manifest.json").write_text("{not json")
    with pytest.raises(ManifestError, match="cannot read"):
        read_manifest("20261125T080000Z-aaaa")


def test_an_unwritable_runs_dir_is_a_manifest_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a-file").write_text("")
    monkeypatch.setenv("ARCHBENCH_RUNS_DIR", str(tmp_path / "a-file"))
    with pytest.raises(ManifestError, match="cannot write the run manifest"):
        write_manifest(manifest("20261125T080000Z-3fa2"))
