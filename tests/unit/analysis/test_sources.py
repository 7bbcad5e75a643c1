"""Both log sources against botocore's Stubber: realistic responses, windows over the row cap split in time."""

import boto3
import pytest
from botocore.stub import ANY, Stubber

from analysis.errors import AnalysisError
from analysis.events import TimeWindow
from analysis.insights import ROW_CAP, InsightsSource, build_query
from analysis.logevents import EMF_FILTER, EVENT_CAP, REPORT_FILTER, LogEventsSource

RUN = "20261125T080000Z-3fa2"
GROUPS = ["/aws/lambda/archbench-dev-arm64", "/aws/lambda/archbench-dev-x86_64"]
WINDOW = TimeWindow(1_764_057_600_000, 1_764_057_659_999)


def logs_client():
    return boto3.client("logs", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")


def rows(count: int, start_ms: int) -> list[list[dict[str, str]]]:
    """Logs Insights result rows as get_query_results returns them (every value a string, @ptr included)."""
    return [[{"field": "tsMs", "value": str(start_ms + i)},
             {"field": "@message", "value": f'{{"RunId": "{RUN}", "Seq": {i}}}'},
             {"field": "@log", "value": f"123456789012:{GROUPS[i % 2]}"},
             {"field": "@ptr", "value": f"CmAKJgoiMTIzNDU2Nzg5MDEyOi9hd3MvbGFtYmRh{i}"}] for i in range(count)]


def complete(count: int, start_ms: int, matched: int | None = None) -> dict:
    return {"status": "Complete", "results": rows(count, start_ms),
            "statistics": {"recordsMatched": float(count if matched is None else matched),
                           "recordsScanned": float(3 * count), "bytesScanned": float(900 * count)}}


def start_params(window: TimeWindow) -> dict:
    return {"logGroupNames": GROUPS, "startTime": window.start_ms // 1000, "endTime": -(-window.end_ms // 1000),
            "queryString": build_query(RUN, window)}


def insights(client, **kwargs) -> InsightsSource:
    return InsightsSource(client, GROUPS, RUN, sleep=lambda s: None, **kwargs)


def test_query_reads_every_emf_document_the_platform_lines_and_the_exact_window():
    query = build_query(RUN, WINDOW)
    assert '/"RunId"/' in query and "/^REPORT RequestId/" in query and "/^INIT_REPORT/" in query
    assert "platform\\.(report|initReport|runtimeDone)" in query
    assert f"tsMs >= {WINDOW.start_ms} and tsMs <= {WINDOW.end_ms}" in query
    assert query.endswith(f"limit {ROW_CAP}")


def test_window_over_10000_rows_is_split_until_every_row_is_read():
    client = logs_client()
    first, second = WINDOW.split()
    with Stubber(client) as stub:
        stub.add_response("start_query", {"queryId": "q-whole"}, start_params(WINDOW))
        stub.add_response("get_query_results", {"status": "Running", "results": [],
                                                "statistics": {"recordsMatched": 4000.0}}, {"queryId": "q-whole"})
        stub.add_response("get_query_results", complete(ROW_CAP, WINDOW.start_ms, matched=16_500),
                          {"queryId": "q-whole"})
        stub.add_response("start_query", {"queryId": "q-1"}, start_params(first))
        stub.add_response("start_query", {"queryId": "q-2"}, start_params(second))
        stub.add_response("get_query_results", complete(9_000, first.start_ms), {"queryId": "q-1"})
        stub.add_response("get_query_results", complete(7_500, second.start_ms), {"queryId": "q-2"})
        source = insights(client)
        events = source.fetch(WINDOW)
        stub.assert_no_pending_responses()
    assert len(events) == 16_500 and source.queries == 3
    assert events[0].log_group == GROUPS[0] and events[1].log_group == GROUPS[1]  # account id stripped
    assert events[0].timestamp_ms == first.start_ms and RUN in events[0].message


def test_concurrency_is_bounded_and_a_full_quota_is_waited_for():
    client = logs_client()
    first, second = WINDOW.split()
    with Stubber(client) as stub:
        stub.add_response("start_query", {"queryId": "q-whole"}, start_params(WINDOW))
        stub.add_response("get_query_results", complete(ROW_CAP, WINDOW.start_ms), {"queryId": "q-whole"})
        # max_concurrent=1: one half at a time; the account quota is full once, then frees up
        stub.add_client_error("start_query", "LimitExceededException", "Account maximum query concurrency limit",
                              400, expected_params=start_params(first))
        stub.add_response("start_query", {"queryId": "q-1"}, start_params(first))
        stub.add_response("get_query_results", complete(10, first.start_ms), {"queryId": "q-1"})
        stub.add_response("start_query", {"queryId": "q-2"}, start_params(second))
        stub.add_response("get_query_results", complete(20, second.start_ms), {"queryId": "q-2"})
        events = insights(client, max_concurrent=1).fetch(WINDOW)
        stub.assert_no_pending_responses()
    assert len(events) == 30


def test_failed_query_is_retried():
    client = logs_client()
    with Stubber(client) as stub:
        stub.add_response("start_query", {"queryId": "q-a"}, start_params(WINDOW))
        stub.add_response("get_query_results", {"status": "Failed", "results": []}, {"queryId": "q-a"})
        stub.add_response("start_query", {"queryId": "q-b"}, start_params(WINDOW))
        stub.add_response("get_query_results", complete(3, WINDOW.start_ms), {"queryId": "q-b"})
        assert len(insights(client).fetch(WINDOW)) == 3


def test_a_query_that_keeps_failing_is_reported_not_ignored():
    client = logs_client()
    with Stubber(client) as stub:
        for attempt in range(3):
            stub.add_response("start_query", {"queryId": f"q-{attempt}"}, start_params(WINDOW))
            stub.add_response("get_query_results", {"status": "Cancelled", "results": []},
                              {"queryId": f"q-{attempt}"})
        with pytest.raises(AnalysisError, match="ended Cancelled 3 times"):
            insights(client).fetch(WINDOW)


def test_other_query_errors_are_one_clear_error():
    client = logs_client()
    with Stubber(client) as stub:
        stub.add_client_error("start_query", "ResourceNotFoundException", "Log group does not exist", 400)
        with pytest.raises(AnalysisError, match="ResourceNotFoundException"):
            insights(client).fetch(WINDOW)


def filtered(count: int, start_ms: int, step: int = 1) -> dict:
    """A FilterLogEvents answer; ``step`` -1 lists the events newest first (not in time order)."""
    stamps = [start_ms + i for i in range(count)][::step]
    return {"events": [{"logStreamName": f"2026/11/25/[$LATEST]{i % 7}", "timestamp": stamp,
                        "message": f"line {stamp}", "ingestionTime": stamp} for i, stamp in enumerate(stamps)],
            "searchedLogStreams": []}


def filter_params(pattern: str, window: TimeWindow, group: str = GROUPS[0]) -> dict:
    return {"logGroupName": group, "startTime": window.start_ms, "endTime": window.end_ms,
            "filterPattern": pattern, "limit": EVENT_CAP}


def test_local_full_answer_in_time_order_is_read_on_from_its_last_millisecond():
    """MiniStack: at most 10,000 events per call, the earliest first, and never a nextToken."""
    client = logs_client()
    run_filter = EMF_FILTER
    last = WINDOW.start_ms + EVENT_CAP - 1
    rest = TimeWindow(last, WINDOW.end_ms)
    with Stubber(client) as stub:
        stub.add_response("filter_log_events", filtered(EVENT_CAP, WINDOW.start_ms), filter_params(run_filter, WINDOW))
        stub.add_response("filter_log_events", filtered(4_001, last), filter_params(run_filter, rest))
        stub.add_response("filter_log_events", filtered(2, WINDOW.start_ms), filter_params(REPORT_FILTER, WINDOW))
        source = LogEventsSource(client, GROUPS[:1], RUN)
        events = source.fetch(WINDOW)
        stub.assert_no_pending_responses()
    stamps = [event.timestamp_ms for event in events[:-2]]
    assert stamps == list(range(WINDOW.start_ms, WINDOW.start_ms + 14_000))  # each event exactly once
    assert source.calls == 3


def test_local_full_answer_out_of_order_is_split_in_time():
    client = logs_client()
    first, second = WINDOW.split()
    second_a, second_b = second.split()
    run_filter = EMF_FILTER
    with Stubber(client) as stub:
        for window, count in ((WINDOW, EVENT_CAP), (first, 6_000), (second, EVENT_CAP), (second_a, 5_000),
                              (second_b, 5_500)):
            stub.add_response("filter_log_events", filtered(count, window.start_ms, step=-1),
                              filter_params(run_filter, window))
        stub.add_response("filter_log_events", filtered(2, WINDOW.start_ms), filter_params(REPORT_FILTER, WINDOW))
        source = LogEventsSource(client, GROUPS[:1], RUN)
        events = source.fetch(WINDOW)
        stub.assert_no_pending_responses()
    assert len(events) == 6_000 + 5_000 + 5_500 + 2 and source.calls == 6
    assert events[0].timestamp_ms < second.start_ms <= events[6_000].timestamp_ms  # earlier half first


def test_local_pagination_is_followed_when_the_endpoint_paginates():
    client = logs_client()
    with Stubber(client) as stub:
        page = filtered(EVENT_CAP, WINDOW.start_ms)
        stub.add_response("filter_log_events", {**page, "nextToken": "t1"}, filter_params(EMF_FILTER, WINDOW))
        stub.add_response("filter_log_events", filtered(10, WINDOW.end_ms - 10),
                          {**filter_params(EMF_FILTER, WINDOW), "nextToken": "t1"})
        stub.add_response("filter_log_events", filtered(0, 0), filter_params(REPORT_FILTER, WINDOW))
        assert len(LogEventsSource(client, GROUPS[:1], RUN).fetch(WINDOW)) == EVENT_CAP + 10


def test_local_missing_log_group_says_what_to_do():
    client = logs_client()
    with Stubber(client) as stub:
        stub.add_client_error("filter_log_events", "ResourceNotFoundException", "The specified log group does not "
                              "exist", 400, expected_params={**filter_params(EMF_FILTER, WINDOW), "limit": ANY})
        with pytest.raises(AnalysisError, match="does not exist: is the stack deployed"):
            LogEventsSource(client, GROUPS[:1], RUN).fetch(WINDOW)


def test_windows_split_disjoint_and_complete():
    window = TimeWindow(10, 17)
    low, high = window.split()
    assert (low, high) == (TimeWindow(10, 13), TimeWindow(14, 17))
    assert not TimeWindow(5, 5).can_split
