"""The parser on real Lambda platform lines (``real_log_lines``, each with its public source), and what failed
invocations become: counted by status, attributed by log group, billed, shown."""

import json

import pytest
from rich.console import Console

from analysis.dataset import build_run_data
from analysis.events import LogEvent
from analysis.parse import (
    LineParser,
    parse_json_init_report,
    parse_json_report,
    parse_json_runtime_done,
    parse_text_init_report,
    parse_text_report,
)
from analysis.queues import sort_dead_letters
from analysis.render import markdown, notes, print_table, variant_table
from analysis.synthetic import FUNCTION_PREFIX, SyntheticSpec
from core import prices_for
from tests.unit.analysis import real_log_lines as real
from tests.unit.analysis.test_parse import emf_document
from tests.unit.analysis.test_summary import ARM, RUN, X86, summarize_synthetic

# line → the fields it must parse to (None: absent from the line).
TEXT_REPORTS: dict[str, tuple[str, dict[str, object]]] = {
    "snapstart_docwho2": (real.SNAPSTART_DOCWHO2, {
        "request_id": "8c360c87-d4b7-4423-b5f3-af02be3c1763", "duration_ms": 2338.66, "billed_duration_ms": 2521,
        "report_memory_mb": 3009, "max_memory_used_mb": 173, "init_duration_ms": None,
        "restore_duration_ms": 398.97, "billed_restore_duration_ms": 182, "report_status": None}),
    "snapstart_power_tuning": (real.SNAPSTART_POWER_TUNING, {
        "duration_ms": 469.40, "billed_duration_ms": 500, "report_memory_mb": 1024, "max_memory_used_mb": 21,
        "restore_duration_ms": 474.16, "billed_restore_duration_ms": 75}),
    "snapstart_xray_spaces": (real.SNAPSTART_XRAY_SPACES, {
        "request_id": "24addd09-6e64-49fb-b187-94ba9b60b59a", "duration_ms": 127.10, "billed_duration_ms": 154,
        "report_memory_mb": 2048, "max_memory_used_mb": 212, "restore_duration_ms": 325.93,
        "billed_restore_duration_ms": 26, "trace_id": "1-66d978e5-56c7378e556e94b5461da07c"}),
    "error_import_xray": (real.ERROR_IMPORT_REPORT, {
        "duration_ms": 97.30, "billed_duration_ms": 98, "report_memory_mb": 1024, "max_memory_used_mb": 43,
        "report_status": "error", "report_error_type": "Runtime.ImportModuleError",
        "trace_id": "1-69ebaae8-4dbb86ee66fd32e40fdbfba6"}),
    "error_import": (real.ERROR_IMPORT_REPORT_2, {
        "duration_ms": 97.32, "billed_duration_ms": 98, "report_memory_mb": 128, "report_status": "error",
        "report_error_type": "Runtime.ImportModuleError", "trace_id": None}),
    "timeout_azul": (real.TIMEOUT_AZUL, {
        "duration_ms": 180000.0, "billed_duration_ms": 180000, "report_memory_mb": 1280,
        "max_memory_used_mb": 1201, "report_status": "timeout", "report_error_type": None}),
    "timeout_pre_2023": (real.TIMEOUT_CLOUDFRONT_SAMPLES, {
        "duration_ms": 300099.78, "billed_duration_ms": 300000, "init_duration_ms": 170.57,
        "report_status": None}),
    "init_billed_xray": (real.INIT_BILLED_XRAY, {
        "request_id": "b92a770e-7c92-4a13-84e3-613428ff991f", "duration_ms": 3.10, "billed_duration_ms": 546,
        "report_memory_mb": 2048, "max_memory_used_mb": 95, "init_duration_ms": 542.01,
        "trace_id": "1-6a507b87-0cc4438344b48ef127ab1931"}),
    "embr_insights": (real.EMBR_INSIGHTS, {
        "duration_ms": 14.97, "billed_duration_ms": 15, "report_memory_mb": 128, "max_memory_used_mb": 67}),
    "extra_space": (real.EXTRA_SPACE, {
        "duration_ms": 89.34, "billed_duration_ms": 100, "report_memory_mb": 128, "max_memory_used_mb": 111}),
    "over_memory": (real.OVER_MEMORY, {
        "duration_ms": 11108.09, "billed_duration_ms": 11109, "report_memory_mb": 128, "max_memory_used_mb": 129}),
}


