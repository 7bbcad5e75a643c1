"""``python -m loadgen`` end to end against a local HTTP server standing in for the API, plus its error paths."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import threading

import pytest

from core import PROJECT_ROOT, read_manifest
from loadgen.cli import main
from tests.unit.loadgen.fake_api import VARIANTS, outputs_file, received_by_variant


def test_api_run_posts_each_seq_to_every_variants_route_signed_and_writes_the_manifest(tmp_path, api,
                                                                                        capsys) -> None:
    code = main(["--rate", "40/s", "--duration", "1s", "--target", "api", "--workload", "noop", "--seed", "4",
                 "--run-id", "20261125T080000Z-3fa2", "--outputs", outputs_file(tmp_path, api)])
    assert code == 0, capsys.readouterr()

    by_variant = received_by_variant()
    assert len(by_variant) == 3
    assert all(sorted(received) == list(range(40)) for received in by_variant.values())
    first = by_variant[VARIANTS[0]]
    for seq in range(40):
        bodies = [{k: v for k, v in received[seq][1].items() if k != "sent_at"} for received in by_variant.values()]
        assert all(body == bodies[0] for body in bodies)
        assert bodies[0]["run_id"] == "20261125T080000Z-3fa2" and bodies[0]["workload"] == "noop"
        assert bodies[0]["seed"] == 4
    authorization = first[0][0]["Authorization"]
    # A local endpoint is signed with the dummy credentials, never with the user's (AKIDEXAMPLE here).
    assert authorization.startswith("AWS4-HMAC-SHA256 Credential=test/")
    assert "/us-east-1/execute-api/aws4_request" in authorization

    manifest = read_manifest(None)
    assert manifest.run_id == "20261125T080000Z-3fa2" and not manifest.interrupted
    assert tuple(manifest.targets) == VARIANTS
    for variant in VARIANTS:
        counts = manifest.targets[variant]
        assert (counts.scheduled, counts.sent, counts.failed) == (40, 40, 0)
        assert counts.http_status == {"200": 39, "400": 1}
    assert manifest.config["workloads"] == [{"name": "noop", "weight": 1.0, "size": 0}]
    assert manifest.config["target"] == "api" and manifest.config["planned_per_variant"] == 40
    assert manifest.config["variants"] == list(VARIANTS)
    assert set(manifest.lag_ms) == {"p50", "p99", "max"}
    assert manifest.outputs["api_url"].endswith("$default")
    with (tmp_path / "runs" / manifest.run_id / "requests.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 120 and {r["status"] for r in rows} == {"200", "400"}
    assert {r["variant"] for r in rows} == set(VARIANTS)
    out = capsys.readouterr().out
    assert "run 20261125T080000Z-3fa2: py313-1024-arm64:       scheduled 40, sent 40" in out  # ids aligned
    assert "run 20261125T080000Z-3fa2: py313-1024-x86_64-twin: scheduled 40, sent 40" in out


def test_variants_drives_only_the_named_ones(tmp_path, api) -> None:
    code = main(["--rate", "10/s", "--duration", "1s", "--target", "api", "--workload", "noop",
                 "--variants", "py313-1024-x86_64-twin,py313-1024-arm64", "--outputs", outputs_file(tmp_path, api)])
    assert code == 0
    assert {variant: len(received) for variant, received in received_by_variant().items()} == {
        "py313-1024-arm64": 10, "py313-1024-x86_64": 0, "py313-1024-x86_64-twin": 10}
    assert tuple(read_manifest(None).targets) == ("py313-1024-arm64", "py313-1024-x86_64-twin")


def test_ctrl_c_stops_and_still_writes_an_interrupted_manifest(tmp_path, api) -> None:
    threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT)).start()
    code = main(["--rate", "20/s", "--duration", "1m", "--target", "api", "--workload", "noop",
                 "--outputs", outputs_file(tmp_path, api)])
    assert code == 130
    manifest = read_manifest(None)
    assert manifest.interrupted
    for variant in VARIANTS:
        counts = manifest.targets[variant]
        assert 0 < counts.scheduled < 1200
        assert counts.scheduled == counts.sent + counts.failed


@pytest.mark.parametrize(("args", "exit_code", "message"), [
    (["--rate", "fast", "--duration", "1m"], 2, "rate 'fast' is not like 50/s"),
    (["--rate", "5/s", "--duration", "10 min"], 2, "duration '10 min' is not like 30s"),
    (["--rate", "5/s", "--duration", "1m", "--workload", "nope"], 2, "unknown workload 'nope'"),
    (["--rate", "5/s", "--duration", "1m", "--workload", "noop@5"], 2, "'size' is 5, outside"),
    (["--rate", "5/s", "--duration", "1m", "--run-id", "mine!"], 2, "--run-id 'mine!' is not a run id"),
    (["--rate", "5/s", "--duration", "1m", "--run-id", "mine\n"], 2, "--run-id 'mine\\n' is not a run id"),
    (["--rate", "5/s", "--duration", "1m", "--seed", "-1"], 2,
     "--seed -1 is outside 0–9223372036854775807, which the functions accept"),
    (["--rate", "5/s", "--duration", "1m", "--dry-run", "--seed", str(2**64)], 2,
     f"--seed {2**64} is outside 0–9223372036854775807"),
    (["--rate", "5/s", "--duration", "1m", "--dry-run", "--workload", "memory@2000"], 2,
     "'size' 2000 of workload 'memory' needs about 2067 MB; the function has 1024 MB"),
    (["--rate", "5/s", "--duration", "1m", "--max-cost", "nan"], 2,
     "--max-cost must be a finite amount of USD above 0, got nan"),
    (["--rate", "5/s", "--duration", "1m", "--max-cost", "-1"], 2, "--max-cost must be a finite amount"),
    (["--rate", "5/s", "--duration", "1m", "--max-cost", "inf"], 2, "--max-cost must be a finite amount"),
    (["--rate", "5/s", "--duration", "1m", "--outputs", "/nonexistent/outputs.json"], 1, "outputs file not found"),
    (["--rate", "5/s", "--duration", "1m", "--dry-run", "--variants", "py313-1024-arm64,py313-2048-arm64"], 2,
     "--variants: py313-2048-arm64 is not deployed; the stack has py313-1024-arm64, py313-1024-x86_64, "
     "py313-1024-x86_64-twin"),
])
def test_user_mistakes_are_one_line_with_the_exit_code_of_their_kind(args: list[str], exit_code: int, message: str,
                                                                     capsys) -> None:
    assert main(["--workload", "noop", *args]) == exit_code  # a later --workload wins
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err and err.startswith("loadgen: error: ")


def test_cost_guard_refuses_an_expensive_aws_run_without_yes(tmp_path, capsys) -> None:
    outputs = outputs_file(tmp_path, "https://example.invalid", local=False)
    code = main(["--rate", "2000/s", "--duration", "1h", "--workload", "noop", "--outputs", outputs])
    captured = capsys.readouterr()
    assert code == 2
    assert "AWS cost guard: 21600000 work items" in captured.out  # 7,200,000 to each of the 3 variants
    assert "pass --yes to confirm" in captured.err


def test_dry_run_without_any_stack_prints_the_plan(capsys) -> None:
    assert main(["--rate", "5/s", "--duration", "1m", "--profile", "burst", "--burst-interval", "20s",
                 "--workload", "noop", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "300 requests per variant to 3 variants" in out and "100 at once every 20 s" in out
    assert "variants py313-1024-arm64, py313-1024-x86_64, py313-1024-x86_64-twin" in out
    assert "AWS cost guard" in out and "dry run, nothing sent" in out


def test_help_runs_as_a_module() -> None:
    result = subprocess.run([sys.executable, "-m", "loadgen", "--help"], capture_output=True, text=True,
                            check=False, cwd=PROJECT_ROOT)
    assert result.returncode == 0 and "--profile" in result.stdout and "examples:" in result.stdout
