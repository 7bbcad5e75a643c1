"""The summary contract, cold/warm separation, the verdict and the report directory, on synthetic runs."""

import json

import numpy as np
import pytest
from rich.console import Console

from analysis.dataset import build_run_data
from analysis.reconcile import unknown
from analysis.render import markdown, print_table, to_json
from analysis.reportdir import write_report
from analysis.summary import Context, Result, summarize
from analysis.synthetic import SyntheticRun, SyntheticSpec, synthetic_run
from core import Reconciliation
from stack import FunctionOutputs, StackOutputs

RUN = "20261125T080000Z-3fa2"
STAT_KEYS = {"p50", "p90", "p99", "mean", "stdev"}


def outputs(local: bool) -> StackOutputs:
    functions = {arch: FunctionOutputs(f"archbench-synthetic-{arch}", f"q-{arch}", f"d-{arch}",
                                       f"/aws/lambda/archbench-synthetic-{arch}", f"/{arch}/process", 1024, arch)
                 for arch in ("arm64", "x86_64")}
    return StackOutputs("us-east-1", "http://127.0.0.1:4566" if local else None, "https://api", functions)


def summarize_synthetic(spec: SyntheticSpec, local: bool = False,
                        reconciliation: Reconciliation | None = None) -> tuple[SyntheticRun, Result]:
    run = synthetic_run(spec)
    data = build_run_data(run.events, spec.run_id)
    context = Context(source="log-events" if local else "logs-insights", outputs=outputs(local),
                      reconciliation=reconciliation or unknown("synthetic"),
                      window={"start": "s", "end": "e", "from_manifest": False}, manifest=None)
    return run, summarize(data, context)


@pytest.fixture(scope="module")
def aws_run() -> tuple[SyntheticRun, Result]:
    return summarize_synthetic(SyntheticSpec(RUN, 3000, workloads=("sort", "noop"), cold_every=20,
                                             cold_factor=30.0, error_every=101))


def test_summary_follows_the_json_contract(aws_run):
    _, result = aws_run
    summary = json.loads(to_json(result.summary))
    assert {"run_id", "source", "local_emulation", "architectures", "workloads", "reconciliation",
            "verdict"} <= set(summary)
    for arch in ("arm64", "x86_64"):
        block = summary["architectures"][arch]
        assert {"invocations", "lambda_invocations", "errors", "cold_starts", "host_machine",
                "cost_per_million_usd"} <= set(block)
        for metric in ("workload_ms", "duration_ms", "billed_duration_ms", "init_duration_ms", "peak_rss_mb"):
            assert STAT_KEYS | {"p99.9"} <= set(block[metric])
        assert block["invocations"] == 3000 and block["lambda_invocations"] == 300
        assert block["errors"] == len(range(100, 3000, 101))
    for name in ("sort", "noop"):
        workload = summary["workloads"][name]
        assert {"n", "workload_ms"} <= set(workload["arm64"]) and {"n", "workload_ms"} <= set(workload["x86_64"])
        assert {"x86_over_arm_median_ratio", "ratio_ci95", "p_value"} <= set(workload)
    assert {"sent", "processed", "failed", "in_dlq", "in_flight", "lost"} <= set(summary["reconciliation"])
    assert isinstance(summary["verdict"], str) and summary["verdict"].endswith(".")


def test_warm_percentiles_are_exact_and_cold_starts_apart(aws_run):
    run, result = aws_run
    for arch in ("arm64", "x86_64"):
        warm = result.summary["architectures"][arch]["warm"]["workload_ms"]
        expected = np.percentile(run.warm_ms[arch], [50, 90, 99, 99.9])
        assert [warm["p50"], warm["p90"], warm["p99"], warm["p99.9"]] == pytest.approx(expected, rel=1e-12)
        cold = result.summary["architectures"][arch]["cold"]["workload_ms"]
        assert cold["n"] == run.cold_ms[arch].size == 15
        assert cold["p50"] > 10 * warm["p99.9"] / 3  # 30× slower cold items never leak into warm figures
        assert result.summary["architectures"][arch]["cold_starts"] == 15  # 300 invocations, every 20th cold