@pytest.mark.parametrize("name", TEXT_REPORTS)
def test_real_text_report_lines_parse_field_by_exact_label(name):
    line, expected = TEXT_REPORTS[name]
    record = parse_text_report(line.strip(), 1000, "/aws/lambda/f")
    assert {column: record[column] for column in expected} == expected
    assert record["log_group"] == "/aws/lambda/f"


def test_snapstart_duration_is_never_read_from_the_restore_fields():
    """The defect of the old alternation regex: 182 ms (Billed Restore Duration) instead of 2338.66 ms."""
    assert parse_text_report(real.SNAPSTART_DOCWHO2, 0)["duration_ms"] == 2338.66
    assert parse_text_report(real.SNAPSTART_POWER_TUNING, 0)["duration_ms"] == 469.40
    assert parse_text_report(real.SNAPSTART_XRAY_SPACES, 0)["duration_ms"] == 127.10


@pytest.mark.parametrize(("line", "duration", "error_type"), [
    (real.ERROR_IMPORT_INIT_REPORT, 87.28, "Runtime.ImportModuleError"),
    (real.ERROR_IMPORT_INIT_REPORT_2, 85.23, "Runtime.ImportModuleError"),
])
def test_real_init_report_lines(line, duration, error_type):
    record = parse_text_init_report(line, 5, "/aws/lambda/f")
    assert record == {"log_group": "/aws/lambda/f", "report_ms": 5, "init_duration_ms": duration, "phase": "invoke",
                      "init_status": "error", "init_error_type": error_type}


def test_real_json_platform_records():
    timeout = parse_json_report(json.loads(real.JSON_TIMEOUT_REPORT), 0)
    assert (timeout["duration_ms"], timeout["billed_duration_ms"]) == (5000.0, 5000)
    assert timeout["report_status"] == "timeout"
    done = parse_json_runtime_done(json.loads(real.JSON_TIMEOUT_RUNTIME_DONE))
    assert done == {"request_id": "aec7a529-47f9-4090-be01-c9ed91bf83cf", "status": "timeout", "error_type": None}
    tuned = parse_json_report(json.loads(real.JSON_POWER_TUNING_REPORT), 0)
    assert (tuned["duration_ms"], tuned["billed_duration_ms"], tuned["init_duration_ms"]) == (1.317, 2, 10)
    assert parse_json_runtime_done(json.loads(real.JSON_POWER_TUNING_RUNTIME_DONE))["status"] == "success"
    traced = parse_json_report(json.loads(real.JSON_TRACED_REPORT), 0)
    assert traced["init_duration_ms"] == 549.04 and traced["trace_id"].startswith("Root=1-6352a70e-")
    init = parse_json_init_report(json.loads(real.JSON_INIT_REPORT), 0, "g")
    assert (init["init_duration_ms"], init["phase"], init["init_status"]) == (500.0, "init", "success")


def test_every_real_line_is_counted_by_kind_and_none_is_ignored_or_malformed():
    parser = LineParser(RUN)
    texts = [line for line, _ in TEXT_REPORTS.values()]
    for line in [*texts, real.ERROR_IMPORT_INIT_REPORT, real.ERROR_IMPORT_INIT_REPORT_2, real.JSON_TIMEOUT_REPORT,
                 real.JSON_TIMEOUT_RUNTIME_DONE, real.JSON_POWER_TUNING_REPORT, real.JSON_POWER_TUNING_RUNTIME_DONE,
                 real.JSON_TRACED_REPORT, real.JSON_INIT_REPORT]:
        parser.feed(line, 0, "g")
    counts = parser.counts.to_dict()
    assert counts == {"emf_documents": 0, "other_runs": 0, "reports": len(texts) + 3, "malformed_emf": 0,
                      "malformed_report": 0, "ignored": 0, "init_reports": 3, "runtime_done": 2,
                      "malformed_init_report": 0, "malformed_runtime_done": 0}


