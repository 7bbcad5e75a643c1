"""handlers.app.handler with real AWS event shapes: responses, partial batch failures, errors and EMF documents.

The EMF documents are checked as printed: stdout is captured and every line parsed as JSON.
"""

from __future__ import annotations

import base64
import copy
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from handlers import app
from handlers.adapters import trigger_of
from handlers.contract import (
    ENV_ALLOWED_WORKLOADS,
    ENV_ARCHITECTURE,
    ENV_VARIANT,
    TRIGGER_API,
    TRIGGER_DIRECT,
    TRIGGER_SQS,
    TRIGGERS,
    WorkRequest,
)
from handlers.environment import LocalContext, cpu_model
from handlers.logs import ERROR_RECORD_TYPE
from handlers.workloads import WORKLOADS, Workload

RUN_ID = "20261125T080000Z-3fa2"

# AWS's sample events (Lambda developer guide), with our work requests as bodies.
SQS_RECORD: dict[str, Any] = {
    "messageId": "059f36b4-87a3-44ab-83d2-661975830a7d",
    "receiptHandle": "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a...",
    "body": "test",
    "attributes": {
        "ApproximateReceiveCount": "1",
        "SentTimestamp": "1545082649183",
        "SenderId": "AIDAIENQZJOLO23YVJ4VO",
        "ApproximateFirstReceiveTimestamp": "1545082649185",
    },
    "messageAttributes": {},
    "md5OfBody": "e4e68fb7bd0e697a0ae8f1bb342846b3",
    "eventSource": "aws:sqs",
    "eventSourceARN": "arn:aws:sqs:us-east-2:123456789012:my-queue",
    "awsRegion": "us-east-2",
}
HTTP_API_V2 = {
    "version": "2.0",
    "routeKey": "POST /arm64/process",
    "rawPath": "/arm64/process",
    "rawQueryString": "",
    "headers": {"content-type": "application/json", "host": "id.execute-api.us-east-1.amazonaws.com"},
    "requestContext": {
        "accountId": "123456789012",
        "apiId": "api-id",
        "domainName": "id.execute-api.us-east-1.amazonaws.com",
        "domainPrefix": "id",
        "http": {"method": "POST", "path": "/arm64/process", "protocol": "HTTP/1.1", "sourceIp": "192.0.2.1",
                 "userAgent": "agent"},
        "requestId": "JKJaXmPLvHcESHA=",
        "routeKey": "POST /arm64/process",
        "stage": "$default",
        "time": "12/Mar/2020:19:03:58 +0000",
        "timeEpoch": 1583348638390,
    },
    "body": "",
    "isBase64Encoded": False,
}
REST_V1 = {
    "resource": "/arm64/process",
    "path": "/arm64/process",
    "httpMethod": "POST",
    "headers": {"Content-Type": "application/json"},
    "multiValueHeaders": {"Content-Type": ["application/json"]},
    "queryStringParameters": None,
    "multiValueQueryStringParameters": None,
    "requestContext": {
        "accountId": "123456789012",
        "apiId": "id",
        "domainName": "id.execute-api.us-east-1.amazonaws.com",
        "extendedRequestId": "request-id",
        "httpMethod": "POST",
        "path": "/arm64/process",
        "protocol": "HTTP/1.1",
        "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
        "requestTime": "04/Mar/2020:19:15:17 +0000",
        "requestTimeEpoch": 1583349317135,
        "resourcePath": "/arm64/process",
        "stage": "prod",
    },
    "pathParameters": None,
    "stageVariables": None,
    "body": "",
    "isBase64Encoded": False,
}


# The handler's context as AWS passes it (memory is a string on AWS); the handler only reads it.
CONTEXT = LocalContext(aws_request_id="8f5a2c1e-1111-4c2b-9d7e-000000000001", function_name="archbench-arm64",
                       invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:archbench-arm64")


@pytest.fixture(autouse=True)
def _function_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_ARCHITECTURE, "arm64")
    monkeypatch.setenv(ENV_VARIANT, "py313-1024-arm64")
    monkeypatch.delenv(ENV_ALLOWED_WORKLOADS, raising=False)


def request(seq: int, workload: str = "noop", **extra: Any) -> dict[str, Any]:
    return {"run_id": RUN_ID, "seq": seq, "workload": workload, **extra}