def test_aws_verdict_names_the_faster_architecture(aws_run):
    _, result = aws_run
    summary = result.summary
    assert not summary["local_emulation"] and summary["cost"]["billed_duration"] == "reported"
    sort = summary["workloads"]["sort"]
    assert sort["significant"] and sort["ratio_ci95"][0] < 1.2 < sort["ratio_ci95"][1]
    assert "arm64 ran sort 1.2" in summary["verdict"] and "arm64 cost" in summary["verdict"]
    assert summary["cold_starts"]["init_source"] == "REPORT Init Duration"
    init = summary["architectures"]["x86_64"]["init_duration_ms"]
    assert 270 <= init["p50"] <= 330


def test_no_significant_difference_when_the_ci_crosses_one():
    _, result = summarize_synthetic(SyntheticSpec(RUN, 400, median_ms={"arm64": 10.0, "x86_64": 10.0}, seed=3))
    low, high = result.summary["workloads"]["sort"]["ratio_ci95"] or [1.0, 1.0]
    assert low < 1.0 < high
    assert "no significant difference on sort" in result.summary["verdict"]


def test_local_run_says_it_is_emulation_and_estimates_billing():
    spec = SyntheticSpec(RUN, 300, report_style="ministack", host_machine={"arm64": "x86_64", "x86_64": "x86_64"})
    _, result = summarize_synthetic(spec, local=True)
    summary = result.summary
    assert summary["local_emulation"] and summary["cost"]["billed_duration"] == "estimated"
    assert summary["verdict"].startswith("Local emulation — both functions ran on the host's x86_64 CPU, so this "
                                         "is functional, not architectural, evidence")
    assert summary["cold_starts"]["init_source"] == "handler InitMs"
    assert summary["architectures"]["arm64"]["host_machine"] == "x86_64"


def test_a_mislabelled_cpu_on_aws_is_still_called_emulation():
    spec = SyntheticSpec(RUN, 100, host_machine={"arm64": "x86_64", "x86_64": "x86_64"})
    assert summarize_synthetic(spec)[1].summary["local_emulation"]


def test_lost_messages_reach_the_verdict_and_the_table():
    lost: Reconciliation = {
        "status": "lost", "target": "sqs", "sent": 200, "processed": 190, "failed": 0, "in_dlq": 0, "in_flight": 0,
        "lost": 10, "by_architecture": {
            "arm64": {"sent": 100, "processed": 90, "failed": 0, "in_dlq": 0, "in_flight": 0, "lost": 10},
            "x86_64": {"sent": 100, "processed": 100, "failed": 0, "in_dlq": 0, "in_flight": 0, "lost": 0}}}
    _, result = summarize_synthetic(SyntheticSpec(RUN, 100), reconciliation=lost)
    assert "do not add up (lost = 10)" in result.summary["verdict"]
    console = Console(record=True, width=200)
    print_table(result.summary, console)
    text = console.export_text()
    assert "Messages lost or unaccounted for" in text and "arm64: 10 of 100 messages sent" in text
    assert "| arm64 | 100 | 90 | 0 | 0 | 0 | 10 |" in markdown(result.summary)


def test_report_directory_has_every_file(tmp_path, aws_run):
    _, result = aws_run
    assert isinstance(result, Result)
    directory = write_report(result, tmp_path / "report")
    names = {path.name for path in directory.iterdir()}
    plots = {"latency_cdf.png", "latency_over_time.png", "cold_start_init.png", "cost_per_million.png"}
    assert {"summary.json", "report.md", "invocations.csv"} | plots == names
    for plot in plots:
        assert (directory / plot).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert json.loads((directory / "summary.json").read_text())["run_id"] == RUN
    csv_lines = (directory / "invocations.csv").read_text().splitlines()
    assert len(csv_lines) == 6001 and csv_lines[0].startswith("run_id,architecture,workload,seq")
    report = (directory / "report.md").read_text()
    assert result.summary["verdict"] in report and "![latency_cdf.png](latency_cdf.png)" in report


def test_reports_root_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("ARCHBENCH_REPORTS_DIR", str(tmp_path))
    _, result = summarize_synthetic(SyntheticSpec(RUN, 50))
    assert write_report(result, plots=False) == tmp_path / RUN
    assert not (tmp_path / RUN / "latency_cdf.png").exists()