def test_unreadable_platform_lines_are_counted_by_kind():
    parser = LineParser(RUN)
    parser.feed("INIT_REPORT Phase: init\tStatus: timeout", 0)
    parser.feed('{"type": "platform.runtimeDone", "record": {"status": "timeout"}}', 0)
    parser.feed('{"type": "platform.initReport", "record": {"metrics": {}}}', 0)
    parser.feed("REPORT RequestId: x\tDuration: 1.00 ms\tDuration: 2.00 ms", 0)
    parser.feed('{"_aws": ' + "[" * 100_000 + "]" * 100_000 + "}", 0)  # RecursionError in json.loads
    parser.feed("[" * 100_000 + "]" * 100_000, 0)  # not an object, not JSON-looking: ignored
    counts = parser.counts
    assert (counts.malformed_init_report, counts.malformed_runtime_done, counts.malformed_report,
            counts.malformed_emf, counts.ignored) == (2, 1, 1, 1, 1)


def test_a_dlq_body_nested_thousands_deep_is_unreadable_not_a_crash():
    dead = sort_dead_letters(['{"a": ' * 50_000 + "1" + "}" * 50_000, json.dumps({"run_id": RUN, "seq": 4})], RUN)
    assert (dead.seqs, dead.unreadable) == ((4,), 1)


GROUPS = {f"/aws/lambda/{FUNCTION_PREFIX}_{vid}": vid for vid in (ARM, X86)}  # the synthetic run's log groups
ARM_GROUP, X86_GROUP = GROUPS


def test_reports_are_sorted_by_request_id_in_a_shared_window():
    """This run's, another run's (excluded), an orphan (kept, by log group) and one of an unknown group."""
    mine, theirs = "8f5a7c1e-3b2d-4c6f-9a1e-2d3c4b5a6f70", "11111111-2222-3333-4444-555555555555"
    timeout = real.TIMEOUT_AZUL
    orphan_id = timeout.split()[2]
    events = [
        LogEvent(ARM_GROUP, 1, emf_document(request_id=mine)),
        LogEvent(ARM_GROUP, 2, f"REPORT RequestId: {mine}\tDuration: 12.34 ms\tBilled Duration: 13 ms\t"
                         "Memory Size: 1024 MB\tMax Memory Used: 80 MB\t"),
        LogEvent(ARM_GROUP, 3, emf_document(request_id=theirs, run_id="20261125T090000Z-0000")),
        LogEvent(ARM_GROUP, 4, f"REPORT RequestId: {theirs}\tDuration: 5.00 ms\tBilled Duration: 5 ms\t"
                         "Memory Size: 1024 MB\tMax Memory Used: 80 MB\t"),
        LogEvent(X86_GROUP, 5, timeout),
        LogEvent(X86_GROUP, 6, real.ERROR_IMPORT_INIT_REPORT),
        LogEvent("/aws/lambda/elsewhere", 7, real.ERROR_IMPORT_REPORT_2),
    ]
    data = build_run_data(events, RUN, GROUPS)
    assert data.reports_other_runs == 1 and data.reports_unattributed == 1
    by_id = data.invocations.set_index("request_id")
    assert list(by_id.index) == [mine, orphan_id]
    assert by_id.loc[orphan_id, "variant"] == X86 and by_id.loc[orphan_id, "orphan"]
    assert by_id.loc[orphan_id, "status"] == "timeout" and by_id.loc[orphan_id, "failed"]
    assert not by_id.loc[mine, "failed"] and by_id.loc[mine, "status"] == "success"
    (init,) = data.init_reports.to_dict("records")
    assert (init["variant"], init["init_status"], init["init_error_type"]) == (
        X86, "error", "Runtime.ImportModuleError")


