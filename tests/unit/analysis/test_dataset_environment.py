"""The execution environment of every work item: read from the handler's own documents, else from the log stream."""

import boto3
from botocore.stub import Stubber

from analysis.dataset import build_run_data
from analysis.events import LogEvent, TimeWindow
from analysis.insights import InsightsSource, build_query
from analysis.logevents import EMF_FILTER, REPORT_FILTER, LogEventsSource
from handlers.environment import CPU_MODEL, ENVIRONMENT_ID, FunctionInfo
from handlers.metrics import ItemOutcome, build_document
from tests.unit.analysis.test_parse import RUN, emf_document

GROUP = "/aws/lambda/archbench-dev_py313-1024-arm64"
STREAM = "2025/11/25/[$LATEST]6f0c1e2d3b4a59687766554433221100"
WINDOW = TimeWindow(1_764_057_600_000, 1_764_057_659_999)


def handler_document(seq: int, log_stream: str = STREAM, trial: int | None = None) -> str:
    """A document as ``handlers.metrics`` writes it in this process (its EnvironmentId, CpuModel)."""
    info = FunctionInfo("arm64", "py313-1024-arm64", "archbench-dev_py313-1024-arm64", "$LATEST", 1024,
                        f"req-{seq}", (), log_stream)
    outcome = ItemOutcome(workload="sort", trigger="sqs", handler_ms=2.0, run_id=RUN, seq=seq, workload_ms=1.5,
                          round=trial)
    (line,) = build_document(outcome, info, 60.0)
    return line


def test_the_handler_identity_is_read_into_text_and_round_columns() -> None:
    data = build_run_data([LogEvent(GROUP, 1, handler_document(1, trial=2), STREAM),
                           LogEvent(GROUP, 2, handler_document(2), STREAM)], RUN)
    items = data.items.sort_values("seq")
    assert list(items["environment_id"]) == [ENVIRONMENT_ID] * 2
    assert list(items["log_stream"]) == [STREAM] * 2
    assert list(items["cpu_model"]) == [CPU_MODEL] * 2
    assert str(items["round"].dtype) == "Int64"
    assert items["round"].tolist()[0] == 2 and items["round"].isna().tolist() == [False, True]
    assert list(items["environment"]) == [ENVIRONMENT_ID] * 2


def test_environment_falls_back_to_the_documents_stream_then_the_events_then_nothing() -> None:
    no_id = handler_document(3).replace(f'"EnvironmentId": "{ENVIRONMENT_ID}"', '"EnvironmentId": null')
    assert '"EnvironmentId": null' in no_id
    empty_stream = handler_document(5, log_stream="").replace(f'"EnvironmentId": "{ENVIRONMENT_ID}"',
                                                              '"EnvironmentId": ""')
    events = [LogEvent(GROUP, 1, no_id, "event-stream"),  # the document's LogStream property
              LogEvent(GROUP, 2, emf_document(seq=4), "event-stream"),  # a pre-issue-14 document: the event's
              LogEvent(GROUP, 3, empty_stream, ""),  # empty everywhere: unknown
              LogEvent(GROUP, 4, emf_document(seq=6))]  # no stream at all
    items = build_run_data(events, RUN).items.sort_values("seq")
    assert list(items["environment"]) == [STREAM, "event-stream", "", ""]
    assert items["environment"].map(type).tolist() == [str] * 4


def test_filter_log_events_keeps_each_events_log_stream() -> None:
    client = boto3.client("logs", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    answer = {"events": [{"logStreamName": STREAM, "timestamp": WINDOW.start_ms, "message": handler_document(1),
                          "ingestionTime": WINDOW.start_ms + 900, "eventId": "0001"}],
              "searchedLogStreams": [{"logStreamName": STREAM, "searchedCompletely": True}]}
    with Stubber(client) as stub:
        for pattern in (EMF_FILTER, REPORT_FILTER):
            stub.add_response("filter_log_events", answer if pattern == EMF_FILTER else {"events": []},
                              {"logGroupName": GROUP, "startTime": WINDOW.start_ms, "endTime": WINDOW.end_ms,
                               "filterPattern": pattern, "limit": 10_000})
        events = LogEventsSource(client, [GROUP], RUN).fetch(WINDOW)
    assert [event.log_stream for event in events] == [STREAM]


def test_logs_insights_selects_and_keeps_at_log_stream() -> None:
    assert "@logStream" in build_query(RUN, WINDOW).split("|")[0]
    client = boto3.client("logs", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    row = [{"field": "tsMs", "value": str(WINDOW.start_ms)}, {"field": "@message", "value": handler_document(1)},
           {"field": "@log", "value": f"123456789012:{GROUP}"}, {"field": "@logStream", "value": STREAM}]
    with Stubber(client) as stub:
        stub.add_response("start_query", {"queryId": "q"})
        stub.add_response("get_query_results", {"status": "Complete", "results": [row],
                                                "statistics": {"recordsMatched": 1.0}}, {"queryId": "q"})
        [event] = InsightsSource(client, [GROUP], RUN, sleep=lambda s: None).fetch(WINDOW)
    assert (event.log_group, event.log_stream) == (GROUP, STREAM)