def sqs_event(*bodies: str, sent_timestamp: str | None = "1545082649183") -> dict[str, Any]:
    records = []
    for i, body in enumerate(bodies):
        record = copy.deepcopy(SQS_RECORD)
        record["messageId"] = f"msg-{i}"
        record["body"] = body
        if sent_timestamp is None:
            del record["attributes"]["SentTimestamp"]
        else:
            record["attributes"]["SentTimestamp"] = sent_timestamp
        records.append(record)
    return {"Records": records}


def api_event(template: dict[str, Any], body: str, *, base64_encoded: bool = False) -> dict[str, Any]:
    event = copy.deepcopy(template)
    event["body"] = base64.b64encode(body.encode()).decode() if base64_encoded else body
    event["isBase64Encoded"] = base64_encoded
    return event


def printed(capsys: pytest.CaptureFixture[str]) -> tuple[list[dict], list[dict]]:
    """(EMF documents, other JSON log records) from everything printed since the last call; all lines are JSON."""
    lines = [line for line in capsys.readouterr().out.splitlines() if line]
    records = [json.loads(line) for line in lines]
    return [r for r in records if "_aws" in r], [r for r in records if "_aws" not in r]


@pytest.fixture
def explode(monkeypatch: pytest.MonkeyPatch) -> None:
    """A registered workload whose computation raises, to exercise the failure path end to end."""
    def boom(data: object) -> object:
        raise ZeroDivisionError("division by zero in the workload")

    monkeypatch.setitem(WORKLOADS, "explode", Workload(
        name="explode", description="raises", size_unit="-", min_size=0, max_size=0, default_size=0,
        max_iterations=1, prepare=lambda size, seed: None, compute=boom, digest=str, peak_mb=lambda size: 0.0))


@pytest.mark.parametrize(("event", "trigger"), [
    ({"Records": [SQS_RECORD]}, TRIGGER_SQS), ({"Records": []}, TRIGGER_SQS),
    (HTTP_API_V2, TRIGGER_API), (REST_V1, TRIGGER_API),
    ({"run_id": RUN_ID, "seq": 1, "workload": "noop"}, TRIGGER_DIRECT), ("text", TRIGGER_DIRECT),
    ([1], TRIGGER_DIRECT),
    ({"Records": [{**SQS_RECORD, "eventSource": "aws:sns"}]}, TRIGGER_DIRECT),
])
def test_the_trigger_is_recognised_from_the_event_shape(event: object, trigger: str) -> None:
    assert trigger_of(event) == trigger
    assert trigger in TRIGGERS


# --- direct invoke ------------------------------------------------------------------------------------------
def test_direct_invoke_returns_the_result(capsys: pytest.CaptureFixture[str]) -> None:
    result = app.handler(request(1, "sort", size=100, seed=3), CONTEXT)
    assert result == {"run_id": RUN_ID, "seq": 1, "workload": "sort", "size": 100, "iterations": 1, "seed": 3,
                      "digest": WORKLOADS["sort"].run(100, 3), "workload_ms": result["workload_ms"],
                      "architecture": "arm64"}
    assert result["workload_ms"] >= 0
    docs, _ = printed(capsys)
    assert [(d["Trigger"], d["Seq"], d["Errors"]) for d in docs] == [("direct", 1, 0)]


def test_direct_invoke_accepts_a_json_string_event(capsys: pytest.CaptureFixture[str]) -> None:
    result = app.handler(WorkRequest(RUN_ID, 2, "noop", 0).to_json(), CONTEXT)
    assert result["digest"] == WORKLOADS["noop"].run(0, 0)


def test_direct_invoke_error_is_a_dict_not_an_exception(capsys: pytest.CaptureFixture[str]) -> None:
    result = app.handler(request(3, "bogus"), CONTEXT)
    assert result["error"]["code"] == "unknown_workload"
    docs, _ = printed(capsys)
    assert (docs[0]["Errors"], docs[0]["ErrorType"], docs[0]["Workload"]) == (1, "unknown_workload", "invalid")


def test_iterations_repeat_the_computation(capsys: pytest.CaptureFixture[str]) -> None:
    one = app.handler(request(4, "primes", size=2_000, iterations=1), CONTEXT)
    five = app.handler(request(5, "primes", size=2_000, iterations=5), CONTEXT)
    assert one["digest"] == five["digest"] and five["iterations"] == 5


