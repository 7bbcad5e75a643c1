"""The summary contract, cold/warm separation, the verdict and the report directory, on synthetic runs."""

import json

import numpy as np
import pytest
from rich.console import Console

from analysis.dataset import build_run_data
from analysis.decision import DEFAULT_MARGIN
from analysis.events import LogEvent
from analysis.reconcile import unknown
from analysis.render import markdown, notes, print_table, to_json, variant_table
from analysis.reportdir import write_report
from analysis.summary import Context, Result, summarize
from analysis.synthetic import ARM64, X86_64, SyntheticRun, SyntheticSpec, synthetic_run
from core import ComparisonRow, Reconciliation

RUN = "20261125T080000Z-3fa2"
STAT_KEYS = {"p50", "p90", "p99", "mean", "stdev"}
ARM, X86 = ARM64.id, X86_64.id
LOCAL_ENDPOINT = "http://127.0.0.1:4566"


def summarize_synthetic(spec: SyntheticSpec, local: bool = False, reconciliation: Reconciliation | None = None,
                        margin: float = DEFAULT_MARGIN) -> tuple[SyntheticRun, Result]:
    """The run's summary against its own stack outputs (log groups attribute the invocations without an item)."""
    run = synthetic_run(spec)
    outputs = run.outputs(LOCAL_ENDPOINT if local else None)
    data = build_run_data(run.events, spec.run_id, {fn.log_group: vid for vid, fn in outputs.functions.items()})
    context = Context(source="log-events" if local else "logs-insights", outputs=outputs,
                      reconciliation=reconciliation or unknown("synthetic"),
                      window={"start": "s", "end": "e", "from_manifest": False}, manifest=None, margin=margin)
    return run, summarize(data, context)


@pytest.fixture(scope="module")
def aws_run() -> tuple[SyntheticRun, Result]:
    return summarize_synthetic(SyntheticSpec(RUN, 3000, workloads=("sort", "noop"), cold_every=20,
                                             cold_factor=30.0, error_every=101))


def test_summary_follows_the_json_contract(aws_run):
    _, result = aws_run
    summary = json.loads(to_json(result.summary))
    assert {"run_id", "source", "local_emulation", "local_cloud", "variants", "workloads", "comparisons",
            "memory_curve", "recommendation", "reconciliation", "verdict"} <= set(summary)
    assert list(summary["variants"]) == [ARM, X86]
    for vid, arch in ((ARM, "arm64"), (X86, "x86_64")):
        block = summary["variants"][vid]
        assert (block["architecture"], block["memory_mb"], block["runtime"], block["role"]) == (
            arch, 1024, "python3.13", "subject")
        assert {"invocations", "lambda_invocations", "errors", "cold_starts", "host_machine", "handler_runtime",
                "cost_per_million_usd", "headline"} <= set(block)
        for metric in ("workload_ms", "duration_ms", "billed_duration_ms", "init_duration_ms", "peak_rss_mb"):
            assert STAT_KEYS | {"p99.9"} <= set(block[metric])
        assert block["invocations"] == 3000 and block["lambda_invocations"] == 300
        assert block["errors"] == len(range(100, 3000, 101))
    for name in ("sort", "noop"):
        assert all({"n", "workload_ms"} <= set(summary["workloads"][name][vid]) for vid in (ARM, X86))
    rows = {(row["kind"], row["workload"], row["metric"]): row for row in summary["comparisons"]}
    assert set(rows) == {("architecture", w, m) for w in ("noop", "sort")
                         for m in ("warm_workload_ms", "warm_p90_ms", "warm_p99_ms", "cost_per_million_usd")} | {
        ("architecture", None, "init_duration_ms")}
    for row in rows.values():
        assert set(row) == set(ComparisonRow.__annotations__)
        assert (row["baseline"], row["candidate"]) == (X86, ARM)
        assert row["unit"] == ("cold starts" if row["metric"] == "init_duration_ms" else "environments")
    # 300 invocations, a new environment every 20: 15 environments a side, each with 200 items (half of them sort)
    assert rows[("architecture", "sort", "warm_workload_ms")]["n_baseline"] == 15
    assert rows[("architecture", "sort", "warm_p99_ms")]["descriptive"]  # under 30 environments a side
    for vid in (ARM, X86):
        environments = summary["variants"][vid]["environments"]
        assert (environments["count"], environments["kept"], environments["rounds"]) == (15, 15, 0)
        assert set(summary["variants"][vid]["stability"]) == {"trend", "memory_growth"}  # no profile: no scaling
    assert summary["method"]["unit"] == "environments" and summary["method"]["noise_floor_ok"] is None
    assert summary["memory_curve"] == {"py313-arm64": [ARM], "py313-x86_64": [X86]}
    assert set(summary["recommendation"]) == {"basis", "cheapest", "fastest", "balanced"}
    assert {"sent", "processed", "failed", "in_dlq", "in_flight", "lost"} <= set(summary["reconciliation"])
    assert isinstance(summary["verdict"], str) and summary["verdict"].endswith(".")


