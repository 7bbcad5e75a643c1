"""The command line: --help, and every user mistake as one clear line with a non-zero exit."""

import json
import subprocess
import sys

import pytest

from analysis.compare import main
from analysis.run import SLACK_S, resolve_outputs, resolve_run
from core import PROJECT_ROOT

RUN = "20261125T080000Z-3fa2"
VARIANTS = ("py313-2048-arm64", "py313-2048-x86_64", "py313-2048-x86_64-twin")


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("ARCHBENCH_RUNS_DIR", str(tmp_path / "runs"))
    monkeypatch.setenv("ARCHBENCH_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("ARCHBENCH_REPORTS_DIR", str(tmp_path / "reports"))
    return tmp_path


def write_manifest(root, run_id=RUN, outputs=None):
    path = root / "runs" / run_id / "manifest.json"
    path.parent.mkdir(parents=True)
    counts = {"scheduled": 10, "sent": 10, "failed": 0, "retried": 0, "started_late": 0}
    path.write_text(json.dumps({
        "run_id": run_id, "started_at": 1_764_057_600.0, "ended_at": 1_764_057_620.5, "interrupted": False,
        "config": {"target": "sqs"}, "outputs": outputs or {}, "targets": {vid: counts for vid in VARIANTS},
        "lag_ms": {"p50": 0.4, "p99": 3.1, "max": 12.0}, "achieved_rate_per_s": 0.5}))


def run_main(capsys, *argv):
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_help_lists_every_option():
    result = subprocess.run([sys.executable, "-m", "analysis.compare", "--help"], capture_output=True, text=True,
                            cwd=PROJECT_ROOT, check=False)
    assert result.returncode == 0
    for option in ("--run-id", "--since", "--format", "--out", "--outputs", "--stack", "--source", "--wait"):
        assert option in result.stdout


def test_no_manifest_says_to_run_loadgen(capsys):
    code, out, err = run_main(capsys)
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and "python -m loadgen" in err


@pytest.mark.parametrize(("argv", "exit_code", "message"), [
    (["--run-id", "yester day"], 2, "--run-id 'yester day' is not a run id"),
    (["--run-id", RUN, "--since", "a while"], 2, "is not like 30s"),
    (["--run-id", RUN, "--outputs", "/nonexistent/outputs.json"], 1, "outputs file not found"),
])
def test_user_mistakes_are_one_line(capsys, argv, exit_code, message):
    code, _, err = run_main(capsys, *argv)
    assert code == exit_code and message in err and err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("analysis.compare: error: ")


def test_bad_format_is_an_argparse_error(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--format", "html"])
    assert exc.value.code == 2


def test_run_with_manifest_uses_its_window_and_its_own_outputs(isolated):
    outputs = {"region": "eu-west-1", "endpoint_url": None, "api_url": "https://api", "functions": {
        vid: {"name": f"f_{vid}", "queue_url": "q", "dlq_url": "d", "log_group": f"/aws/lambda/f_{vid}",
              "route": f"/{vid}/process", "memory_mb": 2048, "architecture": vid.split("-")[2],
              "runtime": "python3.13", "role": "control" if vid.endswith("-twin") else "subject"}
        for vid in VARIANTS}}
    write_manifest(isolated, outputs=outputs)
    run = resolve_run(None, 3600, now=1_764_060_000.0)  # the newest manifest
    assert run.run_id == RUN and run.target == "sqs"
    assert run.manifest is not None and run.manifest.targets["py313-2048-arm64"].sent == 10
    # from its start until the queues' redelivery bound after its end, each side widened by the slack
    window = run.window(late_s=180 * 5, now=1_764_060_000.0)
    assert window.start_ms == int((1_764_057_600.0 - SLACK_S) * 1000)
    assert window.end_ms == int((1_764_057_620.5 + 180 * 5 + SLACK_S) * 1000)
    # a bound past 900 s (timeoutSeconds 150 would give 900 s × 5) is honoured, not cut at a fixed 900 s
    assert run.window(late_s=4500, now=1_764_070_000.0).end_ms == int((1_764_057_620.5 + 4500 + SLACK_S) * 1000)
    # never past now: the logs cannot hold what has not happened yet
    assert run.window(late_s=4500, now=1_764_057_700.0).end_ms == int((1_764_057_700.0 + SLACK_S) * 1000)
    resolved = resolve_outputs(run, None, None)
    assert resolved.region == "eu-west-1" and list(resolved.variants) == list(VARIANTS)


def test_run_without_manifest_searches_since(isolated):
    run = resolve_run(RUN, 6 * 3600, now=1_764_060_000.0)
    assert run.manifest is None and run.target is None
    assert run.window(late_s=900) == (int((1_764_060_000.0 - 6 * 3600) * 1000), 1_764_060_000_000)
