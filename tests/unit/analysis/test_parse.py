"""Parsing real-format lines: EMF documents, REPORT lines (AWS text, MiniStack text, JSON) and their join."""

import json

import pytest
from aws_embedded_metrics.logger.metrics_context import MetricsContext
from aws_embedded_metrics.serializers.log_serializer import LogSerializer

from analysis.dataset import build_run_data
from analysis.events import LogEvent
from analysis.parse import LineParser, Malformed, parse_json_report, parse_text_report
from handlers import contract as c

RUN = "20261125T080000Z-3fa2"
REQUEST = "8f5a7c1e-3b2d-4c6f-9a1e-2d3c4b5a6f70"
AWS_COLD_REPORT = (f"REPORT RequestId: {REQUEST}\tDuration: 12.34 ms\tBilled Duration: 263 ms\tMemory Size: 1024 MB\t"
                   "Max Memory Used: 80 MB\tInit Duration: 250.10 ms\t")
AWS_XRAY_REPORT = (f"REPORT RequestId: {REQUEST}\tDuration: 3.01 ms\tBilled Duration: 4 ms\tMemory Size: 512 MB\t"
                   "Max Memory Used: 71 MB\t\nXRAY TraceId: 1-5e1b4151-5ac6c58f5b5daa6532e4f2e6\t"
                   "SegmentId: 6b1f3a9c2d4e5f60\tSampled: true\t\n")
MINISTACK_REPORT = (f"REPORT RequestId: {REQUEST}\tDuration: 12 ms\tBilled Duration: 12 ms\tMemory Size: 1024 MB\t"
                    "Max Memory Used: 0 MB")
JSON_REPORT = json.dumps({"time": "2026-11-25T08:00:01.000Z", "type": "platform.report", "record": {
    "requestId": REQUEST, "status": "success",
    "metrics": {"durationMs": 12.34, "billedDurationMs": 263, "memorySizeMB": 1024, "maxMemoryUsedMB": 80,
                "initDurationMs": 250.1}}})


def emf_document(arch: str = "arm64", request_id: str = REQUEST, seq: int = 1, run_id: str = RUN,
                 workload_ms: float | None = 12.3, cold: bool = False) -> str:
    """An EMF document exactly as aws-embedded-metrics serialises it (the handler's library), of the variant
    ``py313-1024-<arch>``."""
    variant = f"py313-1024-{arch}"
    context = MetricsContext(c.NAMESPACE)
    context.set_dimensions([{c.DIM_VARIANT: variant, c.DIM_WORKLOAD: "sort"}, {c.DIM_VARIANT: variant}])
    if workload_ms is not None:
        context.put_metric(c.M_WORKLOAD_MS, workload_ms, "Milliseconds")
    context.put_metric(c.M_HANDLER_MS, 13.0, "Milliseconds")
    context.put_metric(c.M_PEAK_RSS_MB, 61.5, "Megabytes")
    context.put_metric(c.M_QUEUE_LAG_MS, 17.0, "Milliseconds")
    context.put_metric(c.M_COLD_START, 1 if cold else 0, "Count")
    if cold:
        context.put_metric(c.M_INIT_MS, 310.5, "Milliseconds")
    context.put_metric(c.M_ERRORS, 0 if workload_ms is not None else 1, "Count")
    for key, value in {c.P_ARCHITECTURE: arch, c.P_RUN_ID: run_id, c.P_SEQ: seq, c.P_REQUEST_ID: request_id,
                       c.P_MESSAGE_ID: "m-1",
                       c.P_FUNCTION_NAME: f"archbench-dev-{arch}", c.P_FUNCTION_VERSION: "$LATEST",
                       c.P_MEMORY_SIZE_MB: 1024, c.P_RUNTIME: "python3.13", c.P_HOST_MACHINE: "aarch64",
                       c.P_TRIGGER: "sqs", c.P_RESULT_DIGEST: "abc", c.P_ERROR_TYPE: None}.items():
        context.set_property(key, value)
    (line,) = LogSerializer.serialize(context)
    return line


def test_aws_text_report_with_init_duration():
    record = parse_text_report(AWS_COLD_REPORT, 1000)
    assert record["request_id"] == REQUEST
    assert record["duration_ms"] == 12.34
    assert record["billed_duration_ms"] == 263
    assert record["report_memory_mb"] == 1024
    assert record["max_memory_used_mb"] == 80
    assert record["init_duration_ms"] == 250.10


def test_aws_text_report_with_xray_suffix_and_no_init():
    record = parse_text_report(AWS_XRAY_REPORT, 1000)
    assert (record["duration_ms"], record["billed_duration_ms"], record["init_duration_ms"]) == (3.01, 4, None)


def test_ministack_reduced_report():
    record = parse_text_report(MINISTACK_REPORT, 1000)
    assert (record["duration_ms"], record["billed_duration_ms"], record["init_duration_ms"]) == (12, 12, None)


def test_json_platform_report_matches_the_text_one():
    text = parse_text_report(AWS_COLD_REPORT, 1000)
    from_json = parse_json_report(json.loads(JSON_REPORT), 1000)
    for column in ("request_id", "duration_ms", "billed_duration_ms", "report_memory_mb", "init_duration_ms"):
        assert from_json[column] == text[column]
    assert from_json["report_status"] == "success"


@pytest.mark.parametrize("line", ["REPORT RequestId: abc\tBilled Duration: 3 ms", "REPORT RequestId:"])
def test_report_without_duration_or_id_is_malformed(line):
    with pytest.raises(Malformed):
        parse_text_report(line, 0)