def test_warm_percentiles_are_exact_and_cold_starts_apart(aws_run):
    run, result = aws_run
    for vid in (ARM, X86):
        warm = result.summary["variants"][vid]["warm"]["workload_ms"]
        expected = np.percentile(run.warm_ms[vid], [50, 90, 99, 99.9])
        assert [warm["p50"], warm["p90"], warm["p99"], warm["p99.9"]] == pytest.approx(expected, rel=1e-12)
        cold = result.summary["variants"][vid]["cold"]["workload_ms"]
        assert cold["n"] == run.cold_ms[vid].size == 15
        assert cold["p50"] > 10 * warm["p99.9"] / 3  # 30× slower cold items never leak into warm figures
        assert result.summary["variants"][vid]["cold_starts"] == 15  # 300 invocations, every 20th cold


def test_aws_verdict_names_the_faster_architecture(aws_run):
    _, result = aws_run
    summary = result.summary
    assert not summary["local_emulation"] and summary["cost"]["billed_duration"] == "reported"
    (sort,) = [row for row in summary["comparisons"]
               if (row["workload"], row["metric"]) == ("sort", "warm_workload_ms")]
    assert sort["verdict"] == "candidate_better" and sort["ci95"][0] < 1.2 < sort["ci95"][1]
    assert "arm64 ran sort 1.2" in summary["verdict"] and "arm64 cost" in summary["verdict"]
    assert summary["cold_starts"]["init_source"] == "REPORT Init Duration"
    init = summary["variants"][X86]["init_duration_ms"]
    assert 270 <= init["p50"] <= 330


def test_identical_architectures_over_many_environments_are_equivalent_within_the_margin():
    spec = SyntheticSpec(RUN, 6000, median_ms={ARM64: 10.0, X86_64: 10.0}, environments=30,
                         environment_spread=0.005, seed=3)
    _, result = summarize_synthetic(spec)
    (sort,) = [row for row in result.summary["comparisons"] if row["metric"] == "warm_workload_ms"]
    low, high = sort["ci95"] or [0.0, 0.0]
    assert 1 / 1.02 < low < 1.0 < high < 1.02 and sort["verdict"] == "equivalent"
    assert "warm latency — equivalent within ±2 %: sort (ratio 1.00" in result.summary["verdict"]


def test_a_true_difference_over_too_few_environments_is_no_verdict_with_advice():
    _, result = summarize_synthetic(SyntheticSpec(RUN, 400, environments=3, seed=3))  # arm64 truly 1.2× as fast
    (sort,) = [row for row in result.summary["comparisons"] if row["metric"] == "warm_workload_ms"]
    assert sort["verdict"] == "too_few_units" and sort["reason"] == "no verdict: only 3 environments"
    advice = result.summary["method"]["recommend_rounds"]
    assert advice and "--rounds" in advice and advice in result.summary["verdict"]


def test_a_run_with_rounds_is_compared_round_by_round():
    spec = SyntheticSpec(RUN, 2400, environments=2, rounds=6, seed=5)
    _, result = summarize_synthetic(spec)
    (sort,) = [row for row in result.summary["comparisons"] if row["metric"] == "warm_workload_ms"]
    assert (sort["unit"], sort["n_baseline"], sort["n_candidate"]) == ("rounds", 6, 6)
    low, high = sort["ci95"] or [0.0, 0.0]
    assert sort["verdict"] == "candidate_better" and low < 1.2 < high
    assert result.summary["method"]["unit"] == "rounds" and result.summary["method"]["recommend_rounds"] is None
    assert result.summary["variants"][ARM]["environments"]["rounds"] == 6


def test_local_run_says_it_is_emulation_and_estimates_billing():
    spec = SyntheticSpec(RUN, 300, report_style="ministack", host_machine={"arm64": "x86_64", "x86_64": "x86_64"})
    _, result = summarize_synthetic(spec, local=True)
    summary = result.summary
    assert summary["local_emulation"] and summary["cost"]["billed_duration"] == "estimated"
    assert summary["verdict"].startswith("Local emulation — both functions ran on the host's x86_64 CPU, so this "
                                         "is functional, not architectural, evidence")
    assert summary["cold_starts"]["init_source"] == "handler InitMs"
    assert summary["variants"][ARM]["host_machine"] == "x86_64"