# --- SQS ----------------------------------------------------------------------------------------------------
def test_sqs_batch_reports_exactly_the_failed_items(capsys: pytest.CaptureFixture[str]) -> None:
    event = sqs_event(json.dumps(request(10)), "{not json", json.dumps(request(12, "sort", size=50)),
                      json.dumps(request(13, "sort", size=0)), json.dumps(request(14, "nope")))
    assert app.handler(event, CONTEXT) == {
        "batchItemFailures": [{"itemIdentifier": "msg-1"}, {"itemIdentifier": "msg-3"},
                              {"itemIdentifier": "msg-4"}]}
    docs, _ = printed(capsys)
    assert [(d["MessageId"], d["Seq"], d["Errors"], d["ErrorType"]) for d in docs] == [
        ("msg-0", 10, 0, None), ("msg-1", None, 1, "invalid_json"), ("msg-2", 12, 0, None),
        ("msg-3", 13, 1, "out_of_bounds"), ("msg-4", 14, 1, "unknown_workload")]
    assert {d["Trigger"] for d in docs} == {"sqs"}
    assert len({d["RequestId"] for d in docs}) == 1  # one invocation


def test_sqs_workload_exception_fails_only_that_item(capsys: pytest.CaptureFixture[str], explode: None) -> None:
    event = sqs_event(json.dumps(request(20)), json.dumps(request(21, "explode")), json.dumps(request(22)))
    assert app.handler(event, CONTEXT) == {"batchItemFailures": [{"itemIdentifier": "msg-1"}]}
    docs, logs = printed(capsys)
    assert [(d["Seq"], d["Errors"], d["ErrorType"], d["Workload"]) for d in docs] == [
        (20, 0, None, "noop"), (21, 1, "ZeroDivisionError", "explode"), (22, 0, None, "noop")]
    assert "WorkloadMs" not in docs[1] and docs[1]["ResultDigest"] is None
    assert [log["Seq"] for log in logs] == [21]


def test_sqs_queue_lag_comes_from_sent_timestamp(capsys: pytest.CaptureFixture[str]) -> None:
    sent_ms = int(time.time() * 1000) - 2_000
    app.handler(sqs_event(json.dumps(request(30)), sent_timestamp=str(sent_ms)), CONTEXT)
    docs, _ = printed(capsys)
    assert 2_000 <= docs[0]["QueueLagMs"] < 60_000


def test_sqs_queue_lag_falls_back_to_sent_at(capsys: pytest.CaptureFixture[str]) -> None:
    body = json.dumps(request(31, sent_at=time.time() - 3.0))
    app.handler(sqs_event(body, json.dumps(request(32)), sent_timestamp=None), CONTEXT)
    docs, _ = printed(capsys)
    assert 3_000 <= docs[0]["QueueLagMs"] < 60_000
    assert "QueueLagMs" not in docs[1]  # neither SentTimestamp nor sent_at: no lag is invented