def test_runtime_done_gives_a_report_without_status_its_status():
    request = "aec7a529-47f9-4090-be01-c9ed91bf83cf"
    report = json.loads(real.JSON_TIMEOUT_REPORT)
    del report["record"]["status"]
    events = [LogEvent(ARM_GROUP, 1, real.JSON_TIMEOUT_RUNTIME_DONE), LogEvent(ARM_GROUP, 2, json.dumps(report))]
    data = build_run_data(events, RUN, GROUPS)
    assert data.invocations.set_index("request_id").loc[request, "status"] == "timeout"


@pytest.mark.parametrize("style", ["aws", "json", "ministack"])
def test_a_timeout_without_a_work_item_is_counted_billed_and_shown(style):
    _, clean = summarize_synthetic(SyntheticSpec(RUN, 400, report_style=style))
    run, result = summarize_synthetic(SyntheticSpec(RUN, 400, report_style=style, timeout_every=8))
    summary = result.summary
    status = "unknown" if style == "ministack" else "timeout"  # MiniStack's reduced REPORT has no Status
    for vid, arch in ((ARM, "arm64"), (X86, "x86_64")):
        block, clean_block = summary["variants"][vid], clean.summary["variants"][vid]
        timeouts = run.timeouts[vid]
        assert timeouts == 5
        failed = block["failed_invocations"]
        assert failed["total"] == failed["without_work_item"] == timeouts
        assert failed["by_status"] == {status: timeouts} and failed["init_failures"] == 0
        assert failed["billed_duration_ms"] == timeouts * 30_000
        # Billed: the work items' invocations cost what they did, plus each timeout's 30 s at 1 GB and its request.
        price = prices_for("us-east-1")
        orphan_cost = timeouts * (30.0 * 1.0 * price.gb_second[arch] + price.per_million_requests / 1e6)
        assert failed["cost_usd"] == pytest.approx(orphan_cost)
        kept = block["cost_usd"] - orphan_cost
        assert kept == pytest.approx(clean_block["cost_usd"] * (400 - 10 * timeouts) / 400, rel=0.05)
        assert block["lambda_invocations"] == 40 - timeouts and block["invocations"] == 400 - 10 * timeouts
        longest = block["duration_ms"]["max"]
        assert block["errors"] == 0 and longest is not None and longest < 30_000  # distributions: the items' only
        assert clean_block["failed_invocations"]["total"] == 0
    assert summary["parsing"]["invocations_without_work_item"] == 10
    assert f"10 Lambda invocations failed ({ARM}: 5 " in summary["verdict"]
    rows = {row[0]: row[1:] for row in variant_table(summary).rows}
    assert rows["failed Lambda invocations"] == ["5", "5"]
    assert any("5 without a work item" in note for note in notes(summary))
    assert "| failed Lambda invocations | 5 | 5 |" in markdown(summary)


def test_a_clean_run_gains_only_zero_counts_and_one_table_row():
    _, result = summarize_synthetic(SyntheticSpec(RUN, 200))
    summary = result.summary
    for block in summary["variants"].values():
        assert block["failed_invocations"] == {"total": 0, "by_status": {}, "error_types": {},
                                               "without_work_item": 0, "billed_duration_ms": 0.0, "cost_usd": 0.0,
                                               "init_failures": 0, "init_error_types": {}}
    assert "failed" not in summary["verdict"] and not any("failed" in note for note in notes(summary))
    console = Console(record=True, width=100)
    print_table(summary, console)
    assert "failed Lambda invocations" in console.export_text()


def test_a_run_whose_every_invocation_timed_out_still_says_so():
    _, result = summarize_synthetic(SyntheticSpec(RUN, 30, timeout_every=1))
    verdict = result.summary["verdict"]
    assert verdict.startswith(f"No work items of run {RUN} were found")
    assert verdict.endswith(f"; 6 Lambda invocations failed ({ARM}: 3 timeout; {X86}: 3 timeout).")
    assert result.summary["variants"][ARM]["cost_usd"] > 0