def test_a_mislabelled_cpu_on_aws_is_still_called_emulation():
    spec = SyntheticSpec(RUN, 100, host_machine={"arm64": "x86_64", "x86_64": "x86_64"})
    assert summarize_synthetic(spec)[1].summary["local_emulation"]


def test_lost_messages_reach_the_verdict_and_the_table():
    lost: Reconciliation = {
        "status": "lost", "target": "sqs", "sent": 200, "processed": 190, "failed": 0, "in_dlq": 0, "in_flight": 0,
        "lost": 10, "by_variant": {
            ARM: {"sent": 100, "processed": 90, "failed": 0, "in_dlq": 0, "in_flight": 0, "lost": 10},
            X86: {"sent": 100, "processed": 100, "failed": 0, "in_dlq": 0, "in_flight": 0, "lost": 0}},
        "apart": {vid: {"unplanned_items": 0, "dlq_unplanned": 0, "dlq_other_runs": 7 if vid == X86 else 0,
                        "dlq_unreadable": 0, "dlq_unread": 0, "queue_other": 0} for vid in (ARM, X86)},
        "unreadable_samples": []}
    _, result = summarize_synthetic(SyntheticSpec(RUN, 100), reconciliation=lost)
    assert "do not add up (lost = 10)" in result.summary["verdict"]
    console = Console(record=True, width=200)
    print_table(result.summary, console)
    text = console.export_text()
    assert "Messages lost or unaccounted for" in text and f"{ARM}: 10 of 100 messages sent" in text
    assert f"| {ARM} | 100 | 90 | 0 | 0 | 0 | 10 |" in markdown(result.summary)
    assert f"7 DLQ messages belong to other runs ({X86}): set apart, not counted in this run's figures." in notes(
        result.summary)


def test_report_directory_has_every_file(tmp_path, aws_run):
    _, result = aws_run
    assert isinstance(result, Result)
    directory = write_report(result, tmp_path / "report")
    names = {path.name for path in directory.iterdir()}
    plots = {"latency_cdf.png", "latency_over_time.png", "cold_start_init.png", "cost_per_million.png",
             "cost_vs_duration.png", "memory_curve.png"}
    assert {"summary.json", "report.md", "invocations.csv", "index.html"} | plots == names
    for plot in plots:
        assert (directory / plot).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert json.loads((directory / "summary.json").read_text())["run_id"] == RUN
    csv_lines = (directory / "invocations.csv").read_text().splitlines()
    assert len(csv_lines) == 6001 and csv_lines[0].startswith("run_id,variant,architecture,workload,seq")
    report = (directory / "report.md").read_text()
    assert result.summary["verdict"] in report and "![latency_cdf.png](latency_cdf.png)" in report


def test_reports_root_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("ARCHBENCH_REPORTS_DIR", str(tmp_path))
    _, result = summarize_synthetic(SyntheticSpec(RUN, 50))
    assert write_report(result, plots=False) == tmp_path / RUN
    assert not (tmp_path / RUN / "latency_cdf.png").exists()


def test_a_user_functions_import_is_summarised_and_shown_only_when_measured(aws_run):
    """``UserInitMs`` (archbench:function's own import, on cold documents) per variant, and its row in the table."""
    run, result = aws_run
    label = "of it, your function's import ms, p50"
    assert result.summary["variants"][ARM]["user_init_ms"]["n"] == 0
    assert label not in [row[0] for row in variant_table(result.summary).rows]

    def with_user_init(event: LogEvent) -> LogEvent:
        if not event.message.startswith("{"):
            return event
        document = json.loads(event.message)
        if document.get("ColdStart") == 1:
            document["UserInitMs"] = 42.5
        return event._replace(message=json.dumps(document))

    outputs = run.outputs(None)
    data = build_run_data([with_user_init(event) for event in run.events], RUN,
                          {fn.log_group: vid for vid, fn in outputs.functions.items()})
    context = Context(source="logs-insights", outputs=outputs, reconciliation=unknown("synthetic"),
                      window={"start": "s", "end": "e", "from_manifest": False}, manifest=None)
    summary = summarize(data, context).summary
    block = summary["variants"][ARM]["user_init_ms"]
    assert block["p50"] == 42.5 and block["n"] == summary["variants"][ARM]["cold_starts"]
    assert label in [row[0] for row in variant_table(summary).rows]