@pytest.mark.parametrize("sent_timestamp", ["NaN", "inf", "soon"])
def test_a_sent_timestamp_that_is_no_finite_number_gives_no_lag(sent_timestamp: str,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    app.handler(sqs_event(json.dumps(request(33)), sent_timestamp=sent_timestamp), CONTEXT)
    docs, _ = printed(capsys)
    assert "QueueLagMs" not in docs[0] and docs[0]["Errors"] == 0


def test_an_empty_batch_has_no_failures(capsys: pytest.CaptureFixture[str]) -> None:
    assert app.handler({"Records": []}, CONTEXT) == {"batchItemFailures": []}
    assert printed(capsys) == ([], [])


# --- API Gateway --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("template", [HTTP_API_V2, REST_V1], ids=["http-api-2.0", "rest-v1"])
def test_api_success_is_200_json(template: dict, capsys: pytest.CaptureFixture[str]) -> None:
    response = app.handler(api_event(template, json.dumps(request(40, "json", size=10))), CONTEXT)
    assert response["statusCode"] == 200
    assert response["headers"] == {"content-type": "application/json"}
    body = json.loads(response["body"])
    assert (body["seq"], body["digest"]) == (40, WORKLOADS["json"].run(10, 0))
    docs, _ = printed(capsys)
    assert (docs[0]["Trigger"], docs[0]["MessageId"]) == ("api", template["requestContext"]["requestId"])


@pytest.mark.parametrize("template", [HTTP_API_V2, REST_V1], ids=["http-api-2.0", "rest-v1"])
def test_api_base64_body_is_decoded(template: dict, capsys: pytest.CaptureFixture[str]) -> None:
    response = app.handler(api_event(template, json.dumps(request(41)), base64_encoded=True), CONTEXT)
    assert response["statusCode"] == 200


@pytest.mark.parametrize(("body", "code"), [
    ("{oops", "invalid_json"), ("", "invalid_json"), ('["a"]', "invalid_type"),
    (json.dumps(request(42, "sort", size=-1)), "out_of_bounds"), (json.dumps(request(43, "x")), "unknown_workload"),
    (json.dumps({"seq": 1, "workload": "noop"}), "missing_field"),
])
def test_api_bad_request_is_400_with_error_json(body: str, code: str, capsys: pytest.CaptureFixture[str]) -> None:
    response = app.handler(api_event(HTTP_API_V2, body), CONTEXT)
    assert response["statusCode"] == 400
    error = json.loads(response["body"])["error"]
    assert error["code"] == code and error["message"]
    docs, _ = printed(capsys)
    assert (docs[0]["Errors"], docs[0]["ErrorType"]) == (1, code)


def test_api_broken_base64_is_400(capsys: pytest.CaptureFixture[str]) -> None:
    event = api_event(HTTP_API_V2, "")
    event.update(body="%%% not base64", isBase64Encoded=True)
    response = app.handler(event, CONTEXT)
    assert (response["statusCode"], json.loads(response["body"])["error"]["code"]) == (400, "invalid_json")


def test_api_workload_exception_is_500_with_request_id_and_no_traceback(
        capsys: pytest.CaptureFixture[str], explode: None) -> None:
    response = app.handler(api_event(HTTP_API_V2, json.dumps(request(50, "explode"))), CONTEXT)
    assert response["statusCode"] == 500
    error = json.loads(response["body"])["error"]
    assert error["code"] == "workload_failed"
    assert error["request_id"] == CONTEXT.aws_request_id and CONTEXT.aws_request_id in error["message"]
    assert "Traceback" not in response["body"] and "ZeroDivisionError" not in response["body"]
    docs, logs = printed(capsys)
    assert (docs[0]["Errors"], docs[0]["ErrorType"]) == (1, "ZeroDivisionError")
    [log] = logs
    assert log["type"] == ERROR_RECORD_TYPE and log["level"] == "ERROR"
    assert (log["RequestId"], log["RunId"], log["Seq"], log["Workload"], log["Trigger"]) == (
        CONTEXT.aws_request_id, RUN_ID, 50, "explode", "api")
    assert log["traceback"].startswith("Traceback") and "boom" in log["traceback"]


def test_a_size_that_would_not_fit_the_function_memory_is_400(capsys: pytest.CaptureFixture[str]) -> None:
    small_function = LocalContext(**{**vars(CONTEXT), "memory_limit_in_mb": "128"})
    response = app.handler(api_event(HTTP_API_V2, json.dumps(request(62, "memory", size=100))), small_function)
    error = json.loads(response["body"])["error"]
    assert (response["statusCode"], error["code"]) == (400, "out_of_bounds")
    assert "the function has 128 MB" in error["message"]
    assert app.handler(request(63, "memory", size=32), small_function)["digest"]


def test_allowed_workloads_env_refuses_others(monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv(ENV_ALLOWED_WORKLOADS, "noop, sort")
    response = app.handler(api_event(HTTP_API_V2, json.dumps(request(60, "primes"))), CONTEXT)
    assert (response["statusCode"], json.loads(response["body"])["error"]["code"]) == (400, "not_allowed")
    assert app.handler(api_event(HTTP_API_V2, json.dumps(request(61))), CONTEXT)["statusCode"] == 200


# --- the EMF document ---------------------------------------------------------------------------------------
EXPECTED_PROPERTIES = {"Architecture", "RunId", "Seq", "RequestId", "MessageId", "FunctionName", "FunctionVersion",
                       "MemorySizeMb", "Runtime", "HostMachine", "Trigger", "ResultDigest", "ErrorType",
                       "EnvironmentId", "LogStream", "CpuModel"}


def test_emf_document_has_exactly_the_contract_fields(capsys: pytest.CaptureFixture[str]) -> None:
    sent_ms = int(time.time() * 1000)
    app.handler(sqs_event(json.dumps(request(70, "sort", size=100, seed=1)), sent_timestamp=str(sent_ms)),
                CONTEXT)
    [doc], _ = printed(capsys)
    aws = doc.pop("_aws")
    assert abs(aws["Timestamp"] - time.time() * 1000) < 60_000
    assert aws["CloudWatchMetrics"] == [{
        "Namespace": "ArchBench",
        "Dimensions": [["Variant", "Workload"], ["Variant"]],
        "Metrics": [{"Name": "WorkloadMs", "Unit": "Milliseconds"}, {"Name": "HandlerMs", "Unit": "Milliseconds"},
                    {"Name": "PeakRssMb", "Unit": "Megabytes"}, {"Name": "QueueLagMs", "Unit": "Milliseconds"},
                    {"Name": "ColdStart", "Unit": "Count"}, {"Name": "Errors", "Unit": "Count"}],
    }]
    metrics = {"WorkloadMs", "HandlerMs", "PeakRssMb", "QueueLagMs", "ColdStart", "Errors"}
    assert set(doc) == {"Variant", "Workload"} | metrics | EXPECTED_PROPERTIES
    assert (doc["Variant"], doc["Architecture"], doc["Workload"]) == ("py313-1024-arm64", "arm64", "sort")
    assert 0 <= doc["WorkloadMs"] <= doc["HandlerMs"]
    assert 1 < doc["PeakRssMb"] < 100_000
    assert (doc["ColdStart"], doc["Errors"]) == (0, 0)  # the pytest process had its cold start long ago
    assert doc == {**doc, "RunId": RUN_ID, "Seq": 70, "RequestId": CONTEXT.aws_request_id,
                   "MessageId": "msg-0", "FunctionName": "archbench-arm64", "FunctionVersion": "$LATEST",
                   "MemorySizeMb": 1024, "Trigger": "sqs", "ResultDigest": WORKLOADS["sort"].run(100, 1),
                   "ErrorType": None}
    assert doc["HostMachine"] == platform.machine()
    assert doc["Runtime"] == f"python{sys.version_info.major}.{sys.version_info.minor}"
    assert doc["LogStream"] == CONTEXT.log_stream_name
    assert doc["CpuModel"] == cpu_model(Path("/proc/cpuinfo").read_text()) != "unknown"


def test_every_document_of_the_process_names_the_same_environment(capsys: pytest.CaptureFixture[str]) -> None:
    app.handler(sqs_event(json.dumps(request(80)), "not json"), CONTEXT)
    app.handler(request(81), LocalContext(log_stream_name="2025/11/25/[$LATEST]0123456789abcdef0123456789abcdef"))
    docs, _ = printed(capsys)
    assert len({d["EnvironmentId"] for d in docs}) == 1 and len(docs) == 3
    assert [d["LogStream"] for d in docs] == ["local", "local", "2025/11/25/[$LATEST]0123456789abcdef0123456789abcdef"]


def test_round_is_a_property_only_when_the_request_has_one(capsys: pytest.CaptureFixture[str]) -> None:
    app.handler(request(82, round=4), CONTEXT)
    app.handler(request(83), CONTEXT)
    app.handler(request(84, round=-1), CONTEXT)  # refused: a failed item with its code, no Round
    docs, _ = printed(capsys)
    assert [d.get("Round", "absent") for d in docs] == [4, "absent", "absent"]
    assert docs[2]["ErrorType"] == "out_of_bounds"


def test_peak_rss_is_this_process_high_water_mark() -> None:
    from handlers.environment import peak_rss_mb

    def status_mb(key: str) -> float:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith(key)) / 1024

    assert abs(peak_rss_mb() - status_mb("VmHWM:")) < 1
    ballast = bytearray(os.urandom(1024)) * (96 * 1024)  # 96 MiB, every page written
    assert peak_rss_mb() >= status_mb("VmRSS:") >= 96
    del ballast


def test_architecture_is_the_configured_label_not_the_host(monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv(ENV_ARCHITECTURE, "x86_64")
    monkeypatch.delenv(ENV_VARIANT)
    app.handler(request(71), CONTEXT)
    monkeypatch.delenv(ENV_ARCHITECTURE)
    app.handler(request(72), CONTEXT)
    docs, _ = printed(capsys)
    assert [d["Architecture"] for d in docs] == ["x86_64", "unset"]
    assert [d["Variant"] for d in docs] == ["x86_64", "unset"]  # outside a stack the label stands in for the id


def test_without_a_context_the_environment_names_the_function(monkeypatch: pytest.MonkeyPatch,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "archbench-x86-64")
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512")
    app.handler(request(73), None)
    [doc], _ = printed(capsys)
    assert (doc["FunctionName"], doc["MemorySizeMb"], doc["RequestId"]) == ("archbench-x86-64", 512, "")