def test_emf_document_from_aws_embedded_metrics():
    parser = LineParser(RUN)
    parser.feed(emf_document(cold=True) + "\n", 5)
    (item,) = parser.items
    assert item["run_id"] == RUN and item["variant"] == "py313-1024-arm64" and item["workload"] == "sort"
    assert item["architecture"] == "arm64"  # the Architecture property, kept as given
    assert item["workload_ms"] == 12.3 and item["init_ms"] == 310.5 and item["cold_start"] == 1
    assert item["seq"] == 1 and item["request_id"] == REQUEST and item["host_machine"] == "aarch64"
    assert item["memory_size_mb"] == 1024
    assert item["timestamp_ms"] != 5  # the document's own _aws.Timestamp wins over the event's


def test_emf_document_from_the_handler_itself():
    """The handler's real serialiser (handlers.metrics) and this parser agree on every contract name."""
    from handlers.environment import FunctionInfo
    from handlers.metrics import ItemOutcome, build_document

    info = FunctionInfo("x86_64", "py313-1024-x86_64-twin", "archbench-dev_py313-1024-x86_64-twin", "$LATEST", 1024,
                        REQUEST, ())
    outcome = ItemOutcome(workload="sort", trigger="api", handler_ms=5.5, run_id=RUN, seq=9, workload_ms=4.25,
                          init_ms=100.0, digest="d1")
    parser = LineParser(RUN)
    for line in build_document(outcome, info, peak_rss=42.0):
        parser.feed(line, 0)
    (item,) = parser.items
    assert (item["variant"], item["architecture"]) == ("py313-1024-x86_64-twin", "x86_64")
    assert (item["seq"], item["workload_ms"], item["init_ms"]) == (9, 4.25, 100.0)
    assert (item["cold_start"], item["errors"], item["trigger"], item["result_digest"]) == (1, 0, "api", "d1")
    assert item["peak_rss_mb"] == 42.0


def test_other_runs_and_plain_lines_are_counted_not_kept():
    parser = LineParser(RUN)
    parser.feed(emf_document(run_id="20261125T090000Z-0000"), 0)
    parser.feed(f"START RequestId: {REQUEST} Version: $LATEST", 0)
    parser.feed('{"level": "INFO", "message": "hello"}', 0)
    assert parser.items == [] and parser.counts.other_runs == 1 and parser.counts.ignored == 2


def test_malformed_lines_are_counted_with_samples_and_never_fatal():
    parser = LineParser(RUN)
    document = json.loads(emf_document())
    parser.feed(json.dumps({**document, c.M_WORKLOAD_MS: "fast"}), 0)
    parser.feed(json.dumps({**document, c.DIM_VARIANT: ""}), 0)
    parser.feed(json.dumps({**document, c.P_SEQ: 1.5}), 0)
    parser.feed('{"_aws": {"Timestamp": 1', 0)  # truncated
    parser.feed('{"type": "platform.report", "record": {"metrics": {}}}', 0)
    parser.feed("REPORT RequestId: x\tDuration: ms", 0)
    parser.feed(emf_document(), 0)
    assert parser.counts.malformed_emf == 4 and parser.counts.malformed_report == 2
    assert len(parser.items) == 1 and len(parser.counts.samples) == 3
    assert "WorkloadMs is not a number" in parser.counts.samples[0]
    assert "Variant is ''" in parser.counts.samples[1]


def test_join_by_request_id_not_by_stream():
    """A batch of two items is one invocation; the second document landed in the next invocation's stream."""
    other = "11111111-2222-3333-4444-555555555555"
    events = [
        LogEvent("g", 1, emf_document(seq=1, cold=True)),
        LogEvent("g", 2, AWS_COLD_REPORT),
        LogEvent("g", 3, emf_document(seq=2)),  # same RequestId, filed late
        LogEvent("g", 4, emf_document(seq=3, request_id=other)),
        LogEvent("g", 5, AWS_COLD_REPORT),  # a duplicate REPORT is dropped, and counted
    ]
    data = build_run_data(events, RUN)
    assert len(data.items) == 3 and len(data.invocations) == 1
    (invocation,) = data.invocations.to_dict("records")
    assert invocation["n_items"] == 2 and invocation["cold"] and invocation["init_ms"] == 310.5
    assert invocation["duration_ms"] == 12.34 and invocation["memory_mb"] == 1024
    assert data.items_without_report == 1 and data.duplicate_reports == 1
    joined = data.items.set_index("seq")
    assert joined.loc[2, "duration_ms"] == 12.34 and joined.loc[3, "duration_ms"] != joined.loc[3, "duration_ms"]


def test_user_init_ms_of_archbench_function_is_read_beside_init_ms():
    from handlers.environment import FunctionInfo
    from handlers.metrics import ItemOutcome, build_document

    info = FunctionInfo("arm64", "py313-1024-arm64", "archbench-dev-arm64", "$LATEST", 1024, REQUEST, ())
    outcome = ItemOutcome(workload=c.USER_WORKLOAD, trigger="sqs", handler_ms=20.0, run_id=RUN, seq=3,
                          workload_ms=15.0, init_ms=180.0, user_init_ms=120.0, digest="abc")
    parser = LineParser(RUN)
    parser.feed(build_document(outcome, info, 60.0)[0] + "\n", 5)
    (item,) = parser.items
    assert (item["workload"], item["init_ms"], item["user_init_ms"]) == ("function", 180.0, 120.0)
